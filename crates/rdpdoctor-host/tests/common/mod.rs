//! Shared by the host tests: the real fixtures (decompressed once into the
//! target's temporary folder, never copied into the repository), scratch
//! folders, and hivex, the independent registry tool the fault variants are
//! made and checked with.
#![allow(dead_code)]

use rdpdoctor_evidence::host::{HostEvidence, HostSource, SourceStatus};
use rdpdoctor_host::{InspectOptions, inspect};
use std::path::{Path, PathBuf};
use std::process::Command;

/// `/work/shared/fixtures` or wherever `RDPDOCTOR_FIXTURES` points: the
/// nearest `shared/fixtures` above the crate (the main checkout and the
/// worktrees sit at different depths).
pub fn fixtures() -> PathBuf {
    if let Some(dir) = std::env::var_os("RDPDOCTOR_FIXTURES") {
        return PathBuf::from(dir);
    }
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.ancestors()
        .map(|a| a.join("shared/fixtures"))
        .find(|p| p.join("hives/SOURCES.tsv").is_file())
        // A clone outside the work area (CI's) finds the shared ones here.
        .or_else(|| {
            let p = PathBuf::from("/work/shared/fixtures");
            p.join("hives/SOURCES.tsv").is_file().then_some(p)
        })
        .unwrap_or_else(|| {
            panic!(
                "no shared/fixtures/hives above {}: set RDPDOCTOR_FIXTURES",
                here.display()
            )
        })
}

/// A hive fixture, decompressed (once) with `xz -dc`.
pub fn hive(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hive-fixtures");
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join(name);
    if out.is_file() {
        return out;
    }
    let xz = fixtures().join("hives").join(format!("{name}.xz"));
    let data = Command::new("xz")
        .arg("-dc")
        .arg(&xz)
        .output()
        .expect("xz runs");
    assert!(
        data.status.success(),
        "xz -dc {}: {:?}",
        xz.display(),
        data.status
    );
    // Write then rename: test threads may race for the same fixture.
    static PART: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = PART.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = dir.join(format!("{name}.{}.{n}.part", std::process::id()));
    std::fs::write(&tmp, &data.stdout).unwrap();
    std::fs::rename(&tmp, &out).unwrap();
    out
}

/// A fresh scratch folder for one test.
pub fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("host-tests")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

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

/// Writes `.reg` text as `reg export` does: UTF-16LE with a BOM, CRLF.
pub fn write_reg_utf16(path: &Path, text: &str) {
    let mut bytes = vec![0xFF, 0xFE];
    for u in text.replace('\n', "\r\n").encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    std::fs::write(path, bytes).unwrap();
}

/// Merges `.reg` text (REGEDIT4 form, keys written `HKEY_LOCAL_MACHINE\SYSTEM\…`)
/// into a hive with `hivexregedit --merge`.
pub fn hivex_merge(hive: &Path, reg: &str) {
    let file = hive.with_extension("merge.reg");
    std::fs::write(&file, reg).unwrap();
    let out = Command::new("hivexregedit")
        .args(["--merge", "--prefix", "HKEY_LOCAL_MACHINE\\SYSTEM"])
        .arg(hive)
        .arg(&file)
        .output()
        .expect("hivexregedit runs (Debian libwin-hivex-perl; lab/install.sh installs it)");
    assert!(
        out.status.success(),
        "hivexregedit --merge {}: {}",
        hive.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `hivexget HIVE KEY VALUE`: the independent reader's view of a value.
pub fn hivexget(hive: &Path, key: &str, value: &str) -> String {
    let out = Command::new("hivexget")
        .arg(hive)
        .arg(key)
        .arg(value)
        .output()
        .expect("hivexget runs (Debian libhivex-bin)");
    assert!(
        out.status.success(),
        "hivexget {} {key} {value}: {}",
        hive.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// The event log fixtures (`shared/fixtures/evtx`, found as [`fixtures`]
/// finds the hives). Always `Some`: a missing fixture folder fails the test
/// rather than letting it pass without looking.
pub fn evtx_fixtures() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("RDPDOCTOR_EVTX_FIXTURES") {
        return Some(PathBuf::from(dir));
    }
    Some(fixtures().join("evtx"))
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
