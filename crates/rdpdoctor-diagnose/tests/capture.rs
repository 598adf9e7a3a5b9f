//! A packet capture's connections judged (`inspect CAPTURE`): hand-built
//! `CaptureEvidence` for each failure a capture shows, through the one
//! `judge`, to the finding, the most likely cause, the fix to try first and
//! the headline naming the connection.

use rdpdoctor_diagnose::finding::{FindingId, Section};
use rdpdoctor_diagnose::{Context, Evidence, Judgement, judge, verdict::Verdict};
use rdpdoctor_evidence::ProtocolSet;
use rdpdoctor_evidence::capture::{
    AlertLevel, CaptureAlert, CaptureClose, CaptureConfirm, CaptureConnection, CaptureEvidence,
    CaptureMessage, CaptureRequest, CaptureTls, CloseKind, MessageKind, RdpUdpFlow, Side,
};

fn msg(from: Side, name: MessageKind, at_ms: f64) -> CaptureMessage {
    CaptureMessage { from, name, at_ms }
}

fn close(by: Side, kind: CloseKind, after: MessageKind, at_ms: f64) -> CaptureClose {
    CaptureClose {
        by,
        kind,
        after: Some(after),
        at_ms,
    }
}

/// A connection that got its SYN+ACK and sent a Connection Request for `requested`.
fn conn(port: u16, requested: u32) -> CaptureConnection {
    let mut c = CaptureConnection {
        client: format!("192.0.2.10:{port}"),
        server: "192.0.2.20:3389".into(),
        request: Some(CaptureRequest {
            requested: ProtocolSet::from_bits(Some(requested)),
            flags: 0,
            cookie: Some("Cookie: mstshash=alice".into()),
            mstshash: Some("alice".into()),
        }),
        messages: vec![msg(Side::Client, MessageKind::X224ConnectionRequest, 1.0)],
        ..CaptureConnection::default()
    };
    c.tcp.syns = 1;
    c.tcp.syn_ack = true;
    c
}

fn selected(c: &mut CaptureConnection, protocol: u32) {
    c.confirm = Some(CaptureConfirm {
        selected: Some(ProtocolSet::from_bits(Some(protocol))),
        flags: Some(0),
        failure_code: None,
        failure: None,
    });
    c.messages
        .push(msg(Side::Server, MessageKind::X224ConnectionConfirm, 2.0));
}

fn refused(c: &mut CaptureConnection, code: u32, name: &str) {
    c.confirm = Some(CaptureConfirm {
        selected: None,
        flags: None,
        failure_code: Some(code),
        failure: Some(name.into()),
    });
    c.messages
        .push(msg(Side::Server, MessageKind::X224ConnectionConfirm, 2.0));
    c.tcp.closes.push(close(
        Side::Server,
        CloseKind::Fin,
        MessageKind::X224ConnectionConfirm,
        3.0,
    ));
}

fn capture(connections: Vec<CaptureConnection>) -> CaptureEvidence {
    CaptureEvidence {
        file: "user.pcapng".into(),
        format: "pcapng".into(),
        connections,
        ..CaptureEvidence::default()
    }
}

fn judged(cap: &CaptureEvidence) -> Judgement {
    let ev = Evidence {
        capture: Some(cap),
        ..Evidence::default()
    };
    judge(&ev, &Context::default())
}

fn ids(j: &Judgement) -> Vec<FindingId> {
    j.findings.iter().map(|f| f.id).collect()
}

fn top(j: &Judgement) -> &str {
    j.diagnosis.causes.first().map_or("", |c| c.id.as_str())
}

#[test]
fn a_client_with_nla_off_meets_hybrid_required() {
    let mut c = conn(50001, 0x1);
    refused(&mut c, 5, "HYBRID_REQUIRED_BY_SERVER");
    let j = judged(&capture(vec![c]));
    assert_eq!(ids(&j), [FindingId::CaptureNlaRequired]);
    assert_eq!(FindingId::CaptureNlaRequired.section(), Section::Capture);
    assert_eq!(top(&j), "nla-required-client-lacks");
    assert_eq!(j.verdict, Verdict::SomeClientsFail);
    let fix = j.diagnosis.first_fix.as_ref().unwrap();
    assert_eq!(
        fix.fix.applies_to,
        rdpdoctor_kb::AppliesTo::Client,
        "{}",
        fix.fix.id
    );
    assert!(j.findings[0].summary.contains("enablecredsspsupport"));
}

