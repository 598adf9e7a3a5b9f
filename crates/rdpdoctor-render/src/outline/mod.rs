//! A report's sections as data, laid out by every format (text, Markdown,
//! HTML): one entry per probe stage or per part of the host's state, each
//! with its mark (from the findings of that stage), a one-line summary and
//! detail lines.
//!
//! Every string in here is already neutralised for a terminal
//! ([`crate::safe`]): control and bidi characters are visible escapes and
//! each value is capped. Formats with a syntax of their own (Markdown, HTML)
//! escape that syntax on top.

mod capture;
mod gateway;
mod host;
mod kerberos;
mod kerberos_start;
mod probe;

pub use capture::{
    CAPTURE_LIMITS, capture_notes, capture_sections, capture_subject, capture_title,
};
pub use host::{SourceMark, SourceRow, host_sections, host_title, sources};
pub use probe::{probe_sections, probe_title};

use rdpdoctor_diagnose::{Judgement, Severity};

/// The user's client paired with the server (`--client-evidence`): a
/// section when the pair said anything, its summary the most severe
/// finding's, the others under it.
pub fn both_ends(j: &Judgement) -> Option<Section> {
    let stage = rdpdoctor_diagnose::Section::BothEnds;
    let mut pair = j.findings.iter().filter(|f| f.id.section() == stage);
    let first = pair.next()?;
    let mut d = Builder::new(j);
    d.section(stage, &crate::text::summary(first));
    for f in pair {
        d.detail(&crate::text::summary(f));
    }
    d.finish().pop()
}

/// How a section went: from the worst finding of its stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// Ran; no warn or fail finding.
    Ok,
    /// Ran; its worst finding is a warning.
    Warn,
    /// Ran; its worst finding is a failure.
    Fail,
    /// Did not run (or had nothing to look at).
    Skipped,
}

impl Mark {
    /// The tag the text report shows: `ok`, `warn`, `FAIL`, `--`.
    pub fn tag(self) -> &'static str {
        match self {
            Mark::Ok => "ok",
            Mark::Warn => "warn",
            Mark::Fail => "FAIL",
            Mark::Skipped => "--",
        }
    }
}

/// One stage of a probe, or one part of the host's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// `DNS`, `TCP`, … `settings`, `firewall`, ….
    pub name: String,
    /// How it went.
    pub mark: Mark,
    /// One line: what was found (or why the stage did not run).
    pub summary: String,
    /// Lines under it.
    pub details: Vec<String>,
}

/// Collects sections; the mark of each comes from the findings.
pub(crate) struct Builder<'a> {
    judgement: &'a Judgement,
    sections: Vec<Section>,
}

impl<'a> Builder<'a> {
    pub(crate) fn new(judgement: &'a Judgement) -> Self {
        Builder {
            judgement,
            sections: Vec::new(),
        }
    }

    /// The worst warn or fail finding of `stage` ([`rdpdoctor_diagnose::FindingId::section`]).
    fn worst(&self, stage: rdpdoctor_diagnose::Section) -> Option<Severity> {
        self.judgement
            .findings
            .iter()
            .filter(|f| f.id.section() == stage && f.severity > Severity::Info)
            .map(|f| f.severity)
            .max()
    }

    /// A section for the findings stage `stage` (a host stage is shown
    /// without its `Host ` prefix). `ran` false: skipped, `summary` says why.
    pub(crate) fn stage(&mut self, stage: rdpdoctor_diagnose::Section, ran: bool, summary: &str) {
        self.stage_also(stage, &[], ran, summary);
    }

    /// [`Self::stage`], marked by the worst finding of `stage` and of the
    /// sections in `also` (a capture's connection whose findings are the
    /// RD Gateway's).
    pub(crate) fn stage_also(
        &mut self,
        stage: rdpdoctor_diagnose::Section,
        also: &[rdpdoctor_diagnose::Section],
        ran: bool,
        summary: &str,
    ) {
        let worst = also
            .iter()
            .map(|s| self.worst(*s))
            .fold(self.worst(stage), Option::max);
        let mark = if !ran {
            Mark::Skipped
        } else {
            match worst {
                Some(Severity::Fail) => Mark::Fail,
                Some(Severity::Warn) => Mark::Warn,
                _ => Mark::Ok,
            }
        };
        self.sections.push(Section {
            name: stage.title().trim_start_matches("Host ").to_owned(),
            mark,
            summary: summary.to_owned(),
            details: Vec::new(),
        });
    }

    /// A host section that ran.
    pub(crate) fn section(&mut self, stage: rdpdoctor_diagnose::Section, summary: &str) {
        self.stage(stage, true, summary);
    }

    /// A host section with nothing to look at.
    pub(crate) fn skipped(&mut self, stage: rdpdoctor_diagnose::Section, why: &str) {
        self.stage(stage, false, why);
    }

    /// A detail line under the last section.
    pub(crate) fn detail(&mut self, text: &str) {
        if let Some(s) = self.sections.last_mut() {
            s.details.push(text.to_owned());
        }
    }

    pub(crate) fn finish(self) -> Vec<Section> {
        self.sections
    }
}
