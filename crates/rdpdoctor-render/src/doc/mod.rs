//! A report as data, built once from the judgement (and the evidence it
//! judged): the answer, the findings, the causes with their evidence for and
//! against, the fixes with their commands and undo, the client table, the
//! wire's stages and the host's sources and sections. Text, Markdown and
//! HTML are layouts of it ([`crate::diagnosis`], [`crate::markdown`],
//! [`crate::html`]); JSON and metrics come from the judgement itself.
//!
//! Every string here is neutralised ([`crate::safe`]) or is the knowledge
//! base's own text (titles, commands, steps, undo: shown as written, with
//! markup escaped by the layout). Text that quotes a server or a file and
//! that the terminal and the markup layouts show differently is a
//! [`Quoted`], which holds both forms.

mod build;
mod explain;
mod markup;
mod table;

pub(crate) use build::{FULL_CAUSES, confirm, fix};
pub use build::{answer, capture, diagnosis, fleet, inspect, probe};
pub use explain::{Code, Explained, ExplainedCause, ExplainedDetail, explain};
pub(crate) use explain::{NO_CAUSE, PROBE_HINT, share};
pub(crate) use markup::{Inline, Item, Markup, findings, fix_body};
pub use table::{Cell, Table, Tone};

use crate::outline::{Section, SourceRow};
use rdpdoctor_diagnose::{ClientVerdict, Severity, Verdict};

/// The longest text a markup layout keeps of one string (sentences are
/// capped shorter; this is the net).
pub(crate) const MAX_TEXT: usize = 2_000;

/// Text that may quote a server or a file, neutralised for each kind of
/// layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quoted {
    /// As a terminal shows it: [`crate::safe::sentence`] (a backslash
    /// doubled, so that no escape shown is one the server wrote).
    pub term: String,
    /// For Markdown and HTML, which escape their own syntax on top:
    /// [`crate::safe::line`] (a backslash kept single).
    pub line: String,
}

impl Quoted {
    /// `s` neutralised both ways, as a sentence.
    pub fn sentence(s: &str) -> Self {
        Quoted {
            term: crate::safe::sentence(s),
            line: crate::safe::line(s, MAX_TEXT),
        }
    }
}

/// A whole report of one host: `probe`, `inspect`.
#[derive(Debug, Clone)]
pub struct Report {
    /// What was diagnosed, neutralised: `host:port`, a computer name.
    pub subject: String,
    /// The answer first.
    pub answer: Answer,
    /// The findings, most severe first.
    pub findings: Vec<FindingRow>,
    /// The causes and the error the user saw.
    pub diagnosis: Diagnosis,
    /// The client table.
    pub clients: Vec<ClientRow>,
    /// What the wire showed (`probe`).
    pub wire: Option<Wire>,
    /// What the host's own state showed (`inspect`, `probe --host-evidence`).
    pub host: Option<Host>,
    /// When the host was inspected (`inspect`).
    pub inspected_at: Option<String>,
    /// What a packet capture showed (`inspect CAPTURE`).
    pub capture: Option<Capture>,
}

/// What a packet capture showed: the file, the connections in it, the one
/// the findings are about ([`crate::outline::capture_sections`]).
#[derive(Debug, Clone)]
pub struct Capture {
    /// `name (pcap, 658 packets, 2 RDP connection(s))`, neutralised.
    pub title: String,
    /// How reading went (a cut file, connections not tracked), neutralised.
    pub notes: Vec<String>,
    /// The connections, then the one the findings are about.
    pub sections: Vec<Section>,
    /// What a capture cannot show.
    pub limits: &'static str,
}

/// The answer a report starts with: the verdict, the headline, the fix to
/// try first, the server.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The verdict.
    pub verdict: Verdict,
    /// `NO CLIENT CONNECTS`.
    pub label: String,
    /// The most likely cause with its confidence, or that nothing is wrong.
    pub headline: Quoted,
    /// When the error the user gave does not fit what the probe saw.
    pub error_check: Option<Quoted>,
    /// The fix to try first.
    pub first_fix: Option<Fix>,
    /// What to do when there is no fix to try first.
    pub no_fix: &'static str,
    /// The server implementation and its version (neutralised).
    pub server: String,
    /// Fail findings.
    pub fails: usize,
    /// Warn findings.
    pub warns: usize,
}

