//! A mounted Windows volume: where its hives, logs and MachineKeys are.

use rdpdoctor_evidence::host::{HostEvidence, MachineKeys};
use std::path::Path;

/// Looks at the MachineKeys folder for the RDP self-signed certificate's key.
pub fn machine_keys(dir: &Path, _ev: &HostEvidence) -> MachineKeys {
    MachineKeys {
        path: dir.display().to_string(),
        rdp_key_file: None,
        rdp_key_present: None,
        rdp_key_bytes: None,
        files: 0,
    }
}
