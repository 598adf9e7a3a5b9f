//! Whole-output snapshots: every format of the probe and scan reports, on
//! fixed evidence, compared byte for byte with the files in
//! `tests/snapshots/` (expect-test).
//!
//! A diff in those files is a visible layout change: name it in review.
//! After a deliberate change, rewrite them and read the diff:
//!
//! ```text
//! UPDATE_EXPECT=1 cargo test -p rdpdoctor-render --test snapshots
//! ```
//!
//! The evidence is fixed (`rdpdoctor_testkit::reports`: the real report of
//! an emulated Windows host, varied field by field, and hand-built ones), so nothing here depends on the clock, the tool's version or timing:
//! a test that can fail only when the layout changes.

use rdpdoctor_diagnose::{Context, Evidence, HostInput, Judgement, UserCodes, judge, read_codes};
use rdpdoctor_evidence::ProbeReport;
use rdpdoctor_evidence::host::HostEvidence;
use rdpdoctor_render::fleet::{HostRow, Summary, csv_header, csv_row};
use rdpdoctor_render::{Style, head, html, markdown, metrics, outline, text};
use rdpdoctor_testkit::reports::*;

/// "Now" for the host evidence: 2026-09-21, after the hive was written.
const NOW: i64 = 1_790_000_000;

// The error the user gave (`--error`) for `judgement`, when any.
thread_local! {
    static USER_ERROR: std::cell::Cell<Option<&'static str>> = const { std::cell::Cell::new(None) };
}

/// The one place these tests call the engine.
fn judgement(r: &ProbeReport, host: Option<&HostEvidence>, ctx: &Context) -> Judgement {
    let input = host.map(|evidence| HostInput {
        evidence,
        now_unix: NOW,
    });
    let said = USER_ERROR.with(std::cell::Cell::get);
    let read = said.map(|s| read_codes(s).expect("a known error"));
    let codes = said
        .zip(read.as_ref())
        .map(|(input, explanation)| UserCodes { input, explanation });
    judge(&Evidence::wire(r).with_host(input).with_codes(codes), ctx)
}

/// Compares `actual` with `tests/snapshots/NAME` (rewritten with
/// UPDATE_EXPECT=1; the tool's version and the HTML style sheet replaced).
#[track_caller]
fn snapshot(name: &str, actual: &str) {
    rdpdoctor_testkit::snapshot::check_in(env!("CARGO_MANIFEST_DIR"), name, actual);
}

/// Every format `rdpdoctor probe` writes for `r`, under `name.*`.
fn probe_formats(name: &str, r: &ProbeReport, host: Option<&HostEvidence>, ctx: &Context) {
    let j = judgement(r, host, ctx);
    let style = Style::PLAIN;
    // The text report as `probe` assembles it: head, stages, host, diagnosis.
    let head = head::head(r, &j, &style);
    let mut body = vec![text::probe_report(r, &j, &style)];
    if let Some(h) = host {
        body.push(rdpdoctor_render::host::host_report(h, &j, &style));
    }
    snapshot(&format!("{name}.brief.txt"), &head::brief(head.clone(), &j));
    snapshot(
        &format!("{name}.txt"),
        &rdpdoctor_render::text_report(head.clone(), &body, &j, &style),
    );
    let title = outline::probe_title(r);
    snapshot(&format!("{name}.brief.md"), &markdown::answer(&title, &j));
    snapshot(&format!("{name}.md"), &markdown::probe_report(r, &j, host));
    snapshot(&format!("{name}.html"), &html::probe_report(r, &j, host));
    let mut v = rdpdoctor_render::probe_json(r, &j);
    if let (Some(h), Some(obj)) = (host, v.as_object_mut()) {
        obj.insert("host".into(), serde_json::to_value(h).unwrap());
    }
    snapshot(&format!("{name}.json"), &rdpdoctor_render::json(&v));
    snapshot(&format!("{name}.prom"), &metrics::probe_metrics(r, &j));
}

