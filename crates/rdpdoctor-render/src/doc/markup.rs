//! A report written once for every markup format: the findings, the
//! diagnosis (the causes with their evidence, how to confirm and fix the
//! first), the clients, the evidence from the wire and from the host. A
//! format ([`Markup`]) says how it writes a heading, a paragraph, a list, a
//! command, a table, a section, a report's answer and its stages; nothing
//! else is written per format.

use super::{
    Answer, Capture, ClientRow, Diagnosis, FindingRow, Fix, FixPart, Host, Report, Table, Wire,
};
use crate::outline::Section;

/// A piece of a line.
#[derive(Debug, Clone)]
pub(crate) enum Inline {
    /// Our own words, written as they are (no markup in them).
    Lit(String),
    /// Text (neutralised), its markup escaped by the format.
    Text(String),
    /// An id, a path or a switch as code.
    Code(String),
    /// A value the user gave or a code, quoted as the format quotes one.
    Value(String),
    /// Our own words, stressed.
    Strong(&'static str),
    /// Already written in the format (a fix's title).
    Raw(String),
}

/// A list item: its line and, under it, a command.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub(crate) line: Vec<Inline>,
    pub(crate) command: Option<String>,
}

impl Item {
    pub(crate) fn line(line: Vec<Inline>) -> Self {
        Item {
            line,
            command: None,
        }
    }

    /// An item of one neutralised text.
    pub(crate) fn text(s: &str) -> Self {
        Item::line(vec![txt(s)])
    }
}

fn lit(s: &str) -> Inline {
    Inline::Lit(s.to_owned())
}

fn txt(s: &str) -> Inline {
    Inline::Text(s.to_owned())
}

/// A markup format: how it writes each kind of block.
pub(crate) trait Markup {
    /// A heading of `level` (1 to 3).
    fn heading(out: &mut String, level: usize, line: &[Inline]);
    /// A paragraph; `dim` when it is a side note.
    fn para(out: &mut String, dim: bool, line: &[Inline]);
    /// A list (never empty).
    fn list(out: &mut String, items: &[Item]);
    /// A command in `lang`.
    fn command(out: &mut String, lang: &str, command: &str);
    /// A table.
    fn table(out: &mut String, t: &Table);
    /// The start of a section: `attr` names it in HTML (`id="clients"`),
    /// `title` is its heading of `level`.
    fn open(out: &mut String, attr: &str, level: usize, title: &str);
    /// The end of a section.
    fn close(out: &mut String);
    /// `[kind] title`, and a warning when the fix weakens security.
    fn fix_title(f: &Fix) -> String;
    /// The answer box; `place` is a fleet host's place in the input.
    fn answer(out: &mut String, subject: &str, a: &Answer, place: Option<usize>);
    /// A report's stages, or parts of the host's state; `details`: with the
    /// lines under each.
    fn sections(out: &mut String, list: &[Section], details: bool);
}

impl Report {
    /// The report in markup `M`: the answer, the findings, the diagnosis,
    /// the clients, then the evidence from the wire and from the host.
    pub(crate) fn lay_out<M: Markup>(&self) -> String {
        let mut out = String::new();
        M::answer(&mut out, &self.subject, &self.answer, None);
        findings::<M>(&mut out, &self.findings, 2);
        diagnosis::<M>(&mut out, &self.diagnosis);
        clients::<M>(&mut out, &self.clients);
        if let Some(c) = &self.capture {
            capture::<M>(&mut out, c);
        }
        if let Some(w) = &self.wire {
            wire::<M>(&mut out, &self.subject, w);
        }
        if let Some(h) = &self.host {
            host::<M>(&mut out, h);
        }
        if let Some(at) = &self.inspected_at {
            M::para(&mut out, true, &[lit("Inspected "), txt(at), lit(".")]);
        }
        out
    }
}

/// A fix's GUI path, command, steps and undo.
pub(crate) fn fix_body<M: Markup>(out: &mut String, f: &Fix) {
    for part in f.parts() {
        match part {
            FixPart::Path(p) => M::para(out, false, &[lit("Where: "), Inline::Code(p.to_owned())]),
            FixPart::Command(c, lang) => M::command(out, lang, c),
            FixPart::Steps(steps) => {
                let items: Vec<Item> = steps.iter().map(|s| Item::line(vec![txt(s)])).collect();
                M::list(out, &items);
            }
            FixPart::Undo(u) => M::para(out, false, &[lit("Undo: "), txt(u)]),
            FixPart::UndoCommand(u, lang) => {
                M::para(out, false, &[lit("Undo:")]);
                M::command(out, lang, u);
            }
        }
    }
}

/// The findings table under a heading of `level`.
pub(crate) fn findings<M: Markup>(out: &mut String, list: &[FindingRow], level: usize) {
    M::open(out, "class=\"findings\"", level, "Findings");
    if list.is_empty() {
        M::para(out, false, &[lit("No findings.")]);
    } else {
        M::table(out, &Table::findings(list));
    }
    M::close(out);
}

