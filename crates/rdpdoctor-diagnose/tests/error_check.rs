//! `--error` that the evidence contradicts: the report says so, with the
//! next check, instead of ranking the error's causes as if it had happened.

use rdpdoctor_diagnose::{Context, Evidence, judge};
use rdpdoctor_evidence::*;

mod common;
use common::{report_at, with_error};

fn report(state: PortState) -> ProbeReport {
    let mut r = report_at("2026-12-07T00:00:00Z");
    r.tcp = Some(TcpEvidence {
        state,
        samples: vec![],
        rtt_ms: None,
        failures: 5,
        first_response: None,
        other_protocol: None,
    });
    r
}

/// 0x904 / 0x7 only happen after a connection is made; a port that refuses
/// connections cannot have produced them. The error is shown, said to
/// disagree, and left out of the ranking: the causes are those of the closed
/// port alone (not "a firewall drops RDP, high", which the error's weight
/// pushed up before).
#[test]
fn an_error_after_connect_on_a_refused_port_is_said_to_disagree() {
    let r = report(PortState::Refused);
    let j = with_error(&r, "0x904:0x7");
    let check = j.diagnosis.error_check.as_deref().expect("no error_check");
    assert!(
        check.contains("0x904:0x7") && check.contains("refuses"),
        "{check}"
    );
    assert!(j.diagnosis.error.is_some());
    let alone = judge(&Evidence::wire(&r), &Context::default());
    let ids = |j: &rdpdoctor_diagnose::Judgement| -> Vec<(String, f64)> {
        j.diagnosis
            .causes
            .iter()
            .map(|c| (c.id.clone(), c.score))
            .collect()
    };
    assert_eq!(ids(&j), ids(&alone));
    assert!(j.diagnosis.causes.iter().all(|c| c.share.is_none()));
    // A code that can come without a connection (0x204: could not connect)
    // fits a refused port: no disagreement, and it is ranked.
    let j = with_error(&r, "0x204");
    assert!(
        j.diagnosis.error_check.is_none(),
        "{:?}",
        j.diagnosis.error_check
    );
    assert!(j.diagnosis.causes.iter().any(|c| c.share.is_some()));
}