#[test]
fn a_standard_security_request_meets_ssl_required() {
    let mut c = conn(50002, 0x0);
    refused(&mut c, 1, "SSL_REQUIRED_BY_SERVER");
    let j = judged(&capture(vec![c]));
    assert_eq!(ids(&j), [FindingId::CaptureSslRequired]);
    assert_eq!(top(&j), "server-requires-tls");
}

#[test]
fn a_tls_1_0_only_client_refused_with_protocol_version_is_fixed_on_the_client_first() {
    let mut c = conn(50003, 0x1);
    selected(&mut c, 0x1);
    c.tls = Some(CaptureTls {
        client_versions: vec!["tls1.0".into()],
        alerts: vec![CaptureAlert {
            from: Side::Server,
            level: AlertLevel::Fatal,
            description: "protocol_version".into(),
        }],
        ..CaptureTls::default()
    });
    c.messages
        .push(msg(Side::Client, MessageKind::TlsClientHello, 3.0));
    c.messages
        .push(msg(Side::Server, MessageKind::TlsAlert, 4.0));
    let j = judged(&capture(vec![c]));
    assert_eq!(ids(&j), [FindingId::CaptureTlsVersionMismatch]);
    assert_eq!(top(&j), "tls-version-or-cipher-mismatch");
    let fix = j.diagnosis.first_fix.as_ref().unwrap();
    assert_eq!(fix.fix.id, "enable-tls12-client");
}

#[test]
fn a_reset_right_after_the_client_hello_points_at_endpoint_protection() {
    let mut c = conn(50004, 0x3);
    selected(&mut c, 0x2);
    c.tls = Some(CaptureTls {
        client_versions: vec!["tls1.2".into(), "tls1.3".into()],
        ..CaptureTls::default()
    });
    c.messages
        .push(msg(Side::Client, MessageKind::TlsClientHello, 3.0));
    c.tcp.closes.push(close(
        Side::Server,
        CloseKind::Rst,
        MessageKind::TlsClientHello,
        3.5,
    ));
    let j = judged(&capture(vec![c]));
    assert_eq!(ids(&j), [FindingId::CaptureResetAfterClientHello]);
    assert_eq!(top(&j), "endpoint-protection-interference");
}

/// A SYN answered with a reset was answered: nothing listens there (as the
/// probe's port-closed), never "no answer" (measured: xfreerdp to a loopback
/// port nothing listens on, under tcpdump).
#[test]
fn a_syn_answered_with_a_reset_is_refused_not_unanswered() {
    let mut dead = CaptureConnection {
        client: "192.0.2.10:50007".into(),
        server: "192.0.2.20:3389".into(),
        ..CaptureConnection::default()
    };
    dead.tcp.syns = 1;
    dead.tcp.closes.push(CaptureClose {
        by: Side::Server,
        kind: CloseKind::Rst,
        after: None,
        at_ms: 0.05,
    });
    let j = judged(&capture(vec![dead]));
    assert_eq!(ids(&j), [FindingId::CaptureSynRefused]);
    assert_eq!(top(&j), "port-closed-or-service-stopped");
    assert_eq!(j.verdict, Verdict::NoClientConnects);
    assert!(
        !j.diagnosis
            .causes
            .iter()
            .any(|c| c.id == "host-offline-or-unroutable"),
        "a host that resets is up"
    );
}

#[test]
fn unanswered_syns_are_a_filtered_path_and_the_failing_connection_is_named() {
    let mut ok = conn(50005, 0x3);
    selected(&mut ok, 0x2);
    let mut dead = CaptureConnection {
        client: "192.0.2.10:50006".into(),
        server: "192.0.2.20:3389".into(),
        ..CaptureConnection::default()
    };
    dead.tcp.syns = 3;
    let cap = capture(vec![ok, dead]);
    let j = judged(&cap);
    assert_eq!(ids(&j), [FindingId::CaptureSynUnanswered]);
    assert_eq!(top(&j), "firewall-or-public-network-profile");
    assert_eq!(j.verdict, Verdict::NoClientConnects);
    let h = &j.diagnosis.headline;
    assert!(
        h.contains("192.0.2.10:50006") && h.contains("2 of 2"),
        "{h}"
    );
}

