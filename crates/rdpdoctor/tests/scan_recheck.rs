//! `scan --retries`: a host that answered TCP and then timed out is probed
//! again after the main pass, and that report is the one written. Real peers
//! on 127.0.0.1: the emulator (in-process), one listener of it stalling its
//! first connections (`FaultConfig::stall_first`: it answers TCP, holds
//! those without a word, then serves as usual, as a server looks to a
//! scanner starved of CPU), one always silent, and a closed port.

#![cfg(feature = "lab")]

use rdpdoctor_emulator::{Fault, FaultConfig, RunningEmulator};
use rdpdoctor_testkit::cli::*;
use serde_json::Value;
use std::process::Command;

/// The peers, on one runtime, stopped on drop.
struct Peers {
    rt: tokio::runtime::Runtime,
    emus: Vec<RunningEmulator>,
    /// A port nothing listens on.
    closed: u16,
}

/// The healthy host's fault: X.224, TLS and CredSSP each answer.
const FAULT: Fault = Fault::HealthyNla;

/// Connections the stalling listener holds: the probe's TCP sample and two
/// X.224 requests of its first attempt (which makes 11 or more), none of the
/// re-check's.
const STALLED: usize = 3;

impl Peers {
    fn start() -> Peers {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let stalling = FaultConfig {
            stall_first: STALLED,
            ..FaultConfig::new(FAULT)
        };
        let emus = rt.block_on(async {
            let mut v = Vec::new();
            for cfg in [
                FaultConfig::new(FAULT),
                stalling,
                FaultConfig::new(Fault::Silent),
            ] {
                v.push(
                    rdpdoctor_emulator::spawn(cfg, "127.0.0.1:0".parse().unwrap())
                        .await
                        .unwrap(),
                );
            }
            v
        });
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Peers { rt, emus, closed }
    }

    /// healthy, stalling, silent, closed.
    fn targets(&self) -> [String; 4] {
        let a = |i: usize| self.emus[i].local_addr().to_string();
        [a(0), a(1), a(2), format!("127.0.0.1:{}", self.closed)]
    }
}

impl Drop for Peers {
    fn drop(&mut self) {
        for emu in self.emus.drain(..) {
            self.rt.block_on(emu.shutdown());
        }
    }
}

/// `scan` of the peers with short deadlines; (exit status, stdout).
fn scan(peers: &Peers, extra: &[&str]) -> (i32, String) {
    let out = Command::new(bin())
        .arg("scan")
        .args(peers.targets())
        .args(["--timeout", "1", "--ceiling", "8", "--rate", "0"])
        .args(extra)
        .output()
        .expect("run scan");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// What a user reads of a host: verdict, NLA verdict, findings above info, top cause.
fn outcome(j: &Value) -> (Value, Value, Vec<String>, Value) {
    let mut findings: Vec<String> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] != "info")
        .map(|f| format!("{} {}", f["id"], f["severity"]))
        .collect();
    findings.sort();
    (
        j["verdict"].clone(),
        j["security"]["nla"].clone(),
        findings,
        j["diagnosis"]["causes"][0]["id"].clone(),
    )
}

