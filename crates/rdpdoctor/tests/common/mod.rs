//! Shared helpers for the tests that run the real binary against the lab.
//!
//! The lab (lab/up.sh) must be running; `lab/test.sh` starts it, runs
//! `cargo test -- --include-ignored`, and stops it. Lab tests are `#[ignore]`d
//! so that plain `cargo test` runs only what needs no servers.

#![allow(dead_code)]

use serde_json::Value;
use std::collections::HashMap;
use std::io::BufRead as _;
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
    run_env(netns, args, &[])
}

/// Runs the binary with extra environment variables; inside rdplab-c when
/// `netns` is true (`ip netns exec` keeps the environment).
pub fn run_env(netns: bool, args: &[&str], env: &[(&str, &str)]) -> (Output, Duration) {
    let start = Instant::now();
    let mut cmd = if netns {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", "rdplab-c", bin()]);
        c
    } else {
        Command::new(bin())
    };
    let out = cmd
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("run rdpdoctor");
    (out, start.elapsed())
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

/// Runs `f` on every item, `workers` at a time (the machine has two cores and
/// the lab servers are shared), and returns the results in the items' order.
pub fn parallel<T: Sync, R: Send>(
    items: &[T],
    workers: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new(items.iter().map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..workers.max(1) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(item) = items.get(i) else { break };
                    let r = f(item);
                    results.lock().unwrap()[i] = Some(r);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|r| r.expect("every item ran"))
        .collect()
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

/// A finding a truth row requires: its id, and text its summary must contain.
#[derive(Debug, Clone, PartialEq)]
pub struct FindingCheck {
    pub id: String,
    pub summary_contains: Option<String>,
}

/// What `xfreerdp +auth-only /cert:ignore /sec:MODE` does on a scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct XfreerdpExpect {
    /// `rdp`, `tls` or `nla` (the `/sec:` value).
    pub mode: &'static str,
    /// `Some(true)` = exit 0, `Some(false)` = any other exit, `None` = not run.
    pub ok: Option<bool>,
}

/// `security.layer`, `security.nla`, `security.nla_basis`; `None` = any.
#[derive(Debug, Clone, PartialEq)]
pub struct SecurityExpect {
    pub layer: Option<String>,
    pub nla: Option<String>,
    pub nla_basis: Option<String>,
}

/// One row of lab/ground-truth.tsv (its header documents the columns).
#[derive(Debug, Clone)]
pub struct TruthRow {
    /// Line number in the file (1-based).
    pub line: usize,
    /// `SCENARIO` or `SCENARIO@VARIANT`.
    pub name: String,
    pub verdict: String,
    pub present: Vec<FindingCheck>,
    pub absent: Vec<String>,
    /// `None` = '-': no cause may be pushed.
    pub top_causes: Option<Vec<String>>,
    pub max_confidence: String,
    pub xfreerdp: [XfreerdpExpect; 3],
    pub args: Vec<String>,
    pub security: Option<SecurityExpect>,
    pub note: String,
    /// `diagnosis.first_fix.fix.side` allowed (`server`, `client`, `gateway`,
    /// `network`); `None` = '-': no fix to try first.
    pub first_fix_side: Option<Vec<String>>,
    /// What the first fix is written for (a server fix's platform, a client
    /// fix's client, or `any`); `None` = '-'.
    pub first_fix_platform: Option<Vec<String>>,
}

impl TruthRow {
    /// The lab scenario the row probes (the name before any `@`).
    pub fn scenario(&self) -> &str {
        self.name.split('@').next().unwrap_or(&self.name)
    }

    /// True when the row has at least one xfreerdp expectation.
    pub fn has_xfreerdp(&self) -> bool {
        self.xfreerdp.iter().any(|x| x.ok.is_some())
    }
}

fn list(field: &str) -> Vec<String> {
    if field == "-" {
        return Vec::new();
    }
    field
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn finding_check(item: &str) -> Result<FindingCheck, String> {
    match item.split_once('[') {
        None => Ok(FindingCheck {
            id: item.to_owned(),
            summary_contains: None,
        }),
        Some((id, rest)) => {
            let text = rest
                .strip_suffix(']')
                .ok_or_else(|| format!("{item:?}: ID[TEXT] must end with ']'"))?;
            Ok(FindingCheck {
                id: id.to_owned(),
                summary_contains: Some(text.to_owned()),
            })
        }
    }
}

fn xfreerdp_cell(mode: &'static str, cell: &str) -> Result<XfreerdpExpect, String> {
    let ok = match cell {
        "ok" => Some(true),
        "fail" => Some(false),
        "-" => None,
        other => return Err(format!("xfreerdp_{mode} {other:?}: use ok, fail or -")),
    };
    Ok(XfreerdpExpect { mode, ok })
}

fn security_cell(cell: &str) -> Result<Option<SecurityExpect>, String> {
    if cell == "-" {
        return Ok(None);
    }
    let parts: Vec<&str> = cell.split('/').collect();
    if !(2..=3).contains(&parts.len()) {
        return Err(format!("security {cell:?}: use LAYER/NLA[/BASIS] or -"));
    }
    let any = |s: Option<&&str>| s.filter(|s| **s != "*").map(|s| (*s).to_owned());
    Ok(Some(SecurityExpect {
        layer: any(parts.first()),
        nla: any(parts.get(1)),
        nla_basis: any(parts.get(2)),
    }))
}

/// `a|b` alternatives, or `None` for '-'.
fn alternatives(cell: &str) -> Option<Vec<String>> {
    match cell.trim() {
        "-" => None,
        c => Some(c.split('|').map(|a| a.trim().to_owned()).collect()),
    }
}

/// Parses one data line of lab/ground-truth.tsv.
pub fn parse_truth_line(line: usize, text: &str) -> Result<TruthRow, String> {
    let f: Vec<&str> = text.split('\t').collect();
    if f.len() != 14 {
        return Err(format!("{} columns, expected 14", f.len()));
    }
    let present = list(f[2])
        .iter()
        .map(|i| finding_check(i))
        .collect::<Result<Vec<_>, _>>()?;
    let top_causes = match f[4] {
        "-" => None,
        causes => Some(causes.split('|').map(|c| c.trim().to_owned()).collect()),
    };
    let args = if f[9] == "-" {
        Vec::new()
    } else {
        f[9].split_whitespace().map(str::to_owned).collect()
    };
    Ok(TruthRow {
        line,
        name: f[0].to_owned(),
        verdict: f[1].to_owned(),
        present,
        absent: list(f[3]),
        top_causes,
        max_confidence: f[5].to_owned(),
        xfreerdp: [
            xfreerdp_cell("rdp", f[6])?,
            xfreerdp_cell("tls", f[7])?,
            xfreerdp_cell("nla", f[8])?,
        ],
        args,
        security: security_cell(f[10])?,
        note: f[11].to_owned(),
        first_fix_side: alternatives(f[12]),
        first_fix_platform: alternatives(f[13]),
    })
}

/// Every row of lab/ground-truth.tsv, or every line that does not parse.
pub fn try_ground_truth() -> Result<Vec<TruthRow>, Vec<String>> {
    let path = repo_root().join("lab/ground-truth.tsv");
    let text =
        std::fs::read_to_string(&path).map_err(|e| vec![format!("{}: {e}", path.display())])?;
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (i, l) in text.lines().enumerate() {
        if l.starts_with('#') || l.trim().is_empty() {
            continue;
        }
        match parse_truth_line(i + 1, l) {
            Ok(r) => rows.push(r),
            Err(e) => errors.push(format!("lab/ground-truth.tsv line {}: {e}", i + 1)),
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

/// Every row of lab/ground-truth.tsv (panics on a malformed line).
pub fn ground_truth() -> Vec<TruthRow> {
    try_ground_truth().unwrap_or_else(|e| panic!("{}", e.join("\n")))
}

/// Lines `rows` as a table with aligned columns (for failure messages).
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if let Some(w) = width.get_mut(i) {
                *w = (*w).max(c.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let n = cells.len();
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i + 1 == n {
                    (*c).to_owned()
                } else {
                    format!("{c:<w$}", w = width[i])
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
    };
    let mut out = vec![line(header.to_vec())];
    out.extend(
        rows.iter()
            .map(|r| line(r.iter().map(String::as_str).collect())),
    );
    out.join("\n")
}

/// `rdpdoctor lab serve` playing every fault on 127.0.0.1 (a free port
/// each); killed when dropped.
pub struct LabServe {
    child: std::process::Child,
    /// (fault name, address)
    pub listeners: Vec<(String, String)>,
}

impl LabServe {
    pub fn start(faults: &[&str]) -> LabServe {
        let mut cmd = std::process::Command::new(bin());
        cmd.args(["lab", "serve"]);
        for f in faults {
            cmd.args(["--fault", f]);
        }
        let mut child = cmd
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start rdpdoctor lab serve");
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let mut listeners = Vec::new();
        for _ in faults {
            // `fault NAME listening on ADDR`
            let line = lines.next().expect("a listener line").unwrap();
            let words: Vec<&str> = line.split(' ').collect();
            assert!(
                words.len() == 5 && words[0] == "fault" && words[3] == "on",
                "{line}"
            );
            listeners.push((words[1].to_owned(), words[4].to_owned()));
        }
        LabServe { child, listeners }
    }
}

impl Drop for LabServe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The arguments of one logon attempt against an emulated logon fault: the
/// demo account, its password in a file (never argv). The file is removed
/// when the returned guard drops.
pub fn demo_logon_args(tag: &str) -> (Vec<String>, PasswordFile) {
    let path = std::env::temp_dir().join(format!("rdpdoctor-{tag}-{}.pw", std::process::id()));
    std::fs::write(&path, rdpdoctor_emulator::DEMO_PASSWORD).unwrap();
    let args = vec![
        "--user".into(),
        rdpdoctor_emulator::DEMO_USER.into(),
        "--password-file".into(),
        path.to_string_lossy().into_owned(),
    ];
    (args, PasswordFile(path))
}

/// A password file that is removed when dropped.
pub struct PasswordFile(pub std::path::PathBuf);

impl Drop for PasswordFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// `scan --format ndjson` output: each line's report by its target input.
pub fn by_input(ndjson: &str) -> std::collections::BTreeMap<String, Value> {
    ndjson
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            (v["target"]["input"].as_str().unwrap().to_owned(), v)
        })
        .collect()
}
