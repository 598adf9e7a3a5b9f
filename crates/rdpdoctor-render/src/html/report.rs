//! The parts of an HTML report, a layout of [`crate::doc`]: the answer,
//! the blocks every markup format writes, the stages, and the fleet table.

use super::escape::{command, text};
use super::{badge, page, tone};
use crate::doc::{self, Answer, Cell, Fix, Inline, Item, Markup, Report, Table};
use crate::fleet::HostRow;
use crate::outline::{Mark, Section};
use rdpdoctor_diagnose::Judgement;
use rdpdoctor_evidence::ProbeReport;
use rdpdoctor_evidence::host::HostEvidence;
use std::fmt::Write;

/// The answer alone (`--brief`), as a page. `subject` is already
/// neutralised ([`crate::outline::probe_title`], [`crate::host::subject`]).
pub fn answer(subject: &str, j: &Judgement) -> String {
    let a = doc::answer(j);
    let mut b = String::new();
    Html::answer(&mut b, subject, &a, None);
    page(&title(subject, &a), &b)
}

/// `rdpdoctor probe --format html`, with the host's state when
/// `--host-evidence` gave one.
pub fn probe_report(r: &ProbeReport, j: &Judgement, host: Option<&HostEvidence>) -> String {
    report(&doc::probe(r, j, host))
}

/// `rdpdoctor inspect --format html`.
pub fn inspect_report(h: &HostEvidence, j: &Judgement, inspected_at: &str) -> String {
    report(&doc::inspect(h, j, inspected_at))
}

/// `rdpdoctor inspect CAPTURE --format html`, beside the host's state
/// when host sources were given too.
pub fn capture_report(
    cap: &rdpdoctor_evidence::CaptureEvidence,
    host: Option<&HostEvidence>,
    j: &Judgement,
    inspected_at: Option<&str>,
) -> String {
    report(&doc::capture(cap, host, j, inspected_at))
}

/// A report of one host, as a page.
fn report(doc: &Report) -> String {
    page(&title(&doc.subject, &doc.answer), &doc.lay_out::<Html>())
}

/// `rdpdoctor explain --format html`, as a page: `input` is what the user
/// pasted (quoted here); `brief` keeps the causes' titles only.
pub fn explain(
    input: &str,
    e: &rdpdoctor_kb::Explanation,
    causes: &[rdpdoctor_diagnose::RankedCause],
    brief: bool,
) -> String {
    let input = crate::safe::line(input, doc::MAX_TEXT);
    let body = doc::explain(e, causes).lay_out::<Html>(&input, brief);
    page(
        &format!("rdpdoctor explain: {} \u{2014} rdpdoctor", text(&input)),
        &body,
    )
}