fn diagnosis<M: Markup>(out: &mut String, d: &Diagnosis) {
    M::open(out, "id=\"diagnosis\"", 2, "Diagnosis");
    if let Some(e) = &d.error {
        let said = [lit("The error you saw: "), Inline::Value(e.input.clone())];
        M::para(out, false, &said);
        let codes: Vec<Item> = e
            .codes
            .iter()
            .map(|c| {
                Item::line(vec![
                    Inline::Value(c.display.clone()),
                    lit(": "),
                    txt(&c.meaning),
                ])
            })
            .collect();
        if !codes.is_empty() {
            M::list(out, &codes);
        }
    }
    if d.causes.is_empty() {
        M::para(out, false, &[lit("No known cause matches the evidence.")]);
    }
    for (i, c) in d.causes.iter().enumerate() {
        M::heading(
            out,
            3,
            &[Inline::Lit(format!("{}. ", i + 1)), txt(&c.title)],
        );
        let tag = [
            Inline::Lit(format!("{} confidence · ", c.confidence)),
            Inline::Code(c.id.clone()),
        ];
        M::para(out, true, &tag);
        let Some(detail) = &c.detail else { continue };
        let mut evidence: Vec<Item> = Vec::new();
        for e in &detail.evidence_for {
            evidence.push(Item::line(vec![
                lit("for: "),
                Inline::Code(e.finding.clone()),
                Inline::Lit(format!(" ({:+.2}, ", e.weight)),
                txt(&e.why.line),
                lit("): "),
                txt(&e.summary.line),
            ]));
        }
        for e in &detail.evidence_against {
            evidence.push(Item::line(vec![
                lit("against: "),
                Inline::Code(e.finding.clone()),
                Inline::Lit(format!(" (×{}): ", e.factor)),
                txt(&e.why.line),
            ]));
        }
        if !evidence.is_empty() {
            M::list(out, &evidence);
        }
        if !detail.confirm.is_empty() {
            M::para(out, false, &[Inline::Strong("Confirm:")]);
            let steps: Vec<Item> = detail
                .confirm
                .iter()
                .map(|s| Item {
                    line: vec![txt(&s.how)],
                    command: s.command.clone(),
                })
                .collect();
            M::list(out, &steps);
        }
        if !detail.fixes.is_empty() {
            M::para(out, false, &[Inline::Strong("Fixes:")]);
            for f in &detail.fixes {
                M::para(out, false, &[Inline::Raw(M::fix_title(f))]);
                fix_body::<M>(out, f);
            }
        }
    }
    if d.hidden > 0 {
        let more = [
            Inline::Lit(format!("{} less likely causes: see ", d.hidden)),
            Inline::Code("--format json".to_owned()),
            lit("."),
        ];
        M::para(out, true, &more);
    }
    M::close(out);
}

fn clients<M: Markup>(out: &mut String, list: &[ClientRow]) {
    if list.is_empty() {
        return;
    }
    M::open(out, "id=\"clients\"", 2, "Clients");
    M::table(out, &Table::clients(list));
    M::close(out);
}

/// The evidence from the wire: when, how long, the stages, the paths.
fn wire<M: Markup>(out: &mut String, subject: &str, w: &Wire) {
    M::open(out, "id=\"wire\"", 2, "Evidence from the wire");
    let limit = if w.ceiling_hit {
        " (stopped at the overall time limit)"
    } else {
        ""
    };
    let when = [
        lit("Probe of "),
        txt(subject),
        lit(" started "),
        txt(&w.started_at),
        Inline::Lit(format!(", took {:.0} ms{limit}.", w.took_ms)),
    ];
    M::para(out, true, &when);
    M::sections(out, &w.sections, true);
    if !w.paths.is_empty() {
        M::heading(out, 3, &[lit("A client forcing a security mode")]);
        M::table(out, &Table::paths(&w.paths));
    }
    M::close(out);
}

/// The evidence from the host: its title, the sources, its state.
fn host<M: Markup>(out: &mut String, h: &Host) {
    M::open(out, "id=\"host\"", 2, "Evidence from the host");
    M::para(out, false, &[txt(&h.title)]);
    M::table(out, &Table::sources(&h.sources));
    M::sections(out, &h.sections, true);
    M::close(out);
}

/// The evidence from a capture: the file, its notes, the connections, the
/// one the findings are about, what a capture cannot show.
fn capture<M: Markup>(out: &mut String, c: &Capture) {
    M::open(out, "id=\"capture\"", 2, "Evidence from the capture");
    M::para(out, false, &[txt(&c.title)]);
    for n in &c.notes {
        M::para(out, true, &[txt(n)]);
    }
    M::sections(out, &c.sections, true);
    M::para(out, true, &[lit(c.limits)]);
    M::close(out);
}
