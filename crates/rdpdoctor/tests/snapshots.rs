//! Whole-output snapshots of what the binary assembles: `inspect` on the
//! real SYSTEM hive (text, Markdown, HTML, JSON) and `explain` (text, JSON),
//! compared byte for byte with the files in `tests/snapshots/` (expect-test).
//! The probe and scan formats are in rdpdoctor-render's tests/snapshots.rs.
//!
//! A diff in those files is a visible layout change: name it in review.
//! After a deliberate change, rewrite them and read the diff:
//!
//! ```text
//! UPDATE_EXPECT=1 cargo test -p rdpdoctor --test snapshots
//! ```
//!
//! `inspect` runs through the libraries as `inspect_cmd` does, with a fixed
//! "now" (the binary reads the clock) and the hive's path replaced in the
//! evidence (it differs between checkouts); `explain` runs the binary, with
//! the tool's version replaced.

use rdpdoctor_diagnose::{Context, Evidence, HostInput, Judgement, judge};
use rdpdoctor_evidence::host::HostEvidence;
use rdpdoctor_render::{Style, head, host, html, markdown};
use rdpdoctor_testkit::{cli, host::hive};

/// "Now" for the host evidence: 2030-03-17T17:46:40Z.
const NOW: i64 = 1_900_000_000;
const NOW_RFC3339: &str = "2030-03-17T17:46:40Z";
/// Where the hive is said to have been read from.
const SHOWN_PATH: &str = "/evidence/SYSTEM";

/// Compares `actual` with `tests/snapshots/NAME` (rewritten with
/// UPDATE_EXPECT=1; the tool's version and the HTML style sheet replaced).
#[track_caller]
fn snapshot(name: &str, actual: &str) {
    rdpdoctor_testkit::snapshot::check_in(env!("CARGO_MANIFEST_DIR"), name, actual);
}

/// The one place these tests call the engine.
fn judgement(h: &HostEvidence) -> Judgement {
    judge(
        &Evidence::host(HostInput {
            evidence: h,
            now_unix: NOW,
        }),
        &Context::default(),
    )
}

/// The real SYSTEM hive read at [`NOW`], its path shown as [`SHOWN_PATH`].
fn system_hive() -> HostEvidence {
    let path = hive("SYSTEM");
    let ev = rdpdoctor_host::inspect(
        std::slice::from_ref(&path),
        &rdpdoctor_host::InspectOptions {
            since_unix: None,
            now_unix: NOW,
        },
    );
    let json = serde_json::to_string(&ev)
        .unwrap()
        .replace(&path.display().to_string(), SHOWN_PATH);
    serde_json::from_str(&json).unwrap()
}

#[test]
fn inspect_of_the_real_system_hive() {
    let h = system_hive();
    assert!(h.anything_read(), "{:?}", h.sources);
    let j = judgement(&h);
    let style = Style::PLAIN;
    let subject = host::subject(&h);
    let head = head::head_of(&subject, &j, &style);
    snapshot("inspect/system.brief.txt", &head);
    let body = host::host_report(&h, &j, &style);
    snapshot(
        "inspect/system.txt",
        &rdpdoctor_render::text_report(head, &[body], &j, &style),
    );
    snapshot(
        "inspect/system.md",
        &markdown::inspect_report(&h, &j, NOW_RFC3339),
    );
    snapshot(
        "inspect/system.html",
        &html::inspect_report(&h, &j, NOW_RFC3339),
    );
    snapshot(
        "inspect/system.json",
        &rdpdoctor_render::json(&rdpdoctor_render::inspect_json(&h, &j, NOW_RFC3339)),
    );
}

/// `rdpdoctor explain ARGS` (text, then `--format json`), snapshotted as
/// `explain/NAME.txt` and `.json`.
fn explain(name: &str, args: &[&str]) {
    for (format, ext) in [("text", "txt"), ("json", "json")] {
        let mut all = vec!["explain", "--format", format, "--color", "never"];
        all.extend_from_slice(args);
        let (out, _) = cli::run_env(false, &all, &[("COLUMNS", "80"), ("NO_COLOR", "1")]);
        let stdout = String::from_utf8(out.stdout).expect("UTF-8");
        assert_eq!(
            out.status.code(),
            Some(0),
            "explain {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        snapshot(&format!("explain/{name}.{ext}"), &stdout);
    }
}

#[test]
fn explain_the_mstsc_pair_0x904_0x7() {
    explain("0x904-0x7", &["0x904", "0x7"]);
}

#[test]
fn explain_0x204() {
    explain("0x204", &["0x204"]);
}

#[test]
fn explain_an_errinfo_name() {
    explain(
        "errinfo-server-denied-connection",
        &["ERRINFO_SERVER_DENIED_CONNECTION"],
    );
}

#[test]
fn explain_a_pasted_dialog() {
    explain(
        "pasted-dialog",
        &[
            "An authentication error has occurred. The function requested is not supported. \
           Remote computer: rdp01.corp.example \
           This could be due to CredSSP encryption oracle remediation.",
        ],
    );
}

/// `explain` to paste into a ticket (Markdown, HTML) and `--brief`, laid out
/// from the same model as the text; what the user pasted is quoted, never
/// markup.
#[test]
fn explain_as_markdown_html_and_brief() {
    let run = |args: &[&str]| {
        let mut all = vec!["explain", "--color", "never"];
        all.extend_from_slice(args);
        let (out, _) = cli::run_env(false, &all, &[("COLUMNS", "80"), ("NO_COLOR", "1")]);
        assert_eq!(out.status.code(), Some(0), "explain {args:?}");
        String::from_utf8(out.stdout).expect("UTF-8")
    };
    let md = run(&["0x904", "0x7", "--format", "markdown"]);
    snapshot("explain/0x904-0x7.md", &md);
    snapshot(
        "explain/0x904-0x7.html",
        &run(&["0x904", "0x7", "--format", "html"]),
    );
    let brief = run(&["0x904", "0x7", "--brief"]);
    snapshot("explain/0x904-0x7-brief.txt", &brief);
    // The answer first, and the brief form has no fixes.
    assert!(
        md.lines()
            .nth(2)
            .is_some_and(|l| l.starts_with("**Most likely:**")),
        "{md}"
    );
    assert!(!brief.contains("Fix:") && brief.contains("1. "), "{brief}");

    let pasted = "0x904 <img src=x onerror=alert(1)> **bold** [link](http://x)";
    let html = run(&[pasted, "--format", "html"]);
    assert!(!html.contains("<img"), "{html}");
    let md = run(&[pasted, "--format", "markdown"]);
    assert!(
        !md.contains("**bold**") && !md.contains("[link](http"),
        "{md}"
    );
}

#[test]
fn explain_the_gateway_rap_denial() {
    explain("0x800759DA", &["0x800759DA"]);
}

#[test]
fn explain_a_gateway_event() {
    explain("gateway-event-304", &["gateway", "event", "304"]);
}
