//! Sending and reading the deep probe's frames, each within the step budget
//! and the frame limit, and what a failed read means for the outcome.

use crate::io::{Deadline, FramedStream, ReadError};
use rdpdoctor_evidence::{DeepOutcome, StepFailure};
use rdpdoctor_wire::{WireError, mcs, rdp, tpkt};
use tokio::io::{AsyncRead, AsyncWrite};

/// At most this many server PDUs are read while waiting for one.
pub(super) const MAX_SERVER_PDUS: usize = 64;

/// Why the sequence stopped before the end: already the outcome.
pub(super) type Stop = DeepOutcome;

pub(super) fn read_stop(e: &ReadError, waiting_for: &str) -> Stop {
    match e {
        ReadError::Timeout { .. } => DeepOutcome::Timeout,
        ReadError::Closed { .. } => DeepOutcome::Disconnected {
            detail: format!(
                "the server closed the connection while the client waited for {waiting_for}"
            ),
        },
        ReadError::Reset { .. } => DeepOutcome::Disconnected {
            detail: format!(
                "the server reset the connection while the client waited for {waiting_for}"
            ),
        },
        ReadError::Invalid { error, .. } => wire_stop(error, waiting_for),
        ReadError::Io(m) => DeepOutcome::Failed {
            detail: m.clone(),
            failure_kind: Some(e.kind()),
        },
    }
}

pub(super) fn wire_stop(e: &WireError, waiting_for: &str) -> Stop {
    match e {
        WireError::DisconnectProviderUltimatum { reason } => DeepOutcome::Disconnected {
            detail: format!(
                "MCS Disconnect Provider Ultimatum ({}) instead of {waiting_for}",
                mcs::disconnect_reason_name(*reason)
            ),
        },
        WireError::UnexpectedTpdu { code: 0x80, .. } => DeepOutcome::Disconnected {
            detail: format!("X.224 Disconnect Request instead of {waiting_for}"),
        },
        other => DeepOutcome::Failed {
            detail: format!("{waiting_for}: {other}"),
            failure_kind: Some(StepFailure::Invalid),
        },
    }
}

pub(super) async fn send<S: AsyncRead + AsyncWrite + Unpin>(
    framed: &mut FramedStream<S>,
    pdu: &[u8],
    deadline: &Deadline,
    what: &str,
) -> Result<(), Stop> {
    framed
        .send(pdu, deadline.step())
        .await
        .map_err(|e| match e {
            ReadError::Timeout { .. } => DeepOutcome::Timeout,
            other => DeepOutcome::Disconnected {
                detail: format!("sending {what}: {}", other.describe()),
            },
        })
}

pub(super) async fn read<S: AsyncRead + AsyncWrite + Unpin>(
    framed: &mut FramedStream<S>,
    deadline: &Deadline,
    waiting_for: &str,
) -> Result<Vec<u8>, Stop> {
    if deadline.expired() {
        return Err(DeepOutcome::Timeout);
    }
    framed
        .read_frame(rdp::frame_len, tpkt::MAX_FRAME, deadline.step())
        .await
        .map_err(|e| read_stop(&e, waiting_for))
}

/// Reads TPKT frames until one is not fast-path (a server may already send
/// fast-path output while the client is still joining).
pub(super) async fn read_slow_path<S: AsyncRead + AsyncWrite + Unpin>(
    framed: &mut FramedStream<S>,
    deadline: &Deadline,
    waiting_for: &str,
) -> Result<Vec<u8>, Stop> {
    for _ in 0..MAX_SERVER_PDUS {
        let frame = read(framed, deadline, waiting_for).await?;
        if frame.first() == Some(&tpkt::VERSION) {
            return Ok(frame);
        }
    }
    Err(DeepOutcome::Failed {
        failure_kind: Some(StepFailure::Invalid),
        detail: format!("{MAX_SERVER_PDUS} fast-path PDUs and no {waiting_for}"),
    })
}
