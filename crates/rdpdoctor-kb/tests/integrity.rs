//! The data files are consistent: a broken knowledge base is a bug users would see as
//! a wrong or empty answer.

use std::collections::HashSet;

use rdpdoctor_kb::{Family, FixKind, kb};

#[test]
fn embedded_kb_parses_and_every_family_has_a_file() {
    let kb = kb();
    let ids: Vec<Family> = kb.families().iter().map(|f| f.id).collect();
    for f in Family::ALL {
        assert!(ids.contains(&f), "family {f} has no file under kb/codes");
    }
    assert!(kb.codes().len() > 400);
    assert!(kb.causes().len() >= 25);
}

#[test]
fn every_cause_has_a_confirm_step_and_a_fix() {
    for c in kb().causes() {
        assert!(!c.confirm.is_empty(), "cause {} has no confirm step", c.id);
        assert!(!c.fixes.is_empty(), "cause {} has no fix", c.id);
        assert!(
            !c.title.trim().is_empty() && !c.summary.trim().is_empty(),
            "cause {} lacks title/summary",
            c.id
        );
        assert!(!c.symptoms.is_empty(), "cause {} has no symptoms", c.id);
    }
}

#[test]
fn cause_ids_are_unique_kebab_case() {
    let mut seen = HashSet::new();
    for c in kb().causes() {
        assert!(seen.insert(c.id.as_str()), "duplicate cause id {}", c.id);
        assert!(
            c.id.chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-')
                && !c.id.starts_with('-')
                && !c.id.ends_with('-'),
            "cause id {} is not kebab-case",
            c.id
        );
    }
}

#[test]
fn fix_ids_are_unique() {
    let mut seen = HashSet::new();
    for c in kb().causes() {
        for f in &c.fixes {
            assert!(
                seen.insert(f.id.as_str()),
                "duplicate fix id {} (in {})",
                f.id,
                c.id
            );
        }
    }
}

#[test]
fn every_code_has_a_meaning_and_a_source() {
    for c in kb().codes() {
        assert!(
            !c.meaning.trim().is_empty(),
            "{} has no meaning",
            c.code_ref()
        );
        assert!(
            !c.source.trim().is_empty(),
            "{} has no source",
            c.code_ref()
        );
        assert!(!c.name.trim().is_empty(), "{} has no name", c.code_ref());
        if c.family.is_event() {
            assert!(
                c.channel.is_some() && c.provider.is_some(),
                "event {} lacks channel/provider",
                c.code_ref()
            );
        }
    }
}

#[test]
fn codes_are_unique_per_family() {
    let mut seen = HashSet::new();
    for c in kb().codes() {
        assert!(seen.insert(c.code_ref()), "duplicate code {}", c.code_ref());
    }
}

#[test]
fn every_cause_referenced_from_a_code_or_message_exists() {
    let kb = kb();
    for c in kb.codes() {
        for w in &c.causes {
            assert!(
                kb.cause(&w.cause).is_some(),
                "{} points at unknown cause {}",
                c.code_ref(),
                w.cause
            );
            assert!(
                w.weight > 0.0 && w.weight <= 1.0,
                "{} has weight {} for {}",
                c.code_ref(),
                w.weight,
                w.cause
            );
        }
        let sum: f64 = c.causes.iter().map(|w| w.weight).sum();
        assert!(
            sum <= 1.0 + 1e-9,
            "{} weights add up to {sum}",
            c.code_ref()
        );
    }
    for m in kb.messages() {
        for w in &m.causes {
            assert!(
                kb.cause(&w.cause).is_some(),
                "message {} points at unknown cause {}",
                m.id,
                w.cause
            );
        }
        let sum: f64 = m.causes.iter().map(|w| w.weight).sum();
        assert!(
            sum <= 1.0 + 1e-9,
            "message {} weights add up to {sum}",
            m.id
        );
        for r in &m.implies {
            assert!(
                kb.lookup_ref(*r).is_some(),
                "message {} implies unknown code {r}",
                m.id
            );
        }
        assert!(
            !m.causes.is_empty() || !m.implies.is_empty(),
            "message {} leads nowhere",
            m.id
        );
        assert!(
            m.match_any.iter().all(|g| !g.is_empty()),
            "message {} has an empty match group",
            m.id
        );
    }
}

