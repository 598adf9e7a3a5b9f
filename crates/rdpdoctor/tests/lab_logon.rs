//! The credentialed check (`probe --user`) against real servers, cross-checked
//! with the reference client, and the password kept out of every output.
//!
//! - FreeRDP's shadow server with `/sec:nla` and a SAM file (a real NTLM
//!   check): the right password authenticates; a wrong password or an
//!   unknown user makes it close the connection right after the NTLM
//!   AUTHENTICATE without an errorCode (its log: "MIC verification failed" /
//!   "Could not find user in SAM database"), and xfreerdp sees the same
//!   close with no NTSTATUS (exit 147).
//! - IronRDP's example server in hybrid mode (sspi-rs): the right password
//!   gets AUTHZ_SUCCESS under HYBRID_EX; a wrong one gets errorCode
//!   0xC007030C, the number xfreerdp prints as "SPNEGO failed with NTSTATUS".
//! - IronRDP's example server in TLS mode (no NLA): the credentials go in the
//!   Client Info PDU; it drops a wrong password with no code, and goes on to
//!   Demand Active with the right one.
//!
//! Lab tests are `#[ignore]`d (lab/test.sh runs them); the bad-input tests
//! need no lab.

use rdpdoctor_testkit::cli::*;
use std::io::Write;
use std::process::{Command, Stdio};

/// The lab's throwaway password (lab/up.sh writes it to the lab's password file).
fn lab_password() -> String {
    let env = lab_env();
    let path = env
        .get("RDPDOCTOR_LAB_PASSWORD_FILE")
        .expect("RDPDOCTOR_LAB_PASSWORD_FILE in the lab env");
    std::fs::read_to_string(path)
        .expect("the lab password file")
        .trim_end_matches(['\r', '\n'])
        .to_owned()
}

/// A password file in a fresh temporary directory.
fn password_file(tag: &str, bytes: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("rdpdoctor-logon-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("pw");
    std::fs::File::create(&p).unwrap().write_all(bytes).unwrap();
    p
}

/// One credentialed probe, with the password only in a file, watched while
/// it runs: `rdpdoctor`'s own command line and environment, and those of any
/// process it starts, sampled from /proc, must not contain `secret`; nor its
/// stdout, stderr or JSON.
struct Run {
    probe: Probe,
}

fn run_logon(target: &str, user: &str, password: &[u8], secret: &str) -> Run {
    let file = password_file(&user.replace('\\', "_"), password);
    let child = Command::new(bin())
        .args([
            "probe",
            target,
            "--format",
            "json",
            "--no-reverse-dns",
            "--user",
            user,
            "--password-file",
        ])
        .arg(&file)
        .env_remove("RDPDOCTOR_PASSWORD")
        .env("KRB5_CONFIG", rdpdoctor_testkit::cli::no_krb5_conf())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run rdpdoctor");
    let start = std::time::Instant::now();
    let (out, seen) = rdpdoctor_testkit::secrets::watch(child, secret);
    assert!(seen > 0, "the process was never sampled");
    let _ = std::fs::remove_dir_all(file.parent().unwrap());
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stdout.contains(secret), "the password is on stdout");
    assert!(!stderr.contains(secret), "the password is on stderr");
    let json: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\n{stderr}"));
    assert!(
        !json.to_string().contains(secret),
        "the password is in the JSON"
    );
    Run {
        probe: Probe {
            json,
            code: out.status.code().unwrap_or(-1),
            elapsed: start.elapsed(),
            stderr,
        },
    }
}

/// The reference client's run for the same attempt, over NLA.
fn xfreerdp(s: &Scenario, extra: &[&str]) -> (i32, String) {
    xfreerdp_sec(s, "nla", extra)
}

