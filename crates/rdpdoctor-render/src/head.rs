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
    let target = format!("{}:{}", report.target.host, report.target.port);
    head_with(&target, j, style, not_checked_note(report).as_deref())
}

/// What a fast probe left out, for the verdict's line: its verdict holds
/// only as far as it looked (`(not checked: logon screen)`).
pub fn not_checked_note(report: &ProbeReport) -> Option<String> {
    use rdpdoctor_evidence::Stage;
    if report.not_checked.is_empty() {
        return None;
    }
    let names: Vec<&str> = report
        .not_checked
        .iter()
        .map(|s| match s {
            Stage::RdpSecurity => "RDP security",
            Stage::Deep => "logon screen",
            Stage::Dns => "DNS",
            Stage::Tcp => "TCP",
            Stage::Negotiation => "negotiation",
            Stage::Tls => "TLS",
            Stage::Credssp => "CredSSP",
        })
        .collect();
    Some(format!("(fast profile; not checked: {})", names.join(", ")))
}

/// The head of any report: `subject` names what was diagnosed (server text
/// in it must already be neutralised).
pub fn head_of(target: &str, j: &Judgement, style: &Style) -> String {
    head_with(target, j, style, None)
}

fn head_with(target: &str, j: &Judgement, style: &Style, note: Option<&str>) -> String {
    let mut out = String::new();
    let verdict = j.verdict.name().to_uppercase().replace('-', " ");
    let line1 = match note {
        Some(n) => fit(&format!("{target}: {verdict} {n}"), WIDTH),
        None => fit(&format!("{target}: {verdict}"), WIDTH),
    };
    let _ = writeln!(out, "{}", verdict_style(j.verdict, style, &line1));
    // The headline may take two lines; the fix to try first still falls
    // within the first five.
    for line in wrap(&j.diagnosis.headline, WIDTH, 2) {
        let _ = writeln!(out, "{line}");
    }
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

/// Word-wraps `s` to `width` columns in at most `max_lines` lines (the last
/// one cut with `…` when it does not fit).
pub fn wrap(s: &str, width: usize, max_lines: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in s.split_whitespace() {
        let len = cur.chars().count() + usize::from(!cur.is_empty()) + word.chars().count();
        if len > width && !cur.is_empty() {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    if lines.len() > max_lines {
        let rest = lines.split_off(max_lines - 1).join(" ");
        lines.push(rest);
    }
    lines.into_iter().map(|l| fit(&l, width)).collect()
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wraps_on_words_and_cuts_the_last_line() {
        let w = wrap("aaa bbb ccc ddd", 7, 2);
        assert_eq!(w, vec!["aaa bbb", "ccc ddd"]);
        let w = wrap("aaa bbb ccc ddd eee", 7, 2);
        assert_eq!(w.len(), 2);
        assert!(w[1].ends_with('…') && w[1].chars().count() <= 7, "{w:?}");
    }
}
