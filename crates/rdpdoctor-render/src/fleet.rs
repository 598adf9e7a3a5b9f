//! Many hosts at once (`rdpdoctor scan`): the rows every fleet format is
//! made of. Each row is one host's own probe report and judgement, exactly
//! what `rdpdoctor probe` of that host would render.

use rdpdoctor_diagnose::Judgement;
use rdpdoctor_evidence::ProbeReport;

/// One scanned host.
#[derive(Debug, Clone, Copy)]
pub struct HostRow<'a> {
    /// The target as the user gave it or as a range expanded to
    /// (`server01`, `10.0.0.7:3390`).
    pub input: &'a str,
    /// The host's probe report.
    pub report: &'a ProbeReport,
    /// The host's judgement.
    pub judgement: &'a Judgement,
}
