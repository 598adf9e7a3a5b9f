//! The target behind an RD Gateway, judged on hand-built evidence: the
//! gateway let the user through (every hop ok, a channel opened, the target
//! probed through it), and the target's own logon through the channel
//! answered. A refusal is the target's finding and cause, never the
//! gateway's; the head line names the target as the hop that fails; a
//! success reads as such.

use rdpdoctor_diagnose::{Context, Evidence, FindingId, Judgement, judge};
use rdpdoctor_evidence::*;

mod common;
use common::report;

/// Through a gateway that let the user through to a target that requires
/// NLA, whose logon ended with `outcome` (and `ntstatus`).
fn through(outcome: LogonOutcome, ntstatus: Option<u32>) -> ProbeReport {
    let mut r = report();
    let ok = |hop| GatewayHop {
        hop,
        outcome: HopOutcome::Ok,
        status: None,
        status_name: None,
        detail: None,
        elapsed_ms: 1.0,
    };
    r.gateway = Some(GatewayEvidence {
        host: "rdgw.corp.example".into(),
        port: 443,
        address: Some("192.0.2.7:443".into()),
        hops: GatewayHopKind::ALL.into_iter().skip(1).map(ok).collect(),
        tls_version: Some("TLS 1.3".into()),
        certificate: None,
        http_status: Some(401),
        auth_schemes: vec!["NTLM".into()],
        websocket: Some(true),
        server_header: None,
        channel_opened: true,
        target_probed: true,
        udp_port: None,
        channel_end: None,
        udp: None,
        rpc_over_http: None,
        auth: None,
    });
    let row = |requested: u32, selected: Option<u32>| NegotiationAttempt {
        requested: ProtocolSet::from_bits(Some(requested)),
        outcome: match selected {
            Some(bits) => NegotiationOutcome::Selected {
                protocol: ProtocolSet::from_bits(Some(bits)),
                flags: 0x1f,
                flag_names: vec![],
            },
            None => NegotiationOutcome::Failure {
                code: 5,
                name: Some("HYBRID_REQUIRED_BY_SERVER".into()),
            },
        },
        connect_ms: 1.0,
        answer_ms: 1.0,
    };
    // mstsc's SSL|HYBRID|HYBRID_EX, then RDP and SSL alone (NLA required).
    r.negotiation = Some(NegotiationEvidence {
        attempts: vec![row(11, Some(8)), row(0, None), row(1, None)],
    });
    r.not_checked = vec![Stage::Tcp];
    r.logon = Some(common::logon_evidence(
        outcome,
        LogonPhase::NtlmAuthenticate,
        ntstatus,
        None,
    ));
    r
}

fn judged(r: &ProbeReport) -> Judgement {
    judge(&Evidence::wire(r), &Context::default())
}

#[test]
fn a_logon_the_target_refuses_is_the_targets_hop() {
    let r = through(LogonOutcome::Rejected, Some(0xC000_006D));
    let j = judged(&r);
    assert!(j.has(FindingId::BadCredentials), "{:?}", j.findings);
    assert!(!j.has(FindingId::GatewayAuthRefused));
    assert!(j.has(FindingId::GatewayChannelOpened));
    assert_eq!(j.verdict.exit_code(), 1);
    let top = j.diagnosis.causes.first().map(|c| c.id.as_str());
    assert_eq!(top, Some("wrong-credentials"));
    assert!(
        j.diagnosis.headline.contains(
            "Through the RD Gateway rdgw.corp.example:443, the hop that fails is the target itself"
        ),
        "{}",
        j.diagnosis.headline
    );
    // The same logon refused on a direct probe ranks the same cause first.
    let mut direct = r.clone();
    direct.gateway = None;
    let d = judged(&direct);
    assert_eq!(d.diagnosis.causes.first().map(|c| c.id.as_str()), top);
}

#[test]
fn a_logon_the_target_accepts_reads_as_such_through_the_gateway() {
    let r = through(LogonOutcome::Authenticated, None);
    let j = judged(&r);
    assert!(j.has(FindingId::LogonSucceeded), "{:?}", j.findings);
    assert!(!j.has(FindingId::BadCredentials));
    let h = &j.diagnosis.headline;
    assert!(!h.contains("credentials are refused"), "{h}");
    // The target's verdict and top cause are the direct probe's own.
    let mut direct = r.clone();
    direct.gateway = None;
    let d = judged(&direct);
    assert_eq!(j.verdict, d.verdict, "{h}");
    assert_eq!(
        j.diagnosis.causes.first().map(|c| &c.id),
        d.diagnosis.causes.first().map(|c| &c.id)
    );
}
