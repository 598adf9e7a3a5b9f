//! Registry sources (hive files, `.reg` exports, the live registry) and the
//! extraction of Remote Desktop settings from them.

use rdpdoctor_evidence::host::{HostEvidence, HostSource, SourceKind, SourceStatus};
use std::path::Path;

/// Every registry source loaded so far, by hive.
#[derive(Debug, Default)]
pub struct Hives {}

impl Hives {
    /// Loads one hive file or `.reg` export.
    pub fn load(&mut self, path: &Path, kind: SourceKind) -> HostSource {
        HostSource {
            path: path.display().to_string(),
            kind,
            status: SourceStatus::Unusable {
                problem: "registry reading not built yet".to_owned(),
            },
        }
    }
}

/// Fills the registry-derived parts of `ev` from the loaded hives.
pub fn extract(_hives: &Hives, _ev: &mut HostEvidence) {}
