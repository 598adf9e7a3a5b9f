//! `rdpdoctor exporter` without the lab: the allowlist (403 before any
//! packet, proven by a listener that counts what reaches it), bad requests,
//! the concurrency bound, SIGTERM with a probe in flight. Every peer is a
//! listener this test opens on loopback.

use rdpdoctor_testkit::cli;
use rdpdoctor_testkit::exporter as exporter_util;

use exporter_util::{Exporter, request, sample_value};
use std::net::TcpListener;
use std::time::{Duration, Instant};

/// A listener on `ip`, non-blocking, so that `accepted` can count what
/// reached it without waiting.
fn listener(ip: &str) -> TcpListener {
    let l = TcpListener::bind((ip, 0)).unwrap();
    l.set_nonblocking(true).unwrap();
    l
}

/// Connections that reached the listener.
fn accepted(l: &TcpListener) -> usize {
    let mut n = 0;
    while l.accept().is_ok() {
        n += 1;
    }
    n
}

#[test]
fn outside_the_allowlist_is_403_and_nothing_reaches_the_target() {
    // 127.0.0.2 is loopback too, but outside --allow 127.0.0.1/32.
    let target = listener("127.0.0.2");
    let port = target.local_addr().unwrap().port();
    let e = Exporter::start(&["--allow", "127.0.0.1/32"]);
    for t in [
        format!("127.0.0.2:{port}"),
        format!("[::ffff:127.0.0.2]:{port}"),
        format!("rdp://127.0.0.2:{port}/"),
    ] {
        let (status, body) = e.probe(&t, "fast", "5");
        assert_eq!(status, 403, "{t}: {body}");
        assert!(
            body.contains("outside the allowed target networks")
                && body.contains("nothing was sent to it"),
            "{body}"
        );
    }
    let (status, body) = e.probe(&format!("0.0.0.0:{port}"), "fast", "5");
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("never probed"), "{body}");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(accepted(&target), 0, "a refused target got a connection");
    assert_eq!(
        e.metric("rdpdoctor_exporter_allowlist_refusals_total"),
        Some(4.0)
    );
    assert_eq!(
        e.metric("rdpdoctor_exporter_http_requests_total{code=\"403\",handler=\"/probe\"}"),
        Some(4.0)
    );

    // The control: allowed, the same listener is reached (so the count
    // above could have failed).
    let e2 = Exporter::start(&["--allow", "127.0.0.2"]);
    let (status, body) = e2.probe(&format!("127.0.0.2:{port}"), "fast", "3");
    assert_eq!(status, 200, "{body}");
    assert!(accepted(&target) > 0, "the allowed probe reached nothing");
}

#[test]
fn nothing_is_allowed_by_default() {
    let target = listener("127.0.0.1");
    let port = target.local_addr().unwrap().port();
    let e = Exporter::start(&[]);
    assert!(
        e.stderr.lock().unwrap().contains("every /probe is refused"),
        "the startup line says so"
    );
    let (status, body) = e.probe(&format!("127.0.0.1:{port}"), "fast", "5");
    assert_eq!(status, 403);
    assert!(body.contains("no target networks are allowed"), "{body}");
    // A name: resolved, then refused.
    let (status, _) = e.probe(&format!("localhost:{port}"), "fast", "5");
    assert_eq!(status, 403);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(accepted(&target), 0);
}

#[test]
fn bad_requests_get_a_status_and_one_line() {
    let e = Exporter::start(&["--allow", "127.0.0.1/32"]);
    for (path, status, says) in [
        ("/probe", 400, "no target"),
        ("/probe?target=", 400, "target is empty"),
        ("/probe?target=10.5", 400, "bad IPv4 address"),
        ("/probe?target=a&target=b", 400, "twice"),
        (
            "/probe?target=127.0.0.1:1&module=nope",
            400,
            "this exporter has fast, full",
        ),
        ("/nope", 404, "/probe?target=HOST"),
    ] {
        let (s, body) = e.get(path, &[]);
        assert_eq!(s, status, "{path}: {body}");
        assert!(body.contains(says), "{path}: {body}");
        assert_eq!(body.trim_end().lines().count(), 1, "{body}");
    }
    let long = format!("/probe?target={}", "a".repeat(5000));
    assert_eq!(e.get(&long, &[]).0, 414);
    let big = "x".repeat(20_000);
    assert_eq!(e.get("/", &[("X-Big", &big)]).0, 431);
    assert_eq!(request(e.addr, "POST", "/probe", &[], "target=x").0, 405);
    assert_eq!(request(e.addr, "GET", "/probe", &[], "target=x").0, 413);
    let (s, page) = e.get("/", &[]);
    assert_eq!(s, 200);
    assert!(page.contains("/probe?target=") && page.contains("fast"));
    // Hostile input is never echoed unescaped.
    let (s, body) = e.get("/probe?target=%1B%5D0%3Bpwned%07", &[]);
    assert_eq!(s, 400);
    assert!(!body.contains('\x1b') && !body.contains('\x07'), "{body:?}");
}

