//! Everything in the shared reference tables is in the knowledge base.

use std::path::PathBuf;

use rdpdoctor_kb::kb;

/// The shared reference tables: `shared/reference` beside the checkout (the
/// main checkout, the worktrees and CI's clone all sit one folder below the
/// folder that holds `shared/`). Missing is a failure, not a skip: a test
/// that passes without looking would hide a code the KB lost.
fn reference_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference");
    assert!(
        dir.join("codes.tsv").is_file(),
        "{} has no codes.tsv: the reference tables must sit beside the checkout",
        dir.display()
    );
    dir
}

fn rows(path: &std::path::Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

#[test]
fn every_row_of_codes_tsv_is_in_the_kb() {
    let dir = reference_dir();
    let kb = kb();
    let mut checked = 0;
    for r in rows(&dir.join("codes.tsv")) {
        let (family, hex, dec, name) = (&r[0], &r[1], &r[2], &r[3]);
        let fam = kb
            .families()
            .iter()
            .find(|f| f.reference.iter().any(|x| x == family))
            .unwrap_or_else(|| panic!("codes.tsv family `{family}` maps to no kb family"));
        let value = u32::from_str_radix(hex.trim_start_matches("0x"), 16).unwrap();
        assert_eq!(
            value as u64,
            dec.parse::<u64>().unwrap(),
            "codes.tsv row {hex}/{dec} disagrees with itself"
        );
        let code = kb.lookup(fam.id, value).unwrap_or_else(|| {
            panic!(
                "{family} {hex} ({name}) is missing from kb/codes/{}.toml",
                fam.id
            )
        });
        if !name.starts_with('(') {
            assert!(
                code.names().any(|n| n.eq_ignore_ascii_case(name)),
                "{} {hex}: kb names {:?} do not include `{name}`",
                fam.id,
                code.names().collect::<Vec<_>>()
            );
        }
        checked += 1;
    }
    assert!(checked > 300);
}

#[test]
fn every_event_of_events_tsv_is_in_the_kb() {
    let dir = reference_dir();
    let kb = kb();
    let mut checked = 0;
    for r in rows(&dir.join("events.tsv")) {
        let (channel, provider, ids) = (&r[0], &r[1], &r[2]);
        let fam = kb
            .families()
            .iter()
            .find(|f| f.reference.iter().any(|x| x == provider))
            .unwrap_or_else(|| panic!("events.tsv provider `{provider}` maps to no kb family"));
        for id in ids.split('/') {
            let id: u32 = id.trim().parse().unwrap();
            let code = kb.lookup(fam.id, id).unwrap_or_else(|| {
                panic!(
                    "event {id} ({provider}) is missing from kb/codes/{}.toml",
                    fam.id
                )
            });
            assert_eq!(
                code.channel.as_deref(),
                Some(channel.as_str()),
                "event {id}: channel"
            );
            // and `explain event N` finds it
            let e = rdpdoctor_kb::explain(&[format!("event {id}")]).unwrap();
            assert!(
                e.codes.iter().any(|c| c.family == fam.id && c.value == id),
                "`event {id}` does not explain {provider}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 80);
}

#[test]
fn every_freerdp_string_in_the_lab_notes_is_recognised() {
    let dir = reference_dir();
    let notes = std::fs::read_to_string(dir.join("lab-notes.md")).unwrap();
    let mut found = Vec::new();
    // `ERRCONNECT_X [0x…]` and `ERRINFO_X [0x…]`
    for (i, _) in notes.match_indices("ERR") {
        let rest = &notes[i..];
        if !(rest.starts_with("ERRCONNECT_") || rest.starts_with("ERRINFO_")) {
            continue;
        }
        let name_len = rest
            .find(|c: char| !(c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit()))
            .unwrap_or(rest.len());
        let after = &rest[name_len..];
        if let Some(stripped) = after.strip_prefix(" [0x")
            && let Some(end) = stripped.find(']')
        {
            found.push(format!("{} [0x{}]", &rest[..name_len], &stripped[..end]));
        } else {
            found.push(rest[..name_len].to_string());
        }
    }
    // negotiation failure names FreeRDP prints as `Error: NAME`
    for (i, _) in notes.match_indices("Error: ") {
        let rest = &notes[i + 7..];
        let len = rest
            .find(|c: char| !(c.is_ascii_uppercase() || c == '_'))
            .unwrap_or(rest.len());
        if len > 3 {
            found.push(rest[..len].to_string());
        }
    }
    for name in [
        "HYBRID_REQUIRED_BY_SERVER",
        "SSL_CERT_NOT_ON_SERVER",
        "SSL_REQUIRED_BY_SERVER",
        "SSL_NOT_ALLOWED_BY_SERVER",
    ] {
        if notes.contains(name) {
            found.push(name.to_string());
        }
    }
    found.sort();
    found.dedup();
    assert!(
        found.len() >= 10,
        "too few FreeRDP strings found in lab-notes.md: {found:?}"
    );
    let kb = kb();
    for s in &found {
        let e = rdpdoctor_kb::explain(std::slice::from_ref(s))
            .unwrap_or_else(|e| panic!("`{s}` not recognised: {e}"));
        let name = s.split(' ').next().unwrap();
        assert!(
            e.codes.iter().any(|c| c.name == name),
            "`{s}` explained as {:?}",
            e.codes.iter().map(|c| &c.name).collect::<Vec<_>>()
        );
        if let Some(hex) = s.split_once("[0x").map(|(_, h)| h.trim_end_matches(']')) {
            let full = u32::from_str_radix(hex, 16).unwrap();
            let code = kb
                .lookup_freerdp(full)
                .unwrap_or_else(|| panic!("{s}: FreeRDP code 0x{hex} unknown"));
            assert_eq!(code.name, name, "{s}: the number and the name disagree");
        }
        assert!(
            !e.pointers.is_empty() || name == "ERRINFO_SUCCESS",
            "`{s}` gives no cause"
        );
    }
    // the exit codes the lab measured
    for (rc, name) in [
        (131, "XF_EXIT_CONN_FAILED"),
        (132, "XF_EXIT_AUTH_FAILURE"),
        (133, "XF_EXIT_NEGO_FAILURE"),
        (136, "XF_EXIT_PRE_CONNECT_FAILED"),
        (141, "XF_EXIT_CONNECT_FAILED"),
        (143, "XF_EXIT_TLS_CONNECT_FAILED"),
        (147, "XF_EXIT_CONNECT_TRANSPORT_FAILED"),
    ] {
        let e = rdpdoctor_kb::explain(&[format!("exit code {rc}")]).unwrap();
        assert_eq!(e.codes[0].name, name);
        assert!(!e.pointers.is_empty());
    }
}
