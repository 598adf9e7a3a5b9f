//! The lab (lab/up.sh must be running; `lab/test.sh` starts it, runs
//! `cargo test -- --include-ignored`, and stops it; lab tests are
//! `#[ignore]`d so that plain `cargo test` runs only what needs no servers):
//! its scenarios, its env file, and `rdpdoctor probe --format json` against
//! them, parsed.

use crate::fixtures::repo_root;
use crate::run::run;
use serde_json::Value;
use std::collections::HashMap;
use std::time::Duration;

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

/// True when the lab runs the network-namespace scenarios (`ns-*`).
pub fn lab_has_netns() -> bool {
    lab_env().get("RDPDOCTOR_LAB_NETNS").map(String::as_str) == Some("1")
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

    /// The findings about the target (not an RD Gateway's own), sorted.
    pub fn target_finding_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .finding_ids()
            .into_iter()
            .filter(|i| !i.starts_with("gateway-"))
            .collect();
        ids.sort();
        ids
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

    /// The `gets_through` prediction for `/sec:MODE` (`rdp`, `tls`, `nla`).
    /// Schema 1 keys the paths by `security` (the mode), schema 2 by
    /// `protocol` (`rdp`, `ssl`, `hybrid`); both are read.
    pub fn gets_through(&self, mode: &str) -> Option<bool> {
        let protocol = protocol_of_mode(mode);
        self.json["security_paths"]
            .as_array()?
            .iter()
            .find(|p| p["protocol"] == protocol || p["security"] == mode)?["gets_through"]
            .as_bool()
    }

    /// `diagnosis.clients[client].modes.<protocol>`: what the engine predicts
    /// that client does when forced to `protocol` (`rdp`, `ssl`, `hybrid`).
    pub fn client_mode(&self, client: &str, protocol: &str) -> Option<bool> {
        self.json["diagnosis"]["clients"]
            .as_array()?
            .iter()
            .find(|c| c["client"] == client)?["modes"][protocol]
            .as_bool()
    }

    /// The ids of `diagnosis.causes`, ranked.
    pub fn cause_ids(&self) -> Vec<String> {
        self.json["diagnosis"]["causes"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|c| c["id"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The summary of the first finding with this id.
    pub fn finding_summary(&self, id: &str) -> Option<String> {
        self.json["findings"]
            .as_array()?
            .iter()
            .find(|f| f["id"] == id)?["summary"]
            .as_str()
            .map(str::to_owned)
    }
}

/// The protocol name (schema 2) of an xfreerdp `/sec:` mode.
pub fn protocol_of_mode(mode: &str) -> &str {
    match mode {
        "tls" => "ssl",
        "nla" => "hybrid",
        other => other,
    }
}

/// Probes `target` (extra args allowed) and parses the JSON.
pub fn probe_target(netns: bool, target: &str, extra: &[&str]) -> Probe {
    try_probe_target(netns, target, extra).unwrap_or_else(|e| panic!("{e}"))
}

/// Like [`probe_target`], but a report that is not JSON is an error to
/// record rather than a panic (for tests that collect every difference).
pub fn try_probe_target(netns: bool, target: &str, extra: &[&str]) -> Result<Probe, String> {
    let mut args = vec!["probe", target, "--format", "json", "--no-reverse-dns"];
    args.extend_from_slice(extra);
    let (out, elapsed) = run(netns, &args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json: Value = serde_json::from_str(&stdout).map_err(|e| {
        format!(
            "probe {target} (exit {:?}): not JSON ({e}):\n{stdout}\n{stderr}",
            out.status.code()
        )
    })?;
    Ok(Probe {
        json,
        code: out.status.code().unwrap_or(-1),
        elapsed,
        stderr,
    })
}

/// Probes a lab scenario by name.
pub fn probe(name: &str, extra: &[&str]) -> Probe {
    let s = scenario(name);
    probe_target(s.in_netns(), &s.target(), extra)
}

/// The verdicts of schema 2, from best to worst.
pub const VERDICTS: &[&str] = &[
    "healthy",
    "works-with-warnings",
    "some-clients-fail",
    "no-client-connects",
    "unreachable",
    "inconclusive",
];

/// The verdicts with nothing to fix (exit status 0).
pub fn verdict_is_ok(verdict: &str) -> bool {
    matches!(verdict, "healthy" | "works-with-warnings")
}

/// Cause confidence, ordered: `low` < `medium` < `high`.
pub fn confidence_rank(c: &str) -> Option<u8> {
    match c {
        "low" => Some(0),
        "medium" => Some(1),
        "high" => Some(2),
        _ => None,
    }
}