#[test]
fn same_as_links_point_at_existing_codes_with_the_same_value_semantics() {
    let kb = kb();
    for c in kb.codes() {
        for r in &c.same_as {
            assert!(
                kb.lookup_ref(*r).is_some(),
                "{} same_as unknown {r}",
                c.code_ref()
            );
        }
    }
    // The mstsc extended error code is the ERRINFO value.
    let ext = kb.lookup(Family::MstscExtended, 7).unwrap();
    assert!(
        ext.same_as
            .iter()
            .any(|r| r.family == Family::Errinfo && r.value == 7)
    );
    assert_eq!(
        kb.lookup(Family::Errinfo, 7).unwrap().name,
        "ERRINFO_SERVER_DENIED_CONNECTION"
    );
}

#[test]
fn every_weakening_fix_says_how_to_undo_it() {
    for c in kb().causes() {
        for f in &c.fixes {
            if f.weakens_security {
                let undo = f.undo.as_deref().unwrap_or("");
                assert!(
                    !undo.trim().is_empty(),
                    "fix {} weakens security but has no undo",
                    f.id
                );
            }
        }
    }
}

#[test]
fn fixes_carry_what_their_kind_needs() {
    for c in kb().causes() {
        for f in &c.fixes {
            match f.kind {
                FixKind::Gui | FixKind::GroupPolicy => {
                    assert!(
                        f.path.as_deref().is_some_and(|p| !p.trim().is_empty()),
                        "fix {} ({:?}) needs a path",
                        f.id,
                        f.kind
                    )
                }
                FixKind::Powershell | FixKind::Cmd | FixKind::Azure | FixKind::ClientSwitch => {
                    assert!(
                        f.command.as_deref().is_some_and(|p| !p.trim().is_empty()),
                        "fix {} ({:?}) needs a command",
                        f.id,
                        f.kind
                    )
                }
            }
            if f.kind == FixKind::Azure {
                assert!(
                    f.command.as_deref().unwrap().starts_with("az "),
                    "azure fix {} must be an az command",
                    f.id
                );
            }
        }
    }
}

#[test]
fn known_dangerous_fixes_are_flagged() {
    // Disabling NLA, AllowEncryptionOracle=2, /cert:ignore, forcing RDP security and
    // TLS 1.0 must always be marked as weakening security.
    for c in kb().causes() {
        for f in &c.fixes {
            let cmd = f.command.as_deref().unwrap_or("").to_lowercase();
            let path = f.path.as_deref().unwrap_or("").to_lowercase();
            let dangerous = (cmd.contains("userauthentication") && (cmd.contains("/d 0") || cmd.contains("-value 0")))
                || (cmd.contains("allowencryptionoracle") && (cmd.contains("/d 2") || cmd.contains("-value 2")))
                || cmd.contains("/cert:ignore")
                || cmd.contains("/sec:rdp")
                || cmd.contains("tls-seclevel:0")
                || (cmd.contains("tls 1.0") && cmd.contains("/v enabled /t reg_dword /d 1"))
                || path.contains("protection level: vulnerable")
                || path.contains("untick \"allow connections only from computers running remote desktop with network level authentication\"");
            if dangerous {
                assert!(
                    f.weakens_security,
                    "fix {} looks security-weakening but is not flagged",
                    f.id
                );
            }
        }
    }
}

#[test]
fn every_cause_is_reachable_from_some_code_or_message() {
    let kb = kb();
    for c in kb.causes() {
        let from_msg = kb
            .messages()
            .iter()
            .any(|m| m.causes.iter().any(|w| w.cause == c.id));
        assert!(
            !c.codes.is_empty() || from_msg,
            "cause {} is pointed at by no code and no message",
            c.id
        );
    }
}

#[test]
fn the_required_causes_exist() {
    let kb = kb();
    for id in [
        "rdp-cert-expired",
        "rdp-cert-private-key-broken",
        "cert-untrusted-or-name-mismatch",
        "server-forces-rdp-security",
        "server-requires-tls",
        "nla-required-client-lacks",
        "credssp-encryption-oracle",
        "tls-version-or-cipher-mismatch",
        "fips-required",
        "clock-skew",
        "name-resolution",
        "port-closed-or-service-stopped",
        "remote-desktop-disabled",
        "firewall-or-public-network-profile",
        "endpoint-protection-interference",
        "too-many-pending-connections",
        "user-not-allowed",
        "account-restricted",
        "unstable-network",
        "rd-gateway-cannot-reach-host",
        "udp-transport-trouble",
        "outdated-or-damaged-client",
        "rds-licensing",
        "ssl-cert-not-on-server",
        "wrong-credentials",
    ] {
        assert!(kb.cause(id).is_some(), "missing cause {id}");
    }
}

