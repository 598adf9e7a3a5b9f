//! Stage 3: the X.224 security negotiation matrix
//! ([MS-RDPBCGR 1.3.1.1](https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/023f1e69-cfe8-4ee6-9ee0-7e759fb4e4ee), connection initiation).
//!
//! One connection per requested protocol set, all at once. The verdicts are
//! drawn from what the server *selected*, never from the mere absence of a
//! failure: xrdp answers a HYBRID-only request by selecting PROTOCOL_RDP, which
//! a careless scanner reads as "NLA supported".

use crate::io::{self, Deadline, FramedStream, ReadError};
use rdpdoctor_evidence::{
    NegotiationAttempt, NegotiationEvidence, NegotiationOutcome, NlaPolicy, ProtocolSet,
    SecurityLayer,
};
use rdpdoctor_wire::{tpkt, x224};
use std::net::SocketAddr;
use std::time::Instant;
use tokio::net::TcpStream;

use x224::protocol::{HYBRID, HYBRID_EX, RDP, RDSAAD, RDSTLS, SSL};

/// The requests of the matrix, in report order; `None` is a legacy request with no RDP_NEG_REQ.
pub const MATRIX: [Option<u32>; 8] = [
    Some(RDP),
    Some(SSL),
    Some(HYBRID),
    Some(SSL | HYBRID),
    Some(SSL | HYBRID | HYBRID_EX),
    Some(RDSTLS),
    Some(RDSAAD),
    None,
];

/// The routing cookie sent in every Connection Request (mstsc sends the user name here).
pub const COOKIE: &str = "Cookie: mstshash=rdpdoctor\r\n";

/// Describes a protocol set for reports.
pub fn protocol_set(bits: Option<u32>) -> ProtocolSet {
    ProtocolSet {
        bits,
        names: match bits {
            None => vec!["legacy".to_owned()],
            Some(b) => x224::protocol_names(b)
                .into_iter()
                .map(str::to_owned)
                .collect(),
        },
    }
}

/// Opens a connection and runs one X.224 exchange. On a selected protocol the
/// stream is handed back, positioned right after the Connection Confirm.
pub async fn connect_and_negotiate(
    addr: SocketAddr,
    requested: Option<u32>,
    deadline: &Deadline,
) -> (NegotiationOutcome, Option<FramedStream<TcpStream>>) {
    let stream = match deadline.connect(addr).await {
        Ok(s) => s,
        Err(e) => return (NegotiationOutcome::ConnectFailed { error: e.label() }, None),
    };
    let mut framed = FramedStream::new(stream);
    let request = x224::encode_connection_request(requested, Some(COOKIE));
    if let Err(e) = framed.send(&request, deadline.step()).await {
        return (read_error_outcome(&e), None);
    }
    let frame = match framed
        .read_frame(tpkt::frame_len, tpkt::MAX_FRAME, deadline.step())
        .await
    {
        Ok(f) => f,
        Err(e) => return (read_error_outcome(&e), None),
    };
    match x224::decode_connection_confirm(&frame) {
        Ok(x224::ConnectionConfirm::Response {
            selected_protocol,
            flags,
        }) => (
            NegotiationOutcome::Selected {
                protocol: protocol_set(Some(selected_protocol)),
                flags,
                flag_names: x224::response_flag_names(flags)
                    .into_iter()
                    .map(str::to_owned)
                    .collect(),
            },
            Some(framed),
        ),
        Ok(x224::ConnectionConfirm::Failure { code }) => (
            NegotiationOutcome::Failure {
                code,
                name: x224::failure_code_name(code).map(str::to_owned),
            },
            None,
        ),
        Ok(x224::ConnectionConfirm::NoNegotiationData) => {
            (NegotiationOutcome::NoNegotiationData, Some(framed))
        }
        Err(e) => (
            NegotiationOutcome::Garbage {
                error: e.to_string(),
                first_bytes: io::hex_prefix(&frame, 32),
            },
            None,
        ),
    }
}

