//! The reference client through the emulated RD Gateway (`#[ignore]`d: it
//! needs xfreerdp 2.11, Xvfb, winpr-hash and freerdp-shadow-cli, the
//! packages of `lab/install.sh`; it starts only what it uses, on loopback,
//! and stops it after).
//!
//! For every gateway fault, real `xfreerdp +auth-only /g: /gt:http` is run
//! through the same emulated gateway `tests/gateway.rs` probes, and its exit
//! code is held to the one measured here; the healthy gateway carries a real
//! NLA connection (NTLM against a SAM file) to FreeRDP's shadow server.
//! The passwords are the lab's and the demo's throwaway ones: the reference
//! client is the only place they go in argv (ARCHITECTURE.md, invariant 7).
//!
//! `cargo test -p rdpdoctor --test lab_gateway -- --ignored --nocapture`
//! (the second test, the target behind the gateway, needs only xfreerdp and
//! Xvfb: the emulator is its target).

use rdpdoctor_emulator::{GatewayConfig, GatewayFault, RunningGateway};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The lab's account on the shadow server (lab-notes: `winpr-hash -u labuser`).
const LAB_USER: &str = "labuser";
const LAB_PASSWORD: &str = "LabPass1!";

/// xfreerdp 2.11.7's exit code through each fault, measured here (Debian 12),
/// and what its log names: the same E_PROXY_* status rdpdoctor's finding
/// names, where the gateway sent one.
///
/// - `gw-cert-expired` passes only because of `/cert:ignore` (it ignores the
///   gateway's certificate too); mstsc refuses an expired gateway certificate.
/// - every gateway HRESULT is exit 131, the name only in the log;
/// - `gw-auth-refused` is 155 (ERRCONNECT_ACCESS_DENIED);
/// - no HTTP transport (404) and no WebSocket (the emulator does not play
///   the legacy transport) are 133, "security negotiation failure";
/// - a gateway silent after TLS is never given up: 124 is `timeout`'s.
const XFREERDP_RC: &[(GatewayFault, i32, &str)] = &[
    (
        GatewayFault::Healthy,
        0,
        "Authentication only, exit status 0",
    ),
    (
        GatewayFault::CertExpired,
        0,
        "Authentication only, exit status 0",
    ),
    (GatewayFault::AuthRefused, 155, "ERRCONNECT_ACCESS_DENIED"),
    (GatewayFault::CapDenied, 131, "E_PROXY_NAP_ACCESSDENIED"),
    (GatewayFault::RapDenied, 131, "E_PROXY_RAP_ACCESSDENIED"),
    (
        GatewayFault::TargetUnreachable,
        131,
        "E_PROXY_TS_CONNECTFAILED",
    ),
    (
        GatewayFault::MaxConnections,
        131,
        "E_PROXY_MAXCONNECTIONSREACHED",
    ),
    (
        GatewayFault::NoWebsocket,
        133,
        "ERRCONNECT_SECURITY_NEGO_CONNECT_FAILED",
    ),
    (
        GatewayFault::RpcOnly,
        133,
        "ERRCONNECT_SECURITY_NEGO_CONNECT_FAILED",
    ),
    (GatewayFault::Silent, 124, ""),
];

/// Children killed (by their own pid) when the test ends.
struct Procs(Vec<Child>);

