//! Reports as Markdown, to paste into a ticket: `probe`, `inspect` and a
//! fleet (`scan`). The answer comes first (the verdict, the most likely cause
//! with its confidence, the fix to try first with its command), then the
//! evidence. GitHub-flavoured Markdown (tables, fenced code); it reads as
//! plain text too.
//!
//! Every string a server or a file controls goes through [`escape`]; so do
//! the knowledge base's sentences (which use `<`, `*` and `|` as text).
//! Commands go in fences nothing inside can close.

pub mod escape;

use crate::doc::{
    self, Answer, Cell, Diagnosis, FindingRow, Fix, FixPart, Host, Layout as _, Report, Table, Wire,
};
use crate::fleet::HostRow;
use crate::outline::{Mark, Section};
use escape::{code, fence, text};
use rdpdoctor_diagnose::Judgement;
use rdpdoctor_evidence::ProbeReport;
use rdpdoctor_evidence::host::HostEvidence;
use std::fmt::Write;

/// The answer alone (`--brief`): the verdict, the most likely cause, the fix
/// to try first. `subject` names what was diagnosed, already neutralised
/// ([`crate::outline::probe_title`], [`crate::host::subject`]).
pub fn answer(subject: &str, j: &Judgement) -> String {
    let mut out = String::new();
    Markdown::answer(&mut out, subject, &doc::answer(j), None);
    out
}

/// `rdpdoctor probe --format markdown`, with the host's state when
/// `--host-evidence` gave one.
pub fn probe_report(r: &ProbeReport, j: &Judgement, host: Option<&HostEvidence>) -> String {
    report(&doc::probe(r, j, host))
}

/// `rdpdoctor inspect --format markdown`.
pub fn inspect_report(h: &HostEvidence, j: &Judgement, inspected_at: &str) -> String {
    report(&doc::inspect(h, j, inspected_at))
}

/// A report of one host, with the footer.
fn report(doc: &Report) -> String {
    let mut out = doc.lay_out::<Markdown>();
    footer(&mut out);
    out
}

/// The Markdown layout of [`crate::doc`].
struct Markdown;

