//! Host evidence for the tests: fixtures read with rdpdoctor-host at a fixed
//! "now", the source a path became, and hives and `.reg` exports of other
//! kinds made from real bytes with hivex (the independent registry tool the
//! fault variants are made and checked with).

pub use crate::fixtures::*;
use rdpdoctor_evidence::host::{HostEvidence, HostSource, SourceStatus};
use rdpdoctor_host::{InspectOptions, inspect};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Inspects `paths` with a fixed "now".
pub fn run(paths: &[&Path]) -> HostEvidence {
    let paths: Vec<PathBuf> = paths.iter().map(|p| p.to_path_buf()).collect();
    inspect(
        &paths,
        &InspectOptions {
            since_unix: Some(0),
            now_unix: 1_900_000_000,
        },
    )
}

/// The source read from `path`.
pub fn source<'a>(ev: &'a HostEvidence, path: &Path) -> &'a HostSource {
    let shown = path.display().to_string();
    ev.sources
        .iter()
        .find(|s| s.path == shown)
        .unwrap_or_else(|| panic!("no source {shown} in {:#?}", ev.sources))
}

/// The one-line problem of a partial or unusable source.
pub fn problem(s: &HostSource) -> &str {
    match &s.status {
        SourceStatus::Partial { problem } | SourceStatus::Unusable { problem } => problem,
        SourceStatus::Read => panic!("{} was read whole", s.path),
    }
}

/// A SOFTWARE-shaped hive made by hivex from a real hive (there is no real
/// SOFTWARE fixture): no control sets, the keys SOFTWARE has, and
/// `Microsoft\Cryptography\MachineGuid` set.
pub fn software_hive(path: &Path, machine_guid: &str) {
    hive_of_another_kind(
        path,
        &format!(
            "[HKEY_LOCAL_MACHINE\\SYSTEM\\Microsoft]\n\n\
             [HKEY_LOCAL_MACHINE\\SYSTEM\\Microsoft\\Cryptography]\n\
             \"MachineGuid\"=\"{machine_guid}\"\n\n\
             [HKEY_LOCAL_MACHINE\\SYSTEM\\Microsoft\\Windows NT]\n\n\
             [HKEY_LOCAL_MACHINE\\SYSTEM\\Microsoft\\Windows NT\\CurrentVersion]\n\
             \"ProductName\"=\"Windows 7 Professional\"\n\
             \"CurrentBuild\"=\"7601\"\n"
        ),
    );
    assert_eq!(
        hivexget(path, "Microsoft\\Cryptography", "MachineGuid"),
        machine_guid
    );
}

/// A copy of the real SYSTEM hive at `path` with its SYSTEM keys (`Select`,
/// the control sets) deleted and `keys` (`.reg` sections, written below
/// `HKEY_LOCAL_MACHINE\SYSTEM`, which stands for the hive's root) merged
/// in, with hivex: the way to make a hive of another kind from real bytes.
pub fn hive_of_another_kind(path: &Path, keys: &str) {
    std::fs::copy(hive("SYSTEM"), path).unwrap();
    hivex_merge(
        path,
        &format!(
            "Windows Registry Editor Version 5.00\n\n\
             [-HKEY_LOCAL_MACHINE\\SYSTEM\\Select]\n\n\
             [-HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001]\n\n\
             [-HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet002]\n\n\
             {keys}"
        ),
    );
}

/// A `.reg` export of the SOFTWARE side, as `reg export` writes it: one
/// known network, `name`, whose category is Public.
pub fn public_network_reg(dir: &Path, name: &str) -> PathBuf {
    let p = dir.join("networklist.reg");
    write_reg_utf16(
        &p,
        &format!(
            "Windows Registry Editor Version 5.00\n\n\
             [HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\NetworkList\\Profiles\\{{6B1A2C3D-0000-4000-8000-000000000001}}]\n\
             \"ProfileName\"=\"{name}\"\n\
             \"Category\"=dword:00000000\n\n"
        ),
    );
    p
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

/// The SHA-1 thumbprint of a DER certificate file, upper-case hex, as the
/// openssl command computes it (not rdpdoctor).
pub fn openssl_sha1(der_file: &Path) -> String {
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
        .arg(der_file)
        .output()
        .expect("openssl runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let thumb = text.trim().rsplit('=').next().unwrap().replace(':', "");
    assert_eq!(thumb.len(), 40, "{text}");
    thumb
}
