//! `rdpdoctor probe TARGET --gateway GW` against the emulated RD Gateway
//! (`rdpdoctor_emulator::gateway`), one fault per gateway, on loopback:
//! each fault gives its findings, its most likely cause and a head line
//! that names the failing hop; the healthy gateway opens a channel to a
//! real (emulated) RDP server behind it. The password travels in a file,
//! never in argv, and never shows in the output.
//!
//! The reference client's side of the same faults (real xfreerdp 2.11
//! through the same gateways) is in `lab_gateway.rs`.

use rdpdoctor_emulator::gateway::GatewayHostile;
use rdpdoctor_emulator::{
    Fault, FaultConfig, GatewayConfig, GatewayFault, RunningEmulator, RunningGateway,
};
use rdpdoctor_testkit::cli::*;

/// A gateway (and, behind it, an emulated NLA server) on 127.0.0.1:0.
struct Served {
    gw: Option<RunningGateway>,
    target: Option<RunningEmulator>,
    rt: tokio::runtime::Runtime,
}

impl Served {
    fn start(fault: GatewayFault) -> Served {
        Served::start_with(GatewayConfig::new(fault))
    }

    fn start_with(cfg: GatewayConfig) -> Served {
        Served::start_to(cfg, Fault::HealthyNla)
    }

    /// A gateway whose channels reach an emulated `target` fault.
    fn start_to(mut cfg: GatewayConfig, target: Fault) -> Served {
        let rt = rdpdoctor_testkit::run::runtime();
        let any = "127.0.0.1:0".parse().unwrap();
        let target = rt
            .block_on(rdpdoctor_emulator::spawn(FaultConfig::new(target), any))
            .unwrap();
        cfg.hold = std::time::Duration::from_secs(20);
        let gw = rt
            .block_on(rdpdoctor_emulator::spawn_gateway(cfg, any))
            .unwrap();
        Served {
            gw: Some(gw),
            target: Some(target),
            rt,
        }
    }

    fn gateway(&self) -> String {
        format!(
            "127.0.0.1:{}",
            self.gw.as_ref().unwrap().local_addr().port()
        )
    }

    fn target(&self) -> String {
        format!(
            "127.0.0.1:{}",
            self.target.as_ref().unwrap().local_addr().port()
        )
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(g) = self.gw.take() {
            self.rt.block_on(g.shutdown());
        }
        if let Some(t) = self.target.take() {
            self.rt.block_on(t.shutdown());
        }
    }
}

/// What each fault must give: its finding, the top cause, the hop the head
/// line names, the verdict.
struct Expect {
    fault: GatewayFault,
    finding: &'static str,
    cause: Option<&'static str>,
    hop: &'static str,
    verdict: &'static str,
}

