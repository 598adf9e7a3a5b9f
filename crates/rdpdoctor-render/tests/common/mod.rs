//! Helpers shared by the renderers' tests.

use rdpdoctor_diagnose::Judgement;
use rdpdoctor_evidence::ProbeReport;
use rdpdoctor_render::fleet::HostRow;

/// A fleet whose hosts, named `inputs`, all have the one report `r` and its
/// judgement `j`.
pub fn same_host_rows<'a>(
    inputs: &'a [String],
    r: &'a ProbeReport,
    j: &'a Judgement,
) -> Vec<HostRow<'a>> {
    inputs
        .iter()
        .map(|input| HostRow {
            input,
            report: r,
            judgement: j,
        })
        .collect()
}
