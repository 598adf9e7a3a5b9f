//! The reference client through the emulated RD Gateway (`#[ignore]`d: it
//! needs xfreerdp 2.11, Xvfb, winpr-hash and freerdp-shadow-cli, the
//! packages of `lab/install.sh`; it starts only what it uses, on loopback,
//! and stops it after).
//!
//! For every gateway fault, real `xfreerdp +auth-only /g: /gt:http` is run
//! through the same emulated gateway `tests/gateway.rs` probes, and its exit
//! code is held to the one measured here; the healthy gateway carries a real
//! NLA connection (NTLM against a SAM file) to FreeRDP's shadow server, over
//! the WebSocket transport and over the legacy two-channel one
//! (`/gt:http,no-websockets`).
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
/// - no HTTP transport (404) is 133, "security negotiation failure";
/// - no WebSocket (`gw-no-websocket`: the upgrade answered 200) is 0: 2.11
///   takes the 200 for an "old rdg endpoint", opens `RDG_IN_DATA` and logs
///   on over the legacy transport;
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
        0,
        "Authentication only, exit status 0",
    ),
    (
        GatewayFault::RpcOnly,
        133,
        "ERRCONNECT_SECURITY_NEGO_CONNECT_FAILED",
    ),
    (GatewayFault::Silent, 124, ""),
    // No UDP transport in xfreerdp 2.11's rdg.c: it connects over TCP.
    (
        GatewayFault::UdpBlocked,
        0,
        "Authentication only, exit status 0",
    ),
    // FreeRDP 2 sends `Authorization: NTLM`; the 401 that answers it
    // carries no CHALLENGE and offers Negotiate alone: 0.4 s, the same
    // exit and line as a gateway without the HTTP transport.
    (
        GatewayFault::NegotiateOnly,
        133,
        "ERRCONNECT_SECURITY_NEGO_CONNECT_FAILED",
    ),
];

/// One lab test of this file at a time: each picks free ports by binding
/// and releasing them (another test's connections could take one before its
/// server binds it) and starts servers that take seconds on a loaded machine.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

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

