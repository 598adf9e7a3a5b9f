//! A fleet behind one RD Gateway: `scan --gateway` and an exporter module
//! with a `gateway` probe every target through the emulated gateway on
//! loopback (`rdpdoctor_emulator::gateway`), each target's channel opened
//! and the target probed through it; the hop that fails is named per
//! target, in the reports and in the metrics. The password travels in a
//! file, never in argv, and never shows in the output.

use rdpdoctor_emulator::{
    Fault, FaultConfig, GatewayConfig, GatewayFault, RunningEmulator, RunningGateway,
};
use rdpdoctor_testkit::cli::*;
use rdpdoctor_testkit::exporter::{Exporter, sample_value};

/// A healthy gateway and, behind it, a healthy server, a server with an
/// expired certificate, and a port nobody listens on.
struct Fleet {
    gw: Option<RunningGateway>,
    targets: Vec<RunningEmulator>,
    closed: u16,
    rt: tokio::runtime::Runtime,
}

impl Fleet {
    fn start() -> Fleet {
        let rt = rdpdoctor_testkit::run::runtime();
        let any = "127.0.0.1:0".parse().unwrap();
        let targets = [Fault::HealthyNla, Fault::ExpiredCert]
            .into_iter()
            .map(|f| {
                rt.block_on(rdpdoctor_emulator::spawn(FaultConfig::new(f), any))
                    .unwrap()
            })
            .collect();
        let gw = rt
            .block_on(rdpdoctor_emulator::spawn_gateway(
                GatewayConfig::new(GatewayFault::Healthy),
                any,
            ))
            .unwrap();
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Fleet {
            gw: Some(gw),
            targets,
            closed,
            rt,
        }
    }

    fn gateway(&self) -> String {
        format!(
            "127.0.0.1:{}",
            self.gw.as_ref().unwrap().local_addr().port()
        )
    }

    /// The healthy server, the expired certificate, the closed port.
    fn targets(&self) -> [String; 3] {
        let at = |i: usize| format!("127.0.0.1:{}", self.targets[i].local_addr().port());
        [at(0), at(1), format!("127.0.0.1:{}", self.closed)]
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        if let Some(g) = self.gw.take() {
            self.rt.block_on(g.shutdown());
        }
        for t in self.targets.drain(..) {
            self.rt.block_on(t.shutdown());
        }
    }
}

fn ids(report: &serde_json::Value) -> Vec<&str> {
    report["findings"]
        .as_array()
        .map(|a| a.iter().filter_map(|f| f["id"].as_str()).collect())
        .unwrap_or_default()
}

#[test]
fn scan_through_a_gateway_probes_each_target_through_it() {
    let fleet = Fleet::start();
    let [healthy, expired, closed] = fleet.targets();
    let gw = fleet.gateway();
    let (logon, _pw) = demo_logon_args("scan-gateway");
    let mut args = vec![
        "scan",
        healthy.as_str(),
        expired.as_str(),
        closed.as_str(),
        "--gateway",
        &gw,
        "--timeout",
        "2",
        "--format",
        "ndjson",
        "--color",
        "never",
    ];
    args.extend(logon.iter().map(String::as_str));
    let (out, _) = run(false, &args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !stdout.contains(rdpdoctor_emulator::DEMO_PASSWORD),
        "the password is in the output"
    );
    let reports = by_input(&stdout);
    assert_eq!(reports.len(), 3, "{stdout}");
    let h = &reports[&healthy];
    assert_eq!(h["gateway"]["target_probed"], true, "{h}");
    assert!(h["certificate"]["sha256_fingerprint"].is_string(), "{h}");
    assert!(!ids(h).contains(&"cert-expired"), "{:?}", ids(h));
    let e = &reports[&expired];
    assert_eq!(e["gateway"]["target_probed"], true, "{e}");
    assert!(ids(e).contains(&"cert-expired"), "{:?}", ids(e));
    let c = &reports[&closed];
    assert_eq!(c["gateway"]["target_probed"], false, "{c}");
    assert!(
        ids(c).contains(&"gateway-target-unreachable"),
        "{:?}",
        ids(c)
    );
    assert_eq!(c["verdict"], "no-client-connects");
    // A target failed: scan's exit status says so.
    assert_ne!(out.status.code(), Some(0));
}