#[test]
fn a_host_that_stalls_its_first_handshakes_is_rechecked_and_gets_its_real_verdict() {
    let peers = Peers::start();
    let [healthy, stalling, silent, closed] = peers.targets();
    let resume =
        std::env::temp_dir().join(format!("rdpdoctor-recheck-{}.ndjson", std::process::id()));
    let _ = std::fs::remove_file(&resume);
    let (code, out) = scan(
        &peers,
        &["--format", "ndjson", "--resume", resume.to_str().unwrap()],
    );
    let resumed = std::fs::read_to_string(&resume).unwrap_or_default();
    let _ = std::fs::remove_file(&resume);
    let hosts = by_input(&out);
    assert_eq!(hosts.len(), 4, "one line per host:\n{out}");

    // The stalling host: re-checked, and judged as its healthy twin is.
    let h = &hosts[&healthy];
    let s = &hosts[&stalling];
    assert_eq!(s["attempts"], 2, "{s}");
    assert_eq!(
        outcome(s),
        outcome(h),
        "the re-check's verdict is the healthy twin's"
    );
    assert!(
        h.get("attempts").is_none(),
        "a host that answered in time is probed once: {h}"
    );
    assert_eq!(h["verdict"], "works-with-warnings", "{h}");

    // Always silent after TCP: re-checked once, and the timeout stands.
    let q = &hosts[&silent];
    assert_eq!(q["attempts"], 2, "{q}");
    assert_eq!(q["tcp"]["state"], "accepted-and-silent", "{q}");
    assert_ne!(q["verdict"], "healthy");

    // A closed port answered (refused) at once: nothing to re-check.
    let c = &hosts[&closed];
    assert!(c.get("attempts").is_none(), "{c}");
    assert_eq!(c["verdict"], "unreachable");
    assert_eq!(code, 1, "the worst final verdict decides the exit status");

    // --resume holds each host once, with its final report (a held host's
    // first report is written nowhere).
    let lines = by_input(&resumed);
    assert_eq!(resumed.lines().count(), 4, "{resumed}");
    assert_eq!(lines[&stalling]["attempts"], 2);
    assert_eq!(outcome(&lines[&stalling]), outcome(h));

    // The lines are what docs/rdpdoctor.schema.json says a report is.
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("docs/rdpdoctor.schema.json")).unwrap(),
    )
    .unwrap();
    let v = jsonschema::draft202012::new(&schema).expect("the schema compiles");
    for line in hosts.values() {
        let errs: Vec<String> = v.iter_errors(line).map(|e| e.to_string()).collect();
        assert!(errs.is_empty(), "{errs:?}");
    }
}

#[test]
fn without_retries_the_first_attempt_stands_and_says_so_nowhere() {
    let peers = Peers::start();
    let [healthy, stalling, silent, _] = peers.targets();
    let (_, out) = scan(&peers, &["--format", "ndjson", "--retries", "0"]);
    let hosts = by_input(&out);
    // The stall is real: without a re-check the host is judged on it.
    assert_ne!(
        outcome(&hosts[&stalling]),
        outcome(&hosts[&healthy]),
        "{}",
        hosts[&stalling]
    );
    for h in hosts.values() {
        assert!(h.get("attempts").is_none(), "{h}");
    }
    assert_eq!(hosts[&silent]["tcp"]["state"], "accepted-and-silent");
}

#[test]
fn the_text_summary_counts_the_rechecks_and_the_changed_verdicts() {
    let peers = Peers::start();
    let (code, out) = scan(&peers, &["--format", "text", "--color", "never"]);
    assert_eq!(code, 1, "{out}");
    // The stalling host answered in full and its findings changed; the silent one did neither.
    assert!(
        out.contains(
            "2 hosts re-checked after a timeout: 1 answered in full, 1 with another verdict or findings than at first"
        ),
        "{out}"
    );
    assert!(out.starts_with("4 hosts scanned"), "{out}");
}

#[test]
fn the_csv_says_which_hosts_were_rechecked() {
    let peers = Peers::start();
    let [healthy, stalling, silent, closed] = peers.targets();
    let (_, out) = scan(&peers, &["--format", "csv"]);
    let mut lines = out.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    let col = header
        .iter()
        .position(|c| *c == "attempts")
        .expect("an attempts column");
    let attempts: std::collections::HashMap<String, String> = lines
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (cells[0].to_owned(), cells[col].to_owned())
        })
        .collect();
    assert_eq!(attempts[&healthy], "1", "{out}");
    assert_eq!(attempts[&stalling], "2", "{out}");
    assert_eq!(attempts[&silent], "2", "{out}");
    assert_eq!(attempts[&closed], "1", "{out}");
}
