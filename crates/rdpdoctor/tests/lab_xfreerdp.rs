//! Cross-check against the reference client. For every row of
//! lab/ground-truth.tsv with xfreerdp columns, and every security mode a
//! client can force (`/sec:rdp|tls|nla`), three answers must agree:
//!
//! - the table (what `xfreerdp +auth-only /cert:ignore` was measured to do),
//! - the real client now (lab/xfreerdp.sh, exit 0 = gets through),
//! - rdpdoctor's prediction for that client:
//!   `diagnosis.clients[client == "xfreerdp2"].modes.{rdp,ssl,hybrid}`.
//!
//! The prediction includes known interoperability facts, not only the
//! protocol. xfreerdp 2.11 cannot complete Standard RDP Security with xrdp
//! 0.9.21 at crypt_level low or high: FreeRDP signs its PDUs with the salted
//! MAC and sets SEC_SECURE_CHECKSUM ([MS-RDPBCGR 5.3.6.1.1]) whatever the
//! server advertises; xrdp ignores that flag, checks the plain MAC, logs "MAC
//! checksum error for non-FIPS PDU", and the client ends with
//! ERRINFO_LOGOFF_BY_USER (exit 131). The server does accept RDP security
//! (rdpdoctor's deep probe, which sends the plain MAC, reaches the logon
//! screen), so the protocol-level path (`security_paths`) says yes while the
//! xfreerdp 2 prediction must say no. At crypt_level fips there is no such MAC
//! and xfreerdp 2 connects.
//!
//! Run by lab/test.sh; `table_agrees_with_the_measured_matrix` needs no lab.

use rdpdoctor_testkit::cli::*;
use std::collections::HashMap;
use std::process::Command;

/// The client profile whose predictions xfreerdp 2.11 checks.
const CLIENT: &str = "xfreerdp2";

/// What the reference client did.
struct ClientRun {
    code: i32,
    output: String,
}

fn xfreerdp(s: &Scenario, mode: &str) -> ClientRun {
    let script = repo_root().join("lab/xfreerdp.sh");
    let out = Command::new("bash")
        .arg(script)
        .args([&s.address, &s.port.to_string(), mode])
        .output()
        .expect("run lab/xfreerdp.sh");
    ClientRun {
        code: out.status.code().unwrap_or(-1),
        output: format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// `(scenario, sec) → rc` for the `/cert:ignore` runs of lab/xfreerdp-matrix.tsv.
fn measured_matrix() -> HashMap<(String, String), i32> {
    let path = repo_root().join("lab/xfreerdp-matrix.tsv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            if f.get(2) != Some(&"ignore") {
                return None;
            }
            Some((
                (f.first()?.to_string(), f.get(1)?.to_string()),
                f.get(3)?.parse().ok()?,
            ))
        })
        .collect()
}

/// The last `n` error or warning lines of xfreerdp's output (else its last
/// lines), without FreeRDP's `[time] [pid:tid] [LEVEL][module] - ` prefix and
/// without the "Authentication only" lines that every run prints.
fn last_lines(output: &str, n: usize) -> String {
    let message = |l: &str| l.split_once("] - ").map_or(l, |(_, m)| m).trim().to_owned();
    let lines: Vec<&str> = output
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.contains("Authentication only"))
        .collect();
    let errors: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.contains("[ERROR]") || l.contains("[WARN]"))
        .collect();
    let pick = if errors.is_empty() { &lines } else { &errors };
    let skip = pick.len().saturating_sub(n);
    pick[skip..]
        .iter()
        .map(|l| message(l))
        .collect::<Vec<_>>()
        .join(" | ")
}

fn word(ok: bool) -> &'static str {
    if ok { "ok" } else { "fail" }
}

/// The table's xfreerdp columns are measurements: where
/// lab/xfreerdp-matrix.tsv has the same run, they must say the same.
#[test]
fn table_agrees_with_the_measured_matrix() {
    let matrix = measured_matrix();
    assert!(
        matrix.len() >= 60,
        "lab/xfreerdp-matrix.tsv: only {} runs",
        matrix.len()
    );
    let mut wrong = Vec::new();
    let mut unmeasured = Vec::new();
    for r in ground_truth().iter().filter(|r| r.has_xfreerdp()) {
        for x in &r.xfreerdp {
            let Some(ok) = x.ok else { continue };
            match matrix.get(&(r.scenario().to_owned(), x.mode.to_owned())) {
                Some(rc) if (*rc == 0) == ok => {}
                Some(rc) => wrong.push(format!(
                    "{} /sec:{}: the table says {}, the matrix measured rc {rc}",
                    r.name,
                    x.mode,
                    word(ok)
                )),
                None => unmeasured.push(format!("{} /sec:{}", r.name, x.mode)),
            }
        }
    }
    if !unmeasured.is_empty() {
        eprintln!(
            "not in lab/xfreerdp-matrix.tsv (measured by hand or still predicted): {unmeasured:?}"
        );
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
#[ignore = "needs the lab: run lab/test.sh"]
fn predictions_agree_with_xfreerdp() {
    let scenarios = scenarios();
    let netns_up = lab_has_netns();
    let rows: Vec<(TruthRow, Scenario)> = ground_truth()
        .into_iter()
        .filter(TruthRow::has_xfreerdp)
        .filter_map(|r| {
            let s = scenarios.get(r.scenario()).cloned();
            if s.is_none() {
                eprintln!(
                    "{}: no scenario {} in lab/scenarios.tsv",
                    r.name,
                    r.scenario()
                );
            }
            Some((r, s?))
        })
        .filter(|(_, s)| netns_up || !s.in_netns())
        .collect();
    assert!(
        rows.len() >= 20,
        "only {} rows with xfreerdp columns",
        rows.len()
    );

    // Two rows at a time: the machine has two cores.
    let results = parallel(&rows, 2, |(r, s)| {
        let args: Vec<&str> = r.args.iter().map(String::as_str).collect();
        let probe = try_probe_target(s.in_netns(), &s.target(), &args);
        let runs: Vec<(&'static str, bool, ClientRun)> = r
            .xfreerdp
            .iter()
            .filter_map(|x| Some((x.mode, x.ok?, xfreerdp(s, x.mode))))
            .collect();
        (r.name.clone(), probe, runs)
    });

    let mut disagreements = Vec::new();
    let mut checked = 0;
    for (name, probe, runs) in results {
        let probe = match probe {
            Ok(p) => p,
            Err(e) => {
                disagreements.push(format!("{name}: {}", e.lines().next().unwrap_or_default()));
                continue;
            }
        };
        for (mode, expected, run) in runs {
            checked += 1;
            let actual = run.code == 0;
            let predicted = probe.client_mode(CLIENT, protocol_of_mode(mode));
            if actual == expected && predicted == Some(expected) {
                continue;
            }
            let flag = |agrees: bool| if agrees { "" } else { " ✗" };
            disagreements.push(format!(
                "{name} /sec:{mode}: table {}; xfreerdp {} (exit {}){}; rdpdoctor predicts {CLIENT}.modes.{} = {}{}\n    xfreerdp: {}",
                word(expected),
                word(actual),
                run.code,
                flag(actual == expected),
                protocol_of_mode(mode),
                predicted.map_or("null", word),
                flag(predicted == Some(expected)),
                last_lines(&run.output, 3),
            ));
        }
    }
    eprintln!("checked {checked} scenario/mode pairs against xfreerdp");
    assert!(
        disagreements.is_empty(),
        "{} disagreements:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}
