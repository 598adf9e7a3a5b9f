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
//! The evidence is fixed (the real report of an emulated Windows host in
//! `tests/data/probe-healthy-nla.json`, varied field by field, and hand-built
//! ones), so nothing here depends on the clock, the tool's version or timing:
//! a test that can fail only when the layout changes.

use expect_test::expect_file;
use rdpdoctor_diagnose::{Context, HostInput, Judgement, judge_with_host};
use rdpdoctor_evidence::host::HostEvidence;
use rdpdoctor_evidence::*;
use rdpdoctor_render::fleet::{HostRow, Summary, csv_header, csv_row};
use rdpdoctor_render::{Style, head, html, markdown, metrics, outline, text};
use serde_json::{Value, json};
use std::path::Path;

/// "Now" for the host evidence: 2026-09-21, after the hive was written.
const NOW: i64 = 1_790_000_000;

/// The one place these tests call the engine (its entry points are about to
/// become one `judge(&Evidence, &Context)`).
fn judgement(r: &ProbeReport, host: Option<&HostEvidence>, ctx: &Context) -> Judgement {
    let input = host.map(|evidence| HostInput {
        evidence,
        now_unix: NOW,
    });
    judge_with_host(r, input, ctx).expect("the context is valid")
}

/// Compares `actual` with `tests/snapshots/NAME` (rewritten with
/// UPDATE_EXPECT=1), after [`fixed`].
fn snapshot(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    expect_file![path].assert_eq(&fixed(actual));
}

/// What may vary without a layout change, replaced: the tool's version, and
/// an HTML page's style sheet (`src/html/style.css`, the same in every page;
/// each page keeps the CSP line that names its hash).
fn fixed(actual: &str) -> String {
    let out = actual.replace(
        &format!("rdpdoctor {}", env!("CARGO_PKG_VERSION")),
        "rdpdoctor VERSION",
    );
    match (out.find("<style>"), out.find("</style>")) {
        (Some(a), Some(b)) if a < b => {
            format!(
                "{}<style>…</style>{}",
                &out[..a],
                &out[b + "</style>".len()..]
            )
        }
        _ => out,
    }
}

fn healthy_json() -> Value {
    serde_json::from_str(include_str!("data/probe-healthy-nla.json")).expect("probe JSON")
}

fn host_evidence() -> HostEvidence {
    serde_json::from_str(include_str!("data/host-system.json")).expect("host JSON")
}

/// The healthy report with its target renamed and `change` applied.
fn variant(input: &str, change: impl FnOnce(&mut Value)) -> ProbeReport {
    let mut v = healthy_json();
    let (host, port) = input.rsplit_once(':').expect("HOST:PORT");
    v["target"] = json!({
        "input": input, "host": host, "port": port.parse::<u16>().unwrap(), "host_is_ip": false,
    });
    change(&mut v);
    serde_json::from_value(v).expect("still a ProbeReport")
}

/// A Windows host as the emulator served it (recorded): every protocol
/// selected (NLA optional), a self-signed certificate.
fn nla_optional() -> ProbeReport {
    serde_json::from_value(healthy_json()).expect("a ProbeReport")
}

/// A healthy Windows host: NLA required (every request without HYBRID gets
/// HYBRID_REQUIRED_BY_SERVER), a certificate from the domain's CA.
fn healthy_nla() -> ProbeReport {
    variant("win-rdp01.corp.example:3389", |v| {
        for a in v["negotiation"]["attempts"].as_array_mut().unwrap() {
            let bits = a["requested"]["bits"].as_u64();
            if bits.is_none_or(|b| b & 2 == 0) {
                a["outcome"] =
                    json!({ "kind": "failure", "code": 5, "name": "HYBRID_REQUIRED_BY_SERVER" });
            }
        }
        let c = &mut v["certificate"];
        c["issuer"] = json!("CN=corp-CA, DC=corp, DC=example");
        c["self_signed"] = json!(false);
        c["subject_alt_names"] = json!(["WIN-RDP01.corp.example", "win-rdp01.corp.example"]);
        c["matches_target"] = json!(true);
        // No Standard RDP Security and no logon screen without NLA.
        v["rdp_security"] = Value::Null;
        v["deep"] = Value::Null;
        let t = v["timings"]["stages_ms"].as_object_mut().unwrap();
        t.remove("rdp-security");
        t.remove("deep");
    })
}

