//! A mounted Windows volume (a stopped VM's disk attached to a rescue
//! machine): its hives, transaction logs and MachineKeys found whatever the
//! letter case of the copy.

use rdpdoctor_evidence::host::{SourceKind, SourceStatus};
use rdpdoctor_testkit::host::{hive, problem, run, scratch, software_hive, source};

const GUID: &str = "4a5e1b2c-7d3f-4e6a-9b8c-0d1e2f3a4b5c";

#[test]
fn a_mounted_volume_gives_its_hives_and_the_rdp_key_file() {
    let root = scratch("volume");
    let config = root.join("windows/SYSTEM32/Config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::copy(hive("SYSTEM"), config.join("system")).unwrap();
    software_hive(&config.join("SOFTWARE"), GUID);
    let keys = root.join("programdata/Microsoft/crypto/RSA/MACHINEKEYS");
    std::fs::create_dir_all(&keys).unwrap();
    let rdp_key = format!("f686aace6942fb7f7ceb231212eef4a4_{GUID}");
    std::fs::write(keys.join(&rdp_key), vec![7u8; 1234]).unwrap();
    std::fs::write(keys.join("6de9cb26d2b98c01ec4e9e8b34824aa2_other"), b"x").unwrap();

    let ev = run(&[&root]);
    let system = source(&ev, &config.join("system"));
    assert_eq!(
        (system.kind, &system.status),
        (SourceKind::SystemHive, &SourceStatus::Read)
    );
    let software = source(&ev, &config.join("SOFTWARE"));
    assert_eq!(software.kind, SourceKind::SoftwareHive);
    assert_eq!(software.status, SourceStatus::Read);

    assert_eq!(
        ev.terminal_server.port_number.as_ref().map(|s| s.value),
        Some(3389)
    );
    assert_eq!(
        ev.identity.machine_guid.as_ref().map(|s| s.value.as_str()),
        Some(GUID)
    );
    assert_eq!(
        ev.identity.build.as_ref().map(|s| s.value.as_str()),
        Some("7601")
    );
    let mk = ev.machine_keys.as_ref().expect("MachineKeys found");
    assert_eq!(mk.rdp_key_file.as_deref(), Some(rdp_key.as_str()));
    assert_eq!(mk.rdp_key_present, Some(true));
    assert_eq!(mk.rdp_key_bytes, Some(1234));
    assert_eq!(mk.files, 2);
}

#[test]
fn a_volume_without_the_rdp_key_says_so_and_a_bad_transaction_log_costs_only_itself() {
    let root = scratch("volume_no_key");
    let config = root.join("Windows/System32/config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::copy(hive("SYSTEM"), config.join("SYSTEM")).unwrap();
    software_hive(&config.join("SOFTWARE"), GUID);
    // A transaction log that is not one: the hive is still read.
    std::fs::write(config.join("SYSTEM.log1"), vec![0u8; 8192]).unwrap();
    let keys = root.join("ProgramData/Microsoft/Crypto/RSA/MachineKeys");
    std::fs::create_dir_all(&keys).unwrap();

    let ev = run(&[&root]);
    let mk = ev.machine_keys.as_ref().unwrap();
    assert_eq!(mk.rdp_key_present, Some(false));
    assert_eq!(mk.files, 0);
    let system = source(&ev, &config.join("SYSTEM"));
    let SourceStatus::Partial { problem } = &system.status else {
        panic!("{:?}", system.status)
    };
    assert!(
        problem.contains("a transaction log beside it could not be read"),
        "{problem}"
    );
    assert_eq!(
        ev.terminal_server.port_number.as_ref().map(|s| s.value),
        Some(3389)
    );
}

#[test]
fn a_volume_without_its_hives_names_what_is_missing() {
    let root = scratch("volume_empty");
    std::fs::create_dir_all(root.join("Windows/System32/config")).unwrap();
    let ev = run(&[&root]);
    assert_eq!(ev.sources.len(), 2);
    for s in &ev.sources {
        assert!(
            problem(s).starts_with(&root.display().to_string()),
            "{}",
            problem(s)
        );
        assert!(problem(s).contains("has no"), "{}", problem(s));
    }
    assert!(!ev.anything_read());
}
