//! The server's security posture, judged from the X.224 negotiation matrix:
//! its security layer, whether it requires NLA, and on what that rests.
//!
//! Judged from what the server *selected* ([MS-RDPBCGR 2.2.1.2.1] RDP_NEG_RSP),
//! never from the absence of a failure: xrdp answers a HYBRID-only request by
//! selecting PROTOCOL_RDP, which nmap reads as "NLA: SUCCESS".
//!
//! [MS-RDPBCGR 2.2.1.2.1]: https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/b2975bdc-6d56-49ee-9c57-f2ff3a0b6817

use rdpdoctor_evidence::{NegotiationAttempt, NegotiationEvidence, NegotiationOutcome, Protocol};
use serde::{Deserialize, Serialize};

/// RDP_NEG_FAILURE HYBRID_REQUIRED_BY_SERVER ([MS-RDPBCGR 2.2.1.2.2]).
pub const HYBRID_REQUIRED_BY_SERVER: u32 = 5;
/// RDP_NEG_FAILURE SSL_CERT_NOT_ON_SERVER.
pub const SSL_CERT_NOT_ON_SERVER: u32 = 3;
/// The failure codes the specification defines (1–6).
pub const DEFINED_FAILURE_CODES: std::ops::RangeInclusive<u32> = 1..=6;

/// The server's security layer, as an admin would configure it
/// (`SecurityLayer` under `…\WinStations\RDP-Tcp`: 0 RDP, 1 Negotiate, 2 TLS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SecurityLayer {
    /// Only Standard RDP Security.
    Rdp,
    /// Only TLS or CredSSP: PROTOCOL_RDP is refused.
    Tls,
    /// Both Standard RDP Security and TLS are accepted.
    Negotiate,
    /// Could not be determined.
    Unknown,
}

/// Whether Network Level Authentication (CredSSP) is required.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NlaPolicy {
    /// Every request without HYBRID is refused.
    Required,
    /// HYBRID can be selected, but clients without it get in too.
    Optional,
    /// The server never selects HYBRID.
    Absent,
    /// Could not be determined.
    Unknown,
}

/// What an NLA judgement rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NlaBasis {
    /// The server selected HYBRID for some requests and refused the others.
    Selected,
    /// The server only *said* so (HYBRID_REQUIRED_BY_SERVER) but never
    /// selected HYBRID: a claim the probe could not confirm.
    ClaimedByServer,
}

/// The security posture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecurityPosture {
    /// The security layer.
    pub layer: SecurityLayer,
    /// The NLA policy.
    pub nla: NlaPolicy,
    /// What the NLA policy rests on, when it is `required`.
    pub nla_basis: Option<NlaBasis>,
    /// Protocols the server selected at least once.
    pub selectable: Vec<Protocol>,
    /// Some request carrying RDP_NEG_REQ got a real answer (a selection or
    /// a failure code).
    pub answered: bool,
    /// Undefined failure codes or selections seen (spec violations).
    pub violations: Vec<String>,
    /// Requests carrying RDP_NEG_REQ that got no answer at all: silent
    /// until the deadline, or the connection failed. Not part of the JSON
    /// (the attempts are).
    #[serde(skip)]
    pub unanswered: usize,
}

impl SecurityPosture {
    /// True when some request got `p` selected.
    pub fn can_select(&self, p: Protocol) -> bool {
        self.selectable.contains(&p)
    }

    /// True when some request got HYBRID or HYBRID_EX selected.
    pub fn nla_selectable(&self) -> bool {
        self.selectable.iter().any(|p| p.is_nla())
    }

    /// True when no request got any protocol selected although the server
    /// answered every one: it refuses everything. A request with no answer
    /// within the deadline is not a refusal: a server that refused the RDP
    /// request and stayed silent to the TLS ones (a listener overloaded, a
    /// path dropping packets) has not refused TLS.
    pub fn refuses_everything(&self) -> bool {
        self.answered && self.selectable.is_empty() && self.unanswered == 0
    }
}

