//! The terminal report of `rdpdoctor inspect CAPTURE`: a layout of
//! [`crate::doc::capture`], whose sections
//! ([`crate::outline::capture_sections`]) Markdown and HTML lay out too.
//! Everything read from the file (cookies, SNI, certificate names, the file
//! name itself) is neutralised there, through [`crate::safe`].

use std::fmt::Write;

use crate::Style;
use rdpdoctor_diagnose::Judgement;
use rdpdoctor_evidence::CaptureEvidence;

/// What an inspect report of a capture is called: the file's name.
pub fn subject(cap: &CaptureEvidence) -> String {
    crate::outline::capture_subject(cap)
}

/// The capture part of a report, without the head and the diagnosis; the
/// findings too unless another part lists them (`with_findings`).
pub fn capture_report(
    cap: &CaptureEvidence,
    j: &Judgement,
    with_findings: bool,
    style: &Style,
) -> String {
    let doc = crate::doc::capture(cap, None, j, None);
    let mut out = String::new();
    let Some(c) = &doc.capture else {
        return out;
    };
    let _ = writeln!(out, "{} {}", style.bold("rdpdoctor inspect"), c.title);
    for n in &c.notes {
        let _ = writeln!(out, "  {n}");
    }
    let _ = writeln!(out);
    crate::text::sections(&mut out, &c.sections, style);
    let _ = writeln!(out);
    let _ = writeln!(out, "  {}", c.limits);
    if !with_findings {
        return out;
    }
    let _ = writeln!(out);
    crate::text::findings_into(&mut out, &doc.findings, style);
    out
}
