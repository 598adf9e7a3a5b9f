//! The Windows .exe (build/windows.sh) under Wine, beside the Linux binary:
//! the same `--version`, the same `explain` JSON, and the same probe reports
//! (timings aside) of the emulator and of real lab servers on 127.0.0.1.
//! Run by lab/test.sh, which builds the .exe and installs Wine first.
//!
//! Wine is not Windows: what passes here is "tested under Wine" (README).

use rdpdoctor_testkit::cli::*;
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
/// dialogs), no debug chatter, no Mono/Gecko (we need neither), and the
/// tests' empty krb5.conf.
fn wine_command(prefix: &Path, program: &str) -> Command {
    let mut c = Command::new(program);
    c.env("WINEPREFIX", prefix)
        .env("WINEDEBUG", "-all")
        .env("WINEDLLOVERRIDES", "mscoree,mshtml=;bcryptprimitives=n,b")
        // The Linux runs' krb5.conf (none): the same file, read by both.
        .env("KRB5_CONFIG", rdpdoctor_testkit::cli::no_krb5_conf())
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

/// `wine reg add KEY /v NAME /t TYPE /d DATA /f` in our prefix.
fn reg_add(key: &str, name: &str, kind: &str, data: &str) {
    let out = wine_command(prefix(), "wine")
        .args(["reg", "add", key, "/v", name, "/t", kind, "/d", data, "/f"])
        .output()
        .expect("run wine reg");
    assert!(out.status.success(), "reg add {key} {name}: {out:?}");
}

const TS: &str = r"HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server";
const TS_POLICY: &str = r"HKLM\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services";

/// Writes the Terminal Server values of one round into Wine's registry.
fn write_terminal_server(deny: u32, port: u32, layer: u32, nla: u32, policy_layer: u32) {
    let rdp_tcp = format!(r"{TS}\WinStations\RDP-Tcp");
    reg_add(TS, "fDenyTSConnections", "REG_DWORD", &deny.to_string());
    reg_add(&rdp_tcp, "PortNumber", "REG_DWORD", &port.to_string());
    reg_add(&rdp_tcp, "SecurityLayer", "REG_DWORD", &layer.to_string());
    reg_add(
        &rdp_tcp,
        "UserAuthentication",
        "REG_DWORD",
        &nla.to_string(),
    );
    reg_add(
        TS_POLICY,
        "SecurityLayer",
        "REG_DWORD",
        &policy_layer.to_string(),
    );
}

/// `inspect --local --format json` under Wine: its exit status and report.
fn inspect_local_json() -> (Option<i32>, Value, String) {
    let (out, took) = wine(&["inspect", "--local", "--format", "json"]);
    eprintln!("wine: inspect --local in {:.2} s", took.as_secs_f64());
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "inspect --local: not JSON ({e}):\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (
        out.status.code(),
        report,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A setting's value, and the key and value name it was read from.
fn setting<'a>(report: &'a Value, name: &str) -> (&'a Value, &'a str, &'a str) {
    let s = &report["host"]["terminal_server"][name];
    (
        &s["value"],
        s["origin"]["key"].as_str().unwrap_or(""),
        s["origin"]["value"].as_str().unwrap_or(""),
    )
}

/// A certificate made with the openssl command, as the registry's `Blob`
/// holds it (property 0x20, CERT_CERT_PROP_ID: id, 1, length, DER), and its
/// SHA-1 thumbprint in upper-case hex.
fn certificate_blob(dir: &Path) -> (String, String) {
    let der = dir.join("wine-rdp.der");
    let out = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
        ])
        .args(["-subj", "/CN=wine-rdp-host", "-keyout"])
        .arg(dir.join("wine-rdp.key"))
        .args(["-outform", "DER", "-out"])
        .arg(&der)
        .output()
        .expect("run openssl");
    assert!(out.status.success(), "openssl req: {out:?}");
    let der = std::fs::read(&der).unwrap();
    let fp = Command::new("openssl")
        .args(["dgst", "-sha1", "-r"])
        .arg(dir.join("wine-rdp.der"))
        .output()
        .expect("run openssl dgst");
    let thumb = String::from_utf8_lossy(&fp.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_ascii_uppercase();
    let mut blob = Vec::new();
    blob.extend(0x20u32.to_le_bytes());
    blob.extend(1u32.to_le_bytes());
    blob.extend(u32::try_from(der.len()).unwrap().to_le_bytes());
    blob.extend(&der);
    let hex: String = blob.iter().map(|b| format!("{b:02X}")).collect();
    (hex, thumb)
}