/// Judges the posture from the matrix.
pub fn judge(neg: &NegotiationEvidence) -> SecurityPosture {
    let attempts = &neg.attempts;
    let mut selectable: Vec<Protocol> = Vec::new();
    let mut violations = Vec::new();
    // A request without HYBRID that still got a protocol selected: NLA is not enforced.
    let mut in_without_nla = false;
    // A legacy request (no RDP_NEG_REQ) is answered without negotiation data
    // even by servers that refuse Standard RDP Security once the MCS exchange
    // starts (xrdp with security_layer=tls answers, then closes). It only says
    // "RDP" when no request carrying RDP_NEG_REQ got a real answer.
    let neg_req_answered = attempts.iter().any(|a| {
        a.requested.bits.is_some()
            && matches!(
                a.outcome,
                NegotiationOutcome::Selected { .. } | NegotiationOutcome::Failure { .. }
            )
    });
    let mut answered = neg_req_answered;
    let unanswered = attempts
        .iter()
        .filter(|a| {
            a.requested.bits.is_some()
                && matches!(
                    a.outcome,
                    NegotiationOutcome::Silent | NegotiationOutcome::ConnectFailed { .. }
                )
        })
        .count();
    for a in attempts {
        if let NegotiationOutcome::Failure { code, .. } = a.outcome
            && !DEFINED_FAILURE_CODES.contains(&code)
        {
            violations.push(format!("RDP_NEG_FAILURE with undefined code 0x{code:X}"));
        }
        if let NegotiationOutcome::Selected { protocol, .. } = &a.outcome {
            if protocol.single().is_none() {
                violations.push(format!(
                    "RDP_NEG_RSP selecting {} (one protocol expected)",
                    protocol.label()
                ));
            } else if let (Some(req), Some(sel)) = (a.requested.bits, protocol.bits)
                && sel != 0
                && req & sel == 0
            {
                // Selecting a protocol that was not requested (other than
                // falling back to RDP, which servers may do) breaks 2.2.1.2.1.
                violations.push(format!(
                    "selected {} when only {} was requested",
                    protocol.label(),
                    a.requested.label()
                ));
            }
        }
        if a.requested.bits.is_none() && neg_req_answered {
            continue;
        }
        let Some(sel) = NegotiationEvidence::selected(a) else {
            continue;
        };
        answered = true;
        if !selectable.contains(&sel) {
            selectable.push(sel);
        }
        if !requested_nla(a) && !sel.is_nla() {
            in_without_nla = true;
        }
    }
    selectable.sort();
    let rdp_ok = selectable.contains(&Protocol::Rdp);
    let enhanced = selectable
        .iter()
        .any(|p| matches!(p, Protocol::Ssl | Protocol::Hybrid | Protocol::HybridEx));
    let layer = match (rdp_ok, enhanced) {
        (true, true) => SecurityLayer::Negotiate,
        (true, false) => SecurityLayer::Rdp,
        (false, true) => SecurityLayer::Tls,
        (false, false) => SecurityLayer::Unknown,
    };
    let nla_ok = selectable.iter().any(|p| p.is_nla());
    let claims_hybrid_required = attempts.iter().any(|a| {
        matches!(a.outcome, NegotiationOutcome::Failure { code, .. } if code == HYBRID_REQUIRED_BY_SERVER)
    });
    let (nla, nla_basis) = if !answered {
        (NlaPolicy::Unknown, None)
    } else if nla_ok && !in_without_nla {
        (NlaPolicy::Required, Some(NlaBasis::Selected))
    } else if nla_ok {
        (NlaPolicy::Optional, None)
    } else if selectable.is_empty() && claims_hybrid_required {
        (NlaPolicy::Required, Some(NlaBasis::ClaimedByServer))
    } else if selectable.is_empty() {
        (NlaPolicy::Unknown, None)
    } else {
        (NlaPolicy::Absent, None)
    };
    SecurityPosture {
        layer,
        nla,
        nla_basis,
        selectable,
        answered,
        violations,
        unanswered,
    }
}

