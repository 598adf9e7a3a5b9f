//! The X.224 security negotiation → findings: what the server selects,
//! refuses and requires, read from the [`SecurityPosture`].

use super::*;
use crate::facts::negotiation::*;

pub(super) fn negotiation(r: &ProbeReport, p: &SecurityPosture, out: &mut Out) {
    let Some(neg) = &r.negotiation else { return };
    if neg.failure_codes().contains(&SSL_CERT_NOT_ON_SERVER) {
        out.add(
            FindingId::SslCertNotOnServer,
            Severity::Fail,
            "The server has no usable TLS certificate (RDP_NEG_FAILURE SSL_CERT_NOT_ON_SERVER)"
                .into(),
            &SslCertNotOnServerFacts {
                failure_code: SSL_CERT_NOT_ON_SERVER,
            },
        );
    }
    if !p.violations.is_empty() {
        out.add(
            FindingId::RdpProtocolViolation,
            Severity::Fail,
            format!(
                "The server's negotiation answers break the RDP specification ({}): no client can rely on them",
                p.violations.join("; ")
            ),
            &ProtocolViolationFacts {
                violations: &p.violations,
            },
        );
    }
    // A server without a certificate refuses everything too; that finding
    // already says why, so this one is for refusals nothing else explains.
    if p.refuses_everything() && !neg.failure_codes().contains(&SSL_CERT_NOT_ON_SERVER) {
        let claim = if p.nla_basis == Some(NlaBasis::ClaimedByServer) {
            " It says HYBRID_REQUIRED_BY_SERVER, yet refuses the HYBRID requests too: the claim contradicts its own answers."
        } else {
            ""
        };
        out.add(
            FindingId::NoProtocolAccepted,
            Severity::Fail,
            format!("The server refused every security protocol the probe asked for, NLA included: no client gets past the security negotiation.{claim}"),
            &RefusedEverythingFacts {
                failure_codes: neg.failure_codes(),
            },
        );
    }
    match p.layer {
        // With NLA required, `nla-required` already says who is refused.
        SecurityLayer::Tls if p.nla != NlaPolicy::Required => out.add(
            FindingId::TlsRequired,
            Severity::Info,
            "The server refuses Standard RDP Security: clients must use TLS or NLA".into(),
            &TlsRequiredFacts {
                security_layer: p.layer,
                rdp_request: neg.outcome_for(Some(0)),
            },
        ),
        SecurityLayer::Rdp => out.add(
            FindingId::RdpSecurityOnly,
            Severity::Warn,
            "The server only speaks Standard RDP Security: clients that require TLS or NLA fail, and the link is weakly protected".into(),
            &RdpSecurityOnlyFacts {
                security_layer: p.layer,
                selectable: &p.selectable,
            },
        ),
        _ => {}
    }
    match (p.nla, p.nla_basis) {
        // Said by `no-protocol-accepted`, which names the contradiction.
        (NlaPolicy::Required, Some(NlaBasis::ClaimedByServer)) => {}
        (NlaPolicy::Required, _) => out.add(
            FindingId::NlaRequired,
            Severity::Info,
            "The server requires Network Level Authentication (CredSSP): clients without NLA are refused".into(),
            &NlaRequiredFacts {
                nla: p.nla,
                failure_codes: neg.failure_codes(),
            },
        ),
        (NlaPolicy::Optional, _) => out.add(
            FindingId::NlaOptional,
            Severity::Warn,
            "The server offers NLA but does not require it: clients can reach the logon screen without authenticating first".into(),
            &NlaOptionalFacts {
                nla: p.nla,
                selectable: &p.selectable,
            },
        ),
        (NlaPolicy::Absent, _) => out.add(
            FindingId::NlaNotOffered,
            Severity::Warn,
            "The server never selects NLA (CredSSP): clients that insist on NLA fail".into(),
            &NlaNotOfferedFacts {
                nla: p.nla,
                hybrid_request: neg.outcome_for(Some(2)),
            },
        ),
        (NlaPolicy::Unknown, _) => {}
    }
    // The answer time is measured from the established connection, so
    // neither TCP set-up nor the probe's own concurrent connections are in
    // it; the *fastest* answer is the server's best, so queueing behind our
    // other requests cannot make a healthy server look slow.
    let answers: Vec<f64> = neg
        .attempts
        .iter()
        .filter(|a| {
            matches!(
                a.outcome,
                NegotiationOutcome::Selected { .. }
                    | NegotiationOutcome::Failure { .. }
                    | NegotiationOutcome::NoNegotiationData
            )
        })
        .map(|a| a.answer_ms)
        .collect();
    if let Some(answer) = Stats::of(&answers).filter(|s| s.min > SLOW_SERVER_MS) {
        out.add(
            FindingId::SlowServer,
            Severity::Warn,
            format!(
                "The RDP service takes at least {:.1} s to answer a connection request on an established connection: the server is slow (busy listener, overload, or an inspecting filter)",
                answer.min / 1000.0,
            ),
            &SlowServerFacts { answer_ms: answer },
        );
    }
    let all_garbage = !neg.attempts.is_empty()
        && neg
            .attempts
            .iter()
            .all(|a| matches!(a.outcome, NegotiationOutcome::Garbage { .. }));
    let tcp_says_other = r.tcp.as_ref().is_some_and(|t| t.other_protocol.is_some());
    if all_garbage && !tcp_says_other {
        out.add(
            FindingId::NotRdp,
            Severity::Fail,
            "The server answers, but not with RDP".into(),
            &NotRdpAnswerFacts {
                outcome: neg.attempts.first().map(|a| &a.outcome),
            },
        );
    }
}
