//! Event log sources: `.evtx` files, streamed, filtered by channel and event
//! id before a record is decoded fully.

use crate::InspectOptions;
use rdpdoctor_evidence::host::{EventEvidence, HostSource, SourceKind, SourceStatus};
use std::path::Path;

/// Reads event log files one after another into one [`EventEvidence`].
#[derive(Debug)]
pub struct Reader {
    evidence: EventEvidence,
}

impl Reader {
    /// A reader for records since `opts.since_unix`.
    pub fn new(_opts: &InspectOptions) -> Reader {
        Reader {
            evidence: EventEvidence::default(),
        }
    }

    /// Reads one `.evtx` file.
    pub fn read_file(&mut self, path: &Path) -> HostSource {
        HostSource {
            path: path.display().to_string(),
            kind: SourceKind::Evtx,
            status: SourceStatus::Unusable {
                problem: "event log reading not built yet".to_owned(),
            },
        }
    }

    /// The grouped evidence.
    pub fn finish(self) -> EventEvidence {
        self.evidence
    }
}