/// The reference client's run for the same attempt, with `/sec:SEC`.
fn xfreerdp_sec(s: &Scenario, sec: &str, extra: &[&str]) -> (i32, String) {
    let out = Command::new("bash")
        .arg(repo_root().join("lab/xfreerdp.sh"))
        .args([&s.address, &s.port.to_string(), sec])
        .args(extra)
        .output()
        .expect("run lab/xfreerdp.sh");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// The NTSTATUS in xfreerdp's "SPNEGO failed with NTSTATUS: … [0x…]" line.
fn xfreerdp_ntstatus(log: &str) -> Option<u32> {
    let line = log.lines().find(|l| l.contains("NTSTATUS"))?;
    let hex = line.rsplit_once("[0x")?.1.split(']').next()?;
    u32::from_str_radix(hex, 16).ok()
}

fn logon(p: &Probe) -> &serde_json::Value {
    &p.json["logon"]
}

#[test]
#[ignore = "needs the lab (lab/up.sh)"]
fn shadow_nla_right_password_authenticates() {
    let s = scenario("shadow-nla");
    let pw = lab_password();
    // A password file with a trailing newline: the newline is not part of it.
    let r = run_logon(&s.target(), "labuser", format!("{pw}\n").as_bytes(), &pw);
    let l = logon(&r.probe);
    assert_eq!(l["method"], "credssp");
    assert_eq!(l["via"], "hybrid");
    assert_eq!(l["outcome"], "authenticated", "{l}");
    assert_eq!(l["phase_reached"], "credentials-delegated");
    r.probe.assert_has("logon-succeeded");
    let (rc, log) = xfreerdp(&s, &[]);
    assert_eq!(
        rc, 0,
        "xfreerdp +auth-only with the same credentials:\n{log}"
    );
}

#[test]
#[ignore = "needs the lab (lab/up.sh)"]
fn shadow_nla_wrong_password_and_unknown_user_are_refused_without_a_status() {
    let s = scenario("shadow-nla");
    let pw = lab_password();
    let wrong = "Wr0ng-Pass-For-rdpdoctor";
    for (user, password) in [("labuser", wrong), ("nosuchuser", pw.as_str())] {
        let r = run_logon(&s.target(), user, password.as_bytes(), password);
        let l = logon(&r.probe);
        assert_eq!(l["outcome"], "closed", "{user}: {l}");
        assert_eq!(l["phase_reached"], "ntlm-authenticate", "{user}: {l}");
        assert!(l["ntstatus"].is_null(), "{user}: {l}");
        r.probe.assert_has("logon-refused-without-status");
        r.probe.assert_lacks("logon-succeeded");
        assert_eq!(r.probe.code, 1, "{user}: a refused logon fails the verdict");
        assert_eq!(
            r.probe.cause_ids().first().map(String::as_str),
            Some("wrong-credentials"),
            "{user}"
        );
        // The reference client sees the same: a close, no NTSTATUS.
        let (rc, log) = xfreerdp(&s, &[&format!("/u:{user}"), &format!("/p:{password}")]);
        assert_ne!(rc, 0, "{user}: xfreerdp got in:\n{log}");
        assert_eq!(xfreerdp_ntstatus(&log), None, "{user}: {log}");
    }
}

#[test]
#[ignore = "needs the lab (lab/up.sh)"]
fn ironrdp_hybrid_right_and_wrong_password() {
    let s = scenario("ironrdp-hybrid");
    let pw = lab_password();
    let r = run_logon(&s.target(), "labuser", pw.as_bytes(), &pw);
    let l = logon(&r.probe);
    assert_eq!(l["via"], "hybrid-ex", "{l}");
    assert_eq!(l["outcome"], "authenticated", "{l}");
    assert_eq!(l["phase_reached"], "early-user-authorization");
    assert_eq!(l["early_user_auth"], 0);
    assert_eq!(l["early_user_auth_name"], "AUTHZ_SUCCESS");
    r.probe.assert_has("logon-succeeded");

    let wrong = "Wr0ng-Pass-For-rdpdoctor";
    let r = run_logon(&s.target(), "labuser", wrong.as_bytes(), wrong);
    let l = logon(&r.probe);
    assert_eq!(l["outcome"], "rejected", "{l}");
    let ours = l["ntstatus"].as_u64().expect("an errorCode") as u32;
    r.probe.assert_has("bad-credentials");
    let summary = r.probe.finding_summary("bad-credentials").unwrap();
    assert!(summary.contains(&format!("0x{ours:08X}")), "{summary}");
    // xfreerdp reads the same errorCode from the same server.
    let (rc, log) = xfreerdp(&s, &[&format!("/p:{wrong}")]);
    assert_ne!(rc, 0, "{log}");
    assert_eq!(xfreerdp_ntstatus(&log), Some(ours), "{log}");
}

/// Lines of a lab server's log that contain `needle`.
fn server_log_count(name: &str, needle: &str) -> usize {
    let env = lab_env();
    let dir = env.get("RDPDOCTOR_LAB_LOGS").expect("RDPDOCTOR_LAB_LOGS");
    std::fs::read_to_string(format!("{dir}/{name}.log"))
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains(needle))
        .count()
}