#[test]
fn a_close_after_the_credssp_exchange_is_the_credentials() {
    let mut c = after_credssp(50007);
    c.tcp.closes.push(close(
        Side::Server,
        CloseKind::Fin,
        MessageKind::TlsApplicationData,
        40.0,
    ));
    let j = judged(&capture(vec![c]));
    assert_eq!(ids(&j), [FindingId::CaptureClosedAfterCredssp]);
    assert_eq!(top(&j), "wrong-credentials");
    assert!(j.findings[0].summary.contains("encrypted"));
}

/// The client that read the server's last record may close a few
/// microseconds before the server's own FIN shows (loopback, FreeRDP's
/// shadow server): still the server ending it. A client that closes and
/// the server only much later is not.
#[test]
fn a_server_close_racing_the_clients_is_still_the_servers() {
    let with = |server_after_ms: f64| {
        let mut c = after_credssp(50009);
        c.tcp.closes.push(close(
            Side::Client,
            CloseKind::Fin,
            MessageKind::TlsApplicationData,
            61.343,
        ));
        c.tcp.closes.push(close(
            Side::Server,
            CloseKind::Fin,
            MessageKind::TlsApplicationData,
            61.343 + server_after_ms,
        ));
        ids(&judged(&capture(vec![c])))
    };
    assert_eq!(with(0.03), [FindingId::CaptureClosedAfterCredssp]);
    assert!(!with(2_000.0).contains(&FindingId::CaptureClosedAfterCredssp));
}

#[test]
fn a_session_that_went_on_is_healthy_and_unanswered_udp_only_warns() {
    let mut c = conn(50008, 0x3);
    selected(&mut c, 0x2);
    c.tls = Some(CaptureTls {
        handshake_finished: true,
        client_application_records: 40,
        server_application_records: 60,
        ..CaptureTls::default()
    });
    let mut cap = capture(vec![c]);
    cap.udp.push(RdpUdpFlow {
        client: "192.0.2.10:50008".into(),
        server: "192.0.2.20:3389".into(),
        syns: 2,
        syn_ack: false,
    });
    let j = judged(&cap);
    assert_eq!(ids(&j), [FindingId::CaptureUdpUnanswered]);
    assert_eq!(j.verdict, Verdict::Healthy);
    assert!(j.diagnosis.first_fix.is_none());
}

#[test]
fn a_capture_without_rdp_cannot_tell() {
    let j = judged(&capture(Vec::new()));
    assert!(j.findings.is_empty());
    assert_eq!(j.verdict, Verdict::Inconclusive);
    assert!(j.diagnosis.headline.contains("No RDP connection"));
}

#[test]
fn a_client_refusing_the_servers_tls_1_0_is_fixed_on_the_server_first() {
    let mut c = conn(50009, 0x1);
    selected(&mut c, 0x1);
    c.tls = Some(CaptureTls {
        client_versions: vec!["tls1.3".into(), "tls1.2".into(), "tls1.0".into()],
        server_version: Some("tls1.0".into()),
        alerts: vec![CaptureAlert {
            from: Side::Client,
            level: AlertLevel::Fatal,
            description: "internal_error".into(),
        }],
        ..CaptureTls::default()
    });
    let j = judged(&capture(vec![c]));
    assert_eq!(ids(&j), [FindingId::CaptureServerTlsLegacy]);
    assert_eq!(top(&j), "tls-version-or-cipher-mismatch");
    let fix = j.diagnosis.first_fix.as_ref().unwrap();
    assert_eq!(fix.fix.id, "enable-tls12-server");
}

/// An NLA connection from `port` whose TLS finished and that exchanged only
/// a CredSSP's worth of records; how it closed is the test's.
fn after_credssp(port: u16) -> CaptureConnection {
    let mut c = conn(port, 0x3);
    selected(&mut c, 0x2);
    c.tls = Some(CaptureTls {
        handshake_finished: true,
        client_application_records: 3,
        server_application_records: 2,
        ..CaptureTls::default()
    });
    c
}

