//! Recognises what a path is, from its content: a hive, a `.reg` export, an
//! `.evtx` file, a folder of logs, or a mounted volume — which expands into
//! the files found inside it. Names are not trusted: `SYSTEM.bak`,
//! `export.txt` and `Security.evtx.old` are read for what they are.

use crate::registry::{regfile, unusable as unusable_source};
use crate::volume;
use rdpdoctor_evidence::host::{HostSource, SourceKind};
use std::io::Read;
use std::path::{Path, PathBuf};

/// What a found file is for.
#[derive(Debug)]
pub enum Item {
    /// A registry hive file (`regf`), with the transaction logs found next to it.
    Hive {
        /// `<hive>.LOG1`, `<hive>.LOG2`, when present.
        logs: Vec<PathBuf>,
    },
    /// A `reg export` file.
    RegExport,
    /// An event log file.
    Evtx,
    /// The MachineKeys folder of a mounted volume.
    MachineKeys,
    /// Nothing usable: the source, already marked unusable.
    Unusable(HostSource),
}

/// One file (or folder) to read.
#[derive(Debug)]
pub struct Found {
    /// Where it is.
    pub path: PathBuf,
    /// What it is.
    pub kind: Item,
}

/// `regf`: the first bytes of a hive's base block.
const HIVE_MAGIC: &[u8] = b"regf";
/// `ElfFile\0`: the first bytes of an `.evtx` file header.
const EVTX_MAGIC: &[u8] = b"ElfFile\0";

/// Expands one user-given path into the sources it holds.
pub fn expand(path: &Path) -> Vec<Found> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            let why = match e.kind() {
                std::io::ErrorKind::NotFound => "no such file or folder".to_owned(),
                _ => e.to_string(),
            };
            return vec![unusable(
                path,
                SourceKind::Unknown,
                format!("{}: {why}", path.display()),
            )];
        }
    };
    if !meta.is_dir() {
        return vec![file(path)];
    }
    if let Some(layout) = volume::layout(path) {
        return in_volume(path, layout);
    }
    let logs = evtx_in(path);
    if logs.is_empty() {
        return vec![unusable(
            path,
            SourceKind::Unknown,
            format!(
                "{} is a folder with neither a Windows volume (Windows\\System32\\config) nor .evtx files in it",
                path.display()
            ),
        )];
    }
    logs
}

/// The sources a mounted Windows volume holds: its hives (a missing one
/// named as unusable), the profiles' `NTUSER.DAT`, its event logs and its
/// MachineKeys folder, in that order.
fn in_volume(root: &Path, layout: volume::Layout) -> Vec<Found> {
    let mut found = Vec::new();
    for (hive, path) in layout.hives {
        match path {
            Some(p) => found.push(file(&p)),
            None => found.push(unusable(
                &layout.config.join(hive),
                match hive {
                    "SYSTEM" => SourceKind::SystemHive,
                    _ => SourceKind::SoftwareHive,
                },
                format!(
                    "{} has no {hive} hive in {}",
                    root.display(),
                    layout.config.display()
                ),
            )),
        }
    }
    found.extend(layout.profiles.iter().map(|p| file(p)));
    if let Some(logs) = layout.logs {
        found.extend(evtx_in(&logs));
    }
    if let Some(keys) = layout.machine_keys {
        found.push(Found {
            path: keys,
            kind: Item::MachineKeys,
        });
    }
    found
}

/// The `.evtx` files directly in a folder (by content), as sources.
pub fn evtx_in(dir: &Path) -> Vec<Found> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && head(p).is_ok_and(|h| h.starts_with(EVTX_MAGIC)))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| Found {
            path,
            kind: Item::Evtx,
        })
        .collect()
}

/// Classifies one file by its first bytes.
pub fn file(path: &Path) -> Found {
    let shown = path.display();
    let kind = match head(path) {
        Err(e) => Item::Unusable(unusable_source(
            path,
            SourceKind::Unknown,
            format!("{shown}: {e}"),
        )),
        Ok(h) if h.starts_with(HIVE_MAGIC) => Item::Hive {
            logs: transaction_logs(path),
        },
        Ok(h) if h.starts_with(EVTX_MAGIC) => Item::Evtx,
        Ok(h) if is_reg_export(&h) => Item::RegExport,
        Ok(h) if h.is_empty() => Item::Unusable(unusable_source(
            path,
            SourceKind::Unknown,
            format!("{shown} is empty"),
        )),
        Ok(_) => Item::Unusable(unusable_source(
            path,
            SourceKind::Unknown,
            format!("{shown} is not a registry hive, a reg export or an event log (.evtx)"),
        )),
    };
    Found {
        path: path.to_owned(),
        kind,
    }
}

fn is_reg_export(head: &[u8]) -> bool {
    // A cut in the middle of a UTF-16 unit is not the file's fault.
    let even = if head.starts_with(&[0xFF, 0xFE]) && head.len() % 2 == 1 {
        head.get(..head.len() - 1).unwrap_or_default()
    } else {
        head
    };
    regfile::decode_text(even).is_ok_and(|t| regfile::sniff(&t).is_some())
}

/// The first 4 KiB of a file.
fn head(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(4096);
    std::fs::File::open(path)?
        .take(4096)
        .read_to_end(&mut buf)?;
    Ok(buf)
}

/// `<hive>.LOG1` and `<hive>.LOG2` next to a hive, any letter case (a
/// volume mounted from NTFS keeps Windows' case, a copy may not).
pub fn transaction_logs(hive: &Path) -> Vec<PathBuf> {
    let (Some(dir), Some(name)) = (hive.parent(), hive.file_name()) else {
        return Vec::new();
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let name = name.to_string_lossy().to_ascii_lowercase();
    let wanted = [format!("{name}.log1"), format!("{name}.log2")];
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut logs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| {
            let n = e.file_name().to_string_lossy().to_ascii_lowercase();
            wanted.contains(&n) && e.metadata().is_ok_and(|m| m.is_file() && m.len() > 0)
        })
        .map(|e| e.path())
        .collect();
    logs.sort();
    logs
}

/// A path that gives nothing, with its one-line problem.
pub fn unusable(path: &Path, kind: SourceKind, problem: String) -> Found {
    Found {
        path: path.to_owned(),
        kind: Item::Unusable(unusable_source(path, kind, problem)),
    }
}
