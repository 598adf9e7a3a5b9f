//! The Windows .exe (build/windows.sh) under Wine, beside the Linux binary:
//! the same `--version`, the same `explain` JSON, and the same probe reports
//! (timings aside) of the emulator and of real lab servers on 127.0.0.1.
//! Run by lab/test.sh, which builds the .exe and installs Wine first.
//!
//! Wine is not Windows: what passes here is "tested under Wine" (README).

mod common;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The .exe next to this test's target dir, or `RDPDOCTOR_WINDOWS_EXE`.
fn exe() -> PathBuf {
    if let Some(p) = std::env::var_os("RDPDOCTOR_WINDOWS_EXE") {
        return PathBuf::from(p);
    }
    // bin() is <target>/<profile>/rdpdoctor; the .exe is in <target>/<triple>/release.
    let target = Path::new(bin()).parent().and_then(Path::parent).unwrap();
    let exe = target.join("x86_64-pc-windows-gnu/release/rdpdoctor.exe");
    assert!(
        exe.is_file(),
        "{} is missing: run bash build/windows.sh (lab/test.sh does)",
        exe.display()
    );
    exe
}

/// A Wine prefix of our own, kept in the target dir and reused between runs
/// (`wineboot -i` makes it once; it is several hundred MB), with the
/// ProcessPrng stand-in that Debian's Wine 8.0 lacks (lab/wine/bcryptprimitives.c).
fn prefix() -> &'static Path {
    static PREFIX: OnceLock<PathBuf> = OnceLock::new();
    PREFIX.get_or_init(|| {
        let target = Path::new(bin()).parent().and_then(Path::parent).unwrap();
        let prefix = target.join("wine-prefix");
        if !prefix.join("system.reg").is_file() {
            let start = Instant::now();
            let out = wine_command(&prefix, "wineboot")
                .arg("-i")
                .output()
                .expect("run wineboot (is wine installed? lab/install.sh installs it)");
            assert!(out.status.success(), "wineboot -i: {out:?}");
            eprintln!(
                "wine: prefix {} made in {:.1} s",
                prefix.display(),
                start.elapsed().as_secs_f64()
            );
        }
        let dll = prefix.join("drive_c/windows/system32/bcryptprimitives.dll");
        if !dll.is_file() {
            let src = repo_root().join("lab/wine/bcryptprimitives.c");
            let out = Command::new("x86_64-w64-mingw32-gcc")
                .args(["-O2", "-shared", "-s", "-o"])
                .arg(&dll)
                .arg(&src)
                .args(["-lbcrypt", "-Wl,--kill-at"])
                .output()
                .expect("run x86_64-w64-mingw32-gcc (build/windows.sh installs it)");
            assert!(out.status.success(), "building {}: {out:?}", src.display());
        }
        // Without a running wineserver, each run starts one and Wine's
        // services with it, which hold the run's stdout open until the server
        // quits 3 s later. So: one server that stays until 60 s after the last
        // run (then it ends, and its services with it), its services started
        // here with no stdio of ours. Then a run costs about 0.1 s. (`-p60`,
        // not `-p 60`: wineserver reads a lone `-p` as "forever".)
        for (program, args) in [("wineserver", &["-p60"][..]), ("wineboot", &[][..])] {
            let status = wine_command(&prefix, program)
                .args(args)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .unwrap_or_else(|e| panic!("run {program}: {e}"));
            // wineserver exits 2 when a server for this prefix is already up.
            assert!(
                status.success() || program == "wineserver",
                "{program}: {status}"
            );
        }
        prefix
    })
}

/// `program` with Wine's environment: our prefix, no display (headless: no
/// dialogs), no debug chatter, and no Mono/Gecko (we need neither).
fn wine_command(prefix: &Path, program: &str) -> Command {
    let mut c = Command::new(program);
    c.env("WINEPREFIX", prefix)
        .env("WINEDEBUG", "-all")
        .env("WINEDLLOVERRIDES", "mscoree,mshtml=;bcryptprimitives=n,b")
        .env_remove("DISPLAY")
        .stdin(std::process::Stdio::null());
    c
}

/// Runs the .exe under Wine.
fn wine(args: &[&str]) -> (Output, Duration) {
    let start = Instant::now();
    let out = wine_command(prefix(), "wine")
        .arg(exe())
        .args(args)
        .output()
        .expect("run wine");
    (out, start.elapsed())
}

/// A Linux path as the .exe sees it (Wine maps drive Z: to /).
fn windows_path(p: &Path) -> String {
    format!("Z:{}", p.display()).replace('/', "\\")
}

fn temp_file(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rdpdoctor-wine-test.{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Fields that differ between any two runs (durations, when it ran, the
/// server clock it read).
fn run_dependent(key: &str) -> bool {
    key.ends_with("_ms") || matches!(key, "started_at" | "timings" | "server_time")
}

/// Every difference between two reports, field by field, as `path: a != b`.
fn differences(a: &Value, b: &Value, path: &str, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys.into_iter().filter(|k| !run_dependent(k)) {
                let (u, v) = (&x.get(k), &y.get(k));
                let null = Value::Null;
                differences(
                    u.unwrap_or(&null),
                    v.unwrap_or(&null),
                    &format!("{path}.{k}"),
                    out,
                );
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (u, v)) in x.iter().zip(y).enumerate() {
                differences(u, v, &format!("{path}[{i}]"), out);
            }
        }
        _ if a != b => out.push(format!("{path}: linux {a} != wine {b}")),
        _ => {}
    }
}

/// Probes `target` with both binaries: the differences, and Wine's report.
fn compare_probe(target: &str) -> (Vec<String>, Value) {
    let args = ["probe", target, "--format", "json", "--no-reverse-dns"];
    let (linux, _) = run(false, &args);
    let (win, took) = wine(&args);
    eprintln!(
        "wine: probe {target} in {:.1} s (exit {:?})",
        took.as_secs_f64(),
        win.status.code()
    );
    let parse = |o: &Output, who: &str| -> Value {
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
            panic!(
                "{who} probe {target}: not JSON ({e}):\n{}\n{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            )
        })
    };
    let (l, w) = (parse(&linux, "linux"), parse(&win, "wine"));
    let mut diffs = Vec::new();
    if linux.status.code() != win.status.code() {
        diffs.push(format!(
            "{target}: exit linux {:?} != wine {:?}",
            linux.status.code(),
            win.status.code()
        ));
    }
    differences(&l, &w, target, &mut diffs);
    (diffs, w)
}

