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

use crate::doc::{self, Answer, Cell, Fix, Inline, Item, Markup, Report, Table};
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

/// `rdpdoctor inspect CAPTURE --format markdown`, beside the host's state
/// when host sources were given too.
pub fn capture_report(
    cap: &rdpdoctor_evidence::CaptureEvidence,
    host: Option<&HostEvidence>,
    j: &Judgement,
    inspected_at: Option<&str>,
) -> String {
    report(&doc::capture(cap, host, j, inspected_at))
}

/// A report of one host, with the footer.
fn report(doc: &Report) -> String {
    let mut out = doc.lay_out::<Markdown>();
    footer(&mut out);
    out
}

/// `rdpdoctor explain --format markdown`: `input` is what the user pasted
/// (quoted here); `brief` keeps the causes' titles only.
pub fn explain(
    input: &str,
    e: &rdpdoctor_kb::Explanation,
    causes: &[rdpdoctor_diagnose::RankedCause],
    brief: bool,
) -> String {
    let input = crate::safe::line(input, doc::MAX_TEXT);
    let mut out = doc::explain(e, causes).lay_out::<Markdown>(&input, brief);
    footer(&mut out);
    out
}

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
        doc::findings::<Markdown>(&mut out, &r.findings, 3);
        let _ = writeln!(out, "### Stages\n");
        Markdown::sections(&mut out, &r.sections, false);
    }
    footer(&mut out);
    out
}

/// The Markdown layout of [`crate::doc`].
struct Markdown;

/// A line's pieces: our words as they are, text escaped, code in spans.
fn line(pieces: &[Inline]) -> String {
    pieces
        .iter()
        .map(|p| match p {
            Inline::Lit(s) | Inline::Raw(s) => s.clone(),
            Inline::Text(s) | Inline::Value(s) => text(s),
            Inline::Code(s) => code(s),
            Inline::Strong(s) => format!("**{s}**"),
        })
        .collect()
}

impl Markup for Markdown {
    fn heading(out: &mut String, level: usize, pieces: &[Inline]) {
        let _ = writeln!(out, "{} {}\n", "#".repeat(level), line(pieces));
    }

    fn para(out: &mut String, _dim: bool, pieces: &[Inline]) {
        let _ = writeln!(out, "{}\n", line(pieces));
    }

    /// `- line`, a command fenced under its line, a blank line after.
    fn list(out: &mut String, items: &[Item]) {
        for i in items {
            let _ = writeln!(out, "- {}", line(&i.line));
            if let Some(cmd) = &i.command {
                out.push('\n');
                out.push_str(&fence("text", cmd));
                out.push('\n');
            }
        }
        out.push('\n');
    }

    fn command(out: &mut String, lang: &str, command: &str) {
        out.push_str(&fence(lang, command));
        out.push('\n');
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

    fn open(out: &mut String, _attr: &str, level: usize, title: &str) {
        let _ = writeln!(out, "{} {title}\n", "#".repeat(level));
    }

    fn close(_out: &mut String) {}

    /// `\\[PowerShell\\] Title — *weakens security: see undo*`.
    fn fix_title(f: &Fix) -> String {
        f.heading(text, ("\\[", "\\]"), " — *weakens security: see undo*")
    }

    /// The heading with the verdict, the headline, the fix to try first with
    /// its command, and the server. `subject` is already neutralised.
    fn answer(out: &mut String, subject: &str, a: &Answer, place: Option<usize>) {
        let level = if place.is_some() { "##" } else { "#" };
        let _ = writeln!(out, "{level} {}: {}\n", text(subject), a.label);
        let _ = writeln!(out, "{}\n", text(&a.headline.line));
        if let Some(c) = &a.error_check {
            let _ = writeln!(out, "{}\n", text(&c.line));
        }
        match &a.first_fix {
            Some(f) => {
                let _ = writeln!(out, "**Try first:** {}\n", Self::fix_title(f));
                doc::fix_body::<Self>(out, f);
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