/// `--brief --format html`: the answer alone, as a page (the same head as the
/// full page's, so one report shows it).
#[test]
fn html_answer_page() {
    let r = closed_port();
    let j = judgement(&r, None, &Context::default());
    let page = html::answer(&outline::probe_title(&r), &j);
    snapshot("probe/closed-port.brief.html", &page);
}

#[test]
fn probe_healthy_nla_host() {
    probe_formats(
        "probe/healthy-nla",
        &healthy_nla(),
        None,
        &Context::default(),
    );
}

#[test]
fn probe_nla_optional_recorded() {
    probe_formats(
        "probe/nla-optional",
        &nla_optional(),
        None,
        &Context::default(),
    );
}

#[test]
fn probe_expired_self_signed_certificate() {
    probe_formats(
        "probe/expired-self-signed",
        &expired_self_signed(),
        None,
        &Context::default(),
    );
}

#[test]
fn probe_closed_port() {
    probe_formats(
        "probe/closed-port",
        &closed_port(),
        None,
        &Context::default(),
    );
}

#[test]
fn probe_standard_rdp_security_fips() {
    probe_formats(
        "probe/rdp-security-fips",
        &rdp_security_fips(),
        None,
        &Context::default(),
    );
}

#[test]
fn probe_with_the_users_error_0x904_0x7() {
    USER_ERROR.with(|e| e.set(Some("0x904:0x7")));
    probe_formats(
        "probe/error-0x904-0x7",
        &healthy_nla(),
        None,
        &Context::default(),
    );
}

#[test]
fn probe_with_host_evidence() {
    probe_formats(
        "probe/with-host",
        &nla_optional(),
        Some(&host_system()),
        &Context::default(),
    );
}

/// Every format `rdpdoctor scan` writes at its end or line by line.
#[test]
fn scan_over_four_hosts() {
    let reports = [
        healthy_nla(),
        expired_self_signed(),
        closed_port(),
        rdp_security_fips(),
    ];
    let judgements: Vec<Judgement> = reports
        .iter()
        .map(|r| judgement(r, None, &Context::default()))
        .collect();
    let rows: Vec<HostRow<'_>> = reports
        .iter()
        .zip(&judgements)
        .map(|(report, judgement)| HostRow {
            input: &report.target.input,
            report,
            judgement,
        })
        .collect();
    let mut summary = Summary::new();
    let mut csv = csv_header();
    for row in &rows {
        summary.add(row);
        csv.push_str(&csv_row(row));
        // Invariant 9: a healthy host has no "most likely cause" in any
        // fleet format, whatever its warnings rank.
        if row.judgement.verdict == rdpdoctor_diagnose::Verdict::Healthy {
            assert_eq!(row.top_cause(), None, "{}", row.input);
            let line = csv_row(row);
            let top_cause_cell = line.trim_end().rsplit(',').nth(1);
            assert_eq!(top_cause_cell, Some(""), "{line}");
        }
    }
    snapshot("scan/summary.txt", &summary.render(&Style::PLAIN));
    // RFC 4180 rows end in CRLF; expect-test reads files with LF only.
    assert_eq!(
        csv.matches("\r\n").count(),
        csv.matches('\n').count(),
        "{csv:?}"
    );
    snapshot("scan/hosts.csv", &csv.replace("\r\n", "\n"));
    snapshot("scan/fleet.md", &markdown::fleet(&rows));
    snapshot("scan/fleet.html", &html::fleet(&rows));
}

/// The fixed reports stand for what their names say: a "healthy" one that
/// stopped being healthy would make every snapshot of it a lie.
#[test]
fn the_fixed_reports_are_what_their_names_say() {
    let verdict =
        |r: &ProbeReport| format!("{:?}", judgement(r, None, &Context::default()).verdict);
    assert_eq!(verdict(&healthy_nla()), "Healthy");
    assert_eq!(verdict(&closed_port()), "Unreachable");
    assert_eq!(verdict(&rdp_security_fips()), "SomeClientsFail");
    let expired = judgement(&expired_self_signed(), None, &Context::default());
    assert!(
        expired
            .findings
            .iter()
            .any(|f| f.id.name() == "cert-expired"),
        "{:?}",
        expired.findings
    );
}