/// The emulated gateway on 127.0.0.1, a free port.
fn spawn_gateway(rt: &tokio::runtime::Runtime, cfg: GatewayConfig) -> RunningGateway {
    rt.block_on(rdpdoctor_emulator::spawn_gateway(
        cfg,
        "127.0.0.1:0".parse().unwrap(),
    ))
    .unwrap()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An Xvfb for xfreerdp, on a display from `base` on.
fn start_xvfb(base: u32, procs: &mut Procs) -> String {
    let display = format!(":{}", base + std::process::id() % 50);
    procs.0.push(
        Command::new("Xvfb")
            // -noreset: without it the X server resets when its last
            // client (a row's shadow server) goes, and the next row's
            // shadow, connecting during the reset, fails to open the
            // display (seen once under load: "failed to open display").
            .args([
                &display,
                "-screen",
                "0",
                "1024x768x24",
                "-nolisten",
                "tcp",
                "-noreset",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb (lab/install.sh)"),
    );
    // The shadow server exits when its display is not up yet (lab/up.sh
    // waits for the socket too): a fixed pause was not enough under load.
    let socket = format!("/tmp/.X11-unix/X{}", display.trim_start_matches(':'));
    let until = Instant::now() + Duration::from_secs(20);
    while !std::path::Path::new(&socket).exists() {
        assert!(
            Instant::now() < until,
            "Xvfb {display}: no {socket} within 20 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    display
}

/// Xvfb and an NLA shadow server with a SAM file for the lab account.
fn start_shadow(dir: &std::path::Path, procs: &mut Procs) -> (String, u16) {
    let display = start_xvfb(190, procs);
    let port = start_shadow_on(&display, dir, LAB_PASSWORD, procs);
    (display, port)
}

/// An NLA shadow server on `display` whose SAM file gives the lab account
/// `password`; its port.
fn start_shadow_on(display: &str, dir: &std::path::Path, password: &str, procs: &mut Procs) -> u16 {
    let sam = dir.join("sam.txt");
    let hash = Command::new("winpr-hash")
        .args(["-u", LAB_USER, "-p", password, "-f", "sam"])
        .output()
        .expect("winpr-hash (lab/install.sh)");
    std::fs::write(&sam, &hash.stdout).unwrap();
    let port = free_port();
    let log = dir.join("shadow.log");
    let mut child = Command::new("freerdp-shadow-cli")
        .args([
            "/bind-address:127.0.0.1".to_owned(),
            format!("/port:{port}"),
            "/sec:nla".to_owned(),
            format!("/sam-file:{}", sam.display()),
        ])
        .current_dir(dir)
        .env("DISPLAY", display)
        .env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("freerdp-shadow-cli (lab/install.sh)");
    // A loaded machine (the lab run) starts it slowly; one that exits says why.
    let until = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            let said = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("freerdp-shadow-cli on {display} port {port} exited ({status}): {said}");
        }
        assert!(
            Instant::now() < until,
            "nothing listens on {port} within 30 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    procs.0.push(child);
    port
}

/// xfreerdp through the gateway to the shadow server: exit code and its last lines.
fn xfreerdp(display: &str, dir: &std::path::Path, gw: u16, target: u16) -> (i32, String) {
    xfreerdp_sec(display, dir, gw, target, "nla", DEMO_AT_GATEWAY, WEBSOCKET)
}

/// The HTTP transport with WebSocket, as xfreerdp 2.11 asks by default.
const WEBSOCKET: &str = "http";
/// The legacy two-channel HTTP transport: `no-websockets` makes xfreerdp
/// 2.11 send `RDG_OUT_DATA` without the upgrade (`rdg.c`), so the gateway
/// answers 200 and the client opens `RDG_IN_DATA`.
const LEGACY: &str = "http,no-websockets";

/// The demo's account, the one the emulated gateway accepts by default.
const DEMO_AT_GATEWAY: (&str, &str) = (
    rdpdoctor_emulator::DEMO_USER,
    rdpdoctor_emulator::DEMO_PASSWORD,
);

/// xfreerdp through the gateway, forcing `/sec:SEC` and `/gt:GT`: exit
/// code and its last lines.
fn xfreerdp_sec(
    display: &str,
    dir: &std::path::Path,
    gw: u16,
    target: u16,
    sec: &str,
    (gw_user, gw_password): (&str, &str),
    gt: &str,
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
            format!("/gu:{gw_user}"),
            format!("/gp:{gw_password}"),
            format!("/gt:{gt}"),
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
    let _lab = one_at_a_time();
    let dir = std::env::temp_dir().join(format!("rdpdoctor-lab-gateway-{}", std::process::id()));
    let dir = tempdir(&dir, "run");
    let mut procs = Procs(Vec::new());
    let (display, shadow) = start_shadow(&dir, &mut procs);
    let rt = rdpdoctor_testkit::run::runtime();
    let mut measured = Vec::new();
    for (fault, want, says) in XFREERDP_RC {
        let mut cfg = GatewayConfig::new(*fault);
        cfg.hold = Duration::from_secs(30);
        let gw = spawn_gateway(&rt, cfg);
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
    // The healthy gateway once more, over the legacy transport: the whole
    // NLA logon to the shadow server through RDG_OUT_DATA / RDG_IN_DATA.
    let gw = spawn_gateway(&rt, GatewayConfig::new(GatewayFault::Healthy));
    let t = Instant::now();
    let (legacy_rc, legacy_tail) = xfreerdp_sec(
        &display,
        &dir,
        gw.local_addr().port(),
        shadow,
        "nla",
        DEMO_AT_GATEWAY,
        LEGACY,
    );
    println!(
        "{:<24} rc {legacy_rc:<4} {:>5.1} s  {legacy_tail}",
        "gw-healthy (legacy)",
        t.elapsed().as_secs_f64()
    );
    rt.block_on(gw.shutdown());
    let _ = std::fs::remove_dir_all(dir.parent().unwrap());
    assert_eq!(
        legacy_rc, 0,
        "gw-healthy over the legacy transport: {legacy_tail}"
    );
    assert!(
        legacy_tail.contains("Authentication only, exit status 0"),
        "gw-healthy over the legacy transport: {legacy_tail}"
    );
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
    let _lab = one_at_a_time();
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
        let (rc, tail) = xfreerdp_sec(
            &display,
            &dir,
            gw_port,
            to,
            "tls",
            DEMO_AT_GATEWAY,
            WEBSOCKET,
        );
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

/// One row of `lab/ground-truth-gateway-logon.tsv`.
struct LogonRow {
    name: String,
    /// The target's SAM gives the lab account the password the gateway
    /// accepts (`same`) or another one (`other`).
    same_password: bool,
    /// The tunnel goes over the legacy transport (`legacy`), not WebSocket.
    legacy: bool,
    verdict: String,
    present: Vec<String>,
    absent: Vec<String>,
    top_cause: Option<String>,
    xfreerdp_rc: i32,
    /// The emulated gateway's fault (`gw-healthy`, `gw-udp-blocked`, `gw-negotiate-only`).
    gateway: GatewayFault,
}

fn logon_rows() -> Vec<LogonRow> {
    use rdpdoctor_testkit::truth::{tsv_list, tsv_rows};
    let rows = tsv_rows("lab/ground-truth-gateway-logon.tsv", 10);
    rows.into_iter()
        .map(|c| LogonRow {
            name: c[0].clone(),
            same_password: match c[1].as_str() {
                "same" => true,
                "other" => false,
                x => panic!("target_password {x:?}: same or other"),
            },
            legacy: match c[2].as_str() {
                "websocket" => false,
                "legacy" => true,
                x => panic!("transport {x:?}: websocket or legacy"),
            },
            verdict: c[3].clone(),
            present: tsv_list(&c[4]),
            absent: tsv_list(&c[5]),
            top_cause: (c[6] != "-").then(|| c[6].clone()),
            xfreerdp_rc: c[7].parse().expect("xfreerdp_rc: a number"),
            gateway: GatewayFault::from_name(&c[8]).expect("gateway: a gateway fault"),
        })
        .collect()
}

/// `rdpdoctor probe TARGET ARGS --user labuser --password-file F --format
/// json`, watched while it runs: its command line and environment (and any
/// child's) never hold the password, nor its stdout, stderr or JSON.
fn probe_watched(
    target: &str,
    args: &[&str],
    dir: &std::path::Path,
) -> rdpdoctor_testkit::cli::Probe {
    let file = dir.join("pw");
    std::fs::write(&file, LAB_PASSWORD).unwrap();
    let mut all: Vec<std::ffi::OsString> =
        ["probe", target, "--format", "json", "--no-reverse-dns"]
            .iter()
            .chain(args)
            .chain(&["--user", LAB_USER, "--password-file"])
            .map(Into::into)
            .collect();
    all.push(file.clone().into());
    let p = rdpdoctor_testkit::secrets::probe_watched(all, LAB_PASSWORD);
    let _ = std::fs::remove_file(&file);
    p
}

/// The logon at the target through the gateway's channel
/// (`lab/ground-truth-gateway-logon.tsv`): the emulated gateway accepts the
/// lab account and relays to FreeRDP's shadow server with NLA and a SAM
/// file (a real NTLM check). With the same password at the target, the
/// logon succeeds through the gateway; with another one in the target's
/// SAM, the refusal is the target's (the shadow server closes after the
/// AUTHENTICATE), never `gateway-auth-refused`. Each row: rdpdoctor through
/// the gateway, rdpdoctor directly to the same server (the target's
/// findings of the stages run through the channel agree), and xfreerdp
/// `/g: /gu: /gp: +auth-only` through the same gateway to the same target,
/// whose exit code agrees with rdpdoctor's. The password is watched for in
/// every process's command line and environment and in every output.
#[test]
#[ignore = "needs xfreerdp, Xvfb, winpr-hash and freerdp-shadow-cli (lab/install.sh)"]
fn the_logon_through_the_gateway_is_the_targets() {
    let _lab = one_at_a_time();
    let rows = logon_rows();
    assert!(
        rows.len() >= 3,
        "rows for the right and the wrong password, and the legacy transport"
    );
    let base = std::env::temp_dir().join(format!("rdpdoctor-lab-gw-logon-{}", std::process::id()));
    let mut xvfb = Procs(Vec::new());
    let display = start_xvfb(100, &mut xvfb);
    let rt = rdpdoctor_testkit::run::runtime();
    let mut measured = Vec::new();
    for row in &rows {
        let dir = tempdir(&base, &row.name);
        // A shadow server per row (lab-notes: one can wedge after failures).
        let mut shadow_procs = Procs(Vec::new());
        let password = if row.same_password {
            LAB_PASSWORD
        } else {
            "Other-Pass-2"
        };
        let shadow = start_shadow_on(&display, &dir, password, &mut shadow_procs);
        // The legacy rows: a gateway that refuses WebSocket (200), and
        // xfreerdp not asking for it.
        let gt = if row.legacy { LEGACY } else { WEBSOCKET };
        let mut cfg = GatewayConfig::new(row.gateway);
        cfg.user = LAB_USER.into();
        cfg.password = LAB_PASSWORD.into();
        cfg.hold = Duration::from_secs(30);
        let gw = spawn_gateway(&rt, cfg);
        let gw_port = gw.local_addr().port();
        let target = format!("127.0.0.1:{shadow}");
        let gw_arg = format!("127.0.0.1:{gw_port}");
        let through = probe_watched(&target, &["--gateway", &gw_arg, "--timeout", "3"], &dir);
        let direct = probe_watched(&target, &["--timeout", "3"], &dir);
        let (rc, tail) = xfreerdp_sec(
            &display,
            &dir,
            gw_port,
            shadow,
            "nla",
            (LAB_USER, LAB_PASSWORD),
            gt,
        );
        println!(
            "{:<16} xfreerdp rc {rc:<4} {tail}\n{:<16} through {} {:?} in {:.1} s\n{:<16} direct  {} {:?}",
            row.name,
            "",
            through.json["verdict"],
            through.target_finding_ids(),
            through.elapsed.as_secs_f64(),
            "",
            direct.json["verdict"],
            direct.target_finding_ids(),
        );
        measured.push((rc, through, direct));
        rt.block_on(gw.shutdown());
        drop(shadow_procs);
    }
    drop(xvfb);
    let _ = std::fs::remove_dir_all(&base);
    for (row, (rc, through, direct)) in rows.iter().zip(measured) {
        let name = &row.name;
        for id in &row.present {
            assert!(
                through.finding_ids().contains(id),
                "{name}: {id} missing from {:?}",
                through.finding_ids()
            );
        }
        for id in &row.absent {
            assert!(
                !through.finding_ids().contains(id),
                "{name}: {id} in {:?}",
                through.finding_ids()
            );
        }
        assert_eq!(through.json["verdict"], row.verdict.as_str(), "{name}");
        let top = through.json["diagnosis"]["causes"][0]["id"].as_str();
        assert_eq!(top, row.top_cause.as_deref(), "{name}: top cause");
        // The gateway let the lab account through in every row.
        let hops = through.json["gateway"]["hops"].as_array().unwrap();
        assert!(
            hops.iter().all(|h| h["outcome"] == "ok"),
            "{name}: {hops:?}"
        );
        // What the channel carried, the direct probe concludes too; and the
        // logon's and CredSSP's findings are the same both ways.
        let (t, d) = (through.target_finding_ids(), direct.target_finding_ids());
        assert!(
            t.iter().all(|i| d.contains(i)),
            "{name}: through {t:?}, directly {d:?}"
        );
        assert_eq!(
            through.json["logon"]["outcome"], direct.json["logon"]["outcome"],
            "{name}"
        );
        for key in ["netbios_computer_name", "dns_computer_name", "os_version"] {
            let (a, b) = (&through.json["ntlm"][key], &direct.json["ntlm"][key]);
            assert!(a.is_string(), "{name}: no ntlm.{key} through the gateway");
            assert_eq!(a, b, "{name}: ntlm.{key}");
        }
        // xfreerdp agrees: its exit code, and rdpdoctor's verdict fails exactly when it does.
        assert_eq!(rc, row.xfreerdp_rc, "{name}: xfreerdp exit code");
        assert_eq!(
            through.code != 0,
            rc != 0,
            "{name}: rdpdoctor {} vs xfreerdp {rc}",
            through.code
        );
        let headline = through.json["diagnosis"]["headline"]
            .as_str()
            .unwrap_or_default();
        if row.gateway == GatewayFault::NegotiateOnly {
            // mstsc's way (Negotiate) gets through; xfreerdp's (NTLM) does not.
            assert!(
                headline.contains("some clients fail at authentication at the gateway"),
                "{name}: {headline}"
            );
            assert_eq!(
                through.json["gateway"]["auth"]["scheme"], "negotiate",
                "{name}"
            );
        } else if rc != 0 {
            assert!(
                headline.contains("the hop that fails is the target itself"),
                "{name}: {headline}"
            );
        }
        assert!(
            through.elapsed < Duration::from_secs(15),
            "{name}: {:?}",
            through.elapsed
        );
    }
}
