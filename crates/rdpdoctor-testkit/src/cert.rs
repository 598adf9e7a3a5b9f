//! Certificates and their bytes in `.reg` form, for the host tests that
//! write certificate stores (feature `cert`: rcgen only where needed).

pub use crate::host::{hex_bytes, reg_hex};
use crate::host::{hivex_merge, openssl_sha1};
use std::path::Path;
use std::process::Command;

/// A self-signed certificate for `cn` (also its DNS name, lower case), valid
/// from `from` to `until` (year, month, day), made with rcgen; its DER and
/// SHA-1 thumbprint, upper-case hex, computed by the openssl command (not by
/// rdpdoctor).
pub fn certificate(
    dir: &Path,
    cn: &str,
    from: (i32, u8, u8),
    until: (i32, u8, u8),
) -> (Vec<u8>, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec![cn.to_ascii_lowercase()]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, cn);
    params.not_before = rcgen::date_time_ymd(from.0, from.1, from.2);
    params.not_after = rcgen::date_time_ymd(until.0, until.1, until.2);
    let der = params.self_signed(&key).unwrap().der().to_vec();
    let file = dir.join(format!("{cn}.der"));
    std::fs::write(&file, &der).unwrap();
    let thumb = openssl_sha1(&file);
    (der, thumb)
}

/// The RDP-Tcp listener of a SYSTEM hive copy (ControlSet001).
pub const RDP_TCP: &str = "ControlSet001\\Control\\Terminal Server\\WinStations\\RDP-Tcp";

/// Points the listener of a SYSTEM hive copy at certificate `thumb`
/// (`SSLCertificateSHA1Hash`, binary, as Windows writes it) with hivex, and
/// checks the bytes with hivex's own reader.
pub fn set_listener_certificate(hive: &Path, thumb: &str) {
    hivex_merge(
        hive,
        &format!(
            "Windows Registry Editor Version 5.00\n\n\
             [HKEY_LOCAL_MACHINE\\SYSTEM\\{RDP_TCP}]\n\
             {}\n",
            reg_hex("\"SSLCertificateSHA1Hash\"", &hex_bytes(thumb))
        ),
    );
    let raw = Command::new("hivexget")
        .arg(hive)
        .arg(RDP_TCP)
        .arg("SSLCertificateSHA1Hash")
        .output()
        .unwrap();
    assert_eq!(
        raw.stdout,
        hex_bytes(thumb),
        "hivexget reads the thumbprint back"
    );
}
