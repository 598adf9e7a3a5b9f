//! Fault variants of a real SYSTEM hive, written with hivex
//! (`hivexregedit --merge`, Debian libwin-hivex-perl) into a copy and
//! checked with hivex's own reader (`hivexget`) before rdpdoctor reads them;
//! and the SOFTWARE side (Group Policy, the "Remote Desktop" certificate
//! store, networks), which has no real hive fixture, as `.reg` exports
//! written next to the hive the way `reg export` writes them.

use rdpdoctor_testkit::cert;

use cert::{RDP_TCP, certificate, hex_bytes, reg_hex, set_listener_certificate};
use rdpdoctor_evidence::host::{
    FirewallProfileName, NetworkCategory, ServiceStart, SourceKind, SourceStatus,
};
use rdpdoctor_host::registry::certblob;
use rdpdoctor_testkit::host::{hive, hivex_merge, hivexget, run, scratch, source, write_reg_utf16};
use std::path::{Path, PathBuf};

fn system_copy(test: &str) -> (PathBuf, PathBuf) {
    let dir = scratch(test);
    let copy = dir.join("SYSTEM");
    std::fs::copy(hive("SYSTEM"), &copy).unwrap();
    (dir, copy)
}

/// A copy of the real SYSTEM hive with the `.reg` lines `changes` merged in
/// by hivex.
fn system_variant(test: &str, changes: &str) -> (PathBuf, PathBuf) {
    let (dir, copy) = system_copy(test);
    hivex_merge(
        &copy,
        &format!("Windows Registry Editor Version 5.00\n\n{changes}"),
    );
    (dir, copy)
}

#[test]
fn termservice_disabled_is_read_as_disabled() {
    let (_dir, h) = system_variant(
        "termservice_disabled",
        "[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\TermService]\n\
         \"Start\"=dword:00000004\n",
    );
    assert_eq!(
        hivexget(&h, "ControlSet001\\Services\\TermService", "Start"),
        "4"
    );
    let ev = run(&[&h]);
    let svc = ev
        .services
        .iter()
        .find(|s| s.name == "TermService")
        .unwrap();
    let start = svc.start.as_ref().unwrap();
    assert_eq!(start.value, ServiceStart::Disabled);
    // As the hive spells it (this Windows 7 hive has `services` in lower case).
    assert!(
        start
            .origin
            .key
            .eq_ignore_ascii_case("HKLM\\SYSTEM\\ControlSet001\\Services\\TermService"),
        "{}",
        start.origin.key
    );
    // The others are untouched.
    let env = ev.services.iter().find(|s| s.name == "SessionEnv").unwrap();
    assert_eq!(env.start.as_ref().unwrap().value, ServiceStart::Manual);
}

#[test]
fn max_outstanding_connections_and_security_layer_0_are_read() {
    let (_dir, h) = system_variant(
        "max_outstanding",
        "[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Terminal Server]\n\
         \"MaxOutstandingConnections\"=dword:00000002\n\n\
         [HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Terminal Server\\WinStations\\RDP-Tcp]\n\
         \"SecurityLayer\"=dword:00000000\n",
    );
    assert_eq!(
        hivexget(
            &h,
            "ControlSet001\\Control\\Terminal Server",
            "MaxOutstandingConnections"
        ),
        "2"
    );
    assert_eq!(hivexget(&h, RDP_TCP, "SecurityLayer"), "0");
    let ev = run(&[&h]);
    let ts = &ev.terminal_server;
    assert_eq!(
        ts.max_outstanding_connections.as_ref().map(|s| s.value),
        Some(2)
    );
    assert_eq!(ts.security_layer.as_ref().map(|s| s.value), Some(0));
    assert_eq!(ts.port_number.as_ref().map(|s| s.value), Some(3389));
}

/// A self-signed certificate that expired in 2021, as Remote Desktop
/// Services would have made it.
fn expired_certificate(dir: &Path) -> (Vec<u8>, String) {
    certificate(dir, "WKS-WIN732BITA", (2020, 1, 1), (2021, 1, 1))
}

