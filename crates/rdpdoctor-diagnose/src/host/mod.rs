//! Host evidence → findings: what the Windows machine's own registry,
//! certificate store, MachineKeys and event logs say, and where that agrees
//! or disagrees with the wire.
//!
//! Pure like the rest of the engine: "now" comes in as an argument. Every
//! finding names its origin (file, key and value, or event record) in its
//! evidence, so a user can check it with `reg query` or Event Viewer.

mod client_settings;
mod cross;
mod events;
mod gateway_events;
mod kerberos_events;
mod missing;
mod settings;

pub use missing::{inconclusive_headline, window_note};

use crate::facts::Facts;
use crate::finding::{Finding, FindingId, Severity};
use rdpdoctor_evidence::ProbeReport;
use rdpdoctor_evidence::host::{HostEvidence, Setting};

pub(crate) use crate::facts::host::{SettingFacts, origin_text};

/// The port clients use when nothing says otherwise.
pub const DEFAULT_RDP_PORT: u32 = 3389;

/// The findings host evidence supports; `wire` is the probe of the same
/// machine, when there is one.
pub fn derive(host: &HostEvidence, wire: Option<&ProbeReport>, now_unix: i64) -> Vec<Finding> {
    let mut out = Out(Vec::new());
    settings::derive(host, wire, now_unix, &mut out);
    events::derive(host, &mut out);
    kerberos_events::derive(host, &mut out);
    gateway_events::derive(host, &mut out);
    client_settings::derive(host, &mut out);
    if let Some(r) = wire {
        cross::derive(host, r, &mut out);
    }
    out.0
}

pub(crate) struct Out(pub Vec<Finding>);

impl Out {
    pub(crate) fn add<F: Facts>(
        &mut self,
        id: FindingId,
        severity: Severity,
        summary: String,
        facts: &F,
    ) {
        self.0.push(Finding::new(id, severity, summary, facts));
    }
}

/// " (set by Group Policy)" when the effective value comes from a policy key.
pub(crate) fn by_policy<T>(s: &Setting<T>) -> &'static str {
    if s.origin.key.to_ascii_lowercase().contains("\\policies\\") {
        " (set by Group Policy)"
    } else {
        ""
    }
}
