//! The terminal report of a probe: one line per stage with a verdict, the
//! details under it (the stages themselves: [`crate::outline`]), then the
//! findings.

use crate::Style;
use crate::doc::FindingRow;
use crate::outline::{Mark, Section};
use crate::safe::sentence;
use rdpdoctor_diagnose::{Judgement, Severity};
use rdpdoctor_evidence::ProbeReport;
use std::fmt::Write;

/// Sections as the terminal shows them: `[ ok ] Stage        summary`,
/// details dimmed under it.
pub(crate) fn sections(out: &mut String, sections: &[Section], style: &Style) {
    for s in sections {
        let tag = match s.mark {
            Mark::Skipped => style.dim("[ -- ]"),
            Mark::Fail => style.severity(Severity::Fail, "[FAIL]"),
            Mark::Warn => style.severity(Severity::Warn, "[warn]"),
            Mark::Ok => style.good("[ ok ]"),
        };
        let _ = writeln!(
            out,
            "{tag} {}{}",
            style.bold(&format!("{:<13}", s.name)),
            s.summary
        );
        for d in &s.details {
            let _ = writeln!(out, "       {}", style.dim(d));
        }
    }
}

/// Renders a probe report's stages, paths and findings for a terminal: a
/// layout of [`crate::doc::probe`].
pub fn probe_report(report: &ProbeReport, judgement: &Judgement, style: &Style) -> String {
    let doc = crate::doc::probe(report, judgement, None);
    let mut out = String::new();
    let Some(w) = &doc.wire else {
        return out;
    };
    let _ = writeln!(
        out,
        "{} {}  {}",
        style.bold("rdpdoctor probe"),
        doc.subject,
        style.dim(&w.started_at)
    );
    let _ = writeln!(out);
    sections(&mut out, &w.sections, style);

    if !w.paths.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "{}", style.bold("A client forcing"));
        for p in &w.paths {
            let verdict = match p.gets_through {
                Some(true) => style.good("gets through"),
                Some(false) => style.severity(Severity::Fail, "fails"),
                None => style.dim("unknown"),
            };
            let _ = writeln!(out, "  {:<9} {verdict}: {}", p.mode, p.reason.term);
        }
    }

    let _ = writeln!(out);
    findings_into(&mut out, &doc.findings, style);
    let limit = if w.ceiling_hit {
        " (stopped at the overall time limit)"
    } else {
        ""
    };
    let took = format!("Probe took {:.0} ms{limit}.", w.took_ms);
    let _ = writeln!(out, "\n{}", style.dim(&took));
    out
}

/// The findings block: one line each, most severe first.
pub fn findings(list: &[rdpdoctor_diagnose::Finding], style: &Style) -> String {
    let mut out = String::new();
    let rows: Vec<FindingRow> = list.iter().map(FindingRow::of).collect();
    findings_into(&mut out, &rows, style);
    out
}

/// The findings block of a report's model.
pub(crate) fn findings_into(out: &mut String, list: &[FindingRow], style: &Style) {
    if list.is_empty() {
        let _ = writeln!(out, "{}", style.good("No findings."));
        return;
    }
    let _ = writeln!(out, "{}", style.bold("Findings"));
    for f in list {
        let tag = match f.severity {
            Severity::Fail => "FAIL",
            Severity::Warn => "warn",
            Severity::Info => "info",
        };
        let _ = writeln!(
            out,
            "  {} {:<28} {}",
            style.severity(f.severity, tag),
            f.id,
            f.summary
        );
    }
}

/// A finding's summary, neutralised. Host findings quote registry paths,
/// whose backslashes stay single (control characters are still escaped).
pub fn summary(f: &rdpdoctor_diagnose::Finding) -> String {
    if f.id.is_host() {
        crate::safe::line(&f.summary, crate::safe::MAX_SENTENCE_CHARS)
    } else {
        sentence(&f.summary)
    }
}

pub(crate) fn kebab<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
