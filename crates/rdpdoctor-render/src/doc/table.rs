//! The report's tables as data: findings, clients, security paths, host
//! sources. Markdown and HTML each write a [`Table`] one way.

use super::{ClientRow, FindingRow, PathRow};
use crate::outline::{SourceMark, SourceRow};
use rdpdoctor_diagnose::{ClientVerdict, Severity};

/// How a mark reads: the class of its colour in HTML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Fine.
    Ok,
    /// To read.
    Warn,
    /// Fails.
    Fail,
    /// Not known, not run, or only for information.
    Skipped,
}

impl Tone {
    /// The HTML class: `ok`, `warn`, `fail`, `skipped`.
    pub fn class(self) -> &'static str {
        match self {
            Tone::Ok => "ok",
            Tone::Warn => "warn",
            Tone::Fail => "fail",
            Tone::Skipped => "skipped",
        }
    }
}

/// One cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// Text (neutralised; the layout escapes its markup).
    Text(String),
    /// A path or an address: text in a monospaced font.
    Mono(String),
    /// One of our own ids or switches, shown as code as it is.
    Code(&'static str),
    /// A word that says how something went; `stress`: it stands out
    /// (bold in Markdown).
    Mark {
        /// Its colour.
        tone: Tone,
        /// `FAIL`, `fails`, `no`, `partial`.
        word: &'static str,
        /// It stands out.
        stress: bool,
    },
}

/// A table: an HTML class, the column names, the rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// The table's class in HTML.
    pub class: Option<&'static str>,
    /// The column names.
    pub columns: &'static [&'static str],
    /// The rows, one cell per column.
    pub rows: Vec<Vec<Cell>>,
}

fn mark(tone: Tone, word: &'static str, stress: bool) -> Cell {
    Cell::Mark { tone, word, stress }
}

impl Table {
    /// The findings: severity, id, what was seen.
    pub fn findings(list: &[FindingRow]) -> Table {
        Table {
            class: Some("findings"),
            columns: &["severity", "finding", "what was seen"],
            rows: list
                .iter()
                .map(|f| {
                    let severity = match f.severity {
                        Severity::Fail => mark(Tone::Fail, "FAIL", true),
                        Severity::Warn => mark(Tone::Warn, "warn", false),
                        Severity::Info => mark(Tone::Skipped, "info", false),
                    };
                    vec![severity, Cell::Code(f.id), Cell::Text(f.summary.clone())]
                })
                .collect(),
        }
    }

    /// The client predictions: client, prediction, why, what to do.
    pub fn clients(list: &[ClientRow]) -> Table {
        Table {
            class: None,
            columns: &["client", "prediction", "why", "what to do"],
            rows: list
                .iter()
                .map(|p| {
                    let verdict = match p.verdict {
                        ClientVerdict::Connects => mark(Tone::Ok, "connects", false),
                        ClientVerdict::Warns => mark(Tone::Warn, "warns", false),
                        ClientVerdict::Fails => mark(Tone::Fail, "fails", true),
                        ClientVerdict::Unknown => mark(Tone::Skipped, "unknown", false),
                    };
                    vec![
                        Cell::Text(p.name.clone()),
                        verdict,
                        Cell::Text(p.reason.line.clone()),
                        Cell::Text(p.fix.as_ref().map(|f| f.line.clone()).unwrap_or_default()),
                    ]
                })
                .collect(),
        }
    }

    /// A client forcing each security mode: mode, gets through, why.
    pub fn paths(list: &[PathRow]) -> Table {
        Table {
            class: None,
            columns: &["mode", "gets through", "why"],
            rows: list
                .iter()
                .map(|p| {
                    let through = match p.gets_through {
                        Some(true) => mark(Tone::Ok, "yes", false),
                        Some(false) => mark(Tone::Fail, "no", true),
                        None => mark(Tone::Skipped, "unknown", false),
                    };
                    vec![
                        Cell::Code(p.mode),
                        through,
                        Cell::Text(p.reason.line.clone()),
                    ]
                })
                .collect(),
        }
    }

    /// The host's sources: how read, kind, path, problem.
    pub fn sources(list: &[SourceRow]) -> Table {
        Table {
            class: Some("sources"),
            columns: &["source", "kind", "path", "problem"],
            rows: list
                .iter()
                .map(|s| {
                    let read = match s.mark {
                        SourceMark::Read => mark(Tone::Ok, "read", false),
                        SourceMark::Partial => mark(Tone::Warn, "partial", true),
                        SourceMark::Unread => mark(Tone::Fail, "unread", true),
                    };
                    vec![
                        read,
                        Cell::Text(s.kind.clone()),
                        Cell::Mono(s.path.clone()),
                        Cell::Text(s.problem.clone()),
                    ]
                })
                .collect(),
        }
    }
}
