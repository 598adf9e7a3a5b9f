//! The diagnosis and `explain` output for terminals.

use crate::Style;
use crate::safe::{sentence, term};
use rdpdoctor_diagnose::Severity;
use rdpdoctor_diagnose::{ClientVerdict, Diagnosis, RankedCause, Verdict};
use rdpdoctor_kb::{ConfirmStep, Explanation, Fix, FixKind};
use std::fmt::Write;

/// How many causes every format shows in full; the rest get one line each.
pub(crate) const FULL_CAUSES: usize = 3;
/// How many causes a report for people lists at most.
const MAX_LISTED: usize = 5;

/// The causes worth reading, in every format for people: up to
/// [`MAX_LISTED`], and none that weighs less than a tenth of the first.
/// JSON has them all.
pub(crate) fn shown_causes(
    d: &rdpdoctor_diagnose::Diagnosis,
) -> Vec<&rdpdoctor_diagnose::RankedCause> {
    let top = d.causes.first().map_or(0.0, |c| c.score);
    d.causes
        .iter()
        .take(MAX_LISTED)
        .filter(|c| c.score >= top * 0.1)
        .collect()
}

/// The diagnosis section that ends a probe report.
pub fn diagnosis(d: &Diagnosis, verdict: Verdict, style: &Style) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", style.bold("Diagnosis"));
    let headline = verdict_style(verdict, style, &sentence(&d.headline));
    let _ = writeln!(out, "  {headline}");
    if let Some(e) = &d.error {
        let _ = writeln!(
            out,
            "  {}",
            style.dim(&format!("The error you saw: {}", term(&e.input)))
        );
        for c in &e.codes {
            let line = format!("{}: {}", c.display, c.meaning);
            let _ = writeln!(out, "    {}", style.dim(&sentence(&line)));
        }
    }
    let shown = shown_causes(d);
    for (i, c) in shown.iter().enumerate() {
        let _ = writeln!(out);
        if i >= FULL_CAUSES {
            let _ = write!(out, "  {}. {} ", i + 1, c.title);
            let _ = writeln!(
                out,
                "{}",
                style.dim(&format!("[{}, {} confidence]", c.id, c.confidence.name()))
            );
            continue;
        }
        let _ = writeln!(
            out,
            "  {}. {} {}",
            i + 1,
            style.bold(&c.title),
            style.dim(&format!("[{}, {} confidence]", c.id, c.confidence.name()))
        );
        for e in &c.evidence_for {
            let q = e
                .qualifier
                .as_deref()
                .map(|q| format!("/{q}"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "     + {}{q} ({:+.2}: {}): {}",
                e.finding,
                e.weight,
                sentence(&e.why),
                sentence(&e.summary)
            );
        }
        for e in &c.evidence_against {
            let _ = writeln!(
                out,
                "     - {} (×{}): {}",
                e.finding,
                e.factor,
                sentence(&e.why)
            );
        }
        if i == 0 {
            cause_body(&mut out, &c.confirm, &c.fixes, style, "     ");
        }
    }
    if d.causes.len() > shown.len() {
        let _ = writeln!(
            out,
            "\n  {}",
            style.dim(&format!(
                "{} less likely causes: see --format json",
                d.causes.len() - shown.len()
            ))
        );
    }
    if !d.clients.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "{}", style.bold("Clients"));
        for p in &d.clients {
            let v = match p.verdict {
                ClientVerdict::Connects => style.good("connects"),
                ClientVerdict::Warns => style.severity(Severity::Warn, "warns   "),
                ClientVerdict::Fails => style.severity(Severity::Fail, "fails   "),
                ClientVerdict::Unknown => style.dim("unknown "),
            };
            let _ = writeln!(
                out,
                "  {v} {:<54} {}",
                p.name,
                style.dim(&sentence(&p.reason))
            );
            if let Some(f) = &p.fix {
                let _ = writeln!(
                    out,
                    "           {}",
                    style.dim(&format!("→ {}", sentence(f)))
                );
            }
        }
    }
    out
}