fn read_error_outcome(e: &ReadError) -> NegotiationOutcome {
    match e {
        ReadError::Timeout { received } if received.is_empty() => NegotiationOutcome::Silent,
        ReadError::Closed { received } | ReadError::Reset { received } if received.is_empty() => {
            NegotiationOutcome::Closed
        }
        ReadError::Io(m) => NegotiationOutcome::Garbage {
            error: m.clone(),
            first_bytes: String::new(),
        },
        other => NegotiationOutcome::Garbage {
            error: other.describe(),
            first_bytes: io::hex_prefix(other.received(), 32),
        },
    }
}

/// Runs the whole matrix concurrently.
pub async fn run(addr: SocketAddr, deadline: &Deadline) -> NegotiationEvidence {
    let mut tasks = Vec::new();
    for requested in MATRIX {
        let deadline = deadline.clone();
        tasks.push(tokio::spawn(async move {
            let start = Instant::now();
            let (outcome, _stream) = connect_and_negotiate(addr, requested, &deadline).await;
            NegotiationAttempt {
                requested: protocol_set(requested),
                outcome,
                elapsed_ms: crate::io::elapsed_ms(start),
            }
        }));
    }
    let mut attempts = Vec::new();
    for (t, requested) in tasks.into_iter().zip(MATRIX) {
        attempts.push(t.await.unwrap_or_else(|e| NegotiationAttempt {
            requested: protocol_set(requested),
            outcome: NegotiationOutcome::Garbage {
                error: format!("internal error: {e}"),
                first_bytes: String::new(),
            },
            elapsed_ms: 0.0,
        }));
    }
    judge(attempts)
}