impl Drop for Procs {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_listening(port: u16, within: Duration) {
    let until = Instant::now() + within;
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < until, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// An Xvfb for xfreerdp, on a display from `base` on.
fn start_xvfb(base: u32, procs: &mut Procs) -> String {
    let display = format!(":{}", base + std::process::id() % 50);
    procs.0.push(
        Command::new("Xvfb")
            .args([&display, "-screen", "0", "1024x768x24", "-nolisten", "tcp"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb (lab/install.sh)"),
    );
    std::thread::sleep(Duration::from_millis(300));
    display
}

/// Xvfb and an NLA shadow server with a SAM file for the lab account.
fn start_shadow(dir: &std::path::Path, procs: &mut Procs) -> (String, u16) {
    let display = start_xvfb(190, procs);
    let sam = dir.join("sam.txt");
    let hash = Command::new("winpr-hash")
        .args(["-u", LAB_USER, "-p", LAB_PASSWORD, "-f", "sam"])
        .output()
        .expect("winpr-hash (lab/install.sh)");
    std::fs::write(&sam, &hash.stdout).unwrap();
    let port = free_port();
    procs.0.push(
        Command::new("freerdp-shadow-cli")
            .args([
                "/bind-address:127.0.0.1".to_owned(),
                format!("/port:{port}"),
                "/sec:nla".to_owned(),
                format!("/sam-file:{}", sam.display()),
            ])
            .current_dir(dir)
            .env("DISPLAY", &display)
            .env("HOME", dir)
            .env("XDG_CONFIG_HOME", dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("freerdp-shadow-cli (lab/install.sh)"),
    );
    wait_listening(port, Duration::from_secs(10));
    (display, port)
}

/// xfreerdp through the gateway to the shadow server: exit code and its last lines.
fn xfreerdp(display: &str, dir: &std::path::Path, gw: u16, target: u16) -> (i32, String) {
    xfreerdp_sec(display, dir, gw, target, "nla")
}

/// xfreerdp through the gateway, forcing `/sec:SEC`: exit code and its last lines.
fn xfreerdp_sec(
    display: &str,
    dir: &std::path::Path,
    gw: u16,
    target: u16,
    sec: &str,
) -> (i32, String) {
    let home = tempdir(dir, "home");
    let out = Command::new("timeout")
        .args(["-k", "3", "20", "xfreerdp"])
        .args([
            format!("/v:127.0.0.1:{target}"),
            format!("/u:{LAB_USER}"),
            format!("/p:{LAB_PASSWORD}"),
            format!("/sec:{sec}"),
            format!("/g:127.0.0.1:{gw}"),
            format!("/gu:{}", rdpdoctor_emulator::DEMO_USER),
            format!("/gp:{}", rdpdoctor_emulator::DEMO_PASSWORD),
            "/gt:http".to_owned(),
            "/cert:ignore".to_owned(),
            "+auth-only".to_owned(),
        ])
        .env("DISPLAY", display)
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .stdin(Stdio::null())
        .output()
        .expect("xfreerdp (lab/install.sh)");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let tail: Vec<&str> = text.lines().rev().take(4).collect();
    (out.status.code().unwrap_or(-1), tail.join(" | "))
}

fn tempdir(parent: &std::path::Path, name: &str) -> std::path::PathBuf {
    let d = parent.join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
#[ignore = "needs xfreerdp, Xvfb and freerdp-shadow-cli (lab/install.sh)"]
fn xfreerdp_through_every_emulated_gateway() {
    let dir = std::env::temp_dir().join(format!("rdpdoctor-lab-gateway-{}", std::process::id()));
    let dir = tempdir(&dir, "run");
    let mut procs = Procs(Vec::new());
    let (display, shadow) = start_shadow(&dir, &mut procs);
    let rt = rdpdoctor_testkit::run::runtime();
    let mut measured = Vec::new();
    for (fault, want, says) in XFREERDP_RC {
        let mut cfg = GatewayConfig::new(*fault);
        cfg.hold = Duration::from_secs(30);
        let gw: RunningGateway = rt
            .block_on(rdpdoctor_emulator::spawn_gateway(
                cfg,
                "127.0.0.1:0".parse().unwrap(),
            ))
            .unwrap();
        let t = Instant::now();
        let (rc, tail) = xfreerdp(&display, &dir, gw.local_addr().port(), shadow);
        println!(
            "{:<24} rc {rc:<4} {:>5.1} s  {tail}",
            fault.name(),
            t.elapsed().as_secs_f64()
        );
        measured.push((*fault, rc, *want, tail.contains(says)));
        rt.block_on(gw.shutdown());
    }
    let _ = std::fs::remove_dir_all(dir.parent().unwrap());
    for (fault, rc, want, said) in measured {
        assert_eq!(rc, want, "{}: xfreerdp exit code", fault.name());
        assert!(
            said,
            "{}: xfreerdp's log does not name the status",
            fault.name()
        );
    }
}

/// The target behind a healthy gateway, with the reference client and with
/// rdpdoctor in the same run, each case where xfreerdp can tell:
/// - a healthy TLS server: xfreerdp `+auth-only /sec:tls` gets through the
///   channel to the target's TLS (exit 0); rdpdoctor probes the target
///   through the channel and finds nothing failing;
/// - a port nobody listens on: xfreerdp exits 131 naming
///   E_PROXY_TS_CONNECTFAILED; rdpdoctor's `gateway-target-unreachable`;
/// - a gateway that opens the channel and then relays nothing: xfreerdp
///   waits until `timeout` kills it (124); rdpdoctor's
///   `gateway-target-no-rdp` within its deadlines;
/// - a channel that answers with what is not RDP: xfreerdp 2.11.7 exits 133,
///   ERRCONNECT_SECURITY_NEGO_CONNECT_FAILED; rdpdoctor's `not-rdp` and
///   `gateway-target-no-rdp`.
///
/// An expired target certificate cannot be told by xfreerdp here: its
/// `/cert:ignore` (needed past the gateway's self-signed certificate)
/// ignores the target's too, so `tests/gateway.rs` holds that case alone.
#[test]
#[ignore = "needs xfreerdp and Xvfb (lab/install.sh)"]
fn xfreerdp_and_rdpdoctor_through_the_gateway_to_the_target() {
    use rdpdoctor_emulator::gateway::GatewayHostile;
    use rdpdoctor_emulator::{Fault, FaultConfig};
    use rdpdoctor_testkit::cli::{demo_logon_args, probe_target};
    let dir = std::env::temp_dir().join(format!("rdpdoctor-lab-gw-target-{}", std::process::id()));
    let dir = tempdir(&dir, "run");
    let mut procs = Procs(Vec::new());
    let display = start_xvfb(140, &mut procs);
    let rt = rdpdoctor_testkit::run::runtime();
    let any = "127.0.0.1:0".parse().unwrap();
    let target = rt
        .block_on(rdpdoctor_emulator::spawn(
            FaultConfig::new(Fault::HealthyTls),
            any,
        ))
        .unwrap();
    let port = target.local_addr().port();
    let closed = free_port();
    // (hostile, target port, xfreerdp's exit code, what its log says, the
    // finding rdpdoctor gives, whether rdpdoctor's verdict is failing)
    type Case = (
        Option<GatewayHostile>,
        u16,
        i32,
        &'static str,
        &'static str,
        bool,
    );
    let cases: [Case; 4] = [
        (
            None,
            port,
            0,
            "Authentication only",
            "gateway-channel-opened",
            false,
        ),
        (
            None,
            closed,
            131,
            "E_PROXY_TS_CONNECTFAILED",
            "gateway-target-unreachable",
            true,
        ),
        (
            Some(GatewayHostile::ChannelSilent),
            port,
            124,
            "",
            "gateway-target-no-rdp",
            true,
        ),
        (
            Some(GatewayHostile::ChannelGarbage),
            port,
            133,
            "ERRCONNECT_SECURITY_NEGO_CONNECT_FAILED",
            "not-rdp",
            true,
        ),
    ];
    let mut measured = Vec::new();
    for (hostile, to, want_rc, says, finding, failing) in cases {
        let mut cfg = GatewayConfig::new(GatewayFault::Healthy);
        cfg.hold = Duration::from_secs(30);
        cfg.hostile = hostile;
        let gw: RunningGateway = rt
            .block_on(rdpdoctor_emulator::spawn_gateway(cfg, any))
            .unwrap();
        let gw_port = gw.local_addr().port();
        let (rc, tail) = xfreerdp_sec(&display, &dir, gw_port, to, "tls");
        let (logon, _pw) = demo_logon_args("lab-gw-target");
        let gw_arg = format!("127.0.0.1:{gw_port}");
        let mut args = vec!["--gateway", gw_arg.as_str(), "--timeout", "3"];
        args.extend(logon.iter().map(String::as_str));
        let p = probe_target(false, &format!("127.0.0.1:{to}"), &args);
        let name = hostile.map(|h| h.name()).unwrap_or("gw-healthy");
        println!(
            "{name:<24} port {to:<5} xfreerdp rc {rc:<4} {tail}\n{:<24} rdpdoctor {} {:?} in {:.1} s",
            "",
            p.json["verdict"],
            p.finding_ids(),
            p.elapsed.as_secs_f64()
        );
        measured.push((name, rc, want_rc, tail.contains(says), p, finding, failing));
        rt.block_on(gw.shutdown());
    }
    rt.block_on(target.shutdown());
    let _ = std::fs::remove_dir_all(dir.parent().unwrap());
    for (name, rc, want, said, p, finding, failing) in measured {
        assert_eq!(rc, want, "{name}: xfreerdp exit code");
        assert!(said, "{name}: xfreerdp's log does not say what it should");
        p.assert_has(finding);
        assert_eq!(
            p.code,
            i32::from(failing),
            "{name}: rdpdoctor's exit status"
        );
        assert!(
            p.elapsed < Duration::from_secs(12),
            "{name}: {:?}",
            p.elapsed
        );
    }
}