#[test]
fn group_policy_in_an_export_wins_over_the_hive_and_the_store_is_decoded() {
    let (dir, h) = system_copy("gp_precedence");
    // The listener names a certificate that is not in the store.
    let missing = "DEADBEEF00112233445566778899AABBCCDDEEFF";
    set_listener_certificate(&h, missing);
    let (der, thumb) = expired_certificate(&dir);
    let blob = certblob::serialize(&[(3, &hex_bytes(&thumb)), (32, &der)]);
    // What `reg export` of the policies and the store writes: UTF-16LE, BOM.
    let export = dir.join("software-policies.reg");
    write_reg_utf16(
        &export,
        &format!(
            "Windows Registry Editor Version 5.00\n\n\
             [HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services]\n\
             \"SecurityLayer\"=dword:00000000\n\
             \"UserAuthentication\"=dword:00000000\n\
             \"fDenyTSConnections\"=dword:00000001\n\n\
             [HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\WindowsFirewall\\PublicProfile]\n\
             \"EnableFirewall\"=dword:00000000\n\n\
             [HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\SystemCertificates\\Remote Desktop\\Certificates\\{thumb}]\n\
             {}\n",
            reg_hex("\"Blob\"", &blob)
        ),
    );
    // And a REGEDIT4 one (ANSI) for the networks and CredSSP.
    let export4 = dir.join("networks.reg");
    std::fs::write(
        &export4,
        "REGEDIT4\r\n\r\n\
         [HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\NetworkList\\Profiles\\{6C2D4E1A-0B7F-4C55-9D6B-2E0F3A4B5C6D}]\r\n\
         \"ProfileName\"=\"Guest Wi-Fi\"\r\n\
         \"Category\"=dword:00000000\r\n\r\n\
         [HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System\\CredSSP\\Parameters]\r\n\
         \"AllowEncryptionOracle\"=dword:00000002\r\n",
    )
    .unwrap();

    let ev = run(&[&h, &export, &export4]);
    for p in [&h, &export, &export4] {
        assert_eq!(source(&ev, p).status, SourceStatus::Read, "{}", p.display());
    }
    assert_eq!(source(&ev, &export).kind, SourceKind::RegExport);

    // Group Policy wins; the listener's own value is kept as shadowed.
    let sl = ev.terminal_server.security_layer.as_ref().unwrap();
    assert_eq!(sl.value, 0);
    assert_eq!(sl.origin.source, export.display().to_string());
    assert_eq!(
        sl.origin.key,
        "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services"
    );
    assert_eq!(sl.shadowed.len(), 1);
    assert_eq!(sl.shadowed[0].value, 1);
    assert_eq!(sl.shadowed[0].origin.source, h.display().to_string());
    let deny = ev.terminal_server.deny_ts_connections.as_ref().unwrap();
    assert_eq!((deny.value, deny.shadowed[0].value), (1, 0));
    // No policy for the port: the hive's value, nothing shadowed.
    let port = ev.terminal_server.port_number.as_ref().unwrap();
    assert_eq!((port.value, port.shadowed.len()), (3389, 0));

    let fw = ev.firewall.as_ref().unwrap();
    let public = fw
        .profiles
        .iter()
        .find(|p| p.name == FirewallProfileName::Public)
        .unwrap();
    let enabled = public.enabled.as_ref().unwrap();
    assert_eq!((enabled.value, enabled.shadowed[0].value), (0, 1));
    assert_eq!(fw.networks.len(), 1);
    assert_eq!(fw.networks[0].name, "Guest Wi-Fi");
    assert_eq!(fw.networks[0].category, NetworkCategory::Public);
    assert_eq!(
        ev.crypto.allow_encryption_oracle.as_ref().map(|s| s.value),
        Some(2)
    );

    // The store's certificate, decoded from its blob.
    assert_eq!(ev.certificates.len(), 1);
    let c = &ev.certificates[0];
    assert_eq!(c.thumbprint, thumb);
    assert_eq!(c.computed_thumbprint(), Some(thumb.as_str()));
    assert_eq!(c.decode_error, None);
    assert!(c.subject().unwrap().contains("WKS-WIN732BITA"));
    let said = c.certificate.as_ref().unwrap();
    assert_eq!(said.dns_names, ["wks-win732bita"]);
    assert_eq!(c.not_after_unix(), Some(1_609_459_200), "2021-01-01");
    assert_eq!(c.not_after(), Some("2021-01-01T00:00:00Z"));
    assert!(said.self_signed);
    assert!(c.key().unwrap().starts_with("ec"), "{:?}", c.key());
    // The listener's thumbprint is not the store's certificate.
    let named = ev
        .terminal_server
        .ssl_certificate_sha1_hash
        .as_ref()
        .unwrap();
    assert_eq!(named.value, missing);
    assert!(ev.certificates.iter().all(|c| c.thumbprint != named.value));
}
