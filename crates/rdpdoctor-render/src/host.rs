//! The terminal report of `rdpdoctor inspect` (and the host section of
//! `probe --host-evidence`): what each source gave, the effective settings
//! with where they came from, and the event groups.
//!
//! Everything read from a hive, an export or an event log is as untrusted as
//! server text (a disk image can hold anything): it goes through
//! [`crate::safe`].

use crate::Style;
use crate::outline::SourceMark;
use crate::safe::term_max;
use rdpdoctor_diagnose::{Judgement, Severity};
use rdpdoctor_evidence::host::{HostEvidence, SourceStatus};
use std::fmt::Write;

/// What went wrong with a source, without the path the source's own
/// message may start with (the report names the path already).
pub fn problem(s: &rdpdoctor_evidence::host::HostSource) -> String {
    let p = match &s.status {
        SourceStatus::Read => return String::new(),
        SourceStatus::Partial { problem } | SourceStatus::Unusable { problem } => problem,
    };
    p.strip_prefix(&format!("{}: ", s.path))
        .unwrap_or(p)
        .to_owned()
}

/// What the subject of an inspect report is called: the computer name, or
/// "this host" when no source named it.
pub fn subject(h: &HostEvidence) -> String {
    match &h.identity.computer_name {
        Some(n) => term_max(&n.value, 64),
        None => "host evidence".to_owned(),
    }
}

/// The host part of a report, without the head and the diagnosis: a layout
/// of [`crate::doc::inspect`]'s host and findings.
pub fn host_report(h: &HostEvidence, j: &Judgement, style: &Style) -> String {
    let doc = crate::doc::inspect(h, j, "");
    let mut out = String::new();
    let Some(host) = &doc.host else {
        return out;
    };
    let _ = writeln!(out, "{} {}", style.bold("rdpdoctor inspect"), host.title);
    let _ = writeln!(out);

    // Sources.
    let _ = writeln!(out, "{}", style.bold("Sources"));
    for s in &host.sources {
        let (tag, note) = match s.mark {
            SourceMark::Read => (style.good("read   "), String::new()),
            SourceMark::Partial => (
                style.severity(Severity::Warn, "partial"),
                format!(": {}", s.problem),
            ),
            SourceMark::Unread => (
                style.severity(Severity::Fail, "unread "),
                format!(": {}", s.problem),
            ),
        };
        let _ = writeln!(out, "  {tag} {:<14} {}{note}", s.kind, s.path);
    }
    let _ = writeln!(out);
    crate::text::sections(&mut out, &host.sections, style);
    let _ = writeln!(out);
    crate::text::findings_into(&mut out, &doc.findings, style);
    out
}
