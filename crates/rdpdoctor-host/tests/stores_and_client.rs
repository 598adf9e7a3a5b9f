//! The Personal (`MY`) machine store beside the "Remote Desktop" one, with
//! each certificate's private key link; and the Remote Desktop client's
//! settings from a user's hive (NTUSER.DAT made with hivex from a real hive,
//! there being no real one among the fixtures) or an HKCU export.

use rdpdoctor_testkit::cert;

use cert::{certificate, hex_bytes, reg_hex, set_listener_certificate};
use rdpdoctor_evidence::host::{CertificateStore, SourceKind, SourceStatus};
use rdpdoctor_host::registry::certblob;
use rdpdoctor_testkit::host::{
    hive, hive_of_another_kind, hivexget, run, scratch, source, write_reg_utf16,
};
use std::path::Path;

/// What `certlm.msc` shows as the key container of a CA-issued machine
/// certificate whose key a CryptoAPI provider keeps.
const CONTAINER: &str = "te-RDP-4f1c2a9e-77b0-4c1e-9d0a-5e3b2f6c8d11";
const PROVIDER: &str = "Microsoft RSA SChannel Cryptographic Provider";

#[test]
fn the_listener_certificate_is_found_in_the_personal_store_with_its_key_container() {
    let dir = scratch("personal_store");
    let h = dir.join("SYSTEM");
    std::fs::copy(hive("SYSTEM"), &h).unwrap();
    let (my_der, my_thumb) = certificate(&dir, "RDS01.corp.example", (2024, 1, 1), (2034, 1, 1));
    let (rd_der, rd_thumb) = certificate(&dir, "RDS01", (2024, 1, 1), (2025, 1, 1));
    // The listener names the Personal store's certificate.
    set_listener_certificate(&h, &my_thumb);
    let link = certblob::serialize_key_prov_info(CONTAINER, PROVIDER, 12);
    let my_blob = certblob::serialize(&[(2, &link), (3, &hex_bytes(&my_thumb)), (32, &my_der)]);
    // The self-signed one without a key link: a certificate whose key is lost.
    let rd_blob = certblob::serialize(&[(3, &hex_bytes(&rd_thumb)), (32, &rd_der)]);
    let export = dir.join("stores.reg");
    write_reg_utf16(
        &export,
        &format!(
            "Windows Registry Editor Version 5.00\n\n\
             [HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\SystemCertificates\\MY\\Certificates\\{my_thumb}]\n\
             {}\n\n\
             [HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\SystemCertificates\\Remote Desktop\\Certificates\\{rd_thumb}]\n\
             {}\n",
            reg_hex("\"Blob\"", &my_blob),
            reg_hex("\"Blob\"", &rd_blob)
        ),
    );

    let ev = run(&[&h, &export]);
    assert_eq!(source(&ev, &export).status, SourceStatus::Read);
    let named = &ev
        .terminal_server
        .ssl_certificate_sha1_hash
        .as_ref()
        .unwrap()
        .value;
    assert_eq!(named, &my_thumb);
    assert_eq!(ev.certificates.len(), 2, "{:#?}", ev.certificates);
    let mine = ev
        .certificates
        .iter()
        .find(|c| &c.thumbprint == named)
        .expect("the configured certificate is among those read");
    assert_eq!(mine.store, CertificateStore::My);
    assert_eq!(mine.computed_thumbprint(), Some(my_thumb.as_str()));
    assert_eq!(
        mine.certificate.as_ref().unwrap().dns_names,
        ["rds01.corp.example"]
    );
    assert_eq!(mine.key_container.as_deref(), Some(CONTAINER));
    assert_eq!(mine.key_provider.as_deref(), Some(PROVIDER));
    assert_eq!(
        mine.origin.key,
        format!("HKLM\\SOFTWARE\\Microsoft\\SystemCertificates\\MY\\Certificates\\{my_thumb}")
    );
    let rd = ev
        .certificates
        .iter()
        .find(|c| c.thumbprint == rd_thumb)
        .unwrap();
    assert_eq!(rd.store, CertificateStore::RemoteDesktop);
    assert_eq!(
        (rd.key_container.as_ref(), rd.decode_error.as_ref()),
        (None, None)
    );
    assert_eq!(rd.not_after(), Some("2025-01-01T00:00:00Z"));

    // The names a JSON reader sees.
    let json = serde_json::to_value(&ev.certificates).unwrap();
    let stores: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["store"].as_str().unwrap())
        .collect();
    assert!(
        stores.contains(&"my") && stores.contains(&"remote-desktop"),
        "{stores:?}"
    );
    assert!(
        json.as_array()
            .unwrap()
            .iter()
            .any(|c| c["key_container"] == CONTAINER)
    );
}

