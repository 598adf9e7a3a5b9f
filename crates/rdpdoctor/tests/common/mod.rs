//! Shared helpers for the tests that run the real binary against the lab.
//!
//! The lab (lab/up.sh) must be running; `lab/test.sh` starts it, runs
//! `cargo test -- --include-ignored`, and stops it. Lab tests are `#[ignore]`d
//! so that plain `cargo test` runs only what needs no servers.

#![allow(dead_code)]

use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// One row of lab/scenarios.tsv.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub address: String,
    pub port: u16,
}

impl Scenario {
    /// `address:port`
    pub fn target(&self) -> String {
        format!("{}:{}", self.address, self.port)
    }
    /// Inside a network namespace (run the client in rdplab-c).
    pub fn in_netns(&self) -> bool {
        self.name.starts_with("ns-")
    }
}

pub fn scenarios() -> HashMap<String, Scenario> {
    let path = repo_root().join("lab/scenarios.tsv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Some(Scenario {
                name: f.first()?.to_string(),
                address: f.get(1)?.to_string(),
                port: f.get(2)?.parse().ok()?,
            })
        })
        .map(|s| (s.name.clone(), s))
        .collect()
}

pub fn scenario(name: &str) -> Scenario {
    scenarios()
        .remove(name)
        .unwrap_or_else(|| panic!("no scenario {name} in lab/scenarios.tsv"))
}

/// The lab's env file (`KEY=VALUE` lines).
pub fn lab_env() -> HashMap<String, String> {
    let dir = std::env::var("RDPDOCTOR_LAB_DIR").unwrap_or_else(|_| "/tmp/rdpdoctor-lab".into());
    let text = std::fs::read_to_string(format!("{dir}/env")).unwrap_or_else(|e| {
        panic!("the lab is not up ({dir}/env: {e}); run lab/up.sh or lab/test.sh")
    });
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().trim_matches('"').to_owned()))
        .collect()
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_rdpdoctor")
}

/// Runs the binary; inside rdplab-c when `netns` is true.
pub fn run(netns: bool, args: &[&str]) -> (Output, Duration) {
    let start = Instant::now();
    let out = if netns {
        Command::new("ip")
            .args(["netns", "exec", "rdplab-c", bin()])
            .args(args)
            .output()
    } else {
        Command::new(bin()).args(args).output()
    }
    .expect("run rdpdoctor");
    (out, start.elapsed())
}

/// The result of `rdpdoctor probe --format json`.
pub struct Probe {
    pub json: Value,
    pub code: i32,
    pub elapsed: Duration,
    pub stderr: String,
}

impl Probe {
    pub fn finding_ids(&self) -> Vec<String> {
        self.json["findings"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|f| f["id"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    #[track_caller]
    pub fn assert_has(&self, id: &str) {
        let ids = self.finding_ids();
        assert!(
            ids.iter().any(|i| i == id),
            "expected finding {id}, got {ids:?}"
        );
    }

    #[track_caller]
    pub fn assert_lacks(&self, id: &str) {
        let ids = self.finding_ids();
        assert!(
            !ids.iter().any(|i| i == id),
            "unexpected finding {id} in {ids:?}"
        );
    }

    /// The `gets_through` prediction for `/sec:MODE`.
    pub fn gets_through(&self, mode: &str) -> Option<bool> {
        self.json["security_paths"]
            .as_array()?
            .iter()
            .find(|p| p["security"] == mode)?["gets_through"]
            .as_bool()
    }
}

/// Probes `target` (extra args allowed) and parses the JSON.
pub fn probe_target(netns: bool, target: &str, extra: &[&str]) -> Probe {
    let mut args = vec!["probe", target, "--format", "json", "--no-reverse-dns"];
    args.extend_from_slice(extra);
    let (out, elapsed) = run(netns, &args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "probe {target}: not JSON ({e}):\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    Probe {
        json,
        code: out.status.code().unwrap_or(-1),
        elapsed,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Probes a lab scenario by name.
pub fn probe(name: &str, extra: &[&str]) -> Probe {
    let s = scenario(name);
    probe_target(s.in_netns(), &s.target(), extra)
}
