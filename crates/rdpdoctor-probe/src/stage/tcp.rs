//! Stage 2: TCP reachability, sampled.
//!
//! Samples start a few milliseconds apart and run concurrently, so a filtered
//! port costs one timeout, not `samples` timeouts. The port's final state also
//! depends on what the server does with the first request: that part is
//! settled by [`settle`] once the negotiation stage has run.

use crate::io::{self, ConnectError};
use rdpdoctor_evidence::{
    ConnectSample, NegotiationEvidence, NegotiationOutcome, PortState, Stats, TcpEvidence,
};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Takes `samples` connect samples within `budget` each.
pub async fn sample(addr: SocketAddr, samples: u32, budget: Duration) -> TcpEvidence {
    let mut tasks = Vec::new();
    for i in 0..samples.max(1) {
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(15 * u64::from(i))).await;
            let start = Instant::now();
            let r = io::connect(addr, budget).await;
            (r.map(drop), crate::io::elapsed_ms(start))
        }));
    }
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for t in tasks {
        let (r, elapsed_ms) = match t.await {
            Ok(v) => v,
            Err(e) => (Err(ConnectError::Other(e.to_string())), 0.0),
        };
        out.push(ConnectSample {
            connected: r.is_ok(),
            elapsed_ms,
            error: r.as_ref().err().map(ConnectError::label),
            failure_kind: r.as_ref().err().map(ConnectError::kind),
        });
        if let Err(e) = r {
            errors.push(e);
        }
    }
    let rtts: Vec<f64> = out
        .iter()
        .filter(|s| s.connected)
        .map(|s| s.elapsed_ms)
        .collect();
    let state = if !rtts.is_empty() {
        PortState::Open
    } else if errors.iter().any(|e| matches!(e, ConnectError::Refused)) {
        PortState::Refused
    } else if errors
        .iter()
        .any(|e| matches!(e, ConnectError::Unreachable(_)))
    {
        PortState::Unreachable
    } else {
        PortState::Filtered
    };
    TcpEvidence {
        state,
        failures: errors.len() as u32,
        rtt_ms: Stats::of(&rtts),
        samples: out,
        first_response: None,
        other_protocol: None,
    }
}

/// Refines an open port with what the server did with the X.224 requests:
/// closed on every request, silent on every request, or answered with another protocol.
pub fn settle(tcp: &mut TcpEvidence, neg: &NegotiationEvidence) {
    if tcp.state != PortState::Open || neg.attempts.is_empty() {
        return;
    }
    let outcomes: Vec<&NegotiationOutcome> = neg.attempts.iter().map(|a| &a.outcome).collect();
    let answered = outcomes.iter().any(|o| {
        matches!(
            o,
            NegotiationOutcome::Selected { .. }
                | NegotiationOutcome::Failure { .. }
                | NegotiationOutcome::NoNegotiationData
        )
    });
    if answered {
        return;
    }
    if let Some(NegotiationOutcome::Garbage { first_bytes, .. }) = outcomes
        .iter()
        .find(|o| matches!(o, NegotiationOutcome::Garbage { .. }))
    {
        tcp.first_response = Some(first_bytes.clone());
        let bytes = tcp.first_bytes().unwrap_or_default();
        tcp.other_protocol = io::guess_protocol(&bytes).map(str::to_owned);
        return;
    }
    if outcomes
        .iter()
        .all(|o| matches!(o, NegotiationOutcome::Silent))
    {
        tcp.state = PortState::AcceptedAndSilent;
        tcp.first_response = Some("silent".into());
    } else if outcomes.iter().all(|o| {
        matches!(
            o,
            NegotiationOutcome::Closed | NegotiationOutcome::ConnectFailed { .. }
        )
    }) {
        tcp.state = PortState::AcceptedThenClosed;
        tcp.first_response = Some("closed".into());
    }
}
