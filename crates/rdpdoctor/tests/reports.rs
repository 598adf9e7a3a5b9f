//! `--format markdown` and `--format html` as a user runs them: the answer
//! first, `--output FILE`, `--brief`, and the commands that have no such
//! format saying so. (The reports in a browser: tests/browser.rs.)

use rdpdoctor_testkit::cli;
use rdpdoctor_testkit::host as hostkit;

use std::process::{Command, Output};

fn rdpdoctor(args: &[&str]) -> Output {
    let out = Command::new(cli::bin()).args(args).output().unwrap();
    assert_ne!(out.status.code(), Some(101), "panicked");
    out
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("UTF-8")
}

/// A port on 127.0.0.1 that nothing listens on.
fn closed_port() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let a = l.local_addr().unwrap().to_string();
    drop(l);
    a
}

#[test]
fn a_markdown_probe_starts_with_the_answer_and_its_command() {
    let target = closed_port();
    let out = rdpdoctor(&[
        "probe",
        &target,
        "--format",
        "markdown",
        "--samples",
        "1",
        "--no-reverse-dns",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let md = stdout(&out);
    let first = md.lines().next().unwrap();
    assert_eq!(first, format!("# {target}: UNREACHABLE"));
    // Within the first lines: the cause, then the fix with its command fenced.
    let head: Vec<&str> = md.lines().take(12).collect();
    assert!(head.iter().any(|l| l.starts_with("Most likely:")), "{md}");
    assert!(head.iter().any(|l| l.starts_with("**Try first:**")), "{md}");
    assert!(head.iter().any(|l| l.starts_with("```")), "{md}");
    assert!(md.contains("## Findings\n\n| severity | finding | what was seen |"));
    assert!(md.contains("`port-closed`"), "{md}");
}

#[test]
fn an_html_inspect_goes_to_the_output_file_whole() {
    let system = hostkit::hive("SYSTEM");
    let dir = hostkit::scratch("reports-html");
    let file = dir.join("report.html");
    let out = rdpdoctor(&[
        "inspect",
        system.to_str().unwrap(),
        "--format",
        "html",
        "-o",
        file.to_str().unwrap(),
    ]);
    assert!(out.stdout.is_empty());
    let html = std::fs::read_to_string(&file).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(html.ends_with("</html>\n"));
    assert!(html.contains("<span class=\"verdict\" id=\"verdict\">"));
    assert!(html.contains("WKS-WIN732BITA"));
    // Self-contained: nothing to fetch.
    for outside in ["src=", "http://", "https://", "@import", "url("] {
        assert!(!html.contains(outside), "{outside} in the page");
    }
    // The same verdict as the JSON, and the same exit status.
    let json = rdpdoctor(&["inspect", system.to_str().unwrap(), "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let verdict = v["verdict"]
        .as_str()
        .unwrap()
        .to_uppercase()
        .replace('-', " ");
    assert!(html.contains(&format!(" {verdict}</span>")), "{verdict}");
    assert_eq!(out.status.code(), json.status.code());
}

#[test]
fn brief_keeps_only_the_answer() {
    let system = hostkit::hive("SYSTEM");
    let md = stdout(&rdpdoctor(&[
        "inspect",
        system.to_str().unwrap(),
        "--format",
        "markdown",
        "--brief",
    ]));
    assert!(md.starts_with("# WKS-WIN732BITA: "), "{md}");
    assert!(!md.contains("## Findings"), "{md}");
    let html = stdout(&rdpdoctor(&[
        "inspect",
        system.to_str().unwrap(),
        "--format",
        "html",
        "--brief",
    ]));
    assert!(html.contains("id=\"verdict\"") && !html.contains("Findings</h2>"));
}

#[test]
fn demo_says_which_formats_it_has_and_explain_writes_every_format() {
    let out = rdpdoctor(&["demo", "--format", "markdown"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("text or json"), "{err}");
    // explain is laid out for a ticket too (whole pages in tests/snapshots.rs).
    let html = stdout(&rdpdoctor(&["explain", "0x904", "--format", "html"]));
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("Likely causes"));
    let md = stdout(&rdpdoctor(&["explain", "0x904", "--format", "markdown"]));
    assert!(md.starts_with("# rdpdoctor explain: 0x904"), "{md}");
}

#[test]
fn scan_writes_a_fleet_page_with_a_section_per_host_to_the_output_file() {
    // Two different closed ports: both bound at once, then freed (one after
    // the other, the system may hand out the same port twice).
    let (a, b) = {
        let l1 = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let l2 = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        (
            l1.local_addr().unwrap().to_string(),
            l2.local_addr().unwrap().to_string(),
        )
    };
    let dir = hostkit::scratch("reports-scan-html");
    let file = dir.join("fleet.html");
    let out = rdpdoctor(&[
        "scan",
        &a,
        &b,
        "--format",
        "html",
        "-o",
        file.to_str().unwrap(),
    ]);
    // Exit status by the worst verdict (unreachable); nothing on stdout.
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let html = std::fs::read_to_string(&file).unwrap();
    assert!(
        html.starts_with("<!DOCTYPE html>"),
        "no BOM, the page first"
    );
    assert_eq!(html.matches("<a href=\"#host-").count(), 2, "{html}");
    for i in 1..=2 {
        assert!(html.contains(&format!("id=\"host-{i}\"")), "{html}");
    }
    assert!(html.contains(&a) && html.contains(&b));

    // Markdown the same way: the fleet table has a row per host.
    let out = rdpdoctor(&["scan", &a, &b, "--format", "markdown"]);
    assert_eq!(out.status.code(), Some(1));
    let md = stdout(&out);
    assert!(md.starts_with("# rdpdoctor scan: 2 hosts"), "{md}");
    assert_eq!(md.matches("**UNREACHABLE**").count(), 2, "{md}");
}