#[test]
#[ignore = "needs Wine and the .exe: run lab/test.sh"]
fn inspect_local_reads_what_reg_add_wrote_into_wines_registry() {
    // Round 1: Remote Desktop allowed on 3389; the policy's SecurityLayer
    // (2, TLS) beats the listener's (1).
    write_terminal_server(0, 3389, 1, 1, 2);
    let (_, first, _) = inspect_local_json();
    assert_eq!(setting(&first, "deny_ts_connections").0, 0);
    assert!(
        !finding_ids(&first).contains(&"rdp-disabled"),
        "{:?}",
        finding_ids(&first)
    );

    // Round 2: switched off, another port, NLA off; a certificate in the
    // "Remote Desktop" store and the RDP key file in MachineKeys.
    write_terminal_server(1, 3390, 1, 0, 2);
    // A folder of its own: the other tests of this process use the parent.
    let dir = temp_file("certificate");
    std::fs::create_dir_all(&dir).unwrap();
    let (blob, thumb) = certificate_blob(&dir);
    let store =
        format!(r"HKLM\SOFTWARE\Microsoft\SystemCertificates\Remote Desktop\Certificates\{thumb}");
    reg_add(&store, "Blob", "REG_BINARY", &blob);
    let guid = first["host"]["identity"]["machine_guid"]["value"]
        .as_str()
        .expect("Wine's MachineGuid")
        .trim_matches(['{', '}'])
        .to_owned();
    let keys = prefix().join("drive_c/ProgramData/Microsoft/Crypto/RSA/MachineKeys");
    std::fs::create_dir_all(&keys).unwrap();
    let key_file = keys.join(format!("f686aace6942fb7f7ceb231212eef4a4_{guid}"));
    std::fs::write(&key_file, vec![7u8; 1234]).unwrap();
    let (code, report, stderr) = inspect_local_json();
    let _ = std::fs::remove_file(&key_file);

    // The values read back, each with the key and value it came from.
    let (deny, key, value) = setting(&report, "deny_ts_connections");
    assert_eq!(deny, 1);
    // Wine keeps CurrentControlSet as a key of its own (no ControlSet001):
    // the reader falls back to it.
    assert!(
        key.eq_ignore_ascii_case(&TS.replace(
            r"HKLM\SYSTEM\CurrentControlSet",
            r"HKLM\SYSTEM\ControlSet001"
        )) || key.eq_ignore_ascii_case(TS),
        "{key}"
    );
    assert_eq!(value, "fDenyTSConnections");
    assert_eq!(setting(&report, "port_number").0, 3390);
    assert!(
        setting(&report, "port_number")
            .1
            .ends_with(r"\WinStations\RDP-Tcp")
    );
    assert_eq!(setting(&report, "user_authentication").0, 0);
    let (layer, key, _) = setting(&report, "security_layer");
    assert_eq!(layer, 2, "the Group Policy value wins");
    assert!(key.eq_ignore_ascii_case(TS_POLICY), "{key}");
    let shadowed = &report["host"]["terminal_server"]["security_layer"]["shadowed"];
    assert_eq!(
        shadowed[0]["value"], 1,
        "the local value it overrides: {shadowed}"
    );
    assert_eq!(report["host"]["sources"][0]["kind"], "live");
    assert_eq!(report["host"]["coverage"]["system"], true);
    assert_eq!(report["host"]["coverage"]["software"], true);

    // The certificate store, read through the same registry.
    let certs = report["host"]["certificates"].as_array().unwrap();
    let cert = certs
        .iter()
        .find(|c| c["thumbprint"] == thumb.as_str())
        .unwrap_or_else(|| panic!("{thumb} not in {certs:?}"));
    assert_eq!(cert["store"], "remote-desktop");
    assert_eq!(cert["computed_thumbprint"], thumb.as_str());
    assert!(
        cert["subject"]
            .as_str()
            .unwrap_or("")
            .contains("wine-rdp-host"),
        "{cert}"
    );

    // MachineKeys, found through %ProgramData%.
    let mk = &report["host"]["machine_keys"];
    assert_eq!(mk["rdp_key_present"], true, "{mk}");
    assert_eq!(mk["rdp_key_bytes"], 1234, "{mk}");

    // What a user sees: Remote Desktop off is the top cause; the port.
    let ids = finding_ids(&report);
    assert!(ids.contains(&"rdp-disabled"), "{ids:?}");
    assert!(ids.contains(&"listener-port-differs"), "{ids:?}");
    assert_eq!(
        report["diagnosis"]["causes"][0]["id"], "remote-desktop-disabled",
        "{}",
        report["diagnosis"]["headline"]
    );
    assert_ne!(report["verdict"], "healthy");
    assert_eq!(code, Some(1));

    // Wine's EvtExportLog is a stub: the event logs are listed as not read,
    // with the reason, on stderr and in the report, never as empty logs.
    assert_eq!(report["host"]["coverage"]["events"], false);
    let logs = report["host"]["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "evtx")
        .expect("an event log source");
    assert_eq!(logs["status"]["state"], "unusable");
    let problem = logs["status"]["problem"].as_str().unwrap();
    assert!(problem.starts_with("not read (EvtExportLog: "), "{problem}");
    assert!(stderr.contains("EvtExportLog"), "{stderr}");

    // The text report: the values with their policy origin, the finding.
    let (out, _) = wine(&["inspect", "--local"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    for want in [
        "fDenyTSConnections 1",
        "port 3390",
        "SecurityLayer 2 (policy)",
        "rdp-disabled",
        "event logs (",
        "no event log read",
    ] {
        assert!(text.contains(want), "{want:?} not in:\n{text}");
    }

    // `probe --host-local` on the machine itself: the listener's port
    // refuses (nothing listens there), and the machine's own registry says
    // why, so Remote Desktop switched off is the answer, with high confidence.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    write_terminal_server(1, u32::from(port), 1, 0, 2);
    let target = format!("127.0.0.1:{port}");
    let (out, _) = wine(&[
        "probe",
        &target,
        "--no-reverse-dns",
        "--host-local",
        "--format",
        "json",
    ]);
    let probe: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "probe --host-local: not JSON ({e}):\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let ids = finding_ids(&probe);
    assert!(ids.contains(&"port-closed"), "{ids:?}");
    assert!(ids.contains(&"rdp-disabled"), "{ids:?}");
    assert_eq!(probe["host"]["sources"][0]["kind"], "live");
    let top = &probe["diagnosis"]["causes"][0];
    assert_eq!(top["id"], "remote-desktop-disabled", "{top}");
    assert_eq!(top["confidence"], "high", "{top}");
    assert_eq!(out.status.code(), Some(1));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[ignore = "needs Wine and the .exe: run lab/test.sh"]
fn text_into_a_pipe_is_ascii_files_are_utf8_and_no_color_holds() {
    // The Linux report has arrows and dots outside ASCII ...
    let args = ["explain", "0x904", "0x7"];
    let (linux, _) = run(false, &args);
    assert!(
        !linux.stdout.is_ascii(),
        "the test needs a report with non-ASCII"
    );
    // ... the .exe writing into a pipe, whose reader decodes with the
    // console's code page (not 65001 here: Wine gives no console), spells
    // them in ASCII, line for line.
    let (out, _) = wine(&args);
    assert!(out.status.success(), "{out:?}");
    let bad: Vec<&u8> = out.stdout.iter().filter(|b| !b.is_ascii()).collect();
    assert!(bad.is_empty(), "non-ASCII bytes into the pipe: {bad:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().count(),
        String::from_utf8_lossy(&linux.stdout).lines().count()
    );
    // --output FILE: UTF-8 without a byte order mark, as on Linux.
    let file = temp_file("explain-utf8.txt");
    let (out, _) = wine(&[&args[..], &["--output", &windows_path(&file)]].concat());
    assert!(out.status.success(), "{out:?}");
    let written = std::fs::read(&file).unwrap();
    assert!(!written.starts_with(b"\xef\xbb\xbf"), "no byte order mark");
    assert!(String::from_utf8(written.clone()).is_ok(), "UTF-8");
    assert_eq!(written, linux.stdout);
    // Colour: none with NO_COLOR; `--color always` shows it is there to
    // switch off.
    let colour = |extra: &[&str], no_color: bool| -> Vec<u8> {
        let mut c = wine_command(prefix(), "wine");
        c.arg(exe()).args(args).args(extra);
        if no_color {
            c.env("NO_COLOR", "1");
        } else {
            c.env_remove("NO_COLOR");
        }
        c.output().expect("run wine").stdout
    };
    assert!(
        !colour(&[], true).contains(&0x1b),
        "escape codes with NO_COLOR"
    );
    assert!(!colour(&["-o", &windows_path(&file)], true).contains(&0x1b));
    assert!(!std::fs::read(&file).unwrap().contains(&0x1b));
    assert!(colour(&["--color", "always"], false).contains(&0x1b));
}