/// A fleet (`rdpdoctor scan --format html`): hosts per verdict, the table of
/// hosts worst first (each links to its section, `#host-N`, N its place in
/// the input), then a section per host: its answer, its findings, and its
/// stages folded.
pub fn fleet(rows: &[HostRow<'_>]) -> String {
    let fleet = doc::fleet(rows);
    let mut b = String::new();
    let n = fleet.hosts;
    let _ = writeln!(
        b,
        "<header class=\"fleet\">\n<h1>rdpdoctor scan: {n} host{}</h1>",
        if n == 1 { "" } else { "s" }
    );
    b.push_str("<ul class=\"counts\" id=\"counts\">\n");
    for (v, count) in &fleet.counts {
        let _ = writeln!(b, "<li>{} × {count}</li>", badge(*v));
    }
    b.push_str("</ul>\n</header>\n");
    b.push_str(
        "<table id=\"hosts\">\n<thead><tr><th>#</th><th>host</th><th>verdict</th>\
         <th>most likely cause</th><th>confidence</th><th>key findings</th></tr></thead>\n<tbody>\n",
    );
    for r in &fleet.rows {
        let i = r.place;
        let (cause, confidence) = match &r.cause {
            Some((t, c)) => (text(t), *c),
            None => ("\u{2014}".to_owned(), "\u{2014}"),
        };
        let findings: Vec<String> = r
            .key_findings
            .iter()
            .map(|id| format!("<code>{id}</code>"))
            .collect();
        let _ = writeln!(
            b,
            "<tr class=\"{}\"><td>{i}</td><td class=\"mono\"><a href=\"#host-{i}\">{}</a></td>\
             <td>{}</td><td>{cause}</td><td>{confidence}</td><td>{}</td></tr>",
            tone(r.answer.verdict),
            text(&r.input),
            badge(r.answer.verdict),
            findings.join(" ")
        );
    }
    b.push_str("</tbody>\n</table>\n");
    for r in &fleet.rows {
        let i = r.place;
        let _ = writeln!(b, "<section class=\"host\" id=\"host-{i}\">");
        let subject = format!("{i}. {}", r.input);
        Html::answer(&mut b, &subject, &r.answer, Some(i));
        doc::findings::<Html>(&mut b, &r.findings, 3);
        b.push_str("<details>\n<summary>Stages</summary>\n");
        Html::sections(&mut b, &r.sections, true);
        b.push_str("</details>\n<p class=\"back\"><a href=\"#hosts\">\u{2191} back to the table</a></p>\n</section>\n");
    }
    page(&format!("rdpdoctor scan: {n} hosts"), &b)
}

/// `host: VERDICT` for the page's title.
fn title(subject: &str, a: &Answer) -> String {
    format!("{}: {} \u{2014} rdpdoctor", text(subject), a.label)
}

/// The HTML layout of [`crate::doc`].
struct Html;

/// A line's pieces: our words as they are, text escaped, code and values
/// in `<code>`.
fn line(pieces: &[Inline]) -> String {
    pieces
        .iter()
        .map(|p| match p {
            Inline::Lit(s) | Inline::Raw(s) => s.clone(),
            Inline::Text(s) => text(s),
            Inline::Code(s) | Inline::Value(s) => format!("<code>{}</code>", text(s)),
            Inline::Strong(s) => format!("<strong>{s}</strong>"),
        })
        .collect()
}

impl Markup for Html {
    fn heading(b: &mut String, level: usize, pieces: &[Inline]) {
        let _ = writeln!(b, "<h{level}>{}</h{level}>", line(pieces));
    }

    fn para(b: &mut String, dim: bool, pieces: &[Inline]) {
        let class = if dim { " class=\"dim\"" } else { "" };
        let _ = writeln!(b, "<p{class}>{}</p>", line(pieces));
    }

    /// `<ul>`, a command in a `<pre>` inside its item.
    fn list(b: &mut String, items: &[Item]) {
        b.push_str("<ul>\n");
        for i in items {
            let _ = write!(b, "<li>{}", line(&i.line));
            if let Some(cmd) = &i.command {
                let _ = write!(b, "<pre><code>{}</code></pre>", command(cmd));
            }
            b.push_str("</li>\n");
        }
        b.push_str("</ul>\n");
    }

    fn command(b: &mut String, _lang: &str, cmd: &str) {
        let _ = writeln!(b, "<pre><code>{}</code></pre>", command(cmd));
    }

    /// A table: the column names, then a row per entry.
    fn table(b: &mut String, t: &Table) {
        let class = t
            .class
            .map(|c| format!(" class=\"{c}\""))
            .unwrap_or_default();
        let _ = write!(b, "<table{class}>\n<thead><tr>");
        for c in t.columns {
            let _ = write!(b, "<th>{c}</th>");
        }
        b.push_str("</tr></thead>\n<tbody>\n");
        for row in &t.rows {
            b.push_str("<tr>");
            for c in row {
                let _ = match c {
                    Cell::Text(s) => write!(b, "<td>{}</td>", text(s)),
                    Cell::Mono(s) => write!(b, "<td class=\"mono\">{}</td>", text(s)),
                    Cell::Code(s) => write!(b, "<td><code>{s}</code></td>"),
                    Cell::Mark { tone, word, .. } => {
                        write!(b, "<td class=\"mark {}\">{word}</td>", tone.class())
                    }
                };
            }
            b.push_str("</tr>\n");
        }
        b.push_str("</tbody>\n</table>\n");
    }

    fn open(b: &mut String, attr: &str, level: usize, title: &str) {
        let _ = writeln!(b, "<section {attr}>\n<h{level}>{title}</h{level}>");
    }

    fn close(b: &mut String) {
        b.push_str("</section>\n");
    }

    /// `[PowerShell] Title (weakens security: see undo)`.
    fn fix_title(f: &Fix) -> String {
        f.heading(
            text,
            ("[", "]"),
            " <span class=\"weak\">(weakens security: see undo)</span>",
        )
    }

    /// The answer box: the verdict (`id`), the headline, the fix to try first
    /// with its command, the server. `subject` is already neutralised.
    fn answer(b: &mut String, subject: &str, a: &Answer, place: Option<usize>) {
        let (h, id) = match place {
            Some(i) => ("h2", format!("verdict-{i}")),
            None => ("h1", "verdict".to_owned()),
        };
        let _ = writeln!(
            b,
            "<header class=\"answer {}\">\n<{h}><span class=\"verdict\" id=\"{id}\">{}</span> \
         <span class=\"subject\">{}</span></{h}>\n<p class=\"headline\">{}</p>",
            tone(a.verdict),
            badge(a.verdict),
            text(subject),
            text(&a.headline.line)
        );
        if let Some(c) = &a.error_check {
            let _ = writeln!(b, "<p class=\"headline\">{}</p>", text(&c.line));
        }
        match &a.first_fix {
            Some(f) => {
                let _ = writeln!(
                    b,
                    "<div class=\"try-first\"><strong>Try first:</strong> {}",
                    Self::fix_title(f)
                );
                doc::fix_body::<Self>(b, f);
                b.push_str("</div>\n");
            }
            None => {
                let _ = writeln!(
                    b,
                    "<p class=\"try-first\"><strong>Try first:</strong> {}</p>",
                    a.no_fix
                );
            }
        }
        let _ = writeln!(
            b,
            "<p class=\"dim\">Server: {} · {} fail, {} warn findings.</p>\n</header>",
            text(&a.server),
            a.fails,
            a.warns
        );
    }

    /// Sections as a table: the mark in words, the name, the summary and the
    /// details under it.
    fn sections(b: &mut String, list: &[Section], details: bool) {
        b.push_str("<table class=\"stages\">\n<tbody>\n");
        for s in list {
            let class = match s.mark {
                Mark::Ok => "ok",
                Mark::Warn => "warn",
                Mark::Fail => "fail",
                Mark::Skipped => "skipped",
            };
            let _ = write!(
                b,
                "<tr class=\"{class}\"><th>{}</th><td class=\"mark {class}\">{}</td><td>{}",
                text(&s.name),
                s.mark.tag(),
                text(&s.summary)
            );
            if details && !s.details.is_empty() {
                b.push_str("<ul class=\"dim\">");
                for d in &s.details {
                    let _ = write!(b, "<li>{}</li>", text(d));
                }
                b.push_str("</ul>");
            }
            b.push_str("</td></tr>\n");
        }
        b.push_str("</tbody>\n</table>\n");
    }
}