#[test]
fn a_damaged_key_link_is_said_and_the_certificate_is_still_read() {
    let dir = scratch("bad_key_link");
    let (der, thumb) = certificate(&dir, "RDS02", (2024, 1, 1), (2034, 1, 1));
    let mut link = certblob::serialize_key_prov_info(CONTAINER, PROVIDER, 12);
    link[0] = 0xF0; // the container name's offset points past the property
    let blob = certblob::serialize(&[(2, &link), (32, &der)]);
    let export = dir.join("my.reg");
    write_reg_utf16(
        &export,
        &format!(
            "Windows Registry Editor Version 5.00\n\n\
             [HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\SystemCertificates\\MY\\Certificates\\{thumb}]\n\
             {}\n",
            reg_hex("\"Blob\"", &blob)
        ),
    );
    let ev = run(&[&export]);
    let c = &ev.certificates[0];
    assert_eq!(c.store, CertificateStore::My);
    assert_eq!(c.key_container, None);
    assert!(
        c.decode_error
            .as_deref()
            .unwrap()
            .contains("private key link"),
        "{:?}",
        c.decode_error
    );
    assert_eq!(c.computed_thumbprint(), Some(thumb.as_str()));
}

/// A user's hive made by hivex from a real one: the SYSTEM keys deleted, the
/// keys a user's hive has (`Control Panel`, `Environment`) and the Remote
/// Desktop client's keys added. `hivexget` checks what was written.
fn user_hive(path: &Path, cert_hash: &str) {
    hive_of_another_kind(
        path,
        &format!(
            "[HKEY_LOCAL_MACHINE\\SYSTEM\\Control Panel]\n\n\
             [HKEY_LOCAL_MACHINE\\SYSTEM\\Control Panel\\Desktop]\n\
             \"WallPaper\"=\"\"\n\n\
             [HKEY_LOCAL_MACHINE\\SYSTEM\\Environment]\n\
             \"TEMP\"=\"C:\\\\Users\\\\alice\\\\AppData\\\\Local\\\\Temp\"\n\n\
             [HKEY_LOCAL_MACHINE\\SYSTEM\\Software\\Microsoft]\n\n\
             [HKEY_LOCAL_MACHINE\\SYSTEM\\Software\\Microsoft\\Terminal Server Client]\n\
             \"AuthenticationLevelOverride\"=dword:00000000\n\
             \"RDGClientTransport\"=dword:00000001\n\n\
             [HKEY_LOCAL_MACHINE\\SYSTEM\\Software\\Microsoft\\Terminal Server Client\\Servers]\n\n\
             [HKEY_LOCAL_MACHINE\\SYSTEM\\Software\\Microsoft\\Terminal Server Client\\Servers\\rds01.corp.example]\n\
             \"UsernameHint\"=\"CORP\\\\alice\"\n\
             {}\n\n\
             [HKEY_LOCAL_MACHINE\\SYSTEM\\Software\\Microsoft\\Terminal Server Client\\Servers\\10.0.0.7:3390]\n\
             \"UsernameHint\"=\".\\\\admin\"\n",
            reg_hex("\"CertHash\"", &hex_bytes(cert_hash))
        ),
    );
    let tsc = "Software\\Microsoft\\Terminal Server Client";
    assert_eq!(hivexget(path, tsc, "RDGClientTransport"), "1");
    assert_eq!(
        hivexget(
            path,
            &format!("{tsc}\\Servers\\rds01.corp.example"),
            "UsernameHint"
        ),
        "CORP\\alice"
    );
}

