//! A reader that goes away (`rdpdoctor … | head -1`) ends the output
//! quietly: no "failed printing to stdout" panic, no exit 101. `lab serve`
//! goes on serving when its stdout closes.

use rdpdoctor_testkit::cli::*;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A pipe whose reading end is already closed: every write gets EPIPE.
fn closed_pipe() -> Stdio {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    writer.into()
}

fn run_into_closed_stdout(args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .stdin(Stdio::null())
        .stdout(closed_pipe())
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

#[track_caller]
fn assert_quiet(out: &Output, what: &str, code: i32) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{what}: {err}");
    assert!(err.is_empty(), "{what}: stderr {err:?}");
}

#[test]
fn explain_into_a_closed_pipe_is_quiet() {
    let out = run_into_closed_stdout(&["explain", "0x904", "0x7"]);
    assert_quiet(&out, "explain", 0);
    let out = run_into_closed_stdout(&["explain", "--format", "json", "0x904"]);
    assert_quiet(&out, "explain json", 0);
    let out = run_into_closed_stdout(&["lab", "serve", "--list"]);
    assert_quiet(&out, "lab serve --list", 0);
    let out = run_into_closed_stdout(&["--help"]);
    assert_quiet(&out, "--help", 0);
}

#[test]
fn probe_into_a_closed_pipe_keeps_its_exit_status() {
    // Nothing listens there: refused, a `fail` finding, exit 1.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let target = l.local_addr().unwrap().to_string();
    drop(l);
    let out = run_into_closed_stdout(&["probe", &target, "--samples", "1", "--no-reverse-dns"]);
    assert_quiet(&out, "probe", 1);
}

#[test]
fn an_error_into_a_closed_stderr_does_not_panic() {
    let out = Command::new(bin())
        .args(["probe", "1.2.3"])
        .stdout(Stdio::piped())
        .stderr(closed_pipe())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// Kills the `lab serve` it holds (by its own pid) when the test ends.
struct Serving(std::process::Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[test]
fn lab_serve_keeps_serving_when_its_stdout_closes() {
    let (a, b) = (free_port(), free_port());
    let child = Command::new(bin())
        .args([
            "lab",
            "serve",
            "--fault",
            &format!("accept-then-close=127.0.0.1:{a}"),
            "--fault",
            &format!("expired-cert=127.0.0.1:{b}"),
        ])
        .stdin(Stdio::null())
        .stdout(closed_pipe())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut serving = Serving(child);
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", b)).is_err() {
        assert!(
            serving.0.try_wait().unwrap().is_none(),
            "lab serve ended when its stdout closed"
        );
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "never listened"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // Both listeners answer, as servers, after the failed writes.
    assert!(std::net::TcpStream::connect(("127.0.0.1", a)).is_ok());
    let p = probe_target(false, &format!("127.0.0.1:{b}"), &["--samples", "1"]);
    p.assert_has("cert-expired");
    assert!(
        serving.0.try_wait().unwrap().is_none(),
        "lab serve ended when its stdout closed"
    );
}
