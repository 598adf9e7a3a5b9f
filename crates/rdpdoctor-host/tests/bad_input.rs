//! Bad input is normal input: each bad source is one line naming the file,
//! the good sources beside it are still read, and nothing panics.

use rdpdoctor_evidence::host::{SourceKind, SourceStatus};
use rdpdoctor_testkit::host::{hive, hivex_merge, problem, run, scratch, source};

#[test]
fn a_file_that_is_not_a_hive_is_named_and_the_hive_beside_it_is_read() {
    let dir = scratch("not_a_hive");
    let bad = dir.join("SYSTEM");
    std::fs::write(&bad, "this is a text file, not a registry hive\n").unwrap();
    let good = hive("SYSTEM");
    let ev = run(&[&bad, &good]);
    let s = source(&ev, &bad);
    assert!(matches!(s.status, SourceStatus::Unusable { .. }));
    let p = problem(s);
    assert!(
        p.contains(&bad.display().to_string()) && p.contains("not a registry hive"),
        "{p}"
    );
    assert_eq!(p.lines().count(), 1);
    assert_eq!(source(&ev, &good).status, SourceStatus::Read);
    assert_eq!(
        ev.terminal_server.port_number.as_ref().map(|s| s.value),
        Some(3389)
    );
    assert!(ev.anything_read());
}

#[test]
fn a_truncated_hive_is_named_and_never_panics() {
    let dir = scratch("truncated");
    let full = std::fs::read(hive("SYSTEM")).unwrap();
    // Cut inside the base block, inside the first hive bin, and mid-hive.
    for cut in [100usize, 6000, 1 << 20, full.len() / 2] {
        let path = dir.join(format!("SYSTEM-cut-{cut}"));
        std::fs::write(&path, &full[..cut]).unwrap();
        let ev = run(&[&path]);
        let s = source(&ev, &path);
        let p = match &s.status {
            SourceStatus::Read => panic!("a hive cut at {cut} was read whole"),
            SourceStatus::Partial { problem } | SourceStatus::Unusable { problem } => problem,
        };
        assert!(p.starts_with(&path.display().to_string()), "cut {cut}: {p}");
        assert!(p.contains("is cut short"), "cut {cut}: {p}");
        assert_eq!(p.lines().count(), 1);
    }
}

#[test]
fn a_sam_hive_given_as_system_is_named_for_what_it_is() {
    let dir = scratch("sam_kind");
    let path = dir.join("SYSTEM");
    std::fs::copy(hive("SYSTEM"), &path).unwrap();
    // A hive with SAM's shape, made by hivex from a real one: no Select, no
    // control sets, a SAM\Domains key.
    hivex_merge(
        &path,
        "Windows Registry Editor Version 5.00\n\n\
         [-HKEY_LOCAL_MACHINE\\SYSTEM\\Select]\n\n\
         [-HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001]\n\n\
         [-HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet002]\n\n\
         [HKEY_LOCAL_MACHINE\\SYSTEM\\SAM]\n\n\
         [HKEY_LOCAL_MACHINE\\SYSTEM\\SAM\\Domains]\n\n\
         [HKEY_LOCAL_MACHINE\\SYSTEM\\SAM\\Domains\\Account]\n\
         \"F\"=hex:01,02\n",
    );
    let ev = run(&[&path]);
    let s = source(&ev, &path);
    assert_eq!(s.kind, SourceKind::OtherHive);
    assert!(matches!(s.status, SourceStatus::Unusable { .. }));
    assert_eq!(
        problem(s),
        format!(
            "{} is a SAM hive, not a SYSTEM, SOFTWARE or NTUSER.DAT hive",
            path.display()
        )
    );
    assert!(!ev.anything_read());
    assert!(ev.firewall.is_none() && ev.services.is_empty());
}

#[test]
fn a_folder_that_is_no_windows_volume_is_one_line() {
    let dir = scratch("no_volume");
    std::fs::write(dir.join("notes.txt"), "hello").unwrap();
    let ev = run(&[&dir]);
    assert_eq!(ev.sources.len(), 1);
    let p = problem(&ev.sources[0]);
    assert_eq!(
        p,
        format!(
            "{} is a folder with neither a Windows volume (Windows\\System32\\config) nor .evtx files in it",
            dir.display()
        )
    );
    assert!(!ev.anything_read());
    let missing = dir.join("nope");
    let ev = run(&[&missing]);
    assert_eq!(
        problem(&ev.sources[0]),
        format!("{}: no such file or folder", missing.display())
    );
}

#[test]
fn an_export_with_a_bad_line_is_partial_and_keeps_the_rest() {
    let dir = scratch("bad_reg_line");
    let path = dir.join("policies.reg");
    std::fs::write(
        &path,
        "REGEDIT4\n\n\
         [HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services]\n\
         \"SecurityLayer\"=dword:0000000g\n\
         \"UserAuthentication\"=dword:00000001\n",
    )
    .unwrap();
    let ev = run(&[&path]);
    let s = source(&ev, &path);
    let SourceStatus::Partial { problem } = &s.status else {
        panic!("{:?}", s.status)
    };
    assert!(problem.contains("line 4: bad dword"), "{problem}");
    assert!(problem.starts_with(&path.display().to_string()));
    assert_eq!(ev.terminal_server.security_layer, None);
    assert_eq!(
        ev.terminal_server
            .user_authentication
            .as_ref()
            .map(|s| s.value),
        Some(1)
    );
}

#[test]
fn inspect_local_off_windows_says_it_needs_windows() {
    if cfg!(windows) {
        return;
    }
    let err = rdpdoctor_host::inspect_local(&rdpdoctor_host::InspectOptions {
        since_unix: Some(0),
        now_unix: 0,
    })
    .unwrap_err();
    assert_eq!(
        err,
        "inspect --local reads the live registry and needs Windows"
    );
}
