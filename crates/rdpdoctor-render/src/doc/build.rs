//! The report model built from a judgement and its evidence.

use super::*;
use crate::fleet::HostRow;
use crate::safe::{sentence, term};
use rdpdoctor_diagnose::Judgement;
use rdpdoctor_evidence::ProbeReport;
use rdpdoctor_evidence::host::HostEvidence;
use rdpdoctor_kb::{FixKind, Platform};

/// How many causes every format shows in full; the rest get one line each.
pub(crate) const FULL_CAUSES: usize = 3;
/// How many causes a report for people lists at most.
const MAX_LISTED: usize = 5;

/// The report of `rdpdoctor probe`, with the host's state when
/// `--host-evidence` gave one.
pub fn probe(r: &ProbeReport, j: &Judgement, host: Option<&HostEvidence>) -> Report {
    let mut doc = report(crate::outline::probe_title(r), j);
    doc.wire = Some(Wire {
        started_at: term(&r.started_at),
        took_ms: r.timings.total_ms,
        ceiling_hit: r.timings.ceiling_hit,
        sections: crate::outline::probe_sections(r, j)
            .into_iter()
            .chain(crate::outline::both_ends(j))
            .collect(),
        paths: paths(j),
    });
    doc.host = host.map(|h| host_part(h, j));
    doc
}

/// The report of `rdpdoctor inspect`.
pub fn inspect(h: &HostEvidence, j: &Judgement, inspected_at: &str) -> Report {
    let mut doc = report(crate::host::subject(h), j);
    let mut host = host_part(h, j);
    host.sections.extend(crate::outline::both_ends(j));
    doc.host = Some(host);
    doc.inspected_at = Some(term(inspected_at));
    doc
}

/// The report of `rdpdoctor inspect CAPTURE`, beside the host's state when
/// host sources were given too (then `inspected_at` says when).
pub fn capture(
    cap: &rdpdoctor_evidence::CaptureEvidence,
    host: Option<&HostEvidence>,
    j: &Judgement,
    inspected_at: Option<&str>,
) -> Report {
    let subject = match host {
        Some(h) => crate::host::subject(h),
        None => crate::outline::capture_subject(cap),
    };
    let mut doc = report(subject, j);
    doc.capture = Some(Capture {
        title: crate::outline::capture_title(cap),
        notes: crate::outline::capture_notes(cap),
        sections: crate::outline::capture_sections(cap, j),
        limits: crate::outline::CAPTURE_LIMITS,
    });
    doc.host = host.map(|h| {
        let mut part = host_part(h, j);
        part.sections.extend(crate::outline::both_ends(j));
        part
    });
    doc.inspected_at = inspected_at.map(term);
    doc
}