#[test]
fn bad_command_lines_and_config_files_are_one_line_and_exit_2() {
    let dir = std::env::temp_dir().join(format!("rdpdoctor-exporter-cfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("bad.toml");
    std::fs::write(&cfg, "[modules.x]\nprofile = \"slow\"\n").unwrap();
    for (args, says) in [
        (vec!["--allow", "10.0.0.0/33"], "CIDR"),
        (vec!["--allow", "10.1.2.3/8"], "did you mean 10.0.0.0/8"),
        (vec!["--config", cfg.to_str().unwrap()], "profile"),
        (
            vec!["--config", "/nonexistent/x.toml"],
            "/nonexistent/x.toml",
        ),
    ] {
        let out = std::process::Command::new(cli::bin())
            .args(["exporter", "--listen", "127.0.0.1:0"])
            .args(&args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(says) && err.lines().count() == 1,
            "{args:?}: {err}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn concurrency_is_bounded_and_the_overflow_waits_then_gets_503() {
    // A listener nobody accepts from: the kernel completes the handshakes,
    // nothing ever answers, each probe waits out its step timeout.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let dir = std::env::temp_dir().join(format!("rdpdoctor-exporter-bound-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("exporter.toml");
    std::fs::write(
        &cfg,
        "max_concurrent_probes = 2\n[modules.fast]\nstep_timeout_seconds = 1\ntimeout_seconds = 3\ntcp_samples = 1\n",
    )
    .unwrap();
    let e = Exporter::start(&["--allow", "127.0.0.1/32", "--config", cfg.to_str().unwrap()]);
    let addr = e.addr;
    let target = format!("/probe?target=127.0.0.1:{port}&module=fast");
    let answers: Vec<(u16, String)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let t = target.clone();
                s.spawn(move || {
                    request(
                        addr,
                        "GET",
                        &t,
                        &[("X-Prometheus-Scrape-Timeout-Seconds", "3")],
                        "",
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ok = answers.iter().filter(|(s, _)| *s == 200).count();
    let busy: Vec<&String> = answers
        .iter()
        .filter(|(s, _)| *s == 503)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(ok + busy.len(), 8, "{answers:?}");
    assert!(ok >= 2, "{answers:?}");
    assert!(
        !busy.is_empty(),
        "8 probes of ~1 s, 2 slots, 1.25 s of waiting: some must be refused"
    );
    assert!(
        busy[0].contains("busy") && busy[0].contains("max_concurrent_probes"),
        "{}",
        busy[0]
    );
    for (s, body) in &answers {
        if *s == 200 {
            assert_eq!(sample_value(body, "probe_success"), Some(0.0), "{body}");
            assert_eq!(
                sample_value(body, "rdp_port_state{state=\"accepted-and-silent\"}"),
                Some(1.0),
                "{body}"
            );
        }
    }
    assert_eq!(
        e.metric("rdpdoctor_exporter_probes_in_flight_max"),
        Some(2.0)
    );
    assert_eq!(e.metric("rdpdoctor_exporter_probes_in_flight"), Some(0.0));
    assert_eq!(e.metric("rdpdoctor_exporter_probe_limit"), Some(2.0));
    assert_eq!(
        e.metric("rdpdoctor_exporter_busy_refusals_total"),
        Some(busy.len() as f64)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_scrape_timeout_header_bounds_the_probe() {
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let e = Exporter::start(&["--allow", "127.0.0.1/32"]);
    // The fast module allows 15 s and 5 s a step; Prometheus allows 2 s.
    let t = Instant::now();
    let (s, body) = e.probe(&format!("127.0.0.1:{port}"), "fast", "2");
    let took = t.elapsed();
    assert_eq!(s, 200, "{body}");
    assert!(
        took < Duration::from_millis(2000),
        "answered after {took:?}, Prometheus gave up at 2 s"
    );
    let d = sample_value(&body, "probe_duration_seconds").unwrap();
    assert!(d <= 1.6, "the probe took {d} s of a 1.5 s budget");
}

#[test]
fn sigterm_lets_the_probe_in_flight_finish_and_refuses_new_connections() {
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let mut e = Exporter::start(&["--allow", "127.0.0.1/32"]);
    let addr = e.addr;
    let path = format!("/probe?target=127.0.0.1:{port}&module=fast");
    let in_flight = std::thread::spawn(move || {
        request(
            addr,
            "GET",
            &path,
            &[("X-Prometheus-Scrape-Timeout-Seconds", "3.5")],
            "",
        )
    });
    std::thread::sleep(Duration::from_millis(500));
    let t = Instant::now();
    e.terminate();
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "a new connection was accepted after SIGTERM"
    );
    let (s, body) = in_flight.join().unwrap();
    assert_eq!(s, 200, "{body}");
    assert_eq!(sample_value(&body, "probe_success"), Some(0.0), "{body}");
    let status = e.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    let log = e.stderr.lock().unwrap().clone();
    assert!(
        log.contains("shutting down") && log.contains("stopped"),
        "{log}"
    );
}

#[test]
fn a_scrape_given_up_keeps_its_slot_until_the_probe_ends_then_frees_its_sockets() {
    use std::io::Write;
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let e = Exporter::start(&["--allow", "127.0.0.1/32"]);
    let fds = || {
        std::fs::read_dir(format!("/proc/{}/fd", e.child.id()))
            .unwrap()
            .count()
    };
    let before = fds();
    // Prometheus gives up and closes the connection: the probe (2.5 s of
    // budget) goes on to its deadline, holding its slot, then lets go.
    let mut c = std::net::TcpStream::connect(e.addr).unwrap();
    write!(
        c,
        "GET /probe?target=127.0.0.1:{port} HTTP/1.1\r\nHost: x\r\nX-Prometheus-Scrape-Timeout-Seconds: 3\r\n\r\n"
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert!(fds() > before, "the probe holds connections to the target");
    drop(c);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        e.metric("rdpdoctor_exporter_probes_in_flight"),
        Some(1.0),
        "the probe's connections still count against the bound"
    );
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(e.metric("rdpdoctor_exporter_probes_in_flight"), Some(0.0));
    assert!(fds() <= before + 1, "{} fds, {before} before", fds());
}