/// IronRDP's example server with `--sec tls` checks the Client Info
/// credentials (ironrdp-acceptor: "invalid credentials", then it drops the
/// connection without sending anything). Without NLA the probe's Client Info
/// carries them: the right password goes on to Demand Active, which the
/// findings call a success only because the deep probe's Client Info
/// without credentials was dropped; the wrong one is dropped with no code.
/// xfreerdp +auth-only /sec:tls: the right password "Authentication only,
/// exit status 0" (rc 0); the wrong one "BIO_read returned a system error 0:
/// Success", ERRCONNECT_CONNECT_TRANSPORT_FAILED (rc 147), no ERRINFO.
#[test]
#[ignore = "needs the lab (lab/up.sh)"]
fn ironrdp_tls_right_and_wrong_password_through_the_client_info() {
    let s = scenario("ironrdp-tls");
    let pw = lab_password();
    let refused_before = server_log_count(&s.name, "invalid credentials");
    let r = run_logon(&s.target(), "labuser", pw.as_bytes(), &pw);
    let l = logon(&r.probe);
    assert_eq!(l["method"], "client-info", "{l}");
    assert_eq!(l["via"], "ssl", "{l}");
    assert_eq!(l["phase_reached"], "demand-active", "{l}");
    // The server itself never says so: the outcome stays honest.
    assert_eq!(l["outcome"], "not-verified", "{l}");
    r.probe.assert_has("logon-succeeded");
    r.probe.assert_lacks("logon-not-checked");
    let summary = r.probe.finding_summary("logon-succeeded").unwrap();
    assert!(summary.contains("without credentials"), "{summary}");
    assert_eq!(r.probe.code, 0, "{}", r.probe.stderr);
    // The deep probe's anonymous Client Info, refused (1 line); the right
    // password, accepted (none).
    let refused_right = server_log_count(&s.name, "invalid credentials") - refused_before;
    let (rc, log) = xfreerdp_sec(&s, "tls", &[]);
    assert_eq!(rc, 0, "xfreerdp /sec:tls with the right password:\n{log}");

    let wrong = "Wr0ng-Pass-For-rdpdoctor";
    let before = server_log_count(&s.name, "invalid credentials");
    let r = run_logon(&s.target(), "labuser", wrong.as_bytes(), wrong);
    let l = logon(&r.probe);
    assert_eq!(l["outcome"], "closed", "{l}");
    assert_eq!(l["phase_reached"], "client-info", "{l}");
    assert!(
        l["error_info"].is_null() && l["logon_error"].is_null(),
        "{l}"
    );
    r.probe.assert_has("logon-refused-without-status");
    r.probe.assert_lacks("logon-succeeded");
    assert_eq!(r.probe.code, 1);
    // The server refused both Client Info PDUs: the anonymous one and ours.
    let refused_wrong = server_log_count(&s.name, "invalid credentials") - before;
    assert_eq!(
        refused_wrong,
        refused_right + 1,
        "the server logged one more refusal for the wrong password"
    );
    let (rc, log) = xfreerdp_sec(&s, "tls", &[&format!("/p:{wrong}")]);
    assert_eq!(rc, 147, "xfreerdp /sec:tls with a wrong password:\n{log}");
    assert!(!log.contains("ERRINFO"), "{log}");
}