/// An emulated gateway that refuses every password (HTTP 401), on loopback.
fn refusing_gateway() -> (tokio::runtime::Runtime, rdpdoctor_emulator::RunningGateway) {
    let rt = rdpdoctor_testkit::run::runtime();
    let gw = rt
        .block_on(rdpdoctor_emulator::spawn_gateway(
            GatewayConfig::new(GatewayFault::AuthRefused),
            "127.0.0.1:0".parse().unwrap(),
        ))
        .unwrap();
    (rt, gw)
}

/// Wrong credentials for the gateway are tried on one host only: every
/// further try would be one more failed logon towards a lockout.
#[test]
fn scan_stops_when_the_gateway_refuses_the_credentials() {
    let (rt, gw) = refusing_gateway();
    let at = format!("127.0.0.1:{}", gw.local_addr().port());
    let (logon, _pw) = demo_logon_args("scan-gateway-refused");
    let mut args = vec![
        "scan",
        "127.0.0.1:3389",
        "127.0.0.2:3389",
        "127.0.0.3:3389",
        "--gateway",
        &at,
        "--timeout",
        "2",
        "--format",
        "ndjson",
    ];
    args.extend(logon.iter().map(String::as_str));
    let (out, _) = run(false, &args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("refused these credentials"), "{err}");
    assert!(out.stdout.is_empty(), "no host was reported");
    rt.block_on(gw.shutdown());
}