fn requested_nla(a: &NegotiationAttempt) -> bool {
    a.requested.contains(Protocol::Hybrid) || a.requested.contains(Protocol::HybridEx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rdpdoctor_evidence::ProtocolSet;

    fn row(req: Option<u32>, outcome: NegotiationOutcome) -> NegotiationAttempt {
        NegotiationAttempt {
            requested: ProtocolSet::from_bits(req),
            outcome,
            connect_ms: 1.0,
            answer_ms: 1.0,
        }
    }
    fn sel(bits: u32) -> NegotiationOutcome {
        NegotiationOutcome::Selected {
            protocol: ProtocolSet::from_bits(Some(bits)),
            flags: 1,
            flag_names: vec![],
        }
    }
    fn fail(code: u32) -> NegotiationOutcome {
        NegotiationOutcome::Failure { code, name: None }
    }
    fn judge_rows(rows: Vec<NegotiationAttempt>) -> SecurityPosture {
        judge(&NegotiationEvidence { attempts: rows })
    }

    #[test]
    fn xrdp_negotiate_is_not_nla_although_it_answers_hybrid() {
        let p = judge_rows(vec![
            row(Some(0), sel(0)),
            row(Some(1), sel(1)),
            row(Some(2), sel(0)),
            row(Some(3), sel(1)),
            row(None, NegotiationOutcome::NoNegotiationData),
        ]);
        assert_eq!(p.layer, SecurityLayer::Negotiate);
        assert_eq!(p.nla, NlaPolicy::Absent);
    }

    #[test]
    fn shadow_nla_requires_nla_by_selection() {
        let p = judge_rows(vec![
            row(Some(0), fail(5)),
            row(Some(1), fail(5)),
            row(Some(2), sel(2)),
            row(Some(3), sel(2)),
        ]);
        assert_eq!((p.layer, p.nla), (SecurityLayer::Tls, NlaPolicy::Required));
        assert_eq!(p.nla_basis, Some(NlaBasis::Selected));
    }

    #[test]
    fn a_server_refusing_everything_only_claims_nla() {
        let p = judge_rows(vec![
            row(Some(0), fail(5)),
            row(Some(2), fail(5)),
            row(Some(3), fail(5)),
            row(None, fail(5)),
        ]);
        assert!(p.refuses_everything());
        assert_eq!(p.nla, NlaPolicy::Required);
        assert_eq!(p.nla_basis, Some(NlaBasis::ClaimedByServer));
        assert_eq!(p.layer, SecurityLayer::Unknown);
    }

    /// CI saw this from xrdp (TLS only) behind the lab's TLS-dropping filter,
    /// on a loaded machine: the RDP and HYBRID requests refused, the TLS
    /// ones silent until the deadline. That is not "refuses everything".
    #[test]
    fn silence_is_not_a_refusal() {
        let p = judge_rows(vec![
            row(Some(0), fail(1)),
            row(Some(1), NegotiationOutcome::Silent),
            row(Some(2), fail(1)),
            row(
                Some(3),
                NegotiationOutcome::ConnectFailed {
                    failure_kind: None,
                    error: "timed-out".into(),
                },
            ),
        ]);
        assert!(p.answered);
        assert!(!p.refuses_everything(), "{p:?}");
        assert_eq!(p.unanswered, 2);
    }

    #[test]
    fn undefined_codes_and_selections_are_violations() {
        let p = judge_rows(vec![
            row(Some(3), fail(0xDEAD_BEEF)),
            row(Some(1), sel(0xFFFF_FFFF)),
        ]);
        assert_eq!(p.violations.len(), 2, "{:?}", p.violations);
        assert!(p.selectable.is_empty());
        assert_ne!(p.nla, NlaPolicy::Required, "0xFFFFFFFF is not NLA");
    }

    #[test]
    fn xrdp_tls_only_is_tls_although_a_legacy_request_gets_an_answer() {
        let p = judge_rows(vec![
            row(Some(0), fail(1)),
            row(Some(1), sel(1)),
            row(Some(2), fail(1)),
            row(None, NegotiationOutcome::NoNegotiationData),
        ]);
        assert_eq!(p.layer, SecurityLayer::Tls);
        assert_eq!(p.selectable, vec![Protocol::Ssl]);
    }

    #[test]
    fn silence_everywhere_is_unknown() {
        let p = judge_rows(vec![row(Some(0), NegotiationOutcome::Silent)]);
        assert_eq!(
            (p.layer, p.nla),
            (SecurityLayer::Unknown, NlaPolicy::Unknown)
        );
    }
}