const EXPECT: &[Expect] = &[
    Expect {
        fault: GatewayFault::Healthy,
        finding: "gateway-channel-opened",
        // The target is then probed through the channel: the top cause is
        // the one a direct probe of the target gives (checked in `check`).
        cause: None,
        hop: "opened a channel to the target",
        verdict: "works-with-warnings",
    },
    Expect {
        fault: GatewayFault::CertExpired,
        finding: "gateway-cert-expired",
        cause: Some("rd-gateway-cert-invalid"),
        hop: "the gateway's certificate",
        verdict: "no-client-connects",
    },
    Expect {
        fault: GatewayFault::AuthRefused,
        finding: "gateway-auth-refused",
        cause: Some("rd-gateway-auth-refused"),
        hop: "authentication at the gateway",
        verdict: "no-client-connects",
    },
    Expect {
        fault: GatewayFault::CapDenied,
        finding: "gateway-cap-denied",
        cause: Some("rd-gateway-access-denied"),
        hop: "connection policy, CAP",
        verdict: "no-client-connects",
    },
    Expect {
        fault: GatewayFault::RapDenied,
        finding: "gateway-rap-denied",
        cause: Some("rd-gateway-access-denied"),
        hop: "resource policy, RAP",
        verdict: "no-client-connects",
    },
    Expect {
        fault: GatewayFault::TargetUnreachable,
        finding: "gateway-target-unreachable",
        cause: Some("rd-gateway-cannot-reach-host"),
        hop: "E_PROXY_TS_CONNECTFAILED",
        verdict: "no-client-connects",
    },
    Expect {
        fault: GatewayFault::MaxConnections,
        finding: "gateway-max-connections",
        cause: Some("rd-gateway-connection-limit"),
        hop: "E_PROXY_MAXCONNECTIONSREACHED",
        verdict: "no-client-connects",
    },
    Expect {
        // WebSocket refused, the legacy transport followed: the target is
        // probed through its channel as through the healthy gateway's, and
        // the refusal stays a warning.
        fault: GatewayFault::NoWebsocket,
        finding: "gateway-websocket-refused",
        // The warning's cause: what strips the upgrade on the way.
        cause: Some("rd-gateway-http-transport-blocked"),
        hop: "opened a channel to the target",
        verdict: "works-with-warnings",
    },
    Expect {
        fault: GatewayFault::RpcOnly,
        finding: "gateway-http-transport-absent",
        cause: Some("rd-gateway-http-transport-blocked"),
        hop: "the gateway's HTTP transport",
        verdict: "some-clients-fail",
    },
    Expect {
        fault: GatewayFault::Silent,
        finding: "gateway-no-answer",
        cause: Some("rd-gateway-unreachable"),
        hop: "gets no answer",
        verdict: "unreachable",
    },
    Expect {
        fault: GatewayFault::UdpBlocked,
        finding: "gateway-udp-unreachable",
        // A warning only: the session works over TCP (the target is probed
        // through the channel, and its verdict is what a direct probe gives).
        cause: Some("rd-gateway-udp-blocked"),
        hop: "opened a channel to the target",
        verdict: "works-with-warnings",
    },
    Expect {
        fault: GatewayFault::NegotiateOnly,
        finding: "gateway-negotiate-only",
        // The probe gets through with Negotiate (NTLM inside SPNEGO), as
        // mstsc; what fails FreeRDP 2 there ranks first.
        cause: Some("rd-gateway-negotiate-only"),
        hop: "authentication at the gateway",
        verdict: "some-clients-fail",
    },
];

/// The report is valid against docs/rdpdoctor.schema.json's `ProbeOutput`.
#[track_caller]
fn assert_schema_valid(doc: &serde_json::Value, what: &str) {
    let path = repo_root().join("docs/rdpdoctor.schema.json");
    let mut s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let obj = s.as_object_mut().unwrap();
    obj.remove("oneOf");
    obj.insert("$ref".into(), "#/$defs/ProbeOutput".into());
    let v = jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&s)
        .expect("the schema compiles");
    let errs: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("at {}: {e}", e.instance_path()))
        .take(5)
        .collect();
    assert!(errs.is_empty(), "{what}: {}", errs.join("\n"));
}

