//! The answer first: the verdict, the most likely cause and the one fix to
//! try first, in at most five lines of at most 80 columns. `--brief` prints
//! only this; the full report starts with it.

use crate::Style;
use crate::diagnosis::verdict_style;
use crate::style::fit;
use rdpdoctor_diagnose::{Judgement, Severity};
use rdpdoctor_evidence::ProbeReport;
use std::fmt::Write;

/// Columns the head fits in.
pub const WIDTH: usize = 80;

/// The head of a probe report.
pub fn head(report: &ProbeReport, j: &Judgement, style: &Style) -> String {
    let mut out = String::new();
    let target = format!("{}:{}", report.target.host, report.target.port);
    let verdict = j.verdict.name().to_uppercase().replace('-', " ");
    let line1 = fit(&format!("{target}: {verdict}"), WIDTH);
    let _ = writeln!(out, "{}", verdict_style(j.verdict, style, &line1));
    let _ = writeln!(out, "{}", fit(&j.diagnosis.headline, WIDTH));
    match &j.diagnosis.first_fix {
        Some(f) => {
            let weak = if f.fix.weakens_security {
                " (weakens security: see undo)"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "{}",
                style.bold(&fit(&format!("Try first: {}{weak}", f.fix.title), WIDTH))
            );
            if let Some(how) = f.fix.command.as_deref().or(f.fix.path.as_deref()) {
                let first = how.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
                let _ = writeln!(out, "  {}", fit(first.trim(), WIDTH - 2));
            }
        }
        None if j.verdict.is_failing() => {
            let _ = writeln!(out, "Try first: read the findings below.");
        }
        None => {
            let _ = writeln!(out, "Nothing to fix.");
        }
    }
    let fails = j
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Fail)
        .count();
    let warns = j
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Warn)
        .count();
    let server = match (&j.server.version, j.server.implementation) {
        (Some(v), i) => format!("{} {v}", i.label()),
        (None, i) => i.label().to_owned(),
    };
    let _ = writeln!(
        out,
        "{}",
        style.dim(&fit(
            &format!("Server: {server} · {fails} fail, {warns} warn findings · details below"),
            WIDTH
        ))
    );
    out
}