/// One finding.
#[derive(Debug, Clone)]
pub struct FindingRow {
    /// How bad.
    pub severity: Severity,
    /// The stable id: `cert-expired`.
    pub id: &'static str,
    /// What was seen (neutralised: [`crate::text::summary`]).
    pub summary: String,
}

/// The diagnosis: the error the user saw, the causes worth reading.
#[derive(Debug, Clone)]
pub struct Diagnosis {
    /// The verdict (the headline's colour).
    pub verdict: Verdict,
    /// The headline.
    pub headline: Quoted,
    /// The error the user gave (`--error`).
    pub error: Option<UserError>,
    /// The causes shown, most likely first.
    pub causes: Vec<Cause>,
    /// How many less likely causes are not shown (JSON has them).
    pub hidden: usize,
    /// The client predictions.
    pub clients: Vec<ClientRow>,
}

/// The error the user gave, with what each code in it means.
#[derive(Debug, Clone)]
pub struct UserError {
    /// What the user typed, [`crate::safe::term`].
    pub input: String,
    /// Each code recognised.
    pub codes: Vec<CodeLine>,
}

/// One code of the user's error.
#[derive(Debug, Clone)]
pub struct CodeLine {
    /// `0x904`, for markup ([`crate::safe::line`]).
    pub display: String,
    /// What it means, for markup.
    pub meaning: String,
    /// `display: meaning` as a terminal shows it.
    pub term: String,
}

/// A cause worth reading.
#[derive(Debug, Clone)]
pub struct Cause {
    /// Its title.
    pub title: String,
    /// Its id: `cert-expired-or-invalid`.
    pub id: String,
    /// `high`, `medium`, `low`.
    pub confidence: &'static str,
    /// The evidence, confirm steps and fixes: only for the first causes.
    pub detail: Option<CauseDetail>,
}

/// What a cause rests on, and (for the most likely one) how to confirm and
/// fix it.
#[derive(Debug, Clone)]
pub struct CauseDetail {
    /// Evidence for it.
    pub evidence_for: Vec<For>,
    /// Evidence against it.
    pub evidence_against: Vec<Against>,
    /// How to confirm it (the most likely cause only).
    pub confirm: Vec<Confirm>,
    /// How to fix it (the most likely cause only).
    pub fixes: Vec<Fix>,
}

/// A finding that speaks for a cause.
#[derive(Debug, Clone)]
pub struct For {
    /// `finding` or `finding/qualifier`.
    pub finding: String,
    /// Its weight.
    pub weight: f64,
    /// Why it speaks for the cause.
    pub why: Quoted,
    /// What was seen.
    pub summary: Quoted,
}

/// A finding that speaks against a cause.
#[derive(Debug, Clone)]
pub struct Against {
    /// The finding.
    pub finding: String,
    /// The factor it multiplies the score by.
    pub factor: f64,
    /// Why.
    pub why: Quoted,
}

/// A confirm step.
#[derive(Debug, Clone)]
pub struct Confirm {
    /// What to do.
    pub how: String,
    /// The command, when there is one.
    pub command: Option<String>,
}

/// A fix: the knowledge base's text, shown as written.
#[derive(Debug, Clone)]
pub struct Fix {
    /// `PowerShell`, `GUI`, `Group Policy`, ….
    pub kind: &'static str,
    /// What the fix does.
    pub title: String,
    /// It weakens security (read its undo).
    pub weakens_security: bool,
    /// The GUI path.
    pub path: Option<String>,
    /// The command.
    pub command: Option<String>,
    /// What the command is written in (a Markdown fence's info string).
    pub lang: &'static str,
    /// Steps.
    pub steps: Vec<String>,
    /// How to undo it.
    pub undo: Option<String>,
    /// The undo is a command (the fix is one: cmd, PowerShell, Azure CLI),
    /// laid out as one; otherwise it is a sentence.
    pub undo_is_command: bool,
}

