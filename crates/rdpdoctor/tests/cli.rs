//! The command line itself: usage errors, exit codes, output conventions.
//! These need no lab (they only touch ports nothing listens on, on loopback).

use rdpdoctor_testkit::cli::*;

#[test]
fn bad_targets_get_one_line_and_exit_2() {
    for bad in ["", "host:0", "host:99999", "[::1", "a b", "[zz]:1"] {
        let (out, _) = run(false, &["probe", bad]);
        assert_eq!(out.status.code(), Some(2), "target {bad:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "one line for {bad:?}: {err}");
        assert!(err.starts_with("rdpdoctor: "), "{err}");
        assert!(!err.contains("panicked"));
    }
}

#[test]
fn bad_options_exit_2() {
    let (out, _) = run(false, &["probe", "127.0.0.1", "--timeout", "-1"]);
    assert_eq!(out.status.code(), Some(2));
    let (out, _) = run(false, &["probe", "127.0.0.1", "--format", "xml"]);
    assert_eq!(out.status.code(), Some(2));
    let (out, _) = run(false, &["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn help_has_examples_and_exit_codes() {
    let (out, _) = run(false, &["probe", "--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("Examples:"), "{help}");
    assert!(help.contains("rdpdoctor probe rdp.example.com"));
    assert!(help.contains("Exit status"));
    // Each option says its own thing: no option's text runs into another's.
    let gateway: String = help
        .split("--gateway")
        .nth(1)
        .and_then(|s| s.split("\n      --").next())
        .unwrap_or_default()
        .to_owned();
    assert!(gateway.contains("RD Gateway"), "{gateway}");
    assert!(!gateway.contains("How much to check"), "{gateway}");
    // The password file's line ends are named, not written as line breaks.
    assert!(help.contains(r"(\n or \r\n)"), "{help}");
}

/// A port on loopback where nothing listens: refused, exit 1, JSON schema.
fn closed_port() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("127.0.0.1:{port}")
}

#[test]
fn json_of_a_refused_port_has_the_documented_shape() {
    let p = probe_target(false, &closed_port(), &["--samples", "2"]);
    assert_eq!(p.code, 1);
    assert_eq!(p.json["schema_version"], 2);
    assert_eq!(p.json["verdict"], "unreachable");
    for key in [
        "limits",
        "security",
        "server",
        "verdict",
        "diagnosis",
        "target",
        "addresses",
        "tcp",
        "negotiation",
        "tls",
        "certificate",
        "credssp",
        "ntlm",
        "rdp_security",
        "timings",
        "findings",
        "security_paths",
    ] {
        assert!(p.json.get(key).is_some(), "missing top-level key {key}");
    }
    let f = &p.json["findings"][0];
    assert_eq!(f["id"], "port-closed");
    assert_eq!(f["severity"], "fail");
    assert!(f["summary"].as_str().unwrap().contains("refused"));
    assert_eq!(p.json["tcp"]["samples"].as_array().unwrap().len(), 2);
}

#[test]
fn text_report_has_no_colour_when_piped_or_with_no_color() {
    let target = closed_port();
    let (out, _) = run(false, &["probe", &target]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains('\x1b'), "escape codes in piped output");
    assert!(text.contains("port-closed"));
    assert!(text.contains("[FAIL]"));
    let out = std::process::Command::new(bin())
        .args(["probe", &target, "--color", "always"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains('\x1b'));
}

#[test]
fn explain_decodes_the_mstsc_pair_in_hex_and_decimal() {
    for args in [
        &["explain", "0x904", "0x7"][..],
        &["explain", "2308", "7"][..],
    ] {
        let (out, _) = run(false, args);
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("disconnectReasonAtClientWinsockFDCLOSE"),
            "{text}"
        );
        assert!(text.contains("ERRINFO_SERVER_DENIED_CONNECTION"), "{text}");
        let first_cause = text
            .lines()
            .find(|l| l.trim_start().starts_with("1. "))
            .unwrap();
        assert!(first_cause.contains("rdp-cert-expired"), "{first_cause}");
    }
}

#[test]
fn explain_json_and_the_forms_people_paste() {
    let (out, _) = run(
        false,
        &[
            "explain",
            "--format",
            "json",
            "ERRCONNECT_TLS_CONNECT_FAILED [0x00020008]",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["codes"][0]["name"], "ERRCONNECT_TLS_CONNECT_FAILED");
    let (out, _) = run(false, &["explain", "--format", "json", "0x80090302"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["causes"][0]["id"], "credssp-encryption-oracle");
    let dialog = "This computer can't connect to the remote computer. Try connecting again. Error code: 0x904 Extended error code: 0x7";
    let (out, _) = run(false, &["explain", "--format", "json", dialog]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["causes"][0]["id"], "rdp-cert-expired");
}

#[test]
fn explain_of_nonsense_is_one_line_and_exit_2() {
    let (out, _) = run(false, &["explain", "hello"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(out.stdout.is_empty());
}

/// Runs the binary with `stdin` fed to it.
fn run_with_stdin(args: &[&str], stdin: &[u8]) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(bin())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    // A writer thread: rdpdoctor may stop reading (too much input) and exit.
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    let _ = writer.join();
    out
}

/// The usage-error contract: exit 2, nothing on stdout, exactly one line on
/// stderr that starts with `rdpdoctor: `, at most a few hundred characters,
/// without control characters.
#[track_caller]
fn assert_one_line_error(out: &std::process::Output, what: &str) -> String {
    assert_eq!(out.status.code(), Some(2), "{what}: exit status");
    assert!(out.stdout.is_empty(), "{what}: stdout not empty");
    let err = String::from_utf8(out.stderr.clone()).expect("UTF-8 stderr");
    assert!(err.ends_with('\n'), "{what}: {err:?}");
    let line = err.strip_suffix('\n').unwrap_or(&err);
    assert!(!line.contains('\n'), "{what}: more than one line:\n{err}");
    assert!(line.starts_with("rdpdoctor: "), "{what}: {line}");
    assert!(
        line.chars().count() <= 400,
        "{what}: {} chars",
        line.chars().count()
    );
    assert!(
        !line.chars().any(|c| c.is_control()),
        "{what}: control characters in {line:?}"
    );
    line.to_owned()
}

#[test]
fn every_usage_error_is_one_short_line() {
    // Linux allows one argument up to 128 KiB (MAX_ARG_STRLEN).
    let huge = "A".repeat(120 * 1024);
    let huge_flag = format!("--{huge}");
    let hostile = "x\u{1b}]0;pwned\u{7}\r\u{1b}[2J\u{9b}31m";
    let cases: Vec<Vec<&str>> = vec![
        vec![],
        vec!["frobnicate"],
        vec![&huge],
        vec![&huge_flag],
        vec!["lab"],
        vec!["lab", "frob"],
        vec!["lab", "serve"],
        vec!["lab", "serve", "--ca-cert", "x", "--fault", "silent"],
        vec!["lab", "serve", "--fault", &huge],
        vec!["probe"],
        vec!["probe", "h", "--frmat", "json"],
        vec!["probe", "h", "--format", "xml"],
        vec!["probe", "h", "--format", &huge],
        vec!["probe", "h", "--format"],
        vec!["probe", "h", "--samples", "99"],
        vec!["probe", "h", "--timeout", &huge],
        vec!["probe", "h", "--address", hostile],
        vec!["probe", "h", "--error", &huge],
        vec!["probe", &huge],
        vec!["probe", hostile],
        vec!["probe", "h", &huge],
        vec!["explain"],
        vec!["explain", "--bogus"],
        vec!["explain", &huge],
        vec!["explain", hostile],
        vec!["explain", "--file", "/nonexistent/x", "0x904"],
        vec!["explain", "--file", "/nonexistent/x"],
        vec!["demo", "--timeout", "0"],
    ];
    for args in &cases {
        let (out, _) = run(false, args);
        let shown: Vec<String> = args.iter().map(|a| a.chars().take(30).collect()).collect();
        let line = assert_one_line_error(&out, &format!("{shown:?}"));
        // What the user typed is quoted, not all of it.
        assert!(!line.contains(&"A".repeat(100)), "{shown:?}: {line}");
    }
    // 131 KB of garbage on standard input: the same short line.
    let garbage = "Z\u{1b}[2J\r".repeat(131 * 1024 / 6);
    let out = run_with_stdin(&["explain", "-"], garbage.as_bytes());
    let line = assert_one_line_error(&out, "131 KB on stdin");
    assert!(line.contains(r"Z\x1b[2J\x0dZ"), "{line}");
    // Control characters in the input are shown escaped.
    let (out, _) = run(false, &["probe", hostile]);
    let line = assert_one_line_error(&out, "hostile target");
    assert!(line.contains(r"\u{1b}]0;pwned"), "{line}");
}

#[test]
fn an_argument_that_is_not_utf8_is_a_usage_error() {
    use std::os::unix::ffi::OsStrExt;
    let out = std::process::Command::new(bin())
        .arg("probe")
        .arg(std::ffi::OsStr::from_bytes(b"host\xff\xfe"))
        .output()
        .unwrap();
    assert_one_line_error(&out, "non-UTF-8 target");
}

#[test]
fn help_and_version_still_work() {
    let (out, _) = run(false, &["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("rdpdoctor "));
    for args in [
        &["--help"][..],
        &["probe", "--help"][..],
        &["explain", "--help"][..],
        &["demo", "--help"][..],
        &["lab", "serve", "--help"][..],
        &["lab", "--help"][..],
        &["help", "probe"][..],
    ] {
        let (out, _) = run(false, args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(help.contains("Examples:"), "{args:?}:\n{help}");
        assert!(out.stderr.is_empty(), "{args:?}");
    }
    let (out, _) = run(false, &["explain", "--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("rdpdoctor explain -"), "{help}");
    assert!(help.contains("--file"), "{help}");
    let (out, _) = run(false, &["probe", "--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("/v:"), "{help}");
    assert!(help.contains("full address:s:"), "{help}");
}

#[test]
fn explain_takes_its_options_anywhere() {
    for args in [
        &["explain", "0x904", "0x7", "--format", "json"][..],
        &["explain", "0x904", "--format", "json", "0x7"][..],
        &[
            "explain",
            "--color",
            "never",
            "0x904",
            "0x7",
            "--format=json",
        ][..],
    ] {
        let (out, _) = run(false, args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: not JSON: {e}"));
        assert_eq!(v["input"], "0x904 0x7", "{args:?}");
        assert_eq!(v["causes"][0]["id"], "rdp-cert-expired", "{args:?}");
    }
    // After `--`, everything is text, even what looks like an option.
    let (out, _) = run(false, &["explain", "--", "--format", "json"]);
    let line = assert_one_line_error(&out, "explain -- --format json");
    assert!(line.contains(r#""--format json""#), "{line}");
}

#[test]
fn explain_reads_standard_input_and_files() {
    let dialog = b"This computer can't connect to the remote computer.\r\n\r\nError code: 0x904\r\nExtended error code: 0x7\r\n";
    let out = run_with_stdin(&["explain", "--format", "json", "-"], dialog);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["causes"][0]["id"], "rdp-cert-expired");

    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let file = dir.join("explain-input.log");
    std::fs::write(&file, dialog).unwrap();
    let (out, _) = run(
        false,
        &[
            "explain",
            "--file",
            file.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["causes"][0]["id"], "rdp-cert-expired");
    // `--file -` is standard input too.
    let out = run_with_stdin(&["explain", "--file", "-", "--format", "json"], dialog);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn explain_input_is_bounded_at_one_mib() {
    // A 1 MiB log is read and explained in reasonable time...
    let mut log = String::new();
    let mut i = 0u32;
    while log.len() < 1024 * 1024 - 200 {
        log.push_str(&format!(
            "[{i:06}] [ERROR][com.freerdp.core.transport] - transport_connect_tls:freerdp_set_last_error_ex ERRCONNECT_TLS_CONNECT_FAILED [0x00020008]\n"
        ));
        i += 1;
    }
    let start = std::time::Instant::now();
    let out = run_with_stdin(&["explain", "-"], log.as_bytes());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("ERRCONNECT_TLS_CONNECT_FAILED"));
    assert!(start.elapsed().as_secs() < 20, "{:?}", start.elapsed());
    // ... one byte more than 1 MiB is refused with one line, at once.
    let big = vec![b'a'; 1024 * 1024 + 1];
    let out = run_with_stdin(&["explain", "-"], &big);
    let line = assert_one_line_error(&out, "2 MiB on stdin");
    assert!(line.contains("1 MiB"), "{line}");
    let file = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("explain-big.log");
    std::fs::write(&file, &big).unwrap();
    let (out, _) = run(false, &["explain", "--file", file.to_str().unwrap()]);
    let line = assert_one_line_error(&out, "2 MiB file");
    assert!(line.contains("1 MiB"), "{line}");
}

#[test]
fn a_port_as_a_second_argument_gets_a_hint() {
    let (out, _) = run(false, &["probe", "rdp.example.com", "3390"]);
    let line = assert_one_line_error(&out, "probe HOST PORT");
    assert!(
        line.contains("use HOST:PORT, e.g. rdp.example.com:3390"),
        "{line}"
    );
    let (out, _) = run(false, &["probe", "::1", "3390"]);
    let line = assert_one_line_error(&out, "probe IPv6 PORT");
    assert!(line.contains("[::1]:3390"), "{line}");
    let (out, _) = run(false, &["probe", "full", "address:s:rdp.example.com"]);
    let line = assert_one_line_error(&out, "unquoted .rdp line");
    assert!(line.contains("'full address:s:HOST:PORT'"), "{line}");
}

/// Targets the resolver would misread or that DNS cannot carry are refused
/// before any network step: exit 2, at once.
#[test]
fn impossible_targets_are_refused_before_the_network() {
    let label64 = format!("{}.example", "a".repeat(64));
    let name254 = format!("{}.example", ["abcdefghi"; 25].join("."));
    for bad in [
        "999.1.1.1",
        "1.2.3",
        "127.1",
        "0x7f.1",
        "010.0.0.1",
        "2130706433",
        "/v:1.2.3",
        "full address:s:999.1.1.1:3389",
        "/v:host:0",
        "a..example",
        &label64,
        &name254,
        "xn--a.example",
    ] {
        let start = std::time::Instant::now();
        let (out, _) = run(false, &["probe", bad, "--timeout", "30"]);
        let line = assert_one_line_error(&out, bad);
        assert!(
            start.elapsed().as_secs() < 5,
            "{bad}: took {:?}",
            start.elapsed()
        );
        if bad.contains("1.2.3")
            || bad.contains("999")
            || bad.starts_with("0")
            || bad.starts_with("127")
            || bad.starts_with("2130")
        {
            assert!(line.contains("bad IPv4 address"), "{bad}: {line}");
        }
    }
    let (out, _) = run(false, &["probe", &label64]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("at most 63"));
    let (out, _) = run(false, &["probe", &name254]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("at most 253"));
}

#[test]
fn output_file_holds_exactly_what_stdout_would() {
    let dir = std::env::temp_dir().join(format!("rdpdoctor-cli-output.{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for format in ["text", "json"] {
        let args = ["explain", "0x904", "0x7", "--format", format];
        let (stdout, _) = run(false, &args);
        let file = dir.join(format!("explain.{format}"));
        let (out, _) = run(
            false,
            &[&args[..], &["--output", file.to_str().unwrap()]].concat(),
        );
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        assert!(
            out.stdout.is_empty(),
            "the report went to the file, not stdout"
        );
        let written = std::fs::read(&file).unwrap();
        assert!(!written.starts_with(b"\xef\xbb\xbf"), "no byte order mark");
        assert!(std::str::from_utf8(&written).is_ok(), "UTF-8");
        assert_eq!(written, stdout.stdout, "{format}");
    }
    // A file that cannot be written: one line, exit 2, before any work.
    let (out, _) = run(
        false,
        &["probe", "127.0.0.1:1", "-o", "/nonexistent-dir/report.txt"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("cannot write the output to"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
