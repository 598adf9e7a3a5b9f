//! Evidence that several causes explain equally well is a "can't tell": a
//! server that accepts TCP and closes before any RDP answer may be a security
//! product, a saturated listener or a port forward with nothing behind it,
//! and the wire cannot tell them apart (issue 18, "Why" 8).

use rdpdoctor_diagnose::{Confidence, Context, Evidence, judge};
use rdpdoctor_evidence::*;

// Shared with the other engine tests; this one needs only `report`.
mod common;
use common::report;

fn accepted(state: PortState) -> ProbeReport {
    let mut r = report();
    r.tcp = Some(TcpEvidence {
        state,
        samples: vec![
            ConnectSample {
                connected: true,
                elapsed_ms: 0.3,
                error: None,
                failure_kind: None,
            };
            3
        ],
        rtt_ms: Stats::of(&[0.3, 0.3, 0.3]),
        failures: 0,
        first_response: None,
        other_protocol: None,
    });
    r
}

#[test]
fn accept_then_close_names_every_explanation_and_claims_none() {
    let j = judge(
        &Evidence::wire(&accepted(PortState::AcceptedThenClosed)),
        &Context::default(),
    );
    let ids: Vec<&str> = j.diagnosis.causes.iter().map(|c| c.id.as_str()).collect();
    for id in [
        "endpoint-protection-interference",
        "port-forward-without-backend",
        "too-many-pending-connections",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    let top = j.top_cause().expect("a failing server has a top cause");
    assert_eq!(top.confidence, Confidence::Low, "{ids:?}");
    // The runner-up is as likely: it must not read surer than the top.
    assert!(
        j.diagnosis
            .causes
            .iter()
            .all(|c| c.confidence == Confidence::Low)
    );
}

#[test]
fn a_cause_well_ahead_of_the_next_keeps_its_confidence() {
    // A refused port: the closed port leads every other cause by far.
    let mut r = report();
    r.tcp = Some(TcpEvidence {
        state: PortState::Refused,
        samples: vec![
            ConnectSample {
                connected: false,
                elapsed_ms: 0.2,
                error: Some("connection refused".into()),
                failure_kind: Some(StepFailure::Refused),
            };
            3
        ],
        rtt_ms: None,
        failures: 3,
        first_response: None,
        other_protocol: None,
    });
    let j = judge(&Evidence::wire(&r), &Context::default());
    let top = j.top_cause().unwrap();
    assert_ne!(top.confidence, Confidence::Low, "{}", top.id);
}
