//! The head line of a judgement: one sentence with the answer, worded for
//! the evidence a run had (the wire, the host alone, or the user's codes).

use crate::finding::{Finding, FindingId, Severity};
use crate::rank::RankedCause;
use crate::verdict::{self, Verdict};
use rdpdoctor_evidence::ProbeReport;
use rdpdoctor_evidence::host::HostEvidence;

pub(crate) fn codes_headline(top: Option<&RankedCause>) -> String {
    match top {
        Some(c) => format!(
            "From the codes alone (nothing was probed or read): most likely {} ({} confidence).",
            c.title,
            c.confidence.name()
        ),
        None => "The codes point to no known cause.".to_owned(),
    }
}

pub(crate) fn wire_headline(
    verdict: Verdict,
    top: Option<&RankedCause>,
    findings: &[Finding],
    report: &ProbeReport,
) -> String {
    let has = |id: FindingId| findings.iter().any(|f| f.id == id);
    let base = wire_answer(verdict, top, findings, report);
    // What `--user` showed is part of the answer: a refused account is not
    // a broken server, and a logon that worked is worth saying.
    if findings.iter().any(|f| f.id.is_logon_refusal()) {
        format!("The server answers; these credentials are refused. {base}")
    } else if has(FindingId::LogonSucceeded) && !verdict.is_failing() {
        format!("{base} The logon with --user succeeded.")
    } else {
        base
    }
}

fn wire_answer(
    verdict: Verdict,
    top: Option<&RankedCause>,
    findings: &[Finding],
    report: &ProbeReport,
) -> String {
    match (verdict, top) {
        (Verdict::Healthy, _) => match warnings(findings) {
            0 => "Healthy: every client connects; nothing wrong found from here.".to_owned(),
            n => format!(
                "Healthy: every client connects ({} to read).",
                plural(n, "warning")
            ),
        },
        (Verdict::WorksWithWarnings, Some(c)) => format!(
            "Clients connect after a prompt. Most likely: {} ({} confidence).",
            c.title,
            c.confidence.name()
        ),
        (Verdict::WorksWithWarnings, None) => format!(
            "Works, with warnings: every client connects, some only after a certificate prompt ({}).",
            plural(warnings(findings), "warning")
        ),
        (Verdict::Inconclusive, _) => format!(
            "Can't tell: the probe stopped at its {} ceiling before it learned enough (raise --ceiling).",
            report.limits.ceiling_secs()
        ),
        (_, Some(c)) => format!(
            "Most likely: {} ({} confidence).",
            c.title,
            c.confidence.name()
        ),
        (_, None) => "No known cause matches the evidence: see the findings.".to_owned(),
    }
}

pub(crate) fn host_headline(
    verdict: Verdict,
    top: Option<&RankedCause>,
    findings: &[Finding],
    h: &HostEvidence,
) -> String {
    match (verdict, top) {
        (Verdict::Inconclusive, _) => crate::host::inconclusive_headline(h),
        (Verdict::Healthy | Verdict::WorksWithWarnings, _) => {
            let read = verdict::host_coverage_text(h);
            match warnings(findings) {
                0 => format!("Nothing in the host's {read} stops RDP."),
                n => format!(
                    "Nothing in the host's {read} stops RDP ({} to read).",
                    plural(n, "warning")
                ),
            }
        }
        (_, Some(c)) => format!(
            "Most likely: {} ({} confidence).",
            c.title,
            c.confidence.name()
        ),
        (_, None) => "No known cause matches the host evidence: see the findings.".to_owned(),
    }
}

fn warnings(findings: &[Finding]) -> usize {
    findings
        .iter()
        .filter(|f| f.severity == Severity::Warn)
        .count()
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}