/// Derives the security layer and the NLA policy from the matrix.
pub fn judge(attempts: Vec<NegotiationAttempt>) -> NegotiationEvidence {
    let selected = |a: &NegotiationAttempt| match &a.outcome {
        NegotiationOutcome::Selected { protocol, .. } => protocol.bits,
        NegotiationOutcome::NoNegotiationData => Some(RDP),
        _ => None,
    };
    let mut selectable: Vec<String> = Vec::new();
    let mut rdp_ok = false;
    let mut tls_ok = false;
    let mut hybrid_ok = false;
    // A request without HYBRID that still got a protocol selected: NLA is not enforced.
    let mut in_without_nla = false;
    let mut answered = false;
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
    for a in &attempts {
        if a.requested.bits.is_none() && neg_req_answered {
            continue;
        }
        let Some(sel) = selected(a) else {
            if matches!(a.outcome, NegotiationOutcome::Failure { .. }) {
                answered = true;
            }
            continue;
        };
        answered = true;
        let name = if sel == RDP {
            rdp_ok = true;
            "RDP"
        } else if sel & (HYBRID | HYBRID_EX) != 0 {
            hybrid_ok = true;
            if sel & HYBRID_EX != 0 {
                "HYBRID_EX"
            } else {
                "HYBRID"
            }
        } else if sel & SSL != 0 {
            tls_ok = true;
            "SSL"
        } else if sel & RDSTLS != 0 {
            "RDSTLS"
        } else if sel & RDSAAD != 0 {
            "RDSAAD"
        } else {
            "unknown"
        };
        if !selectable.iter().any(|s| s == name) {
            selectable.push(name.to_owned());
        }
        let requested_hybrid = a
            .requested
            .bits
            .is_some_and(|b| b & (HYBRID | HYBRID_EX) != 0);
        if !requested_hybrid && sel & (HYBRID | HYBRID_EX) == 0 {
            in_without_nla = true;
        }
    }
    let enhanced = tls_ok || hybrid_ok;
    let security_layer = match (rdp_ok, enhanced) {
        (true, true) => SecurityLayer::Negotiate,
        (true, false) => SecurityLayer::Rdp,
        (false, true) => SecurityLayer::Tls,
        (false, false) => SecurityLayer::Unknown,
    };
    let nla = if !answered {
        NlaPolicy::Unknown
    } else if hybrid_ok && !in_without_nla {
        NlaPolicy::Required
    } else if hybrid_ok {
        NlaPolicy::Optional
    } else {
        NlaPolicy::Absent
    };
    NegotiationEvidence {
        attempts,
        security_layer,
        nla,
        selectable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(req: Option<u32>, outcome: NegotiationOutcome) -> NegotiationAttempt {
        NegotiationAttempt {
            requested: protocol_set(req),
            outcome,
            elapsed_ms: 1.0,
        }
    }
    fn sel(bits: u32) -> NegotiationOutcome {
        NegotiationOutcome::Selected {
            protocol: protocol_set(Some(bits)),
            flags: 1,
            flag_names: vec![],
        }
    }
    fn fail(code: u32) -> NegotiationOutcome {
        NegotiationOutcome::Failure { code, name: None }
    }

    #[test]
    fn xrdp_negotiate_is_not_nla_although_it_answers_hybrid() {
        // As measured against xrdp 0.9 (security_layer=negotiate): HYBRID-only gets RDP.
        let n = judge(vec![
            row(Some(RDP), sel(RDP)),
            row(Some(SSL), sel(SSL)),
            row(Some(HYBRID), sel(RDP)),
            row(Some(SSL | HYBRID), sel(SSL)),
            row(None, NegotiationOutcome::NoNegotiationData),
        ]);
        assert_eq!(n.security_layer, SecurityLayer::Negotiate);
        assert_eq!(n.nla, NlaPolicy::Absent);
    }

    #[test]
    fn shadow_nla_requires_nla() {
        let n = judge(vec![
            row(Some(RDP), fail(5)),
            row(Some(SSL), fail(5)),
            row(Some(HYBRID), sel(HYBRID)),
            row(Some(SSL | HYBRID), sel(HYBRID)),
            row(None, fail(5)),
        ]);
        assert_eq!(n.security_layer, SecurityLayer::Tls);
        assert_eq!(n.nla, NlaPolicy::Required);
    }

    #[test]
    fn windows_default_offers_nla_optionally_when_user_auth_off() {
        let n = judge(vec![
            row(Some(RDP), fail(1)),
            row(Some(SSL), sel(SSL)),
            row(Some(SSL | HYBRID), sel(HYBRID)),
        ]);
        assert_eq!(n.security_layer, SecurityLayer::Tls);
        assert_eq!(n.nla, NlaPolicy::Optional);
    }

    #[test]
    fn xrdp_tls_only_is_tls_although_a_legacy_request_gets_an_answer() {
        let n = judge(vec![
            row(Some(RDP), fail(1)),
            row(Some(SSL), sel(SSL)),
            row(Some(HYBRID), fail(1)),
            row(None, NegotiationOutcome::NoNegotiationData),
        ]);
        assert_eq!(n.security_layer, SecurityLayer::Tls);
        assert_eq!(n.nla, NlaPolicy::Absent);
        assert_eq!(n.selectable, vec!["SSL".to_owned()]);
    }

    #[test]
    fn a_legacy_only_server_is_rdp() {
        let n = judge(vec![
            row(Some(RDP), NegotiationOutcome::NoNegotiationData),
            row(Some(SSL), NegotiationOutcome::NoNegotiationData),
            row(None, NegotiationOutcome::NoNegotiationData),
        ]);
        assert_eq!(n.security_layer, SecurityLayer::Rdp);
    }

    #[test]
    fn silence_everywhere_is_unknown() {
        let n = judge(vec![
            row(Some(RDP), NegotiationOutcome::Silent),
            row(None, NegotiationOutcome::Closed),
        ]);
        assert_eq!(
            (n.security_layer, n.nla),
            (SecurityLayer::Unknown, NlaPolicy::Unknown)
        );
    }
}
