//! A mounted Windows volume: where its hives, logs and MachineKeys are.
//! Paths are looked up ignoring letter case (NTFS does; a copy onto ext4
//! or an image mounted by ntfs-3g keeps whatever case it was given).

use crate::classify::{self, Found, Item};
use rdpdoctor_evidence::host::{HostEvidence, MachineKeys, SourceKind};
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

/// The sources inside a mounted Windows volume (`None` when `root` is not
/// one: it has no `Windows\System32\config`).
pub fn expand(root: &Path) -> Option<Vec<Found>> {
    let config = find_ci(root, &["Windows", "System32", "config"]).filter(|p| p.is_dir())?;
    let mut found = Vec::new();
    for hive in ["SYSTEM", "SOFTWARE"] {
        match find_ci(&config, &[hive]).filter(|p| p.is_file()) {
            Some(p) => found.push(classify::file(&p)),
            None => found.push(classify::unusable(
                &config.join(hive),
                match hive {
                    "SYSTEM" => SourceKind::SystemHive,
                    _ => SourceKind::SoftwareHive,
                },
                format!(
                    "{} has no {hive} hive in {}",
                    root.display(),
                    config.display()
                ),
            )),
        }
    }
    if let Some(users) = find_ci(root, &["Users"]) {
        let mut profiles: Vec<PathBuf> = std::fs::read_dir(&users)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter_map(|p| find_ci(&p, &["NTUSER.DAT"]))
            .filter(|p| p.is_file())
            .collect();
        profiles.sort();
        found.extend(profiles.iter().map(|p| classify::file(p)));
    }
    if let Some(logs) = find_ci(root, &["Windows", "System32", "winevt", "Logs"]) {
        found.extend(classify::evtx_in(&logs));
    }
    if let Some(keys) = find_ci(
        root,
        &["ProgramData", "Microsoft", "Crypto", "RSA", "MachineKeys"],
    )
    .filter(|p| p.is_dir())
    {
        found.push(Found {
            path: keys,
            kind: Item::MachineKeys,
        });
    }
    Some(found)
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
