//! Where the tests find what is not in the repository: the shared fixtures
//! (real hives, `.evtx` files, each folder with its SOURCES.tsv), decompressed
//! once into the target's temporary folder and never copied into the
//! repository; and scratch folders.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository's root (the workspace).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `/work/shared/fixtures` or wherever `RDPDOCTOR_FIXTURES` points: the
/// nearest `shared/fixtures` above the repository (the main checkout and the
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

/// The event log fixtures (`shared/fixtures/evtx`, found as [`fixtures`]
/// finds the hives, or `RDPDOCTOR_EVTX_FIXTURES`). A missing folder fails the
/// test that reads it rather than letting it pass without looking.
pub fn evtx_fixtures() -> PathBuf {
    if let Some(dir) = std::env::var_os("RDPDOCTOR_EVTX_FIXTURES") {
        return PathBuf::from(dir);
    }
    fixtures().join("evtx")
}

/// The target's temporary folder (what `CARGO_TARGET_TMPDIR` names for an
/// integration test: `target/tmp`), found from the running test binary
/// (`target/PROFILE/deps/NAME`), so that every test binary shares it.
pub fn target_tmp() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let target = exe
        .ancestors()
        .nth(3)
        .unwrap_or_else(|| panic!("{} is not in target/PROFILE/deps", exe.display()));
    target.join("tmp")
}

/// A hive fixture, decompressed (once) with `xz -dc`.
pub fn hive(name: &str) -> PathBuf {
    let dir = target_tmp().join("hive-fixtures");
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
    let dir = target_tmp().join("host-tests").join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes text as `reg export` writes a `.reg` file and mstsc an `.rdp` file:
/// UTF-16LE with a BOM, CRLF.
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
