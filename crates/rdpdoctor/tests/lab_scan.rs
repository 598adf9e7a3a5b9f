//! `rdpdoctor scan` against the lab's real servers (xrdp, FreeRDP's shadow
//! server with NLA, a closed port) and the emulator's listeners, each host's
//! result held to a single `rdpdoctor probe --profile fast` of it; the
//! summary's groups, the exit status, resume, stdin, a closed pipe. The
//! usage errors at the end need no lab.

use rdpdoctor_testkit::cli::*;
use serde_json::Value;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The lab's servers a scan covers: (scenario, what it must be, NLA verdict).
const LAB_HOSTS: &[(&str, &str, &str)] = &[
    ("xrdp-negotiate", "healthy", "absent"),
    ("xrdp-rdp", "some-clients-fail", "absent"),
    ("xrdp-expired", "works-with-warnings", "absent"),
    ("xrdp-selfsigned-expired", "works-with-warnings", "absent"),
    ("xrdp-tls13", "some-clients-fail", "absent"),
    ("xrdp-fips", "some-clients-fail", "absent"),
    ("shadow-nla", "healthy", "required"),
    ("shadow-default", "healthy", "absent"),
    ("closed", "unreachable", ""),
];

/// Emulated faults beside them (`lab serve`), one listener each.
const FAULTS: &[&str] = &[
    "expired-cert",
    "nla-required",
    "healthy-nla",
    "credssp-v2",
    "tls10-only",
    "server-denied",
    "rdp-security-only",
];

