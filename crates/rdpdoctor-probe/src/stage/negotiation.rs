//! Stage 3: the X.224 security negotiation matrix
//! ([MS-RDPBCGR 1.3.1.1](https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/023f1e69-cfe8-4ee6-9ee0-7e759fb4e4ee), connection initiation).
//!
//! One connection per requested protocol set, all at once. This stage only
//! records what the server answered and how long it took; what that means
//! (security layer, NLA) is judged by `rdpdoctor-diagnose`.

use crate::io::{self, Deadline, FramedStream, ReadError};
use rdpdoctor_evidence::{
    NegotiationAttempt, NegotiationEvidence, NegotiationOutcome, ProtocolSet, StepFailure,
};
use rdpdoctor_wire::{mcs, tpkt, x224};
use std::net::SocketAddr;
use std::time::Instant;
use tokio::io::{AsyncRead, AsyncWrite};
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
    ProtocolSet::from_bits(bits)
}

/// Opens a connection and runs one X.224 exchange. On a selected protocol the
/// stream is handed back, positioned right after the Connection Confirm.
pub async fn connect_and_negotiate(
    addr: SocketAddr,
    requested: Option<u32>,
    deadline: &Deadline,
) -> (NegotiationOutcome, Option<FramedStream<TcpStream>>) {
    let (outcome, stream, _) = connect_and_negotiate_timed(addr, requested, deadline).await;
    (outcome, stream)
}

/// Connect time and answer time of one exchange, in milliseconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExchangeTimes {
    /// TCP connect (including queueing and SYN retransmits).
    pub connect_ms: f64,
    /// From sending the Connection Request to the answer or giving up.
    pub answer_ms: f64,
}

/// [`connect_and_negotiate`], also timing the connect and the answer apart:
/// the answer time is the server's own, measured on the established
/// connection, so neither connection set-up nor the probe's other
/// connections inflate it.
pub async fn connect_and_negotiate_timed(
    addr: SocketAddr,
    requested: Option<u32>,
    deadline: &Deadline,
) -> (
    NegotiationOutcome,
    Option<FramedStream<TcpStream>>,
    ExchangeTimes,
) {
    let t = Instant::now();
    let stream = match deadline.connect(addr).await {
        Ok(s) => s,
        Err(e) => {
            let times = ExchangeTimes {
                connect_ms: io::elapsed_ms(t),
                answer_ms: 0.0,
            };
            return (
                NegotiationOutcome::ConnectFailed {
                    error: e.label(),
                    failure_kind: Some(e.kind()),
                },
                None,
                times,
            );
        }
    };
    let connect_ms = io::elapsed_ms(t);
    let t = Instant::now();
    let (outcome, framed) = exchange(FramedStream::new(stream), requested, deadline).await;
    let times = ExchangeTimes {
        connect_ms,
        answer_ms: io::elapsed_ms(t),
    };
    (outcome, framed, times)
}

/// One X.224 exchange on an open stream (a TCP connection, or the RD
/// Gateway's channel): on a selected protocol the stream is handed back,
/// positioned right after the Connection Confirm.
pub(crate) async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut framed: FramedStream<S>,
    requested: Option<u32>,
    deadline: &Deadline,
) -> (NegotiationOutcome, Option<FramedStream<S>>) {
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
        // xrdp answers requests it cannot serve (RDSAAD) with an X.224 Data
        // TPDU carrying an MCS Disconnect Provider Ultimatum: a refusal, not garbage.
        Err(_) if mcs::decode_disconnect_provider_ultimatum(&frame).is_ok() => {
            let reason = mcs::decode_disconnect_provider_ultimatum(&frame).unwrap_or_default();
            (
                NegotiationOutcome::Disconnected {
                    reason: mcs::disconnect_reason_name(reason).to_owned(),
                },
                None,
            )
        }
        Err(e) => (
            NegotiationOutcome::Garbage {
                error: e.to_string(),
                first_bytes: io::hex_prefix(&frame, 32),
                failure_kind: Some(StepFailure::Invalid),
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
            failure_kind: Some(e.kind()),
        },
        other => NegotiationOutcome::Garbage {
            error: other.describe(),
            first_bytes: io::hex_prefix(other.received(), 32),
            failure_kind: Some(other.kind()),
        },
    }
}

/// Runs the whole matrix concurrently.
pub async fn run(addr: SocketAddr, deadline: &Deadline) -> NegotiationEvidence {
    let mut tasks = Vec::new();
    for requested in MATRIX {
        let deadline = deadline.clone();
        tasks.push(tokio::spawn(async move {
            let (outcome, _stream, times) =
                connect_and_negotiate_timed(addr, requested, &deadline).await;
            NegotiationAttempt {
                requested: protocol_set(requested),
                outcome,
                connect_ms: times.connect_ms,
                answer_ms: times.answer_ms,
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
                failure_kind: Some(StepFailure::Other),
            },
            connect_ms: 0.0,
            answer_ms: 0.0,
        }));
    }
    NegotiationEvidence { attempts }
}