/// `rdpdoctor probe 127.0.0.1:1 ARGS` with the environment given: one line
/// on stderr, exit 2, nothing sent (port 1 would refuse anyway).
fn bad_input(args: &[&str], env: &[(&str, &str)], stdin_null: bool) -> String {
    let mut cmd = Command::new(bin());
    cmd.args(["probe", "127.0.0.1:1", "--no-reverse-dns"])
        .args(args)
        .env_remove("RDPDOCTOR_PASSWORD")
        .envs(env.iter().copied());
    if stdin_null {
        cmd.stdin(Stdio::null());
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(out.stdout.is_empty(), "{args:?}");
    assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
    stderr
}

#[test]
fn bad_credentials_input_is_one_line_and_exit_2() {
    let secret = "S3cret-Not-Shown";
    let env = [("RDPDOCTOR_PASSWORD", secret)];
    for (user, want) in [
        ("", "empty"),
        ("CONTOSO\\", "no user name after the backslash"),
        ("\\alice", "no domain"),
    ] {
        let e = bad_input(&["--user", user], &env, true);
        assert!(e.contains(want), "{user:?}: {e}");
        assert!(!e.contains(secret));
    }
    let e = bad_input(
        &["--user", "alice", "--password-file", "/nonexistent/pw"],
        &[],
        true,
    );
    assert!(e.contains("cannot read the password file"), "{e}");
    for (bytes, want) in [
        (&b""[..], "empty"),
        (&b"\n"[..], "empty"),
        (&b"\xff\xfePass"[..], "not UTF-8"),
        (&b"one\ntwo\n"[..], "more than one line"),
    ] {
        let f = password_file("bad", bytes);
        let e = bad_input(
            &["--user", "alice", "--password-file", f.to_str().unwrap()],
            &[],
            true,
        );
        assert!(e.contains(want), "{bytes:?}: {e}");
    }
    // No password anywhere and no terminal to ask on.
    let e = bad_input(&["--user", "alice"], &[], true);
    assert!(e.contains("RDPDOCTOR_PASSWORD"), "{e}");
    let e = bad_input(&["--user", "alice"], &[("RDPDOCTOR_PASSWORD", "")], true);
    assert!(e.contains("empty"), "{e}");
    // --password-file without --user.
    bad_input(&["--password-file", "/etc/hostname"], &[], true);
}

#[test]
fn a_non_utf8_user_or_password_is_refused() {
    use std::os::unix::ffi::OsStrExt;
    let bad = std::ffi::OsStr::from_bytes(b"al\xffice");
    let out = Command::new(bin())
        .args(["probe", "127.0.0.1:1", "--user"])
        .arg(bad)
        .env("RDPDOCTOR_PASSWORD", "x")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
    let out = Command::new(bin())
        .args(["probe", "127.0.0.1:1", "--user", "alice"])
        .env("RDPDOCTOR_PASSWORD", bad)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{e}");
    assert!(e.contains("not valid UTF-8"), "{e}");
}

#[test]
fn help_says_one_attempt_and_never_argv() {
    let out = Command::new(bin())
        .args(["probe", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("one authentication attempt per run"),
        "{help}"
    );
    assert!(help.contains("cannot lock an account"), "{help}");
    assert!(help.contains("never from the command line"), "{help}");
    assert!(help.contains("one trailing line end"), "{help}");
}