/// The same host with a self-signed certificate that expired 41 days ago.
fn expired_self_signed() -> ProbeReport {
    variant("win-expired.corp.example:3389", |v| {
        let c = &mut v["certificate"];
        c["not_before"] = json!("2025-10-16T06:42:37Z");
        c["not_after"] = json!("2026-10-16T06:42:37Z");
        c["not_before_unix"] = json!(1_760_596_957);
        c["not_after_unix"] = json!(1_792_132_957);
        c["days_left"] = json!(-41);
        c["expired"] = json!(true);
        c["self_signed"] = json!(true);
    })
}

/// Nothing listens: every connect refused.
fn closed_port() -> ProbeReport {
    let mut r = ProbeReport::new(
        Target {
            input: "rdp-closed.example.com".into(),
            host: "rdp-closed.example.com".into(),
            port: 3389,
            host_is_ip: false,
        },
        "test",
        "2026-11-26T00:00:00Z".into(),
    );
    r.addresses.resolved = vec!["192.0.2.7".parse().unwrap()];
    r.addresses.used = Some("192.0.2.7".parse().unwrap());
    r.tcp = Some(TcpEvidence {
        state: PortState::Refused,
        samples: vec![ConnectSample {
            connected: false,
            elapsed_ms: 0.4,
            error: Some("refused".into()),
        }],
        rtt_ms: None,
        failures: 1,
        first_response: None,
        other_protocol: None,
    });
    r.timings.total_ms = 3.0;
    r.timings.stages_ms.insert(Stage::Dns, 1.0);
    r.timings.stages_ms.insert(Stage::Tcp, 0.4);
    r
}

/// xrdp with `security_layer=rdp` and `crypt_level=fips`: RDP selected for
/// every request, only the FIPS method accepted; no TLS, no CredSSP.
fn rdp_security_fips() -> ProbeReport {
    variant("xrdp-fips.example.com:3389", |v| {
        for a in v["negotiation"]["attempts"].as_array_mut().unwrap() {
            if a["requested"]["bits"].is_null() {
                continue;
            }
            a["outcome"] = json!({
                "kind": "selected",
                "protocol": { "bits": 0, "protocols": ["rdp"] },
                "flags": 0,
                "flag_names": [],
            });
        }
        for k in ["tls", "certificate", "credssp", "ntlm", "deep"] {
            v[k] = Value::Null;
        }
        let refused = |name: &str, bits: u32| {
            json!({ "offered": [name], "offered_bits": bits,
                    "outcome": { "kind": "refused", "detail": "the server closed the connection" } })
        };
        let fips =
            json!({ "kind": "accepted", "encryption_method": "fips", "encryption_level": "fips" });
        let s = &mut v["rdp_security"];
        s["offers"] = json!([
            refused("40-bit", 1),
            refused("56-bit", 8),
            refused("128-bit", 2),
            { "offered": ["fips"], "offered_bits": 16, "outcome": fips },
            { "offered": ["40-bit", "128-bit", "56-bit", "fips"], "offered_bits": 27, "outcome": fips },
        ]);
        s["encryption_level"] = json!("fips");
        s["server_rdp_version"] = json!(524292);
        s["server_rdp_version_name"] = json!("RDP 5.0");
        let t = v["timings"]["stages_ms"].as_object_mut().unwrap();
        for k in ["tls", "credssp", "deep"] {
            t.remove(k);
        }
    })
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
    snapshot(&format!("{name}.brief.txt"), &head);
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
    let ctx = Context {
        error: Some("0x904:0x7".into()),
        ..Context::default()
    };
    probe_formats("probe/error-0x904-0x7", &healthy_nla(), None, &ctx);
}

#[test]
fn probe_with_host_evidence() {
    probe_formats(
        "probe/with-host",
        &nla_optional(),
        Some(&host_evidence()),
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