/// `rdpdoctor lab serve` with `FAULTS` (and healthy-tls on 127.0.0.2, for a
/// range), stopped on drop.
struct Emulator {
    child: Child,
    /// fault → address
    addrs: Vec<(String, String)>,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn emulator() -> Emulator {
    let mut args = vec!["lab".to_owned(), "serve".to_owned()];
    for f in FAULTS {
        args.push("--fault".into());
        args.push((*f).into());
    }
    args.push("--fault".into());
    args.push("healthy-tls=127.0.0.2:0".into());
    let mut child = Command::new(bin())
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start lab serve");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut addrs = Vec::new();
    for _ in 0..=FAULTS.len() {
        let line = lines.next().expect("a listener line").expect("read");
        let mut w = line.split_whitespace();
        let (Some("fault"), Some(name), Some(addr)) = (w.next(), w.next(), w.last()) else {
            panic!("unexpected line from lab serve: {line}");
        };
        addrs.push((name.to_owned(), addr.to_owned()));
    }
    Emulator { child, addrs }
}

impl Emulator {
    fn addr(&self, fault: &str) -> String {
        self.addrs
            .iter()
            .find(|(f, _)| f == fault)
            .map(|(_, a)| a.clone())
            .unwrap_or_else(|| panic!("no listener for {fault}"))
    }
}

/// Every target: the lab's servers, then the emulator's faults.
fn all_targets(emu: &Emulator) -> Vec<String> {
    let mut t: Vec<String> = LAB_HOSTS
        .iter()
        .map(|(name, ..)| scenario(name).target())
        .collect();
    t.extend(FAULTS.iter().map(|f| emu.addr(f)));
    t
}

/// Runs `scan ARGS`; (exit status, stdout, stderr).
fn scan(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut child = Command::new(bin())
        .arg("scan")
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run scan");
    if let Some(text) = stdin {
        let mut i = child.stdin.take().expect("stdin");
        i.write_all(text.as_bytes()).expect("write stdin");
    }
    let out = child.wait_with_output().expect("scan output");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// What must agree between a scan and a single probe of a host.
#[derive(Debug, PartialEq)]
struct Outcome {
    verdict: String,
    nla: Value,
    findings: Vec<(String, String)>,
    top_cause: Value,
    not_checked: Value,
}

fn outcome(j: &Value) -> Outcome {
    let mut findings: Vec<(String, String)> = j["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    (
                        f["id"].as_str().unwrap_or("").to_owned(),
                        f["severity"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    findings.sort();
    Outcome {
        verdict: j["verdict"].as_str().unwrap_or("").to_owned(),
        nla: j["security"]["nla"].clone(),
        findings,
        top_cause: j["diagnosis"]["causes"][0]["id"].clone(),
        not_checked: j["not_checked"].clone(),
    }
}

#[test]
#[ignore = "needs the lab: run lab/test.sh"]
fn scan_gives_each_host_what_a_single_fast_probe_gives_it() {
    let emu = emulator();
    let targets = all_targets(&emu);
    let mut args: Vec<&str> = targets.iter().map(String::as_str).collect();
    args.extend(["--format", "ndjson", "--concurrency", "8", "--timeout", "3"]);
    let started = Instant::now();
    let (code, out, err) = scan(&args, None);
    let took = started.elapsed();
    assert_eq!(code, 1, "failing hosts in the set: exit 1\n{err}");
    assert!(
        err.is_empty(),
        "no progress bar or noise off a terminal: {err}"
    );
    let lines = by_input(&out);
    assert_eq!(out.lines().count(), targets.len(), "one line per host");
    assert_eq!(lines.len(), targets.len());

    // Each line is what `probe --profile fast` says of that host.
    let singles = parallel(&targets, 3, |t| {
        probe_target(
            false,
            t,
            &["--profile", "fast", "--samples", "1", "--timeout", "3"],
        )
    });
    let mut diffs = Vec::new();
    for (t, single) in targets.iter().zip(&singles) {
        let line = &lines[t];
        assert_eq!(line["schema_version"], 2);
        let (a, b) = (outcome(line), outcome(&single.json));
        if a != b {
            diffs.push(format!("{t}:\n  scan  {a:?}\n  probe {b:?}"));
        }
    }
    assert!(diffs.is_empty(), "scan ≠ probe:\n{}", diffs.join("\n"));

    // The lab's ground truth, NLA verdicts included (xrdp selects RDP for a
    // HYBRID request: that is not NLA).
    for (name, verdict, nla) in LAB_HOSTS {
        let j = &lines[&scenario(name).target()];
        assert_eq!(j["verdict"], *verdict, "{name}");
        if !nla.is_empty() {
            assert_eq!(j["security"]["nla"], *nla, "{name}");
        }
    }
    for (fault, verdict, nla) in [
        // The emulator's certificates are self-signed: a prompt.
        ("nla-required", "works-with-warnings", "required"),
        ("healthy-nla", "works-with-warnings", "optional"),
        ("expired-cert", "works-with-warnings", "absent"),
        ("credssp-v2", "no-client-connects", "required"),
        ("tls10-only", "some-clients-fail", "absent"),
        ("rdp-security-only", "works-with-warnings", "absent"),
    ] {
        let j = &lines[&emu.addr(fault)];
        assert_eq!(j["verdict"], verdict, "{fault}: {}", j["findings"]);
        assert_eq!(j["security"]["nla"], nla, "{fault}");
    }
    // Where nothing past the security layer decides, the fast verdict is the
    // full probe's: the same verdict, NLA verdict and failing findings.
    let full_targets: Vec<String> = ["xrdp-negotiate", "xrdp-tls13", "shadow-nla", "xrdp-rdp"]
        .iter()
        .map(|n| scenario(n).target())
        .chain(["nla-required", "credssp-v2", "tls10-only", "expired-cert"].map(|f| emu.addr(f)))
        .collect();
    let fulls = parallel(&full_targets, 3, |t| {
        probe_target(false, t, &["--timeout", "3"])
    });
    let serious = |j: &Value| -> Vec<String> {
        let mut v: Vec<String> = j["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|f| f["severity"] != "info")
            .map(|f| f["id"].as_str().unwrap_or("").to_owned())
            .collect();
        v.sort();
        v
    };
    for (t, full) in full_targets.iter().zip(&fulls) {
        let fast = &lines[t];
        assert_eq!(fast["verdict"], full.json["verdict"], "{t}");
        assert_eq!(fast["security"]["nla"], full.json["security"]["nla"], "{t}");
        assert_eq!(serious(fast), serious(&full.json), "{t}");
    }
    // What the fast profile skips is "not checked", never a failure: the
    // server that denies the connection after Client Info (the deep probe's
    // finding) is not called failing from a stage that did not run.
    let denied = &lines[&emu.addr("server-denied")];
    assert!(
        denied["not_checked"]
            .as_array()
            .is_some_and(|a| a.iter().any(|s| s == "deep")),
        "{}",
        denied["not_checked"]
    );
    assert!(
        !outcome(denied)
            .findings
            .iter()
            .any(|(id, _)| id == "server-denied-connection")
    );
    for (t, j) in &lines {
        for f in j["findings"].as_array().into_iter().flatten() {
            assert_ne!(f["evidence"]["stage"], "deep", "{t}");
        }
        // A TLS host in the fast profile: 1.0/1.1 not tested, never "refused".
        if j["tls"]["version"] == "tls1.3" {
            let v10 = &j["tls"]["versions"][0];
            assert!(v10["accepted"].is_null(), "{t}: {v10}");
        }
    }
    // The RDP-only emulator: TLS refused, so the offers ran (they decide
    // whether anyone connects).
    let rdp_only = &lines[&emu.addr("rdp-security-only")];
    assert!(rdp_only["rdp_security"].is_object(), "{rdp_only}");
    eprintln!("scanned {} hosts in {took:?}", targets.len());
}

#[test]
#[ignore = "needs the lab: run lab/test.sh"]
fn text_summary_groups_by_cause_and_finding_and_answers_first() {
    let emu = emulator();
    let targets = all_targets(&emu);
    let mut args: Vec<&str> = targets.iter().map(String::as_str).collect();
    args.extend(["--concurrency", "8", "--timeout", "3", "--color", "never"]);
    let (code, out, _) = scan(&args, None);
    assert_eq!(code, 1);
    let first = out.lines().next().unwrap_or("");
    assert!(
        first.starts_with(&format!("{} hosts scanned: ", targets.len())),
        "{first}"
    );
    // Three hosts serve an expired certificate: xrdp with a CA-signed one,
    // xrdp with a self-signed one, the emulator.
    assert!(out.contains("     3 hosts: warn cert-expired"), "{out}");
    let cause = out
        .lines()
        .find(|l| l.contains("(rdp-cert-expired)"))
        .unwrap_or_else(|| panic!("no rdp-cert-expired group:\n{out}"));
    assert!(cause.trim_start().starts_with("3 hosts:"), "{cause}");
    assert!(out.contains("1 host : fail port-closed"), "{out}");
    // The table: worst first, so the closed port comes before every healthy host.
    let table = out.split("Hosts, worst first:").nth(1).expect("a table");
    let pos = |t: &str| {
        table
            .find(t)
            .unwrap_or_else(|| panic!("{t} not in\n{table}"))
    };
    let closed = scenario("closed").target();
    let healthy = scenario("xrdp-negotiate").target();
    assert!(pos(&format!("{closed} ")) < pos(&format!("{healthy} ")));

    // Only healthy hosts: exit 0.
    let (code, out, _) = scan(
        &[
            &scenario("xrdp-negotiate").target(),
            &scenario("shadow-nla").target(),
            &emu.addr("nla-required"),
        ],
        None,
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.starts_with("3 hosts scanned: 0 with something to fix"),
        "{out}"
    );
}

#[test]
#[ignore = "needs the lab: run lab/test.sh"]
fn resume_after_a_kill_probes_no_host_twice() {
    let emu = emulator();
    let targets = all_targets(&emu);
    let dir = std::env::temp_dir().join(format!("rdpdoctor-scan-resume-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("scan.ndjson");
    let file_s = file.to_str().unwrap();

    // One host a second, killed after about half.
    let mut args: Vec<&str> = vec![
        "scan",
        "--resume",
        file_s,
        "--rate",
        "4",
        "--concurrency",
        "2",
    ];
    args.extend(targets.iter().map(String::as_str));
    let mut child = Command::new(bin())
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        let n = std::fs::read_to_string(&file)
            .map(|t| t.lines().count())
            .unwrap_or(0);
        if n >= targets.len() / 2 || start.elapsed() > Duration::from_secs(30) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let partial = std::fs::read_to_string(&file).unwrap();
    let done_first = partial.lines().filter(|l| l.ends_with('}')).count();
    assert!(
        done_first > 0 && done_first < targets.len(),
        "{done_first} done"
    );
    // A torn last line, as a kill mid-write leaves.
    std::fs::OpenOptions::new()
        .append(true)
        .open(&file)
        .unwrap()
        .write_all(b"{\"schema_version\":2,\"target\":{\"inp")
        .unwrap();

    let (code, out, err) = scan(
        &[&targets.join(" "), "--resume", file_s, "--format", "ndjson"]
            .iter()
            .flat_map(|a| a.split(' '))
            .collect::<Vec<_>>(),
        None,
    );
    assert_eq!(code, 1, "{err}");
    let text = std::fs::read_to_string(&file).unwrap();
    let mut count: HashMap<String, usize> = HashMap::new();
    for l in text.lines() {
        let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
        *count
            .entry(v["target"]["input"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    for t in &targets {
        assert_eq!(count.get(t), Some(&1), "{t} in the resume file: {count:?}");
    }
    assert_eq!(text.lines().count(), targets.len(), "the torn line is gone");
    // The hosts of the first run kept their first report (not probed again).
    for l in partial.lines().filter(|l| l.ends_with('}')) {
        assert!(text.contains(l), "a first-run line was rewritten");
    }
    // Stdout has every host, the resumed ones included.
    assert_eq!(by_input(&out).len(), targets.len());

    // A third run has nothing left to probe.
    let started = Instant::now();
    let (code, out, _) = scan(&[&targets[0], &targets[1], "--resume", file_s], None);
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(out.starts_with("2 hosts scanned"), "{out}");
    assert_eq!(code, 1);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[ignore = "needs the lab: run lab/test.sh"]
fn stdin_lists_ranges_csv_and_a_closed_pipe() {
    let emu = emulator();
    let healthy = emu.addr("healthy-tls");
    let port = healthy.rsplit(':').next().unwrap();
    // 127.0.0.2/31 on the emulator's port: 127.0.0.2 answers, 127.0.0.3 refuses.
    let list = format!(
        "# from stdin\n127.0.0.2/31:{port}\n{}  {}\n",
        scenario("xrdp-expired").target(),
        healthy
    );
    let (code, out, err) = scan(&["-", "--format", "csv"], Some(&list));
    assert_eq!(code, 1, "{err}");
    let rows: Vec<&str> = out.lines().collect();
    assert!(
        rows[0].starts_with("target,address,port,verdict,"),
        "{}",
        rows[0]
    );
    assert_eq!(
        rows.len(),
        1 + 3,
        "header + 3 hosts (the duplicate once):\n{out}"
    );
    let row = |t: &str| {
        rows.iter()
            .find(|r| r.starts_with(&format!("{t},")))
            .unwrap_or_else(|| panic!("{t} not in\n{out}"))
    };
    assert!(
        row(&healthy).contains(",works-with-warnings,"),
        "{}",
        row(&healthy)
    );
    assert!(row(&format!("127.0.0.3:{port}")).contains(",unreachable,"));
    let expired = row(&scenario("xrdp-expired").target());
    assert!(
        expired.contains(",true,") && expired.contains("cert-expired"),
        "{expired}"
    );

    // -iL, with a bad line: exit 2 naming it, nothing probed.
    let dir = std::env::temp_dir().join(format!("rdpdoctor-scan-il-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let il = dir.join("hosts.txt");
    std::fs::write(&il, format!("{healthy}\n\n127.0.0.1:notaport\n")).unwrap();
    let (code, _, err) = scan(&["-iL", il.to_str().unwrap()], None);
    assert_eq!(code, 2);
    assert!(
        err.contains("hosts.txt\" line 3:") && err.lines().count() == 1,
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);

    // `| head -1`: quiet, and the scan stops.
    let mut args = vec!["scan".to_owned(), "--format".into(), "ndjson".into()];
    args.extend(all_targets(&emu));
    let mut child = Command::new(bin())
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    // The reader is dropped here: the pipe is closed.
    let out = child.wait_with_output().unwrap();
    assert!(first.starts_with('{'));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(matches!(out.status.code(), Some(0 | 1)));
}

#[test]
fn bad_targets_are_one_line_errors_before_any_traffic() {
    for (args, says) in [
        (
            vec!["10.0.0.0/15"],
            "more than the limit of 65536: narrow it, or add --force",
        ),
        (
            vec!["--force", "10.0.0.0/7"],
            "more than the limit of 16777216",
        ),
        (
            vec!["2001:db8::/64"],
            "covers 18446744073709551616 addresses",
        ),
        (vec!["10.0.0.0/33"], "is not a CIDR range"),
        (vec!["host:0"], "is not a target"),
        (vec![], "no targets"),
        (
            vec!["-iL", "/nonexistent/hosts.txt"],
            "cannot read the target list",
        ),
    ] {
        let started = Instant::now();
        let (code, out, err) = scan(&args, None);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty());
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("rdpdoctor: ") && err.contains(says),
            "{args:?}: {err}"
        );
        assert!(started.elapsed() < Duration::from_secs(2));
    }
    let (code, _, err) = scan(&["-"], Some("127.0.0.1\n10.0.0.0/8\n"));
    assert_eq!(code, 2);
    assert!(err.contains("stdin line 2: range"), "{err}");
}