/// One client prediction.
#[derive(Debug, Clone)]
pub struct ClientRow {
    /// The client's name.
    pub name: String,
    /// Connects, warns, fails.
    pub verdict: ClientVerdict,
    /// Why.
    pub reason: Quoted,
    /// What to do.
    pub fix: Option<Quoted>,
}

/// What the wire showed.
#[derive(Debug, Clone)]
pub struct Wire {
    /// When the probe started (neutralised).
    pub started_at: String,
    /// How long it took.
    pub took_ms: f64,
    /// It stopped at the overall time limit.
    pub ceiling_hit: bool,
    /// One section per stage.
    pub sections: Vec<Section>,
    /// What a client forcing each security mode gets.
    pub paths: Vec<PathRow>,
}

/// A client forcing one security mode.
#[derive(Debug, Clone)]
pub struct PathRow {
    /// The client switch: `/sec:tls`.
    pub mode: &'static str,
    /// Whether it gets through.
    pub gets_through: Option<bool>,
    /// Why.
    pub reason: Quoted,
}

/// What the host's own state showed.
#[derive(Debug, Clone)]
pub struct Host {
    /// The host's title line (neutralised).
    pub title: String,
    /// The sources read.
    pub sources: Vec<SourceRow>,
    /// One section per part of its state.
    pub sections: Vec<Section>,
}

/// A fleet (`scan`): the hosts worst first.
#[derive(Debug, Clone)]
pub struct Fleet {
    /// How many hosts.
    pub hosts: usize,
    /// How many hosts have each verdict.
    pub counts: Vec<(Verdict, usize)>,
    /// The hosts, worst first.
    pub rows: Vec<FleetRow>,
}

/// One host of a fleet.
#[derive(Debug, Clone)]
pub struct FleetRow {
    /// Its place in the input, from 1.
    pub place: usize,
    /// The target as given ([`crate::safe::term`]).
    pub input: String,
    /// The most likely cause's title and confidence.
    pub cause: Option<(String, &'static str)>,
    /// The key findings' ids.
    pub key_findings: Vec<&'static str>,
    /// Its answer.
    pub answer: Answer,
    /// Its findings.
    pub findings: Vec<FindingRow>,
    /// Its stages.
    pub sections: Vec<Section>,
}

/// One part of a fix after its title, in the order every format shows them.
#[derive(Debug, Clone, Copy)]
pub(crate) enum FixPart<'a> {
    /// The GUI path.
    Path(&'a str),
    /// The command.
    Command(&'a str, &'static str),
    /// The steps (never empty).
    Steps(&'a [String]),
    /// How to undo it, in words.
    Undo(&'a str),
    /// How to undo it: a command in the fix's language.
    UndoCommand(&'a str, &'static str),
}

impl Fix {
    /// `[kind] title` and `weak` when the fix weakens security; `esc`
    /// escapes the title for the layout, `open` and `close` are its brackets.
    pub(crate) fn heading(
        &self,
        esc: fn(&str) -> String,
        (open, close): (&str, &str),
        weak: &str,
    ) -> String {
        let weak = if self.weakens_security { weak } else { "" };
        format!("{open}{}{close} {}{weak}", self.kind, esc(&self.title))
    }

    /// The path, the command, the steps and the undo, those it has.
    pub(crate) fn parts(&self) -> Vec<FixPart<'_>> {
        let mut parts = Vec::new();
        if let Some(p) = &self.path {
            parts.push(FixPart::Path(p));
        }
        if let Some(c) = &self.command {
            parts.push(FixPart::Command(c, self.lang));
        }
        if !self.steps.is_empty() {
            parts.push(FixPart::Steps(&self.steps));
        }
        match &self.undo {
            Some(u) if self.undo_is_command => parts.push(FixPart::UndoCommand(u, self.lang)),
            Some(u) => parts.push(FixPart::Undo(u)),
            None => {}
        }
        parts
    }
}
