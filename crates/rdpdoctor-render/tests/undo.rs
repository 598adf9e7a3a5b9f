//! The undo of a command fix is a command in every format: its lines kept
//! apart and its text as typed. The fix that re-enables TLS 1.0 on a
//! Windows client (shown for mstsc on Windows 7) undoes itself with two
//! `reg add` lines.

use rdpdoctor_diagnose::{ClientId, Context, Evidence, judge};
use rdpdoctor_evidence::ProbeReport;
use rdpdoctor_render::{Style, markdown, text_report};

const FIRST: &str = r#"reg add "HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.0\Client" /v Enabled /t REG_DWORD /d 0 /f"#;
const SECOND: &str = r#"reg add "HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.0\Client" /v DisabledByDefault /t REG_DWORD /d 1 /f"#;

fn win7_report() -> (ProbeReport, rdpdoctor_diagnose::Judgement) {
    let r: ProbeReport = serde_json::from_value(rdpdoctor_testkit::reports::recorded_probe_json())
        .expect("probe JSON");
    let ctx = Context {
        clients: vec![ClientId::from_id("mstsc-win7").expect("a client")],
        ..Context::default()
    };
    let j = judge(&Evidence::wire(&r), &ctx);
    (r, j)
}

#[test]
fn markdown_fences_a_command_undo_line_by_line() {
    let (r, j) = win7_report();
    let md = markdown::probe_report(&r, &j, None);
    let lines: Vec<&str> = md.lines().collect();
    let at = lines
        .iter()
        .position(|l| *l == FIRST)
        .unwrap_or_else(|| panic!("the undo's first command is not a line of its own:\n{md}"));
    assert_eq!(lines.get(at + 1), Some(&SECOND), "{md}");
    assert_eq!(lines.get(at - 1), Some(&"```bat"), "{md}");
    assert_eq!(lines.get(at - 3), Some(&"Undo:"), "{md}");
    assert!(!md.contains("Undo: reg"), "{md}");
}

#[test]
fn html_shows_a_command_undo_as_a_command() {
    let (r, j) = win7_report();
    let page = rdpdoctor_render::html::probe_report(&r, &j, None);
    let quoted = |s: &str| s.replace('"', "&quot;");
    let expected = format!(
        "<p>Undo:</p>\n<pre><code>{}\n{}</code></pre>",
        quoted(FIRST),
        quoted(SECOND)
    );
    assert!(page.contains(&expected), "{page}");
    assert!(!page.contains("/f\\nreg add"), "a literal \\n in the page");
}

#[test]
fn text_aligns_every_line_of_a_command_undo() {
    let (r, j) = win7_report();
    let head = rdpdoctor_render::head::head(&r, &j, &Style::PLAIN);
    let body = rdpdoctor_render::text::probe_report(&r, &j, &Style::PLAIN);
    let out = text_report(head, &[body], &j, &Style::PLAIN);
    let first = out
        .lines()
        .find(|l| l.ends_with(FIRST) && l.contains("undo: "))
        .unwrap_or_else(|| panic!("no undo line:\n{out}"));
    let second = out
        .lines()
        .find(|l| l.ends_with(SECOND) && !l.contains("reg add \"HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.2"))
        .unwrap_or_else(|| panic!("no second undo line:\n{out}"));
    assert_eq!(
        first.find("reg add"),
        second.find("reg add"),
        "the undo's second line is not under its first:\n{first}\n{second}"
    );
}
