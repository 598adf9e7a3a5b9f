//! Whether the error the user gave (`--error`) fits what the probe saw. A
//! code only ever seen after a connection was made cannot come from a port
//! that refuses connections; an error from a host where every client now
//! connects did not happen on this probe. Either way the report says so,
//! with the next check to run, instead of ranking the error's causes as if
//! it had.

use crate::rank::RankedCause;
use crate::{ErrorContext, Verdict};
use rdpdoctor_evidence::{PortState, ProbeReport};
use rdpdoctor_kb::Reach;

/// Before ranking: the error only comes after a connection is made, but
/// this port makes none. The error is then left out of the ranking (it came
/// from somewhere else), and this sentence says so.
pub(crate) fn port_contradicts(report: &ProbeReport, error: &ErrorContext) -> Option<String> {
    let said = error.input.trim();
    if !error.codes.iter().any(|c| c.after_connect) {
        return None;
    }
    match report.tcp.as_ref().map(|t| t.state) {
        Some(PortState::Refused) => Some(format!(
            "the error you gave ({said}) only comes after a connection is made, but this port refuses connections: another host or port, or was the server down? Left out of the ranking."
        )),
        Some(PortState::Filtered | PortState::Unreachable) => Some(format!(
            "the error you gave ({said}) only comes after a connection is made, but this port gave no answer from here: another network path (VPN, gateway)? Left out of the ranking."
        )),
        _ => None,
    }
}

/// After ranking: the sentence for `diagnosis.error_check`, when the error
/// and the probe disagree.
pub(crate) fn check(
    report: &ProbeReport,
    verdict: Verdict,
    error: &ErrorContext,
    causes: &[RankedCause],
) -> Option<String> {
    let said = error.input.trim();
    if !verdict.is_failing() {
        let kb = rdpdoctor_kb::kb();
        let about_the_account = causes.iter().any(|c| {
            c.share.is_some_and(|s| s >= 0.03)
                && kb.cause(&c.id).and_then(|k| k.reach) == Some(Reach::Logon)
        });
        let next = if about_the_account && report.logon.is_none() {
            " or the account: check it with --user DOMAIN\\user"
        } else {
            " or the account"
        };
        return Some(format!(
            "every client connects from here now: the error you gave ({said}) did not happen on this probe. Another host or port, a passing fault,{next}."
        ));
    }
    let from_error: Vec<&RankedCause> = causes.iter().filter(|c| c.share.is_some()).collect();
    let all_argued_against = !from_error.is_empty()
        && from_error.iter().all(|c| {
            c.evidence_against
                .iter()
                .any(|a| a.finding != "error-mismatch")
        });
    let top_from_error = causes.first().is_some_and(|c| c.share.is_some());
    (all_argued_against && !top_from_error).then(|| {
        format!(
            "the error you gave ({said}) fits none of what the probe found: the evidence argues against every cause it points to (another host or port, or an intermittent fault?)."
        )
    })
}