#[test]
fn registry_paths_in_commands_use_real_hives() {
    for c in kb().causes() {
        let fixes = c
            .fixes
            .iter()
            .map(|f| (f.id.as_str(), f.command.as_deref()));
        let steps = c
            .confirm
            .iter()
            .map(|s| (c.id.as_str(), s.command.as_deref()));
        for (id, cmd) in fixes.chain(steps) {
            let Some(cmd) = cmd else { continue };
            let lower = cmd.to_lowercase();
            if lower.starts_with("reg ") || lower.contains("\nreg ") {
                for line in lower.lines().filter(|l| l.trim_start().starts_with("reg ")) {
                    assert!(
                        line.contains("\"hklm\\")
                            || line.contains(" hklm\\")
                            || line.contains("\"hkcu\\"),
                        "{id}: reg command without a hive: {line}"
                    );
                    assert!(
                        !line.contains("hklm\\\\"),
                        "{id}: doubled backslash: {line}"
                    );
                }
            }
        }
    }
}

#[test]
fn every_file_under_kb_codes_is_embedded() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("kb/codes");
    let files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    let ids: HashSet<String> = kb()
        .families()
        .iter()
        .map(|f| format!("{}.toml", f.id))
        .collect();
    for f in &files {
        assert!(
            ids.contains(f),
            "kb/codes/{f} is not listed in src/load.rs CODE_FILES"
        );
    }
    assert_eq!(files.len(), ids.len());
}

/// `kb/kb.toml` is TOML with one `[kb]` table, and its version is a real date:
/// `rdpdoctor --version` shows it as the knowledge base's version.
#[test]
fn kb_version_is_a_date_read_from_kb_toml() {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        kb: Header,
    }
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Header {
        version: String,
    }
    let file: File = toml::from_str(include_str!("../kb/kb.toml")).expect("kb/kb.toml parses");
    assert_eq!(rdpdoctor_kb::VERSION, file.kb.version);
    let parts: Vec<u32> = file
        .kb
        .version
        .split('-')
        .map(|p| p.parse().expect("digits"))
        .collect();
    assert!(
        matches!(parts[..], [2026..=9999, 1..=12, 1..=31]) && file.kb.version.len() == 10,
        "version must be YYYY-MM-DD: {}",
        file.kb.version
    );
}

/// A fix says which side it changes, from a closed list: a typo or a side
/// the engine does not know fails when the KB loads, not silently later.
#[test]
fn a_fix_side_outside_the_list_fails_to_load() {
    let fix = |side: &str| {
        format!("id = 'x'\ntitle = 't'\napplies_to = '{side}'\nkind = 'gui'\npath = 'p'\n")
    };
    for side in ["server", "client", "gateway", "network"] {
        let f: rdpdoctor_kb::Fix = toml::from_str(&fix(side)).expect(side);
        assert_eq!(f.applies_to.name(), side);
    }
    for bad in ["router", "Server", "both", ""] {
        let r: Result<rdpdoctor_kb::Fix, _> = toml::from_str(&fix(bad));
        assert!(r.is_err(), "applies_to = {bad:?} was accepted");
    }
    // `side` is the JSON's name for it, never a KB key of its own.
    let with_side = format!("{}side = 'client'\n", fix("server"));
    assert!(toml::from_str::<rdpdoctor_kb::Fix>(&with_side).is_err());
}

/// Every fix reports its side in the JSON, the same as the KB's `applies_to`,
/// and the KB uses the sides beyond client and server where they belong.
#[test]
fn every_fix_reports_its_side() {
    let mut sides = HashSet::new();
    for c in kb().causes() {
        for f in &c.fixes {
            let j = serde_json::to_value(f).unwrap();
            assert_eq!(j["side"], j["applies_to"], "fix {}", f.id);
            sides.insert(f.side.name());
        }
    }
    for s in ["server", "client", "gateway", "network"] {
        assert!(sides.contains(s), "no fix changes the {s}");
    }
}
