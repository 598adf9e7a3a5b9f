//! Recognises what a path is, from its content: a hive (and which kind), a
//! `.reg` export, an `.evtx` file, a folder of logs, or a mounted volume —
//! which expands into the files found inside it.

use rdpdoctor_evidence::host::{HostSource, SourceKind, SourceStatus};
use std::path::{Path, PathBuf};

/// What a found file is for.
#[derive(Debug)]
pub enum Item {
    /// A registry source: a hive file or a `.reg` export (the kind says which).
    Registry(SourceKind),
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

/// Expands one user-given path into the sources it holds.
pub fn expand(path: &Path) -> Vec<Found> {
    // Placeholder until the registry/volume work lands: everything unusable.
    vec![Found {
        path: path.to_owned(),
        kind: Item::Unusable(HostSource {
            path: path.display().to_string(),
            kind: SourceKind::Unknown,
            status: SourceStatus::Unusable {
                problem: "not recognised".to_owned(),
            },
        }),
    }]
}
