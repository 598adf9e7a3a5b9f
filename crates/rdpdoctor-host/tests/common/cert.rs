//! Certificates and their bytes in `.reg` form, for the host tests that
//! write certificate stores (kept apart from `mod.rs`, which the CLI tests
//! share without rcgen).
#![allow(dead_code)]

use crate::common::hivex_merge;
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
    let out = Command::new("openssl")
        .args([
            "x509",
            "-inform",
            "DER",
            "-noout",
            "-fingerprint",
            "-sha1",
            "-in",
        ])
        .arg(&file)
        .output()
        .expect("openssl runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let thumb = text.trim().rsplit('=').next().unwrap().replace(':', "");
    assert_eq!(thumb.len(), 40, "{text}");
    (der, thumb)
}

/// Bytes as `reg export` writes them: `hex:xx,xx,…` with `\` continuation
/// lines indented by two spaces.
pub fn reg_hex(prefix: &str, bytes: &[u8]) -> String {
    let mut out = format!("{prefix}=hex:");
    for (i, b) in bytes.iter().enumerate() {
        out.push_str(&format!("{b:02x}"));
        if i + 1 < bytes.len() {
            out.push(',');
            if i % 25 == 24 {
                out.push_str("\\\n  ");
            }
        }
    }
    out
}

/// Hex digits to bytes.
pub fn hex_bytes(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
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