/// A probe can differ once because a loaded server was slow; a difference
/// that is there twice is real. Returns Wine's report.
fn assert_same_probe(target: &str) -> Value {
    let (first, report) = compare_probe(target);
    if first.is_empty() {
        return report;
    }
    let (second, report) = compare_probe(target);
    assert!(
        second.is_empty(),
        "the .exe under Wine and the Linux binary disagree on {target} (twice; first run:\n{}\n):\n{}",
        first.join("\n"),
        second.join("\n")
    );
    report
}

fn finding_ids(report: &Value) -> Vec<&str> {
    report["findings"]
        .as_array()
        .map(|f| f.iter().filter_map(|f| f["id"].as_str()).collect())
        .unwrap_or_default()
}

#[test]
#[ignore = "needs Wine and the .exe: run lab/test.sh"]
fn version_and_explain_match_the_linux_build() {
    let start = Instant::now();
    prefix();
    let ready = start.elapsed();
    let (v, took) = wine(&["--version"]);
    eprintln!(
        "wine: prefix ready in {:.2} s, then --version in {:.2} s",
        ready.as_secs_f64(),
        took.as_secs_f64()
    );
    let (linux_v, _) = run(false, &["--version"]);
    assert!(v.status.success(), "{v:?}");
    assert_eq!(
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&linux_v.stdout)
    );
    let (_, warm) = wine(&["--version"]);
    eprintln!("wine: --version again in {:.2} s", warm.as_secs_f64());

    // JSON: into a file with --output, byte for byte what Linux prints.
    let args = ["explain", "0x904", "0x7", "--format", "json"];
    let (linux, _) = run(false, &args);
    assert!(linux.status.success());
    let file = temp_file("explain.json");
    let (out, _) = wine(&[&args[..], &["--output", &windows_path(&file)]].concat());
    assert!(out.status.success(), "{out:?}");
    assert!(out.stdout.is_empty(), "--output leaves stdout empty");
    let written = std::fs::read(&file).unwrap();
    assert!(!written.starts_with(b"\xef\xbb\xbf"), "no byte order mark");
    assert_eq!(
        String::from_utf8(written).expect("UTF-8"),
        String::from_utf8(linux.stdout.clone()).unwrap()
    );

    // JSON on stdout: the same value (into a pipe whose reader would decode
    // with a legacy code page, the .exe escapes non-ASCII as \uXXXX).
    let (out, _) = wine(&args);
    assert!(out.status.success(), "{out:?}");
    let l: Value = serde_json::from_slice(&linux.stdout).unwrap();
    let w: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(l, w);

    // The text report into a file: the same as on Linux, arrows and all.
    let text_args = ["explain", "0x904", "0x7"];
    let (linux_text, _) = run(false, &text_args);
    let file = temp_file("explain.txt");
    let (out, _) = wine(&[&text_args[..], &["-o", &windows_path(&file)]].concat());
    assert!(out.status.success(), "{out:?}");
    assert_eq!(std::fs::read(&file).unwrap(), linux_text.stdout);
}

#[test]
#[ignore = "needs Wine and the .exe: run lab/test.sh"]
fn probe_of_the_emulator_matches_the_linux_build() {
    // tls10-only needs the .exe's own (vendored) OpenSSL for TLS 1.0;
    // credssp-v2 CredSSP/NTLM; server-denied the deep probe to Set Error Info;
    // rdp-security-only Standard RDP Security; expired-cert the certificate.
    let serve = LabServe::start(&[
        "tls10-only",
        "credssp-v2",
        "server-denied",
        "rdp-security-only",
        "expired-cert",
    ]);
    for (fault, addr) in &serve.listeners {
        eprintln!("wine: emulator fault {fault} at {addr}");
        let report = assert_same_probe(addr);
        // What each fault is there to show, seen by the .exe itself.
        let expected = match fault.as_str() {
            "tls10-only" => "tls-legacy-only",
            "credssp-v2" => "credssp-unpatched",
            "server-denied" => "server-denied-connection",
            "rdp-security-only" => "rdp-security-only",
            _ => "cert-expired",
        };
        assert!(
            finding_ids(&report).contains(&expected),
            "{fault}: the .exe did not find {expected}: {:?}",
            finding_ids(&report)
        );
    }
}

#[test]
#[ignore = "needs Wine, the .exe and the lab: run lab/test.sh"]
fn probe_of_real_lab_servers_matches_the_linux_build() {
    let xrdp = assert_same_probe(&scenario("xrdp-tls").target());
    assert_eq!(xrdp["security"]["layer"], "tls");
    let shadow = assert_same_probe(&scenario("shadow-nla").target());
    assert!(
        finding_ids(&shadow).contains(&"nla-required"),
        "{:?}",
        finding_ids(&shadow)
    );
}
