//! A mounted Windows volume: where its hives, logs and MachineKeys are.
//! Paths are looked up ignoring letter case (NTFS does; a copy onto ext4
//! or an image mounted by ntfs-3g keeps whatever case it was given).

use rdpdoctor_evidence::host::{HostEvidence, MachineKeys};
use std::path::{Path, PathBuf};

/// The RDP self-signed certificate's private key file is
/// `f686aace6942fb7f7ceb231212eef4a4_<MachineGuid>` in MachineKeys
/// (<https://learn.microsoft.com/troubleshoot/windows-server/remote/remote-desktop-services-not-start-schannel-error>).
pub const RDP_KEY_PREFIX: &str = "f686aace6942fb7f7ceb231212eef4a4_";

/// `child` of `dir`, compared ignoring ASCII case, segment by segment.
pub fn find_ci(dir: &Path, segments: &[&str]) -> Option<PathBuf> {
    let mut at = dir.to_owned();
    for seg in segments {
        let exact = at.join(seg);
        if exact.exists() {
            at = exact;
            continue;
        }
        let entry = std::fs::read_dir(&at)
            .ok()?
            .filter_map(|e| e.ok())
            .find(|e| e.file_name().to_string_lossy().eq_ignore_ascii_case(seg))?;
        at = entry.path();
    }
    Some(at)
}

/// Where a mounted Windows volume keeps what `inspect` reads, as paths;
/// [`crate::classify`] says what each one is.
#[derive(Debug)]
pub struct Layout {
    /// The `Windows\System32\config` folder.
    pub config: PathBuf,
    /// `SYSTEM` and `SOFTWARE`, in that order: each hive's name, and its
    /// file when the folder has one.
    pub hives: [(&'static str, Option<PathBuf>); 2],
    /// Each profile's `NTUSER.DAT`, sorted.
    pub profiles: Vec<PathBuf>,
    /// `Windows\System32\winevt\Logs`, when present.
    pub logs: Option<PathBuf>,
    /// `ProgramData\Microsoft\Crypto\RSA\MachineKeys`, when it is a folder.
    pub machine_keys: Option<PathBuf>,
}

/// The paths inside a mounted Windows volume (`None` when `root` is not
/// one: it has no `Windows\System32\config`).
pub fn layout(root: &Path) -> Option<Layout> {
    let config = find_ci(root, &["Windows", "System32", "config"]).filter(|p| p.is_dir())?;
    let hive = |name| find_ci(&config, &[name]).filter(|p| p.is_file());
    let hives = [("SYSTEM", hive("SYSTEM")), ("SOFTWARE", hive("SOFTWARE"))];
    let mut profiles = Vec::new();
    if let Some(users) = find_ci(root, &["Users"]) {
        profiles = std::fs::read_dir(&users)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter_map(|p| find_ci(&p, &["NTUSER.DAT"]))
            .filter(|p| p.is_file())
            .collect();
        profiles.sort();
    }
    Some(Layout {
        hives,
        profiles,
        logs: find_ci(root, &["Windows", "System32", "winevt", "Logs"]),
        machine_keys: find_ci(
            root,
            &["ProgramData", "Microsoft", "Crypto", "RSA", "MachineKeys"],
        )
        .filter(|p| p.is_dir()),
        config,
    })
}

/// Looks at the MachineKeys folder for the RDP self-signed certificate's key.
pub fn machine_keys(dir: &Path, ev: &HostEvidence) -> MachineKeys {
    let files: Vec<(String, u64)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let m = e.metadata().ok().filter(|m| m.is_file())?;
            Some((e.file_name().to_string_lossy().into_owned(), m.len()))
        })
        .collect();
    let wanted = ev
        .identity
        .machine_guid
        .as_ref()
        .map(|g| format!("{RDP_KEY_PREFIX}{}", g.value.trim_matches(['{', '}'])));
    let hit = wanted.as_ref().and_then(|w| {
        files
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(w))
            .cloned()
    });
    MachineKeys {
        path: dir.display().to_string(),
        rdp_key_present: wanted.as_ref().map(|_| hit.is_some()),
        rdp_key_bytes: hit.as_ref().map(|(_, len)| *len),
        rdp_key_file: hit.map(|(n, _)| n).or(wanted),
        files: files.len() as u64,
    }
}