#[test]
fn scan_takes_a_user_only_for_a_gateway() {
    // --user without --gateway: a scan logs on nowhere else (a bad gateway
    // is `gateway.rs`'s one-line error).
    let (out, _) = run(false, &["scan", "127.0.0.1", "--user", "demo"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--gateway"), "{err}");
}

#[test]
fn an_exporter_module_with_a_gateway_names_the_failing_hop_in_its_metrics() {
    let fleet = Fleet::start();
    let [_, expired, closed] = fleet.targets();
    let e = gateway_exporter(
        "exporter-gateway",
        &fleet.gateway(),
        rdpdoctor_emulator::DEMO_PASSWORD,
    );
    let (status, body) = e.get(&format!("/probe?target={expired}&module=gw"), &[]);
    assert_eq!(status, 200, "{body}");
    assert!(!body.contains(rdpdoctor_emulator::DEMO_PASSWORD));
    assert_eq!(
        sample_value(&body, "rdp_gateway_target_probed"),
        Some(1.0),
        "{body}"
    );
    assert_eq!(
        sample_value(&body, r#"rdp_gateway_hop_ok{hop="channel-create"}"#),
        Some(1.0),
        "{body}"
    );
    assert_eq!(
        sample_value(&body, r#"rdp_finding{id="cert-expired",severity="warn"}"#),
        Some(1.0),
        "{body}"
    );
    // The healthy gateway's UDP side channel answered DTLS, checked beside
    // the target: named with its port.
    let udp = fleet.gw.as_ref().unwrap().udp_port().unwrap();
    assert_eq!(
        sample_value(
            &body,
            &format!(r#"rdp_gateway_udp_reachable{{port="{udp}",outcome="reachable"}}"#)
        ),
        Some(1.0),
        "{body}"
    );
    let (status, body) = e.get(&format!("/probe?target={closed}&module=gw"), &[]);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        sample_value(
            &body,
            r#"rdp_gateway_failed_hop_info{hop="channel-create",outcome="refused",status="E_PROXY_TS_CONNECTFAILED"}"#
        ),
        Some(1.0),
        "{body}"
    );
    assert_eq!(
        sample_value(&body, r#"rdp_gateway_hop_ok{hop="channel-create"}"#),
        Some(0.0)
    );
    assert_eq!(sample_value(&body, "rdp_gateway_target_probed"), Some(0.0));
    // The gateway is the module's: a scrape cannot name another (the path
    // still reaches the module's gateway and stops at the channel).
    let (_, body) = e.get(
        &format!("/probe?target={closed}&module=gw&gateway=127.0.0.9:443"),
        &[],
    );
    assert_eq!(
        sample_value(&body, r#"rdp_gateway_hop_ok{hop="tls"}"#),
        Some(1.0),
        "{body}"
    );
}

/// An exporter on loopback whose module `gw` probes through `gateway` as the
/// demo user with `password` (from a password file).
fn gateway_exporter(scratch: &str, gateway: &str, password: &str) -> Exporter {
    let dir = rdpdoctor_testkit::fixtures::scratch(scratch);
    std::fs::write(dir.join("gw.pw"), password).unwrap();
    let config = dir.join("exporter.toml");
    std::fs::write(
        &config,
        format!(
            "[modules.gw]\nprofile = \"fast\"\nstep_timeout_seconds = 2\ngateway = \"{gateway}\"\ngateway_user = \"{}\"\ngateway_password_file = \"gw.pw\"\n",
            rdpdoctor_emulator::DEMO_USER
        ),
    )
    .unwrap();
    Exporter::start(&[
        "--config",
        config.to_str().unwrap(),
        "--allow",
        "127.0.0.1/32",
    ])
}

/// The exporter sends a module's gateway credentials again only while the
/// gateway has not refused them: a second scrape stops before the
/// authenticated request (no second failed logon), until the config is
/// read again.
#[test]
fn an_exporter_stops_sending_credentials_the_gateway_refused() {
    let (rt, gw) = refusing_gateway();
    let at = format!("127.0.0.1:{}", gw.local_addr().port());
    let e = gateway_exporter("exporter-gateway-refused", &at, "Wrong-Pass-1");
    let auth = r#"rdp_gateway_hop_ok{hop="http-auth"}"#;
    let (status, body) = e.get("/probe?target=127.0.0.1:3389&module=gw", &[]);
    assert_eq!(status, 200, "{body}");
    assert_eq!(sample_value(&body, auth), Some(0.0), "{body}");
    let (status, body) = e.get("/probe?target=127.0.0.1:3390&module=gw", &[]);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        sample_value(&body, auth),
        None,
        "credentials sent again: {body}"
    );
    drop(e);
    rt.block_on(gw.shutdown());
}

#[test]
fn an_exporter_gateway_outside_the_allowlist_is_refused() {
    let fleet = Fleet::start();
    let dir = rdpdoctor_testkit::fixtures::scratch("exporter-gateway-outside");
    let config = dir.join("exporter.toml");
    std::fs::write(
        &config,
        format!("[modules.gw]\ngateway = \"{}\"\n", fleet.gateway()),
    )
    .unwrap();
    // The target is allowed, the gateway (where the packets go) is not.
    let e = Exporter::start(&[
        "--config",
        config.to_str().unwrap(),
        "--allow",
        "127.0.0.2/32",
    ]);
    let (status, body) = e.get("/probe?target=127.0.0.2:3389&module=gw", &[]);
    assert_eq!(status, 403, "{body}");
}

/// A scan's gateway credentials are the gateway's only: even with
/// `--profile full`, no target behind the gateway gets a logon (each would
/// be one failed logon per host where the target refuses the password; the
/// emulated target refuses every one). The stages without a logon still run
/// through the channel: CredSSP's NTLM facts, the deep probe.
#[test]
fn a_full_scan_through_a_gateway_logs_on_at_no_target() {
    let fleet = Fleet::start();
    let [healthy, _, _] = fleet.targets();
    let gw = format!("--gateway={}", fleet.gateway());
    let (logon, _pw) = demo_logon_args("scan-gateway-full");
    let given = [&healthy, &gw, "--profile=full", "--timeout=2"];
    let mut args: Vec<&str> = std::iter::once("scan")
        .chain(given.iter().map(|a| a.as_ref()))
        .chain(["--format", "ndjson"])
        .collect();
    args.extend(logon.iter().map(String::as_str));
    let (out, _) = run(false, &args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let reports = by_input(&stdout);
    let h = &reports[&healthy];
    assert_eq!(h["gateway"]["target_probed"], true, "{h}");
    assert!(
        h["logon"].is_null(),
        "a logon at the target: {}",
        h["logon"]
    );
    assert!(!ids(h).contains(&"bad-credentials"), "{:?}", ids(h));
    assert_eq!(h["credssp"]["ntlm_challenge"], true, "{h}");
    assert!(h["deep"]["outcome"].is_object(), "{h}");
}