/// The client closes right after a Connection Confirm that selected less
/// than it asked for: what FreeRDP with `/sec:tls` does to a server that
/// selects Standard RDP Security, and with `/sec:nla` to one that selects
/// TLS (lab/capture-truth.tsv records both against the emulator).
#[test]
fn a_client_leaving_right_after_the_confirm_refused_what_the_server_selected() {
    let left_after = |requested: u32, chosen: u32| {
        let mut c = conn(50010, requested);
        selected(&mut c, chosen);
        c.tcp.closes.push(close(
            Side::Client,
            CloseKind::Fin,
            MessageKind::X224ConnectionConfirm,
            2.5,
        ));
        c.tcp.closes.push(close(
            Side::Server,
            CloseKind::Fin,
            MessageKind::X224ConnectionConfirm,
            30.0,
        ));
        judged(&capture(vec![c]))
    };
    let j = left_after(0x1, 0x0);
    assert_eq!(ids(&j), [FindingId::CaptureClientRefusedRdpSecurity]);
    assert_eq!(top(&j), "server-forces-rdp-security");
    assert_eq!(j.verdict, Verdict::SomeClientsFail);
    assert_eq!(j.findings[0].evidence["selected"], "RDP");
    let j = left_after(0x3, 0x1);
    assert_eq!(ids(&j), [FindingId::CaptureClientInsistsOnNla]);
    assert_eq!(top(&j), "nla-not-offered-client-insists");
    assert_eq!(j.findings[0].evidence["requested"], "SSL|HYBRID");
    // Given the strongest it asked for, a client that leaves refused nothing.
    assert!(left_after(0x3, 0x2).findings.is_empty());
}

#[test]
fn ssl_cert_not_on_server_in_a_capture_is_the_servers_certificate() {
    let mut c = conn(50011, 0x3);
    refused(&mut c, 3, "SSL_CERT_NOT_ON_SERVER");
    let j = judged(&capture(vec![c]));
    assert_eq!(ids(&j), [FindingId::CaptureSslCertNotOnServer]);
    assert_eq!(top(&j), "ssl-cert-not-on-server");
}

/// A server that holds the request for seconds is silent, not cutting the
/// connection, even when its FIN follows the client's giving up; one that
/// closes at once is still the cut.
#[test]
fn a_request_held_for_seconds_is_silence_and_a_quick_close_a_cut() {
    let ended = |closes: Vec<CaptureClose>| {
        let mut c = conn(50012, 0x3);
        c.tcp.closes = closes;
        judged(&capture(vec![c]))
    };
    let after = MessageKind::X224ConnectionRequest;
    let j = ended(vec![
        close(Side::Client, CloseKind::Fin, after, 29_558.7),
        close(Side::Server, CloseKind::Fin, after, 29_559.3),
    ]);
    assert_eq!(ids(&j), [FindingId::CaptureRequestUnanswered]);
    assert!(
        j.findings[0].summary.contains("29.6 s"),
        "{}",
        j.findings[0].summary
    );
    assert_eq!(top(&j), "too-many-pending-connections");
    let j = ended(vec![close(Side::Server, CloseKind::Fin, after, 4.0)]);
    assert_eq!(ids(&j), [FindingId::CaptureResetBeforeConfirm]);
}

/// A few retransmissions of a short connection (tail-loss probes of a busy
/// receiver) and any on loopback are no lossy path; many on a real path are.
#[test]
fn retransmissions_warn_only_when_many_on_a_real_path() {
    let with = |retransmitted: u64, loopback: bool| {
        let mut c = after_credssp(50013);
        c.tcp.closes.clear();
        c.tls.as_mut().unwrap().server_application_records = 60;
        c.tcp.segments = 40;
        c.tcp.retransmissions = retransmitted;
        if loopback {
            c.client = "127.0.0.1:50013".into();
            c.server = "127.0.0.1:3389".into();
        }
        ids(&judged(&capture(vec![c])))
    };
    assert_eq!(with(8, false), [FindingId::CaptureRetransmissions]);
    assert!(with(3, false).is_empty());
    assert!(with(8, true).is_empty());
}

/// A Connection Confirm seconds after the request is the probe's slow
/// server, by the same bar; a quick one is nothing.
#[test]
fn a_confirm_seconds_late_is_a_slow_server() {
    let answered_at = |ms: f64| {
        let mut c = conn(50014, 0x1);
        selected(&mut c, 0x1);
        c.messages[1].at_ms = ms;
        judged(&capture(vec![c]))
    };
    let j = answered_at(2_507.0);
    assert_eq!(ids(&j), [FindingId::CaptureSlowAnswer]);
    assert!(
        j.findings[0].summary.contains("2.5 s"),
        "{}",
        j.findings[0].summary
    );
    assert_eq!(top(&j), "too-many-pending-connections");
    assert!(answered_at(40.0).findings.is_empty());
}
