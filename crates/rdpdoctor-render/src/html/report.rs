//! The parts of an HTML report: the answer, findings, diagnosis, clients,
//! stages, host evidence, and the fleet table.

use super::escape::{command, text, value};
use super::{badge, page, tone};
use crate::fleet::HostRow;
use crate::head::Answer;
use crate::outline::{Mark, Section, SourceMark};
use rdpdoctor_diagnose::{ClientVerdict, Finding, Judgement, Severity};
use rdpdoctor_evidence::ProbeReport;
use rdpdoctor_evidence::host::HostEvidence;
use rdpdoctor_kb::Fix;
use std::fmt::Write;

use crate::diagnosis::FULL_CAUSES;

/// The answer alone (`--brief`), as a page. `subject` is already
/// neutralised ([`crate::outline::probe_title`], [`crate::host::subject`]).
pub fn answer(subject: &str, j: &Judgement) -> String {
    let mut b = String::new();
    answer_into(&mut b, "h1", "verdict", subject, j);
    page(&title(subject, j), &b)
}

/// `rdpdoctor probe --format html`, with the host's state when
/// `--host-evidence` gave one.
pub fn probe_report(r: &ProbeReport, j: &Judgement, host: Option<&HostEvidence>) -> String {
    let subject = crate::outline::probe_title(r);
    let mut b = String::new();
    answer_into(&mut b, "h1", "verdict", &subject, j);
    body(&mut b, j, "h2");
    let _ = writeln!(
        b,
        "<section id=\"wire\">\n<h2>Evidence from the wire</h2>\n<p class=\"dim\">Probe of {} \
         started {}, took {:.0} ms{}.</p>",
        text(&subject),
        value(&r.started_at),
        r.timings.total_ms,
        if r.timings.ceiling_hit {
            " (stopped at the overall time limit)"
        } else {
            ""
        }
    );
    sections(&mut b, &crate::outline::probe_sections(r, j), true);
    paths(&mut b, j);
    b.push_str("</section>\n");
    if let Some(h) = host {
        host_evidence(&mut b, h, j);
    }
    page(&title(&subject, j), &b)
}

/// `rdpdoctor inspect --format html`.
pub fn inspect_report(h: &HostEvidence, j: &Judgement, inspected_at: &str) -> String {
    let subject = crate::host::subject(h);
    let mut b = String::new();
    answer_into(&mut b, "h1", "verdict", &subject, j);
    body(&mut b, j, "h2");
    host_evidence(&mut b, h, j);
    let _ = writeln!(b, "<p class=\"dim\">Inspected {}.</p>", value(inspected_at));
    page(&title(&subject, j), &b)
}