const CERT_HASH: &str = "0A1B2C3D4E5F60718293A4B5C6D7E8F901234567";

#[test]
fn a_users_hive_gives_the_remote_desktop_client_settings() {
    let dir = scratch("ntuser");
    let ntuser = dir.join("NTUSER.DAT");
    user_hive(&ntuser, CERT_HASH);

    let ev = run(&[&ntuser]);
    let s = source(&ev, &ntuser);
    assert_eq!(
        (s.kind, &s.status),
        (SourceKind::UserHive, &SourceStatus::Read)
    );
    assert!(ev.coverage.user && !ev.coverage.system && !ev.coverage.software);
    let c = &ev.client;
    let alo = c.authentication_level_override.as_ref().unwrap();
    assert_eq!(alo.value, 0);
    assert_eq!(alo.origin.source, ntuser.display().to_string());
    assert!(
        alo.origin
            .key
            .eq_ignore_ascii_case("HKCU\\Software\\Microsoft\\Terminal Server Client"),
        "{}",
        alo.origin.key
    );
    assert_eq!(c.rdg_client_transport.as_ref().map(|s| s.value), Some(1));
    assert_eq!(c.servers.len(), 2, "{:#?}", c.servers);
    let rds = c
        .servers
        .iter()
        .find(|s| s.name == "rds01.corp.example")
        .unwrap();
    assert_eq!(
        rds.username_hint.as_ref().map(|s| s.value.as_str()),
        Some("CORP\\alice")
    );
    let hash = rds.cert_hash.as_ref().unwrap();
    assert_eq!(hash.value, CERT_HASH);
    assert_eq!(hash.origin.value.as_deref(), Some("CertHash"));
    let other = c
        .servers
        .iter()
        .find(|s| s.name == "10.0.0.7:3390")
        .unwrap();
    assert_eq!(other.cert_hash, None);
    // Nothing of a machine is made up from a user's hive.
    assert_eq!(ev.terminal_server.port_number, None);
    assert!(ev.firewall.is_none() || ev.firewall.as_ref().unwrap().rules.is_empty());
}

#[test]
fn an_hkcu_export_gives_the_same_client_settings() {
    let dir = scratch("hkcu_export");
    let export = dir.join("hkcu.reg");
    write_reg_utf16(
        &export,
        &format!(
            "Windows Registry Editor Version 5.00\n\n\
             [HKEY_CURRENT_USER\\Software\\Microsoft\\Terminal Server Client]\n\
             \"AuthenticationLevelOverride\"=dword:00000002\n\n\
             [HKEY_CURRENT_USER\\Software\\Microsoft\\Terminal Server Client\\Servers\\rds01.corp.example]\n\
             \"UsernameHint\"=\"CORP\\\\alice\"\n\
             {}\n",
            reg_hex("\"CertHash\"", &hex_bytes(CERT_HASH))
        ),
    );
    let ev = run(&[&export]);
    assert_eq!(source(&ev, &export).status, SourceStatus::Read);
    assert!(ev.coverage.user);
    let c = &ev.client;
    assert_eq!(
        c.authentication_level_override.as_ref().map(|s| s.value),
        Some(2)
    );
    assert_eq!(c.rdg_client_transport, None);
    assert_eq!(c.servers.len(), 1);
    assert_eq!(c.servers[0].cert_hash.as_ref().unwrap().value, CERT_HASH);
    assert_eq!(
        c.servers[0].cert_hash.as_ref().unwrap().origin.key,
        "HKCU\\Software\\Microsoft\\Terminal Server Client\\Servers\\rds01.corp.example"
    );
    let json = serde_json::to_value(&ev).unwrap();
    assert_eq!(json["client"]["authentication_level_override"]["value"], 2);
    assert_eq!(
        json["client"]["servers"][0]["username_hint"]["value"],
        "CORP\\alice"
    );
}
