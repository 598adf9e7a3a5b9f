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

use crate::fleet::HostRow;
use crate::head::Answer;
use crate::outline::{Mark, Section, SourceMark};
use escape::{code, fence, text, value};
use rdpdoctor_diagnose::{ClientVerdict, Judgement, Severity};
use rdpdoctor_evidence::ProbeReport;
use rdpdoctor_evidence::host::HostEvidence;
use rdpdoctor_kb::{Fix, FixKind, Platform};
use std::fmt::Write;

use crate::diagnosis::FULL_CAUSES;

/// The answer alone (`--brief`): the verdict, the most likely cause, the fix
/// to try first. `subject` names what was diagnosed, already neutralised
/// ([`crate::outline::probe_title`], [`crate::host::subject`]).
pub fn answer(subject: &str, j: &Judgement) -> String {
    let mut out = String::new();
    answer_into(&mut out, "#", subject, j);
    out
}

/// `rdpdoctor probe --format markdown`, with the host's state when
/// `--host-evidence` gave one.
pub fn probe_report(r: &ProbeReport, j: &Judgement, host: Option<&HostEvidence>) -> String {
    let mut out = String::new();
    let title = crate::outline::probe_title(r);
    answer_into(&mut out, "#", &title, j);
    body(&mut out, j);
    let _ = writeln!(out, "## Evidence from the wire\n");
    let _ = writeln!(
        out,
        "Probe of {} started {}, took {:.0} ms{}.\n",
        text(&title),
        value(&r.started_at),
        r.timings.total_ms,
        if r.timings.ceiling_hit {
            " (stopped at the overall time limit)"
        } else {
            ""
        }
    );
    sections(&mut out, &crate::outline::probe_sections(r, j), true);
    paths(&mut out, j);
    if let Some(h) = host {
        host_evidence(&mut out, h, j, "## Evidence from the host");
    }
    footer(&mut out);
    out
}

/// `rdpdoctor inspect --format markdown`.
pub fn inspect_report(h: &HostEvidence, j: &Judgement, inspected_at: &str) -> String {
    let mut out = String::new();
    answer_into(&mut out, "#", &crate::host::subject(h), j);
    body(&mut out, j);
    host_evidence(&mut out, h, j, "## Evidence from the host");
    let _ = writeln!(out, "Inspected {}.\n", value(inspected_at));
    footer(&mut out);
    out
}