/// A fleet (`rdpdoctor scan --format markdown`): how many hosts have each
/// verdict, a table of the hosts worst first, then a section per host with
/// its answer, findings and stages.
pub fn fleet(rows: &[HostRow<'_>]) -> String {
    let fleet = doc::fleet(rows);
    let mut out = String::new();
    let _ = writeln!(out, "# rdpdoctor scan: {}\n", plural(fleet.hosts, "host"));
    let counts: Vec<String> = fleet
        .counts
        .iter()
        .map(|(v, n)| format!("{n} {}", v.name()))
        .collect();
    if !counts.is_empty() {
        let _ = writeln!(out, "**{}**\n", counts.join(" · "));
    }
    if !fleet.rows.is_empty() {
        let _ = writeln!(
            out,
            "| # | host | verdict | most likely cause | confidence | key findings |"
        );
        let _ = writeln!(out, "|---:|---|---|---|---|---|");
        for r in &fleet.rows {
            let (cause, confidence) = match &r.cause {
                Some((t, c)) => (text(t), *c),
                None => ("—".to_owned(), "—"),
            };
            let findings: Vec<String> = r.key_findings.iter().map(|id| format!("`{id}`")).collect();
            let _ = writeln!(
                out,
                "| {} | {} | **{}** | {cause} | {confidence} | {} |",
                r.place,
                text(&r.input),
                r.answer.label,
                findings.join(", ")
            );
        }
        out.push('\n');
    }
    for r in &fleet.rows {
        let subject = format!("{}. {}", r.place, r.input);
        Markdown::answer(&mut out, &subject, &r.answer, Some(r.place));
        Markdown::findings(&mut out, &r.findings, Some(r.place));
        let _ = writeln!(out, "### Stages\n");
        sections(&mut out, &r.sections, false);
    }
    footer(&mut out);
    out
}

/// `\[PowerShell\] Title — *weakens security: see undo*`.
fn fix_title(f: &Fix) -> String {
    f.heading(text, ("\\[", "\\]"), " — *weakens security: see undo*")
}

/// A fix's GUI path, command, steps and undo.
fn fix_body(out: &mut String, f: &Fix) {
    for part in f.parts() {
        match part {
            FixPart::Path(p) => {
                let _ = writeln!(out, "Where: {}\n", code(p));
            }
            FixPart::Command(c, lang) => {
                out.push_str(&fence(lang, c));
                out.push('\n');
            }
            FixPart::Steps(steps) => {
                for s in steps {
                    let _ = writeln!(out, "- {}", text(s));
                }
                out.push('\n');
            }
            FixPart::Undo(u) => {
                let _ = writeln!(out, "Undo: {}\n", text(u));
            }
        }
    }
}

impl doc::Layout for Markdown {
    /// The heading with the verdict, the headline, the fix to try first with
    /// its command, and the server. `subject` is already neutralised.
    fn answer(out: &mut String, subject: &str, a: &Answer, place: Option<usize>) {
        let level = if place.is_some() { "##" } else { "#" };
        let _ = writeln!(out, "{level} {}: {}\n", text(subject), a.label);
        let _ = writeln!(out, "{}\n", text(&a.headline.line));
        match &a.first_fix {
            Some(f) => {
                let _ = writeln!(out, "**Try first:** {}\n", fix_title(f));
                fix_body(out, f);
            }
            None => {
                let _ = writeln!(out, "**Try first:** {}\n", a.no_fix);
            }
        }
        let _ = writeln!(
            out,
            "Server: {} · {} fail, {} warn findings.\n",
            text(&a.server),
            a.fails,
            a.warns
        );
    }

    fn findings(out: &mut String, list: &[FindingRow], place: Option<usize>) {
        let level = if place.is_some() { "###" } else { "##" };
        if list.is_empty() {
            let _ = writeln!(out, "{level} Findings\n\nNo findings.\n");
            return;
        }
        let _ = writeln!(out, "{level} Findings\n");
        table(out, &Table::findings(list));
    }

    fn diagnosis(out: &mut String, d: &Diagnosis) {
        let _ = writeln!(out, "## Diagnosis\n");
        if let Some(e) = &d.error {
            let _ = writeln!(out, "The error you saw: {}\n", text(&e.input));
            for c in &e.codes {
                let _ = writeln!(out, "- {}: {}", text(&c.display), text(&c.meaning));
            }
            if !e.codes.is_empty() {
                out.push('\n');
            }
        }
        if d.causes.is_empty() {
            let _ = writeln!(out, "No known cause matches the evidence.\n");
            return;
        }
        for (i, c) in d.causes.iter().enumerate() {
            let _ = writeln!(
                out,
                "### {}. {}\n\n{} confidence · `{}`\n",
                i + 1,
                text(&c.title),
                c.confidence,
                c.id
            );
            let Some(detail) = &c.detail else { continue };
            for e in &detail.evidence_for {
                let _ = writeln!(
                    out,
                    "- for: {} ({:+.2}, {}): {}",
                    code(&e.finding),
                    e.weight,
                    text(&e.why.line),
                    text(&e.summary.line)
                );
            }
            for e in &detail.evidence_against {
                let _ = writeln!(
                    out,
                    "- against: {} (×{}): {}",
                    code(&e.finding),
                    e.factor,
                    text(&e.why.line)
                );
            }
            if !detail.evidence_for.is_empty() || !detail.evidence_against.is_empty() {
                out.push('\n');
            }
            if !detail.confirm.is_empty() {
                let _ = writeln!(out, "**Confirm:**\n");
                for s in &detail.confirm {
                    let _ = writeln!(out, "- {}", text(&s.how));
                    if let Some(cmd) = &s.command {
                        out.push('\n');
                        out.push_str(&fence("text", cmd));
                        out.push('\n');
                    }
                }
                out.push('\n');
            }
            if !detail.fixes.is_empty() {
                let _ = writeln!(out, "**Fixes:**\n");
                for f in &detail.fixes {
                    let _ = writeln!(out, "{}\n", fix_title(f));
                    fix_body(out, f);
                }
            }
        }
        if d.hidden > 0 {
            let _ = writeln!(
                out,
                "{} less likely causes: see `--format json`.\n",
                d.hidden
            );
        }
    }

    fn clients(out: &mut String, list: &[doc::ClientRow]) {
        if list.is_empty() {
            return;
        }
        let _ = writeln!(out, "## Clients\n");
        table(out, &Table::clients(list));
    }

    /// The evidence from the wire: when, how long, the stages, the paths.
    fn wire(out: &mut String, subject: &str, w: &Wire) {
        let _ = writeln!(out, "## Evidence from the wire\n");
        let _ = writeln!(
            out,
            "Probe of {} started {}, took {:.0} ms{}.\n",
            text(subject),
            text(&w.started_at),
            w.took_ms,
            if w.ceiling_hit {
                " (stopped at the overall time limit)"
            } else {
                ""
            }
        );
        sections(out, &w.sections, true);
        if w.paths.is_empty() {
            return;
        }
        let _ = writeln!(out, "### A client forcing a security mode\n");
        table(out, &Table::paths(&w.paths));
    }

    fn host(out: &mut String, h: &Host) {
        let _ = writeln!(out, "## Evidence from the host\n");
        let _ = writeln!(out, "{}\n", text(&h.title));
        table(out, &Table::sources(&h.sources));
        sections(out, &h.sections, true);
    }

    fn inspected(out: &mut String, at: &str) {
        let _ = writeln!(out, "Inspected {}.\n", text(at));
    }
}

/// A table: a header row, a delimiter row, a row per entry, a blank line.
fn table(out: &mut String, t: &Table) {
    let _ = writeln!(out, "| {} |", t.columns.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(t.columns.len()));
    for row in &t.rows {
        let cells: Vec<String> = row
            .iter()
            .map(|c| match c {
                Cell::Text(s) | Cell::Mono(s) => text(s),
                Cell::Code(s) => format!("`{s}`"),
                Cell::Mark { word, stress, .. } if *stress => format!("**{word}**"),
                Cell::Mark { word, .. } => (*word).to_owned(),
            })
            .collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out.push('\n');
}

/// Sections as a list: `- **FAIL** **TLS**: summary`, details nested.
fn sections(out: &mut String, list: &[Section], details: bool) {
    for s in list {
        let tag = match s.mark {
            Mark::Fail => "**FAIL**",
            Mark::Warn => "**warn**",
            Mark::Ok => "ok",
            Mark::Skipped => "--",
        };
        let _ = writeln!(out, "- {tag} **{}**: {}", text(&s.name), text(&s.summary));
        if details {
            for d in &s.details {
                let _ = writeln!(out, "  - {}", text(d));
            }
        }
    }
    out.push('\n');
}

fn footer(out: &mut String) {
    let _ = writeln!(
        out,
        "---\n\n*rdpdoctor {}: `--format json` has every field.*",
        env!("CARGO_PKG_VERSION")
    );
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}