/// A fleet: the hosts worst first (each with its place in the input).
pub fn fleet(rows: &[HostRow<'_>]) -> Fleet {
    Fleet {
        hosts: rows.len(),
        counts: crate::fleet::verdict_counts(rows),
        rows: crate::fleet::worst_first(rows)
            .into_iter()
            .map(|(place, r)| FleetRow {
                place,
                input: term(r.input),
                cause: r.top_cause().map(|(t, c)| (t.to_owned(), c.name())),
                key_findings: r.key_findings(crate::fleet::KEY_FINDINGS),
                answer: answer(r.judgement),
                findings: findings(r.judgement),
                sections: crate::outline::probe_sections(r.report, r.judgement),
            })
            .collect(),
    }
}

fn report(subject: String, j: &Judgement) -> Report {
    Report {
        subject,
        answer: answer(j),
        findings: findings(j),
        diagnosis: diagnosis(&j.diagnosis, j.verdict),
        clients: clients(&j.diagnosis),
        wire: None,
        host: None,
        inspected_at: None,
        capture: None,
    }
}

/// The answer alone (`--brief`).
pub fn answer(j: &Judgement) -> Answer {
    let a = crate::head::Answer::of(j);
    Answer {
        verdict: a.verdict,
        no_fix: a.no_fix(),
        label: a.verdict_label,
        headline: Quoted::sentence(a.headline),
        error_check: a
            .error_check
            .map(|c| Quoted::sentence(&format!("Note: {c}"))),
        first_fix: a.first_fix.map(|f| fix(&f.fix)),
        server: a.server,
        fails: a.fails,
        warns: a.warns,
    }
}

fn findings(j: &Judgement) -> Vec<FindingRow> {
    j.findings.iter().map(FindingRow::of).collect()
}

impl FindingRow {
    /// A finding as every format shows it.
    pub fn of(f: &rdpdoctor_diagnose::Finding) -> Self {
        FindingRow {
            severity: f.severity,
            id: f.id.name(),
            summary: crate::text::summary(f),
        }
    }
}

/// The diagnosis: the causes worth reading (up to [`MAX_LISTED`], none that
/// weighs less than a tenth of the first; JSON has them all), the first
/// [`FULL_CAUSES`] with their evidence, the first with how to confirm and
/// fix it.
pub fn diagnosis(d: &rdpdoctor_diagnose::Diagnosis, verdict: Verdict) -> Diagnosis {
    let top = d.causes.first().map_or(0.0, |c| c.score);
    let causes: Vec<Cause> = d
        .causes
        .iter()
        .take(MAX_LISTED)
        .filter(|c| c.score >= top * 0.1)
        .enumerate()
        .map(|(i, c)| Cause {
            title: c.title.clone(),
            id: c.id.clone(),
            confidence: c.confidence.name(),
            detail: (i < FULL_CAUSES).then(|| CauseDetail {
                evidence_for: c
                    .evidence_for
                    .iter()
                    .map(|e| For {
                        finding: match &e.qualifier {
                            Some(q) => format!("{}/{q}", e.finding),
                            None => e.finding.to_string(),
                        },
                        weight: e.weight,
                        why: Quoted::sentence(&e.why),
                        summary: Quoted::sentence(&e.summary),
                    })
                    .collect(),
                evidence_against: c
                    .evidence_against
                    .iter()
                    .map(|e| Against {
                        finding: e.finding.to_string(),
                        factor: e.factor,
                        why: Quoted::sentence(&e.why),
                    })
                    .collect(),
                confirm: if i == 0 {
                    confirm(&c.confirm)
                } else {
                    Vec::new()
                },
                fixes: if i == 0 {
                    c.fixes.iter().map(fix).collect()
                } else {
                    Vec::new()
                },
            }),
        })
        .collect();
    Diagnosis {
        verdict,
        headline: Quoted::sentence(&d.headline),
        error: d.error.as_ref().map(|e| UserError {
            input: term(&e.input),
            codes: e
                .codes
                .iter()
                .map(|c| CodeLine {
                    display: crate::safe::line(&c.display, MAX_TEXT),
                    meaning: crate::safe::line(&c.meaning, MAX_TEXT),
                    term: sentence(&format!("{}: {}", c.display, c.meaning)),
                })
                .collect(),
        }),
        hidden: d.causes.len() - causes.len(),
        causes,
        clients: clients(d),
    }
}

/// Confirm steps, as the knowledge base writes them.
pub(crate) fn confirm(steps: &[rdpdoctor_kb::ConfirmStep]) -> Vec<Confirm> {
    steps
        .iter()
        .map(|s| Confirm {
            how: s.how.clone(),
            command: s.command.clone(),
        })
        .collect()
}

/// A fix, as the knowledge base writes it.
pub(crate) fn fix(f: &rdpdoctor_kb::Fix) -> Fix {
    Fix {
        kind: kind(f.kind),
        title: f.title.clone(),
        weakens_security: f.weakens_security,
        path: f.path.clone(),
        command: f.command.clone(),
        lang: match (f.kind, f.platform) {
            (_, Some(Platform::Xrdp | Platform::Freerdp)) => "sh",
            (FixKind::Powershell, _) => "powershell",
            (FixKind::Cmd, _) => "bat",
            (FixKind::Azure, _) => "sh",
            _ => "text",
        },
        steps: f.steps.clone(),
        undo: f.undo.clone(),
        undo_is_command: matches!(f.kind, FixKind::Cmd | FixKind::Powershell | FixKind::Azure),
    }
}

fn kind(k: FixKind) -> &'static str {
    match k {
        FixKind::Gui => "GUI",
        FixKind::Powershell => "PowerShell",
        FixKind::Cmd => "cmd",
        FixKind::GroupPolicy => "Group Policy",
        FixKind::Azure => "Azure",
        FixKind::ClientSwitch => "client",
    }
}

fn clients(d: &rdpdoctor_diagnose::Diagnosis) -> Vec<ClientRow> {
    d.clients
        .iter()
        .map(|p| ClientRow {
            name: p.name.clone(),
            verdict: p.verdict,
            reason: Quoted::sentence(&p.reason),
            fix: p.fix.as_deref().map(Quoted::sentence),
        })
        .collect()
}

fn paths(j: &Judgement) -> Vec<PathRow> {
    j.security_paths
        .iter()
        .map(|p| PathRow {
            mode: rdpdoctor_diagnose::paths::client_switch(p.protocol),
            gets_through: p.gets_through,
            reason: Quoted::sentence(&p.reason),
        })
        .collect()
}

fn host_part(h: &HostEvidence, j: &Judgement) -> Host {
    Host {
        title: crate::outline::host_title(h),
        sources: crate::outline::sources(h),
        sections: crate::outline::host_sections(h, j),
    }
}
