//! The Markdown and HTML fleet reports number each host by its place in the
//! input (`#host-N`), whatever order the probes finish in. Two peers on
//! 127.0.0.1: first a listener that accepts and never says a word (its
//! probe waits for the deadline), then a closed port (refused at once, so
//! its probe finishes first).

use std::net::TcpListener;
use std::process::Command;

fn scan(format: &str, targets: &[String]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_rdpdoctor"))
        .args([
            "scan",
            "--format",
            format,
            "--timeout",
            "1",
            "--samples",
            "1",
        ])
        .args(["--ceiling", "5", "--retries", "0"])
        .args(targets)
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

fn peers() -> (TcpListener, [String; 2]) {
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let targets = [silent.local_addr().unwrap().to_string(), closed.to_string()];
    (silent, targets)
}

#[test]
fn the_fleet_table_numbers_hosts_in_input_order() {
    let (_silent, [first, second]) = peers();
    let md = scan("markdown", &[first.clone(), second.clone()]);
    assert!(md.contains(&format!("| 1 | {first} |")), "{md}");
    assert!(md.contains(&format!("| 2 | {second} |")), "{md}");
    assert!(md.contains(&format!("## 2\\. {second}: ")), "{md}");

    let html = scan("html", &[first.clone(), second.clone()]);
    assert!(
        html.contains(&format!("<a href=\"#host-1\">{first}</a>")),
        "{html}"
    );
    assert!(
        html.contains(&format!("<a href=\"#host-2\">{second}</a>")),
        "{html}"
    );
}
