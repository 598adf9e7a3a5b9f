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

impl HostRow<'_> {
    /// The most likely cause's title and confidence, when there is one.
    pub fn top_cause(&self) -> Option<(&str, rdpdoctor_diagnose::Confidence)> {
        self.judgement
            .diagnosis
            .causes
            .first()
            .map(|c| (c.title.as_str(), c.confidence))
    }

    /// The ids of the fail and warn findings, most severe first, at most `n`.
    pub fn key_findings(&self, n: usize) -> Vec<&'static str> {
        self.judgement
            .findings
            .iter()
            .filter(|f| f.severity > rdpdoctor_diagnose::Severity::Info)
            .take(n)
            .map(|f| f.id.name())
            .collect()
    }
}

/// How many key findings a fleet table shows per host.
pub const KEY_FINDINGS: usize = 3;

/// The rows worst verdict first (the order people read a fleet in), the
/// given order among equals; each with its place in the input (from 1),
/// which names its section in the reports.
pub fn worst_first<'r, 'a>(rows: &'r [HostRow<'a>]) -> Vec<(usize, &'r HostRow<'a>)> {
    use rdpdoctor_diagnose::Verdict as V;
    let rank = |v: V| match v {
        V::NoClientConnects => 0,
        V::Unreachable => 1,
        V::SomeClientsFail => 2,
        V::Inconclusive => 3,
        V::WorksWithWarnings => 4,
        V::Healthy => 5,
    };
    let mut v: Vec<(usize, &HostRow<'a>)> =
        rows.iter().enumerate().map(|(i, r)| (i + 1, r)).collect();
    v.sort_by_key(|(i, r)| (rank(r.judgement.verdict), *i));
    v
}

/// Hosts per verdict, in [`worst_first`] order, only verdicts that occur.
pub fn verdict_counts(rows: &[HostRow<'_>]) -> Vec<(rdpdoctor_diagnose::Verdict, usize)> {
    let mut out: Vec<(rdpdoctor_diagnose::Verdict, usize)> = Vec::new();
    for (_, r) in worst_first(rows) {
        match out.last_mut() {
            Some((v, n)) if *v == r.judgement.verdict => *n += 1,
            _ => out.push((r.judgement.verdict, 1)),
        }
    }
    out
}