fn check(e: &Expect) {
    let served = Served::start(e.fault);
    let (logon, _pw) = demo_logon_args(&format!("gateway-{}", e.fault.name()));
    let gw = served.gateway();
    // The fast profile: every gateway hop and the target's stages through
    // the channel, without the logon at the target (the emulated target has
    // no accounts and refuses every logon: that case is
    // `the_targets_logon_refusal_is_the_targets_not_the_gateways`).
    let mut args: Vec<&str> = vec!["--gateway", &gw, "--timeout", "2", "--profile", "fast"];
    args.extend(logon.iter().map(String::as_str));
    let p = probe_target(false, &served.target(), &args);
    let name = e.fault.name();
    assert_schema_valid(&p.json, name);
    p.assert_has(e.finding);
    // RPC over HTTP is asked only where the HTTP transport is absent, and
    // there it answers: some clients (those that fall back) connect.
    let rpc = &p.json["gateway"]["rpc_over_http"];
    let asked = e.fault == GatewayFault::RpcOnly;
    assert_eq!(rpc["status"] == 401, asked, "{name}: {rpc}");
    if asked {
        assert_eq!(
            rpc["auth_schemes"],
            serde_json::json!(["Negotiate", "NTLM"])
        );
        let said = p.json["findings"].to_string();
        assert!(
            said.contains("RPC over HTTP answers (401"),
            "{name}: {said}"
        );
    }
    let ids = p.finding_ids();
    // The probe goes past a gateway certificate it reports (as xfreerdp
    // /cert:ignore does): there too the target is probed through the channel.
    let through = matches!(
        e.fault,
        GatewayFault::Healthy
            | GatewayFault::CertExpired
            | GatewayFault::UdpBlocked
            | GatewayFault::NoWebsocket
            | GatewayFault::NegotiateOnly
    );
    assert!(
        through || ids.iter().all(|i| i.starts_with("gateway-")),
        "{name}: only the gateway was probed, yet {ids:?}"
    );
    let d = &p.json["diagnosis"];
    let top = d["causes"][0]["id"].as_str();
    if matches!(e.fault, GatewayFault::Healthy | GatewayFault::NoWebsocket) {
        // The target was probed through the channel: the gateway's own
        // self-signed certificate comes first (as before the target was
        // probed; for gw-no-websocket, the cause of its warning), and the
        // direct probe's top cause for the same target
        // (without --user: no logon, which the gateway path does not run)
        // is ranked too.
        assert_eq!(
            top,
            e.cause.or(Some("rd-gateway-cert-invalid")),
            "{name}: causes {}",
            d["causes"]
        );
        let direct = probe_target(
            false,
            &served.target(),
            &["--timeout", "2", "--profile", "fast"],
        );
        let want = &direct.json["diagnosis"]["causes"][0]["id"];
        assert!(want.is_string(), "{name}: the direct probe ranks no cause");
        let ranked: Vec<&serde_json::Value> = d["causes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| &c["id"])
            .collect();
        assert!(ranked.contains(&want), "{name}: {want} not in {ranked:?}");
    } else if e.fault == GatewayFault::UdpBlocked {
        // Ranked with the gateway's self-signed certificate; the UDP warning
        // never makes the verdict fail (checked below).
        let ranked: Vec<&str> = d["causes"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["id"].as_str())
            .collect();
        assert!(
            ranked.contains(&"rd-gateway-udp-blocked"),
            "{name}: {ranked:?}"
        );
    } else {
        assert_eq!(top, e.cause, "{name}: causes {}", d["causes"]);
    }
    // The UDP side channel: announced by the gateways that relay, checked
    // beside the target, within the step deadline (2 s).
    let udp = &p.json["gateway"]["udp"];
    let port = served.gw.as_ref().unwrap().udp_port();
    match e.fault {
        GatewayFault::Healthy => {
            assert_eq!(udp["outcome"], "reachable", "{name}: {udp}");
            assert_eq!(udp["port"], port.unwrap(), "{name}");
            p.assert_has("gateway-udp-reachable");
        }
        GatewayFault::UdpBlocked => {
            assert_eq!(udp["outcome"], "no-answer", "{name}: {udp}");
            assert_eq!(udp["port"], port.unwrap(), "{name}");
            assert!(
                udp["elapsed_ms"].as_f64().unwrap() < 3000.0,
                "{name}: {udp}"
            );
        }
        _ => assert!(udp.is_null(), "{name}: {udp}"),
    }
    let headline = d["headline"].as_str().unwrap_or_default();
    assert!(
        headline.contains(e.hop),
        "{name}: the head line does not name the hop {:?}: {headline}",
        e.hop
    );
    assert_eq!(p.json["verdict"], e.verdict, "{name}: {headline}");
    let failing = !matches!(e.verdict, "healthy" | "works-with-warnings");
    assert_eq!(p.code, i32::from(failing), "{name}: exit status");
    assert_eq!(p.json["gateway"]["target_probed"], through, "{name}");
    // The scheme: Negotiate (NTLM inside) where the 401 offers it alone,
    // raw NTLM where NTLM is offered and no KDC is known.
    let auth = &p.json["gateway"]["auth"];
    if e.fault == GatewayFault::NegotiateOnly {
        assert_eq!(auth["scheme"], "negotiate", "{name}: {auth}");
        assert_eq!(auth["mechanism"]["package"], "ntlm", "{name}: {auth}");
        assert!(ids.contains(&"gateway-channel-opened".to_owned()), "{name}");
    } else if !matches!(e.fault, GatewayFault::RpcOnly | GatewayFault::Silent) {
        assert_eq!(auth["scheme"], "ntlm", "{name}: {auth}");
        assert_eq!(
            auth["mechanism"]["reason"], "no-kdc-known",
            "{name}: {auth}"
        );
    }
    assert_no_password(&p, name);
}

/// The demo's password is nowhere in the JSON.
#[track_caller]
fn assert_no_password(p: &Probe, name: &str) {
    assert!(
        !p.json
            .to_string()
            .contains(rdpdoctor_emulator::DEMO_PASSWORD),
        "{name}: the password is in the output"
    );
}

#[test]
fn every_gateway_fault_names_its_hop() {
    for e in EXPECT {
        check(e);
    }
    assert_eq!(EXPECT.len(), GatewayFault::ALL.len());
}

#[test]
fn without_credentials_the_gateway_says_what_it_offers() {
    let served = Served::start(GatewayFault::Healthy);
    let gw = served.gateway();
    let p = probe_target(false, &served.target(), &["--gateway", &gw]);
    let g = &p.json["gateway"];
    assert_eq!(g["http_status"], 401);
    assert_eq!(g["auth_schemes"], serde_json::json!(["Negotiate", "NTLM"]));
    assert_eq!(p.json["verdict"], "inconclusive");
    let headline = p.json["diagnosis"]["headline"].as_str().unwrap();
    assert!(headline.contains("--user"), "{headline}");
}

#[test]
fn a_gateway_port_without_a_listener_is_unreachable() {
    // Bind and drop: a loopback port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let gw = format!("127.0.0.1:{port}");
    let p = probe_target(false, "127.0.0.1:3389", &["--gateway", &gw]);
    p.assert_has("gateway-unreachable");
    assert_eq!(p.json["verdict"], "unreachable");
    assert_eq!(p.code, 1);
}

#[test]
fn a_bad_gateway_is_a_one_line_error() {
    for (command, gw) in [("probe", "gw:99999"), ("scan", "gw:0x1bb")] {
        let (out, _) = run(false, &[command, "127.0.0.1", "--gateway", gw]);
        assert_eq!(out.status.code(), Some(2), "{command}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains("gateway"), "{err}");
    }
}

#[test]
fn hostile_gateways_cost_at_most_the_deadlines() {
    // (behaviour, the finding, the hop where the path stops, or None when
    // the path goes through: an endless body the probe never reads).
    let cases = [
        (
            GatewayHostile::EndlessHeaders,
            "gateway-refused",
            Some("http"),
        ),
        (
            GatewayHostile::EndlessChunked,
            "gateway-channel-opened",
            None,
        ),
        (
            GatewayHostile::UpgradeWithoutFraming,
            "gateway-refused",
            Some("handshake"),
        ),
        (
            GatewayHostile::OversizedPacket,
            "gateway-refused",
            Some("handshake"),
        ),
        (
            GatewayHostile::ChannelNeverOpens,
            "gateway-no-answer",
            Some("channel-create"),
        ),
        (
            GatewayHostile::KeepaliveFlood,
            "gateway-refused",
            Some("tunnel-create"),
        ),
        // The TCP path goes through; the UDP side channel's flood of
        // garbage is read up to its bound, within one step deadline.
        (
            GatewayHostile::UdpGarbageFlood,
            "gateway-udp-unreachable",
            None,
        ),
        // The legacy transport: the probe reads the OUT channel's packets,
        // never its body to the end; an IN channel left unanswered is the
        // step deadline's.
        (
            GatewayHostile::LegacyEndlessBody,
            "gateway-refused",
            Some("handshake"),
        ),
        (
            GatewayHostile::LegacyInNeverAnswered,
            "gateway-no-answer",
            Some("http-auth"),
        ),
    ];
    // The two that break the channel itself are in
    // `a_gateway_breaking_the_channel_gives_a_finding_within_the_deadline`.
    assert_eq!(cases.len() + 2, GatewayHostile::ALL.len());
    for (hostile, finding, hop) in cases {
        let mut cfg = GatewayConfig::new(GatewayFault::Healthy);
        cfg.hostile = Some(hostile);
        let served = Served::start_with(cfg);
        let (logon, _pw) = demo_logon_args(&format!("gateway-{}", hostile.name()));
        let gw = served.gateway();
        // Fast: no logon at the emulated target, which refuses every one.
        let mut args: Vec<&str> = vec![
            "--gateway",
            &gw,
            "--timeout",
            "2",
            "--ceiling",
            "20",
            "--profile",
            "fast",
        ];
        args.extend(logon.iter().map(String::as_str));
        let p = probe_target(false, &served.target(), &args);
        let name = hostile.name();
        assert_schema_valid(&p.json, name);
        p.assert_has(finding);
        // Two step deadlines at most, whatever the gateway does.
        assert!(
            p.elapsed < std::time::Duration::from_secs(10),
            "{name}: {:?}",
            p.elapsed
        );
        let hops = p.json["gateway"]["hops"].as_array().unwrap();
        let stopped = hops.iter().find(|h| h["outcome"] != "ok");
        assert_eq!(
            stopped.and_then(|h| h["hop"].as_str()),
            hop,
            "{name}: {hops:?}"
        );
        assert_eq!(p.code, i32::from(hop.is_some()), "{name}");
    }
}

/// The probe with the demo's credentials through `served`'s gateway to `target`.
fn probe_through(served: &Served, target: &str, tag: &str, extra: &[&str]) -> Probe {
    let (logon, _pw) = demo_logon_args(tag);
    let gw = served.gateway();
    let mut args: Vec<&str> = vec!["--gateway", &gw, "--timeout", "2"];
    args.extend_from_slice(extra);
    args.extend(logon.iter().map(String::as_str));
    probe_target(false, target, &args)
}

/// The findings about the target (not the gateway's own).
fn target_findings(p: &Probe) -> Vec<String> {
    p.target_finding_ids()
}

/// (a) Through a healthy gateway to a healthy server (NLA offered), the target's
/// negotiation, TLS and certificate are measured through the channel and
/// agree with a direct probe of the same server: the same certificate, the
/// same security layer and NLA policy, the same findings for those stages.
#[test]
fn the_target_is_probed_through_the_channel() {
    let served = Served::start(GatewayFault::Healthy);
    let p = probe_through(&served, &served.target(), "through-healthy", &[]);
    assert_schema_valid(&p.json, "through-healthy");
    // The direct probe with the same credentials: both log on once.
    let (logon, _pw) = demo_logon_args("direct-healthy");
    let mut args = vec!["--timeout", "2"];
    args.extend(logon.iter().map(String::as_str));
    let direct = probe_target(false, &served.target(), &args);
    let g = &p.json["gateway"];
    assert_eq!(g["target_probed"], true, "{g}");
    assert_eq!(g["channel_opened"], true);
    // mstsc's request selects NLA through the gateway, as directly.
    let attempts = p.json["negotiation"]["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 3, "{attempts:?}");
    assert_eq!(attempts[0]["outcome"]["kind"], "selected", "{attempts:?}");
    assert_eq!(
        p.json["security"]["nla"], direct.json["security"]["nla"],
        "the NLA policy through the gateway differs from the direct probe's"
    );
    assert_eq!(
        p.json["security"]["layer"],
        direct.json["security"]["layer"]
    );
    // The target's certificate, not the gateway's.
    let fp = &p.json["certificate"]["sha256_fingerprint"];
    assert!(fp.is_string(), "no certificate through the gateway");
    assert_eq!(fp, &direct.json["certificate"]["sha256_fingerprint"]);
    assert_ne!(fp, &g["certificate"]["sha256_fingerprint"]);
    assert_eq!(p.json["tls"]["version"], direct.json["tls"]["version"]);
    // Everything the path through the gateway concludes about the target,
    // the direct probe concludes too (which runs more stages).
    let through = target_findings(&p);
    let direct_ids = target_findings(&direct);
    assert!(
        through.iter().all(|i| direct_ids.contains(i)),
        "through the gateway {through:?}, directly {direct_ids:?}"
    );
    assert!(
        through.iter().any(|i| i.starts_with("nla-")),
        "no NLA finding: {through:?}"
    );
    assert!(
        through.contains(&"cert-self-signed".to_owned()),
        "{through:?}"
    );
    // What did not run through the gateway says so; CredSSP ran on the
    // channel that selected NLA, and its NTLM facts are the direct probe's.
    // Only the target's TCP is not ours to measure through a gateway.
    let nc = p.json["not_checked"].as_array().unwrap();
    assert_eq!(nc, &vec![serde_json::json!("tcp")], "{nc:?}");
    // The server also selects RDP (NLA optional): its offers as directly;
    // and the deep probe reaches the logon screen as directly.
    assert_eq!(p.json["rdp_security"], direct.json["rdp_security"]);
    assert_eq!(p.json["deep"]["outcome"], direct.json["deep"]["outcome"]);
    assert_eq!(p.json["deep"]["outcome"]["kind"], "logon-screen");
    assert_eq!(
        p.json["credssp"]["server_version"],
        direct.json["credssp"]["server_version"]
    );
    assert!(
        p.json["ntlm"]["dns_computer_name"].is_string(),
        "{}",
        p.json["ntlm"]
    );
    assert_eq!(
        p.json["ntlm"]["dns_computer_name"],
        direct.json["ntlm"]["dns_computer_name"]
    );
}

/// (b) Through a healthy gateway to a server whose certificate expired:
/// `cert-expired` is the target's (its section is the certificate's), and
/// the gateway's own certificate gets no expiry finding.
#[test]
fn an_expired_target_certificate_is_the_targets_not_the_gateways() {
    let served = Served::start_to(
        GatewayConfig::new(GatewayFault::Healthy),
        Fault::ExpiredCert,
    );
    let p = probe_through(&served, &served.target(), "through-expired", &[]);
    assert_schema_valid(&p.json, "through-expired");
    p.assert_has("cert-expired");
    assert!(!p.finding_ids().iter().any(|i| i == "gateway-cert-expired"));
    assert_eq!(p.json["certificate"]["expired"], true);
    assert_eq!(p.json["gateway"]["certificate"]["expired"], false);
    let headline = p.json["diagnosis"]["headline"].as_str().unwrap();
    assert!(headline.contains("Through the RD Gateway"), "{headline}");
    let top = p.json["diagnosis"]["causes"][0]["id"].as_str();
    assert_eq!(top, Some("rdp-cert-expired"), "{headline}");
}

/// (c) A channel to a port nobody listens on: the gateway's
/// E_PROXY_TS_CONNECTFAILED, and the target is not probed.
#[test]
fn a_channel_to_a_closed_port_is_the_gateways_refusal() {
    let served = Served::start(GatewayFault::Healthy);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let p = probe_through(&served, &format!("127.0.0.1:{port}"), "through-closed", &[]);
    assert_schema_valid(&p.json, "through-closed");
    p.assert_has("gateway-target-unreachable");
    assert_eq!(p.json["gateway"]["target_probed"], false);
    assert!(p.json["negotiation"].is_null());
    let headline = p.json["diagnosis"]["headline"].as_str().unwrap();
    assert!(headline.contains("E_PROXY_TS_CONNECTFAILED"), "{headline}");
    assert_eq!(p.code, 1);
}

/// A gateway that opens the channel and then sends what is not RDP, or
/// nothing at all: `gateway-target-no-rdp`, within two step deadlines.
#[test]
fn a_gateway_breaking_the_channel_gives_a_finding_within_the_deadline() {
    for (hostile, also) in [
        (GatewayHostile::ChannelGarbage, Some("not-rdp")),
        (GatewayHostile::ChannelSilent, None),
    ] {
        let mut cfg = GatewayConfig::new(GatewayFault::Healthy);
        cfg.hostile = Some(hostile);
        let served = Served::start_with(cfg);
        let name = hostile.name();
        let p = probe_through(&served, &served.target(), name, &["--ceiling", "20"]);
        assert_schema_valid(&p.json, name);
        p.assert_has("gateway-target-no-rdp");
        if let Some(f) = also {
            p.assert_has(f);
        }
        assert!(
            p.elapsed < std::time::Duration::from_secs(8),
            "{name}: {:?}",
            p.elapsed
        );
        assert_eq!(p.json["verdict"], "unreachable", "{name}");
        let headline = p.json["diagnosis"]["headline"].as_str().unwrap();
        assert!(headline.contains("the target itself"), "{name}: {headline}");
        assert_eq!(p.code, 1, "{name}");
    }
}

/// The direct probe of `target` with the demo's credentials (one logon).
fn probe_direct(target: &str, tag: &str) -> Probe {
    let (logon, _pw) = demo_logon_args(tag);
    let mut args = vec!["--timeout", "2"];
    args.extend(logon.iter().map(String::as_str));
    probe_target(false, target, &args)
}

/// The logon through the channel: the gateway accepts the demo's
/// credentials and opens the channel; the emulated target (no accounts)
/// answers the NTLM AUTHENTICATE with STATUS_LOGON_FAILURE. The refusal is
/// the target's (`bad-credentials`, its cause ranked first as directly),
/// never the gateway's (`gateway-auth-refused`), and the head line names the
/// target as the hop that fails. Each account fault of the target gives the
/// finding the direct probe gives.
#[test]
fn the_targets_logon_refusal_is_the_targets_not_the_gateways() {
    for (fault, finding) in [
        (Fault::HealthyNla, "bad-credentials"),
        (Fault::AccountDisabled, "account-disabled"),
        (Fault::LogonTypeNotGranted, "logon-type-not-granted"),
    ] {
        let name = fault.name();
        let served = Served::start_to(GatewayConfig::new(GatewayFault::Healthy), fault);
        let p = probe_through(&served, &served.target(), &format!("logon-{name}"), &[]);
        assert_schema_valid(&p.json, name);
        p.assert_has(finding);
        p.assert_has("gateway-channel-opened");
        assert!(
            !p.finding_ids().iter().any(|i| i == "gateway-auth-refused"),
            "{name}: {:?}",
            p.finding_ids()
        );
        let hops = p.json["gateway"]["hops"].as_array().unwrap();
        assert!(
            hops.iter().all(|h| h["outcome"] == "ok"),
            "{name}: {hops:?}"
        );
        let logon = &p.json["logon"];
        assert_eq!(logon["method"], "credssp", "{name}: {logon}");
        assert_eq!(logon["outcome"], "rejected", "{name}: {logon}");
        let direct = probe_direct(&served.target(), &format!("direct-logon-{name}"));
        assert_eq!(
            logon["ntstatus"], direct.json["logon"]["ntstatus"],
            "{name}: the target's status through the gateway differs from directly"
        );
        let top = &p.json["diagnosis"]["causes"][0]["id"];
        assert_eq!(
            top, &direct.json["diagnosis"]["causes"][0]["id"],
            "{name}: top cause through the gateway vs directly"
        );
        let headline = p.json["diagnosis"]["headline"].as_str().unwrap();
        assert!(
            headline.contains("the hop that fails is the target itself"),
            "{name}: {headline}"
        );
        assert_eq!(p.code, 1, "{name}");
        assert_no_password(&p, name);
    }
    // The text report's gateway section says which hop refused them.
    let served = Served::start_to(GatewayConfig::new(GatewayFault::Healthy), Fault::HealthyNla);
    let (logon, _pw) = demo_logon_args("logon-text");
    let (gw, target) = (served.gateway(), served.target());
    let mut args = vec!["probe", &target, "--gateway", &gw, "--timeout", "2"];
    args.extend(logon.iter().map(String::as_str));
    let (out, _) = run(false, &args);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("accepted by the gateway, refused by the target's logon"),
        "{text}"
    );
    assert!(!text.contains(rdpdoctor_emulator::DEMO_PASSWORD));
}

/// A refused gateway logon withholds the password from the target: no
/// channel, no logon record, the gateway's refusal alone.
#[test]
fn a_gateway_refusing_the_credentials_sends_none_to_the_target() {
    let served = Served::start(GatewayFault::AuthRefused);
    let p = probe_through(&served, &served.target(), "logon-gw-refused", &[]);
    p.assert_has("gateway-auth-refused");
    assert!(p.json["logon"].is_null(), "{}", p.json["logon"]);
    assert!(
        !p.finding_ids().iter().any(|i| i == "bad-credentials"),
        "{:?}",
        p.finding_ids()
    );
    let headline = p.json["diagnosis"]["headline"].as_str().unwrap();
    assert!(
        headline.contains("authentication at the gateway"),
        "{headline}"
    );
}

/// A wrong password through Negotiate: sspi's server checks the NTLM
/// inside SPNEGO (the mechListMIC needs the right key), answers 401, and
/// the probe names the gateway's authentication, never the target.
#[test]
fn a_wrong_password_through_negotiate_is_the_gateways_refusal() {
    let mut cfg = GatewayConfig::new(GatewayFault::NegotiateOnly);
    cfg.password = "Another-Gateway-Pass-3".into();
    let served = Served::start_with(cfg);
    let p = probe_through(&served, &served.target(), "logon-gw-negotiate-refused", &[]);
    p.assert_has("gateway-auth-refused");
    p.assert_has("gateway-negotiate-only");
    assert_eq!(p.json["gateway"]["auth"]["scheme"], "negotiate");
    assert!(p.json["logon"].is_null(), "{}", p.json["logon"]);
    let headline = p.json["diagnosis"]["headline"].as_str().unwrap();
    assert!(
        headline.contains("authentication at the gateway"),
        "{headline}"
    );
    assert_eq!(
        p.json["diagnosis"]["causes"][0]["id"], "rd-gateway-auth-refused",
        "{}",
        p.json["diagnosis"]["causes"]
    );
    assert_no_password(&p, "negotiate-refused");
}

/// The fast profile never logs on at the target, through a gateway as
/// directly; its CredSSP stage still reads the target's NTLM CHALLENGE
/// through the channel.
#[test]
fn the_fast_profile_reads_credssp_through_the_channel_without_a_logon() {
    let served = Served::start(GatewayFault::Healthy);
    let p = probe_through(
        &served,
        &served.target(),
        "fast-credssp",
        &["--profile", "fast"],
    );
    assert_schema_valid(&p.json, "fast-credssp");
    assert!(p.json["logon"].is_null(), "{}", p.json["logon"]);
    assert_eq!(p.json["credssp"]["ntlm_challenge"], true, "{}", p.json);
    assert!(
        p.json["ntlm"]["os_version"].is_string(),
        "{}",
        p.json["ntlm"]
    );
    p.assert_has("clock-in-sync");
    assert_eq!(p.code, 0, "{}", p.json["diagnosis"]["headline"]);
}

/// Standard RDP Security through the channels: a target that selects
/// PROTOCOL_RDP gets the direct stage's five encryption-method offers, each
/// on a channel of its own, and they read exactly as directly (the
/// `rdp_security` evidence and the findings it gives: `rdp-security-only`,
/// `fips-required`).
#[test]
fn standard_rdp_security_is_probed_through_the_channels() {
    for (fault, finding) in [
        (Fault::RdpSecurityOnly, "rdp-security-only"),
        (Fault::FipsRequired, "fips-required"),
    ] {
        let name = fault.name();
        let served = Served::start_to(GatewayConfig::new(GatewayFault::Healthy), fault);
        let p = probe_through(&served, &served.target(), &format!("rdp-{name}"), &[]);
        assert_schema_valid(&p.json, name);
        let direct = probe_direct(&served.target(), &format!("direct-rdp-{name}"));
        p.assert_has(finding);
        let offers = p.json["rdp_security"]["offers"].as_array().unwrap();
        assert_eq!(offers.len(), 5, "{name}: {offers:?}");
        assert_eq!(
            p.json["rdp_security"], direct.json["rdp_security"],
            "{name}: Standard RDP Security through the gateway differs from directly"
        );
        let nc = p.json["not_checked"].as_array().unwrap();
        assert!(!nc.iter().any(|s| s == "rdp-security"), "{name}: {nc:?}");
        let (t, d) = (p.target_finding_ids(), direct.target_finding_ids());
        assert!(
            t.iter().all(|i| d.contains(i)),
            "{name}: through {t:?}, directly {d:?}"
        );
        assert_eq!(
            p.json["diagnosis"]["causes"][0]["id"], direct.json["diagnosis"]["causes"][0]["id"],
            "{name}: top cause"
        );
    }
}

/// The deep probe and, for a target without NLA, the logon in the Client
/// Info PDU, through channels of their own: a server that denies the
/// connection after the Client Info reads as directly (its Set Error Info,
/// `server-denied-connection`, the logon refused), and a healthy TLS
/// server's logon is "not verified" as directly.
#[test]
fn the_deep_probe_and_the_client_info_logon_run_through_the_channels() {
    for (fault, finding) in [
        (Fault::ServerDenied, "server-denied-connection"),
        (Fault::HealthyTls, "logon-not-checked"),
    ] {
        let name = fault.name();
        let served = Served::start_to(GatewayConfig::new(GatewayFault::Healthy), fault);
        let p = probe_through(&served, &served.target(), &format!("deep-{name}"), &[]);
        assert_schema_valid(&p.json, name);
        let direct = probe_direct(&served.target(), &format!("direct-deep-{name}"));
        p.assert_has(finding);
        assert_eq!(
            p.json["deep"]["outcome"], direct.json["deep"]["outcome"],
            "{name}"
        );
        assert_eq!(p.json["logon"]["method"], "client-info", "{name}");
        assert_eq!(
            p.json["logon"]["outcome"], direct.json["logon"]["outcome"],
            "{name}"
        );
        assert_eq!(
            p.target_finding_ids(),
            direct.target_finding_ids(),
            "{name}: the target's findings through the gateway and directly"
        );
        assert_eq!(p.code, direct.code, "{name}: exit status");
        assert_no_password(&p, name);
    }
}