/// A fleet (`rdpdoctor scan --format markdown`): how many hosts have each
/// verdict, a table of the hosts worst first, then a section per host with
/// its answer, findings and stages.
pub fn fleet(rows: &[HostRow<'_>]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# rdpdoctor scan: {}\n", plural(rows.len(), "host"));
    let counts: Vec<String> = crate::fleet::verdict_counts(rows)
        .iter()
        .map(|(v, n)| format!("{n} {}", v.name()))
        .collect();
    if !counts.is_empty() {
        let _ = writeln!(out, "**{}**\n", counts.join(" · "));
    }
    let ordered = crate::fleet::worst_first(rows);
    if !ordered.is_empty() {
        let _ = writeln!(
            out,
            "| # | host | verdict | most likely cause | confidence | key findings |"
        );
        let _ = writeln!(out, "|---:|---|---|---|---|---|");
        for (n, r) in &ordered {
            let (cause, confidence) = match r.top_cause() {
                Some((t, c)) => (text(t), c.name()),
                None => ("—".to_owned(), "—"),
            };
            let findings: Vec<String> = r
                .key_findings(crate::fleet::KEY_FINDINGS)
                .iter()
                .map(|id| format!("`{id}`"))
                .collect();
            let _ = writeln!(
                out,
                "| {n} | {} | **{}** | {cause} | {confidence} | {} |",
                value(r.input),
                crate::head::verdict_label(r.judgement.verdict),
                findings.join(", ")
            );
        }
        out.push('\n');
    }
    for (n, r) in &ordered {
        let subject = format!("{n}. {}", crate::safe::term(r.input));
        answer_into(&mut out, "##", &subject, r.judgement);
        findings(&mut out, &r.judgement.findings, "###");
        let _ = writeln!(out, "### Stages\n");
        sections(
            &mut out,
            &crate::outline::probe_sections(r.report, r.judgement),
            false,
        );
    }
    footer(&mut out);
    out
}

/// The heading with the verdict, the headline, the fix to try first with
/// its command, and the server. `subject` is already neutralised.
fn answer_into(out: &mut String, level: &str, subject: &str, j: &Judgement) {
    let a = Answer::of(j);
    let _ = writeln!(out, "{level} {}: {}\n", text(subject), a.verdict_label);
    let _ = writeln!(out, "{}\n", text(a.headline));
    match a.first_fix {
        Some(f) => {
            let _ = writeln!(out, "**Try first:** {}\n", fix_title(&f.fix));
            fix_body(out, &f.fix);
        }
        None => {
            let _ = writeln!(out, "**Try first:** {}\n", a.no_fix());
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

/// `[PowerShell] Title (weakens security)`.
fn fix_title(f: &Fix) -> String {
    format!(
        "\\[{}\\] {}{}",
        crate::diagnosis::kind(f.kind),
        text(&f.title),
        if f.weakens_security {
            " — *weakens security: see undo*"
        } else {
            ""
        }
    )
}

/// A fix's GUI path, command, steps and undo.
fn fix_body(out: &mut String, f: &Fix) {
    if let Some(p) = &f.path {
        let _ = writeln!(out, "Where: {}\n", code(p));
    }
    if let Some(c) = &f.command {
        out.push_str(&fence(lang(f), c));
        out.push('\n');
    }
    for s in &f.steps {
        let _ = writeln!(out, "- {}", text(s));
    }
    if !f.steps.is_empty() {
        out.push('\n');
    }
    if let Some(u) = &f.undo {
        let _ = writeln!(out, "Undo: {}\n", text(u));
    }
}

/// The fence's language: what the command is written in.
fn lang(f: &Fix) -> &'static str {
    match (f.kind, f.platform) {
        (_, Some(Platform::Xrdp | Platform::Freerdp)) => "sh",
        (FixKind::Powershell, _) => "powershell",
        (FixKind::Cmd, _) => "bat",
        (FixKind::Azure, _) => "sh",
        _ => "text",
    }
}

/// Findings, the diagnosis and the clients.
fn body(out: &mut String, j: &Judgement) {
    findings(out, &j.findings, "##");
    diagnosis(out, j);
    clients(out, j);
}

fn findings(out: &mut String, list: &[rdpdoctor_diagnose::Finding], level: &str) {
    if list.is_empty() {
        let _ = writeln!(out, "{level} Findings\n\nNo findings.\n");
        return;
    }
    let _ = writeln!(out, "{level} Findings\n");
    let _ = writeln!(out, "| severity | finding | what was seen |");
    let _ = writeln!(out, "|---|---|---|");
    for f in list {
        let sev = match f.severity {
            Severity::Fail => "**FAIL**",
            Severity::Warn => "warn",
            Severity::Info => "info",
        };
        let _ = writeln!(
            out,
            "| {sev} | `{}` | {} |",
            f.id.name(),
            text(&crate::text::summary(f))
        );
    }
    out.push('\n');
}

fn diagnosis(out: &mut String, j: &Judgement) {
    let d = &j.diagnosis;
    let _ = writeln!(out, "## Diagnosis\n");
    if let Some(e) = &d.error {
        let _ = writeln!(out, "The error you saw: {}\n", value(&e.input));
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
    // The causes worth reading: none that weighs less than a tenth of the
    // first (as in the text report). JSON has them all.
    let shown = crate::diagnosis::shown_causes(d);
    for (i, c) in shown.iter().enumerate() {
        let _ = writeln!(
            out,
            "### {}. {}\n\n{} confidence · `{}`\n",
            i + 1,
            text(&c.title),
            c.confidence.name(),
            c.id
        );
        if i >= FULL_CAUSES {
            continue;
        }
        for e in &c.evidence_for {
            let q = e
                .qualifier
                .as_deref()
                .map(|q| format!("/{q}"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "- for: {} ({:+.2}, {}): {}",
                code(&format!("{}{q}", e.finding)),
                e.weight,
                text(&e.why),
                text(&e.summary)
            );
        }
        for e in &c.evidence_against {
            let _ = writeln!(
                out,
                "- against: {} (×{}): {}",
                code(&e.finding),
                e.factor,
                text(&e.why)
            );
        }
        if !c.evidence_for.is_empty() || !c.evidence_against.is_empty() {
            out.push('\n');
        }
        if i == 0 {
            if !c.confirm.is_empty() {
                let _ = writeln!(out, "**Confirm:**\n");
                for s in &c.confirm {
                    let _ = writeln!(out, "- {}", text(&s.how));
                    if let Some(cmd) = &s.command {
                        out.push('\n');
                        out.push_str(&fence("text", cmd));
                        out.push('\n');
                    }
                }
                out.push('\n');
            }
            if !c.fixes.is_empty() {
                let _ = writeln!(out, "**Fixes:**\n");
                for f in &c.fixes {
                    let _ = writeln!(out, "{}\n", fix_title(f));
                    fix_body(out, f);
                }
            }
        }
    }
    if d.causes.len() > shown.len() {
        let _ = writeln!(
            out,
            "{} less likely causes: see `--format json`.\n",
            d.causes.len() - shown.len()
        );
    }
}

fn clients(out: &mut String, j: &Judgement) {
    let list = &j.diagnosis.clients;
    if list.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Clients\n");
    let _ = writeln!(out, "| client | prediction | why | what to do |");
    let _ = writeln!(out, "|---|---|---|---|");
    for p in list {
        let v = match p.verdict {
            ClientVerdict::Connects => "connects",
            ClientVerdict::Warns => "warns",
            ClientVerdict::Fails => "**fails**",
            ClientVerdict::Unknown => "unknown",
        };
        let _ = writeln!(
            out,
            "| {} | {v} | {} | {} |",
            text(&p.name),
            text(&p.reason),
            p.fix.as_deref().map(text).unwrap_or_default()
        );
    }
    out.push('\n');
}

fn paths(out: &mut String, j: &Judgement) {
    if j.security_paths.is_empty() {
        return;
    }
    let _ = writeln!(out, "### A client forcing a security mode\n");
    let _ = writeln!(out, "| mode | gets through | why |");
    let _ = writeln!(out, "|---|---|---|");
    for p in &j.security_paths {
        let v = match p.gets_through {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "unknown",
        };
        let _ = writeln!(
            out,
            "| `{}` | {v} | {} |",
            rdpdoctor_diagnose::paths::client_switch(p.protocol),
            text(&p.reason)
        );
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

fn host_evidence(out: &mut String, h: &HostEvidence, j: &Judgement, heading: &str) {
    let _ = writeln!(out, "{heading}\n");
    let _ = writeln!(out, "{}\n", text(&crate::outline::host_title(h)));
    let _ = writeln!(out, "| source | kind | path | problem |");
    let _ = writeln!(out, "|---|---|---|---|");
    for s in crate::outline::sources(h) {
        let m = match s.mark {
            SourceMark::Read => "read",
            SourceMark::Partial => "**partial**",
            SourceMark::Unread => "**unread**",
        };
        let _ = writeln!(
            out,
            "| {m} | {} | {} | {} |",
            text(&s.kind),
            text(&s.path),
            text(&s.problem)
        );
    }
    out.push('\n');
    sections(out, &crate::outline::host_sections(h, j), true);
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