/// Confirm steps and fixes, indented.
fn cause_body(
    out: &mut String,
    confirm: &[ConfirmStep],
    fixes: &[Fix],
    style: &Style,
    indent: &str,
) {
    if !confirm.is_empty() {
        let _ = writeln!(out, "{indent}{}", style.bold("Confirm:"));
        for s in confirm {
            let _ = writeln!(out, "{indent}  • {}", s.how);
            if let Some(cmd) = &s.command {
                for line in cmd.lines().filter(|l| !l.trim().is_empty()) {
                    let _ = writeln!(out, "{indent}      {}", style.dim(line));
                }
            }
        }
    }
    if !fixes.is_empty() {
        let _ = writeln!(out, "{indent}{}", style.bold("Fix:"));
        for f in fixes {
            let warn = if f.weakens_security {
                " (weakens security)"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "{indent}  • [{}] {}{}",
                kind(f.kind),
                f.title,
                style.severity(Severity::Warn, warn)
            );
            if let Some(p) = &f.path {
                let _ = writeln!(out, "{indent}      {}", style.dim(p));
            }
            if let Some(cmd) = &f.command {
                for line in cmd.lines().filter(|l| !l.trim().is_empty()) {
                    let _ = writeln!(out, "{indent}      {line}");
                }
            }
            for s in &f.steps {
                let _ = writeln!(out, "{indent}      {}", style.dim(&format!("- {s}")));
            }
            if let Some(u) = &f.undo {
                let _ = writeln!(out, "{indent}      {}", style.dim(&format!("undo: {u}")));
            }
        }
    }
}

pub(crate) fn kind(k: FixKind) -> &'static str {
    match k {
        FixKind::Gui => "GUI",
        FixKind::Powershell => "PowerShell",
        FixKind::Cmd => "cmd",
        FixKind::GroupPolicy => "Group Policy",
        FixKind::Azure => "Azure",
        FixKind::ClientSwitch => "client",
    }
}

/// `rdpdoctor explain` for a terminal: the codes as the knowledge base
/// reads them, then `causes`, the judgement's ranking of what they point to.
pub fn explanation(e: &Explanation, causes: &[RankedCause], style: &Style) -> String {
    let mut out = String::new();
    for c in &e.codes {
        let _ = writeln!(
            out,
            "{} {}",
            style.bold(&term(&c.display)),
            style.dim(&format!("({})", c.family_title))
        );
        let _ = writeln!(out, "  {} — {}", c.name, c.meaning);
        if !c.same_as.is_empty() {
            let _ = writeln!(
                out,
                "  {}",
                style.dim(&format!("same value as: {}", c.same_as.join(", ")))
            );
        }
        if let Some(n) = &c.note {
            let _ = writeln!(out, "  {}", style.dim(n));
        }
        let _ = writeln!(out, "  {}", style.dim(&format!("source: {}", c.source)));
    }
    for m in &e.messages {
        let _ = writeln!(out, "{} {}", style.bold("Recognised text:"), m.text);
    }
    // Notes quote what the user pasted (a log may carry colour codes).
    for n in &e.notes {
        let _ = writeln!(out, "{}", style.dim(&format!("note: {}", sentence(n))));
    }
    for p in e.pointers.iter().filter(|p| p.source.is_some()) {
        let _ = writeln!(
            out,
            "{}",
            style.dim(&format!(
                "note: {} ranked as a whole, as the field reports this combination (source below).",
                p.label
            ))
        );
    }
    if causes.is_empty() {
        let _ = writeln!(out, "\nNo cause is known for this code.");
        return out;
    }
    let _ = writeln!(out, "\n{}", style.bold("Likely causes, most likely first"));
    for (i, c) in causes.iter().enumerate() {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "  {}. {} {}",
            i + 1,
            style.bold(&c.title),
            style.dim(&format!(
                "[{}, {:.0}%]",
                c.id,
                c.share.unwrap_or(0.0) * 100.0
            ))
        );
        for w in &c.from_codes {
            let _ = writeln!(out, "     + {}", sentence(w));
        }
        if i < FULL_CAUSES {
            let _ = writeln!(out, "     {}", c.summary);
            cause_body(&mut out, &c.confirm, &c.fixes, style, "     ");
        }
    }
    let tell: Vec<&String> = e.pointers.iter().flat_map(|p| &p.how_to_tell).collect();
    if !tell.is_empty() {
        let _ = writeln!(out, "\n{}", style.bold("To tell them apart"));
        for t in tell {
            let _ = writeln!(out, "  • {t}");
        }
        for p in e.pointers.iter().filter_map(|p| p.source.as_ref()) {
            let _ = writeln!(
                out,
                "  {}",
                style.dim(&format!("source of the ranking: {p}"))
            );
        }
    }
    let _ = writeln!(
        out,
        "\n{}",
        style.dim("To see which of these it is, probe the host: rdpdoctor probe HOST --error '<the codes>'")
    );
    out
}

/// The verdict's colour.
pub fn verdict_style(v: Verdict, style: &Style, text: &str) -> String {
    match v {
        Verdict::Healthy => style.good(text),
        Verdict::WorksWithWarnings | Verdict::Inconclusive => style.severity(Severity::Warn, text),
        _ => style.severity(Severity::Fail, text),
    }
}
