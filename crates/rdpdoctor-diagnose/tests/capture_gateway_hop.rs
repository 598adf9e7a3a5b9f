//! The hop to an RD Gateway in a capture is judged as the probe's gateway
//! hops are: SYNs unanswered or refused are `gateway-unreachable`, a TLS
//! handshake cut or alerted is `gateway-tls-failed`, with the gateway's
//! causes, never the RDP port's or the session host's TLS findings.

use rdpdoctor_diagnose::finding::FindingId;
use rdpdoctor_diagnose::verdict::Verdict;
use rdpdoctor_diagnose::{Context, Evidence, Judgement, judge};
use rdpdoctor_evidence::capture::{
    AlertLevel, CaptureAlert, CaptureClose, CaptureConnection, CaptureEvidence, CaptureMessage,
    CaptureTls, CloseKind, DetectedBy, MessageKind, Side,
};

/// A connection to the gateway at 192.0.2.30:443, named by its address.
fn hop() -> CaptureConnection {
    let mut c = CaptureConnection {
        client: "192.0.2.10:50100".into(),
        server: "192.0.2.30:443".into(),
        detected_by: Some(DetectedBy::GatewayAddress),
        ..CaptureConnection::default()
    };
    c.tcp.syns = 1;
    c
}

fn judged(c: CaptureConnection) -> Judgement {
    let cap = CaptureEvidence {
        file: "user.pcapng".into(),
        format: "pcapng".into(),
        gateway: Some("192.0.2.30".into()),
        connections: vec![c],
        ..CaptureEvidence::default()
    };
    let ev = Evidence {
        capture: Some(&cap),
        ..Evidence::default()
    };
    judge(&ev, &Context::default())
}

fn ids(j: &Judgement) -> Vec<FindingId> {
    j.findings.iter().map(|f| f.id).collect()
}

fn top(j: &Judgement) -> &str {
    j.diagnosis.causes.first().map_or("-", |c| c.id.as_str())
}

fn close(by: Side, kind: CloseKind, after: Option<MessageKind>, at_ms: f64) -> CaptureClose {
    CaptureClose {
        by,
        kind,
        after,
        at_ms,
    }
}

#[test]
fn syns_to_the_gateway_unanswered_or_refused_are_the_gateway_unreachable() {
    let mut silent = hop();
    silent.tcp.syns = 3;
    let mut refused = hop();
    refused
        .tcp
        .closes
        .push(close(Side::Server, CloseKind::Rst, None, 0.1));
    for (name, c, words) in [
        ("unanswered", silent, "3 SYN(s) and no SYN+ACK"),
        ("refused", refused, "answered with a reset"),
    ] {
        let j = judged(c);
        assert_eq!(ids(&j), [FindingId::GatewayUnreachable], "{name}");
        assert_eq!(top(&j), "rd-gateway-unreachable", "{name}");
        assert_eq!(j.verdict, Verdict::NoClientConnects, "{name}");
        let f = &j.findings[0];
        assert!(
            f.summary.contains("192.0.2.30:443"),
            "{name}: {}",
            f.summary
        );
        assert!(f.summary.contains(words), "{name}: {}", f.summary);
        assert_eq!(f.evidence["hop"], "tcp", "{name}");
    }
}

#[test]
fn a_gateway_handshake_cut_or_alerted_is_the_gateway_tls_failed() {
    let mut cut = hop();
    cut.tcp.syn_ack = true;
    cut.tls = Some(CaptureTls::default());
    cut.messages.push(CaptureMessage {
        from: Side::Client,
        name: MessageKind::TlsClientHello,
        at_ms: 1.0,
    });
    cut.tcp.closes.push(close(
        Side::Server,
        CloseKind::Rst,
        Some(MessageKind::TlsClientHello),
        1.2,
    ));
    let mut alerted = hop();
    alerted.tcp.syn_ack = true;
    alerted.tls = Some(CaptureTls {
        alerts: vec![CaptureAlert {
            from: Side::Server,
            level: AlertLevel::Fatal,
            description: "handshake_failure".into(),
        }],
        ..CaptureTls::default()
    });
    for (name, c, words) in [
        (
            "cut",
            cut,
            "reset the connection right after the client's ClientHello",
        ),
        ("alerted", alerted, "fatal alert handshake_failure"),
    ] {
        let j = judged(c);
        let ids = ids(&j);
        assert_eq!(ids, [FindingId::GatewayTlsFailed], "{name}");
        assert!(
            !ids.contains(&FindingId::CaptureResetAfterClientHello)
                && !ids.contains(&FindingId::CaptureTlsAlert),
            "{name}: the session host's findings on the gateway's hop"
        );
        assert!(
            j.diagnosis
                .causes
                .iter()
                .take(2)
                .any(|c| c.id.starts_with("rd-gateway-")),
            "{name}: {:?}",
            j.diagnosis.causes.iter().map(|c| &c.id).collect::<Vec<_>>()
        );
        assert!(
            j.findings[0].summary.contains(words),
            "{name}: {}",
            j.findings[0].summary
        );
    }
}

/// The same failure on an RDP connection stays the RDP port's.
#[test]
fn the_same_syns_to_an_rdp_port_stay_capture_findings() {
    let mut c = hop();
    c.detected_by = Some(DetectedBy::Port);
    c.server = "192.0.2.30:3389".into();
    let j = judged(c);
    assert_eq!(ids(&j), [FindingId::CaptureSynUnanswered]);
}