/// A fleet (`rdpdoctor scan --format html`): hosts per verdict, the table of
/// hosts worst first (each links to its section, `#host-N`, N its place in
/// the input), then a section per host: its answer, its findings, and its
/// stages folded.
pub fn fleet(rows: &[HostRow<'_>]) -> String {
    let mut b = String::new();
    let n = rows.len();
    let _ = writeln!(
        b,
        "<header class=\"fleet\">\n<h1>rdpdoctor scan: {n} host{}</h1>",
        if n == 1 { "" } else { "s" }
    );
    b.push_str("<ul class=\"counts\" id=\"counts\">\n");
    for (v, count) in crate::fleet::verdict_counts(rows) {
        let _ = writeln!(b, "<li>{} × {count}</li>", badge(v));
    }
    b.push_str("</ul>\n</header>\n");
    let ordered = crate::fleet::worst_first(rows);
    b.push_str(
        "<table id=\"hosts\">\n<thead><tr><th>#</th><th>host</th><th>verdict</th>\
         <th>most likely cause</th><th>confidence</th><th>key findings</th></tr></thead>\n<tbody>\n",
    );
    for (i, r) in &ordered {
        let (cause, confidence) = match r.top_cause() {
            Some((t, c)) => (text(t), c.name()),
            None => ("\u{2014}".to_owned(), "\u{2014}"),
        };
        let findings: Vec<String> = r
            .key_findings(crate::fleet::KEY_FINDINGS)
            .iter()
            .map(|id| format!("<code>{id}</code>"))
            .collect();
        let _ = writeln!(
            b,
            "<tr class=\"{}\"><td>{i}</td><td class=\"mono\"><a href=\"#host-{i}\">{}</a></td>\
             <td>{}</td><td>{cause}</td><td>{confidence}</td><td>{}</td></tr>",
            tone(r.judgement.verdict),
            value(r.input),
            badge(r.judgement.verdict),
            findings.join(" ")
        );
    }
    b.push_str("</tbody>\n</table>\n");
    for (i, r) in &ordered {
        let _ = writeln!(b, "<section class=\"host\" id=\"host-{i}\">");
        let subject = format!("{i}. {}", crate::safe::term(r.input));
        answer_into(&mut b, "h2", &format!("verdict-{i}"), &subject, r.judgement);
        findings(&mut b, &r.judgement.findings, "h3");
        b.push_str("<details>\n<summary>Stages</summary>\n");
        sections(
            &mut b,
            &crate::outline::probe_sections(r.report, r.judgement),
            true,
        );
        b.push_str("</details>\n<p class=\"back\"><a href=\"#hosts\">\u{2191} back to the table</a></p>\n</section>\n");
    }
    page(&format!("rdpdoctor scan: {n} hosts"), &b)
}

/// `host: VERDICT` for the page's title.
fn title(subject: &str, j: &Judgement) -> String {
    format!(
        "{}: {} \u{2014} rdpdoctor",
        text(subject),
        crate::head::verdict_label(j.verdict)
    )
}

/// The answer box: the verdict (`id`), the headline, the fix to try first
/// with its command, the server. `subject` is already neutralised.
fn answer_into(b: &mut String, h: &str, id: &str, subject: &str, j: &Judgement) {
    let a = Answer::of(j);
    let _ = writeln!(
        b,
        "<header class=\"answer {}\">\n<{h}><span class=\"verdict\" id=\"{id}\">{}</span> \
         <span class=\"subject\">{}</span></{h}>\n<p class=\"headline\">{}</p>",
        tone(a.verdict),
        badge(a.verdict),
        text(subject),
        text(a.headline)
    );
    match a.first_fix {
        Some(f) => {
            let _ = writeln!(
                b,
                "<div class=\"try-first\"><strong>Try first:</strong> {}",
                fix_title(&f.fix)
            );
            fix_body(b, &f.fix);
            b.push_str("</div>\n");
        }
        None => {
            let _ = writeln!(
                b,
                "<p class=\"try-first\"><strong>Try first:</strong> {}</p>",
                a.no_fix()
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

fn fix_title(f: &Fix) -> String {
    format!(
        "[{}] {}{}",
        crate::diagnosis::kind(f.kind),
        text(&f.title),
        if f.weakens_security {
            " <span class=\"weak\">(weakens security: see undo)</span>"
        } else {
            ""
        }
    )
}

fn fix_body(b: &mut String, f: &Fix) {
    if let Some(p) = &f.path {
        let _ = writeln!(b, "<p>Where: <code>{}</code></p>", text(p));
    }
    if let Some(c) = &f.command {
        let _ = writeln!(b, "<pre><code>{}</code></pre>", command(c));
    }
    if !f.steps.is_empty() {
        b.push_str("<ul>\n");
        for s in &f.steps {
            let _ = writeln!(b, "<li>{}</li>", text(s));
        }
        b.push_str("</ul>\n");
    }
    if let Some(u) = &f.undo {
        let _ = writeln!(b, "<p>Undo: {}</p>", text(u));
    }
}

fn body(b: &mut String, j: &Judgement, h: &str) {
    findings(b, &j.findings, h);
    diagnosis(b, j);
    clients(b, j);
}

fn findings(b: &mut String, list: &[Finding], h: &str) {
    let _ = writeln!(b, "<section class=\"findings\">\n<{h}>Findings</{h}>");
    if list.is_empty() {
        b.push_str("<p>No findings.</p>\n</section>\n");
        return;
    }
    b.push_str(
        "<table class=\"findings\">\n<thead><tr><th>severity</th><th>finding</th>\
         <th>what was seen</th></tr></thead>\n<tbody>\n",
    );
    for f in list {
        let (class, tag) = match f.severity {
            Severity::Fail => ("fail", "FAIL"),
            Severity::Warn => ("warn", "warn"),
            Severity::Info => ("skipped", "info"),
        };
        let _ = writeln!(
            b,
            "<tr><td class=\"mark {class}\">{tag}</td><td><code>{}</code></td><td>{}</td></tr>",
            f.id.name(),
            text(&crate::text::summary(f))
        );
    }
    b.push_str("</tbody>\n</table>\n</section>\n");
}

fn diagnosis(b: &mut String, j: &Judgement) {
    let d = &j.diagnosis;
    b.push_str("<section id=\"diagnosis\">\n<h2>Diagnosis</h2>\n");
    if let Some(e) = &d.error {
        let _ = writeln!(
            b,
            "<p>The error you saw: <code>{}</code></p>",
            value(&e.input)
        );
        if !e.codes.is_empty() {
            b.push_str("<ul>\n");
            for c in &e.codes {
                let _ = writeln!(
                    b,
                    "<li><code>{}</code>: {}</li>",
                    text(&c.display),
                    text(&c.meaning)
                );
            }
            b.push_str("</ul>\n");
        }
    }
    let shown = crate::diagnosis::shown_causes(d);
    if shown.is_empty() {
        b.push_str("<p>No known cause matches the evidence.</p>\n");
    }
    for (i, c) in shown.iter().enumerate() {
        let _ = writeln!(
            b,
            "<h3>{}. {}</h3>\n<p class=\"dim\">{} confidence · <code>{}</code></p>",
            i + 1,
            text(&c.title),
            c.confidence.name(),
            text(&c.id)
        );
        if i >= FULL_CAUSES {
            continue;
        }
        if !c.evidence_for.is_empty() || !c.evidence_against.is_empty() {
            b.push_str("<ul>\n");
            for e in &c.evidence_for {
                let q = e
                    .qualifier
                    .as_deref()
                    .map(|q| format!("/{q}"))
                    .unwrap_or_default();
                let _ = writeln!(
                    b,
                    "<li>for: <code>{}</code> ({:+.2}, {}): {}</li>",
                    text(&format!("{}{q}", e.finding)),
                    e.weight,
                    text(&e.why),
                    text(&e.summary)
                );
            }
            for e in &c.evidence_against {
                let _ = writeln!(
                    b,
                    "<li>against: <code>{}</code> (×{}): {}</li>",
                    text(&e.finding),
                    e.factor,
                    text(&e.why)
                );
            }
            b.push_str("</ul>\n");
        }
        if i == 0 {
            if !c.confirm.is_empty() {
                b.push_str("<p><strong>Confirm:</strong></p>\n<ul>\n");
                for s in &c.confirm {
                    let _ = write!(b, "<li>{}", text(&s.how));
                    if let Some(cmd) = &s.command {
                        let _ = write!(b, "<pre><code>{}</code></pre>", command(cmd));
                    }
                    b.push_str("</li>\n");
                }
                b.push_str("</ul>\n");
            }
            if !c.fixes.is_empty() {
                b.push_str("<p><strong>Fixes:</strong></p>\n");
                for f in &c.fixes {
                    let _ = writeln!(b, "<p>{}</p>", fix_title(f));
                    fix_body(b, f);
                }
            }
        }
    }
    if d.causes.len() > shown.len() {
        let _ = writeln!(
            b,
            "<p class=\"dim\">{} less likely causes: see <code>--format json</code>.</p>",
            d.causes.len() - shown.len()
        );
    }
    b.push_str("</section>\n");
}

fn clients(b: &mut String, j: &Judgement) {
    let list = &j.diagnosis.clients;
    if list.is_empty() {
        return;
    }
    b.push_str(
        "<section id=\"clients\">\n<h2>Clients</h2>\n<table>\n<thead><tr><th>client</th>\
         <th>prediction</th><th>why</th><th>what to do</th></tr></thead>\n<tbody>\n",
    );
    for p in list {
        let (class, v) = match p.verdict {
            ClientVerdict::Connects => ("ok", "connects"),
            ClientVerdict::Warns => ("warn", "warns"),
            ClientVerdict::Fails => ("fail", "fails"),
            ClientVerdict::Unknown => ("skipped", "unknown"),
        };
        let _ = writeln!(
            b,
            "<tr><td>{}</td><td class=\"mark {class}\">{v}</td><td>{}</td><td>{}</td></tr>",
            text(&p.name),
            text(&p.reason),
            p.fix.as_deref().map(text).unwrap_or_default()
        );
    }
    b.push_str("</tbody>\n</table>\n</section>\n");
}

fn paths(b: &mut String, j: &Judgement) {
    if j.security_paths.is_empty() {
        return;
    }
    b.push_str(
        "<h3>A client forcing a security mode</h3>\n<table>\n<thead><tr><th>mode</th>\
         <th>gets through</th><th>why</th></tr></thead>\n<tbody>\n",
    );
    for p in &j.security_paths {
        let (class, v) = match p.gets_through {
            Some(true) => ("ok", "yes"),
            Some(false) => ("fail", "no"),
            None => ("skipped", "unknown"),
        };
        let _ = writeln!(
            b,
            "<tr><td><code>{}</code></td><td class=\"mark {class}\">{v}</td><td>{}</td></tr>",
            rdpdoctor_diagnose::paths::client_switch(p.protocol),
            text(&p.reason)
        );
    }
    b.push_str("</tbody>\n</table>\n");
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

fn host_evidence(b: &mut String, h: &HostEvidence, j: &Judgement) {
    let _ = writeln!(
        b,
        "<section id=\"host\">\n<h2>Evidence from the host</h2>\n<p>{}</p>",
        text(&crate::outline::host_title(h))
    );
    b.push_str(
        "<table class=\"sources\">\n<thead><tr><th>source</th><th>kind</th><th>path</th>\
         <th>problem</th></tr></thead>\n<tbody>\n",
    );
    for s in crate::outline::sources(h) {
        let (class, m) = match s.mark {
            SourceMark::Read => ("ok", "read"),
            SourceMark::Partial => ("warn", "partial"),
            SourceMark::Unread => ("fail", "unread"),
        };
        let _ = writeln!(
            b,
            "<tr><td class=\"mark {class}\">{m}</td><td>{}</td><td class=\"mono\">{}</td><td>{}</td></tr>",
            text(&s.kind),
            text(&s.path),
            text(&s.problem)
        );
    }
    b.push_str("</tbody>\n</table>\n");
    sections(b, &crate::outline::host_sections(h, j), true);
    b.push_str("</section>\n");
}
