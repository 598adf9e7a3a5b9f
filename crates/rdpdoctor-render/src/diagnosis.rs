//! The diagnosis and `explain` output for terminals.

use crate::Style;
use crate::doc::{Confirm, Fix};
use rdpdoctor_diagnose::Severity;
use rdpdoctor_diagnose::{ClientVerdict, Diagnosis, RankedCause, Verdict};
use rdpdoctor_kb::Explanation;
use std::fmt::Write;

/// The diagnosis section that ends a probe report: a layout of
/// [`crate::doc::Diagnosis`].
pub fn diagnosis(d: &Diagnosis, verdict: Verdict, style: &Style) -> String {
    let doc = crate::doc::diagnosis(d, verdict);
    let mut out = String::new();
    let _ = writeln!(out, "{}", style.bold("Diagnosis"));
    let headline = verdict_style(doc.verdict, style, &doc.headline.term);
    let _ = writeln!(out, "  {headline}");
    if let Some(e) = &doc.error {
        let _ = writeln!(
            out,
            "  {}",
            style.dim(&format!("The error you saw: {}", e.input))
        );
        for c in &e.codes {
            let _ = writeln!(out, "    {}", style.dim(&c.term));
        }
    }
    for (i, c) in doc.causes.iter().enumerate() {
        let _ = writeln!(out);
        let tag = style.dim(&format!("[{}, {} confidence]", c.id, c.confidence));
        let Some(detail) = &c.detail else {
            let _ = writeln!(out, "  {}. {} {tag}", i + 1, c.title);
            continue;
        };
        let _ = writeln!(out, "  {}. {} {tag}", i + 1, style.bold(&c.title));
        for e in &detail.evidence_for {
            let _ = writeln!(
                out,
                "     + {} ({:+.2}: {}): {}",
                e.finding, e.weight, e.why.term, e.summary.term
            );
        }
        for e in &detail.evidence_against {
            let _ = writeln!(out, "     - {} (×{}): {}", e.finding, e.factor, e.why.term);
        }
        cause_body(&mut out, &detail.confirm, &detail.fixes, style, "     ");
    }
    if doc.hidden > 0 {
        let more = format!("{} less likely causes: see --format json", doc.hidden);
        let _ = writeln!(out, "\n  {}", style.dim(&more));
    }
    if !doc.clients.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "{}", style.bold("Clients"));
        for p in &doc.clients {
            let v = match p.verdict {
                ClientVerdict::Connects => style.good("connects"),
                ClientVerdict::Warns => style.severity(Severity::Warn, "warns   "),
                ClientVerdict::Fails => style.severity(Severity::Fail, "fails   "),
                ClientVerdict::Unknown => style.dim("unknown "),
            };
            let _ = writeln!(out, "  {v} {:<54} {}", p.name, style.dim(&p.reason.term));
            if let Some(f) = &p.fix {
                let _ = writeln!(out, "           {}", style.dim(&format!("→ {}", f.term)));
            }
        }
    }
    out
}

/// Confirm steps and fixes, indented.
fn cause_body(out: &mut String, confirm: &[Confirm], fixes: &[Fix], style: &Style, indent: &str) {
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
                f.kind,
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
            // An undo of several lines (a command) keeps them aligned
            // under its first.
            let undo = f.undo.iter().flat_map(|u| u.lines());
            for (i, line) in undo.filter(|l| !l.trim().is_empty()).enumerate() {
                let lead = if i == 0 { "undo: " } else { "      " };
                let _ = writeln!(out, "{indent}      {}", style.dim(&format!("{lead}{line}")));
            }
        }
    }
}

/// `rdpdoctor explain` for a terminal: a layout of [`crate::doc::explain`]
/// (the codes as the knowledge base reads them, and `causes`, the judgement
/// engine's ranking over them).
pub fn explanation(e: &Explanation, causes: &[RankedCause], style: &Style, brief: bool) -> String {
    let doc = crate::doc::explain(e, causes);
    let mut out = String::new();
    // The answer first, as in Markdown and HTML.
    if let Some(c) = doc.causes.first() {
        let line = format!("Most likely: {} ({}).", c.title, crate::doc::share(c.score));
        for l in crate::head::wrap(&line, crate::head::WIDTH, 3) {
            let l = match l.strip_prefix("Most likely:") {
                Some(rest) => format!("{}{rest}", style.bold("Most likely:")),
                None => l,
            };
            let _ = writeln!(out, "{l}");
        }
        let _ = writeln!(out);
    }
    for c in &doc.codes {
        let family = format!("({})", c.family);
        let _ = writeln!(out, "{} {}", style.bold(&c.display), style.dim(&family));
        let _ = writeln!(out, "  {} — {}", c.name, c.meaning);
        if !c.same_as.is_empty() {
            let same = format!("same value as: {}", c.same_as.join(", "));
            let _ = writeln!(out, "  {}", style.dim(&same));
        }
        if let Some(n) = &c.note {
            let _ = writeln!(out, "  {}", style.dim(n));
        }
        if !brief {
            let _ = writeln!(out, "  {}", style.dim(&format!("source: {}", c.source)));
        }
    }
    for m in &doc.messages {
        let _ = writeln!(out, "{} {m}", style.bold("Recognised text:"));
    }
    // Notes quote what the user pasted (a log may carry colour codes).
    for n in &doc.notes {
        let _ = writeln!(out, "{}", style.dim(&format!("note: {}", n.term)));
    }
    for f in &doc.field {
        let below = if brief { "" } else { " (source below)" };
        let note =
            format!("note: {f} ranked as a whole, as the field reports this combination{below}.");
        let _ = writeln!(out, "{}", style.dim(&note));
    }
    if doc.causes.is_empty() {
        let _ = writeln!(out, "\n{}", crate::doc::NO_CAUSE);
        return out;
    }
    let _ = writeln!(out, "\n{}", style.bold("Likely causes, most likely first"));
    for (i, c) in doc.causes.iter().enumerate() {
        if !brief {
            let _ = writeln!(out);
        }
        let tag = format!("[{}, {:.0}%]", c.id, c.score * 100.0);
        let _ = writeln!(
            out,
            "  {}. {} {}",
            i + 1,
            style.bold(&c.title),
            style.dim(&tag)
        );
        if brief {
            continue;
        }
        for w in &c.why {
            let _ = writeln!(out, "     + {}", w.term);
        }
        if let Some(d) = &c.detail {
            let _ = writeln!(out, "     {}", d.summary);
            cause_body(&mut out, &d.confirm, &d.fixes, style, "     ");
        }
    }
    if !brief && !doc.how_to_tell.is_empty() {
        let _ = writeln!(out, "\n{}", style.bold("To tell them apart"));
        for t in &doc.how_to_tell {
            let _ = writeln!(out, "  • {t}");
        }
        for s in &doc.sources {
            let _ = writeln!(
                out,
                "  {}",
                style.dim(&format!("source of the ranking: {s}"))
            );
        }
    }
    let _ = writeln!(
        out,
        "\n{}",
        style.dim(&format!(
            "To see which of these it is, probe the host: {}",
            crate::doc::PROBE_HINT
        ))
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
