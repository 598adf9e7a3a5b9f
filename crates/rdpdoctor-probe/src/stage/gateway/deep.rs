//! The deep probe through the gateway's channel: the direct probe's
//! connection sequence ([MS-RDPBCGR 1.3.1.1]: MCS Connect Initial … Client
//! Info … licensing, to Demand Active or Set Error Info) over TLS or
//! Standard RDP Security as [`crate::stage::deep::choose`] picks, on a
//! channel of its own; and, for a target that does not select NLA, the
//! logon attempt with the credentials in the Client Info PDU
//! ([MS-RDPBCGR 2.2.1.11.1.1], [`crate::stage::deep::logon`]) on another,
//! after it, as the run's one attempt at the target.

use super::target::{Answer, ask};
use super::tunnel::Tunnel;
use crate::credentials::Credentials;
use crate::io::Deadline;
use crate::stage::deep::{self, DeepRun};
use rdpdoctor_evidence::{LogonEvidence, NegotiationEvidence};
use std::future::Future;
use std::time::Instant;

/// The deep probe on a new channel, when the target's answers name a path.
pub(super) async fn run<F, Fut>(
    neg: &NegotiationEvidence,
    more: &F,
    host: &str,
    deadline: &Deadline,
) -> Option<DeepRun>
where
    F: Fn() -> Fut,
    Fut: Future<Output = (Result<Tunnel, String>, f64)>,
{
    let (via, (attempt, framed, _), start) = channel(neg, more, deadline).await?;
    Some(deep::run_on(&attempt.outcome, framed, host, via, deadline, start).await)
}

/// The logon through a Client Info PDU on a new channel, for a target that
/// selects no NLA on any request sent through the gateway.
pub(super) async fn logon<F, Fut>(
    neg: &NegotiationEvidence,
    more: &F,
    host: &str,
    creds: &Credentials,
    deadline: &Deadline,
) -> Option<LogonEvidence>
where
    F: Fn() -> Fut,
    Fut: Future<Output = (Result<Tunnel, String>, f64)>,
{
    let (via, (attempt, framed, _), t) = channel(neg, more, deadline).await?;
    Some(deep::logon::run_on(&attempt.outcome, framed, host, via, creds, deadline, t).await)
}

/// A new channel, asked with the request of the path [`deep::choose`]
/// picks: the path, the target's answer, and when the channel was asked for.
async fn channel<F, Fut>(
    neg: &NegotiationEvidence,
    more: &F,
    deadline: &Deadline,
) -> Option<(deep::Via, Answer, Instant)>
where
    F: Fn() -> Fut,
    Fut: Future<Output = (Result<Tunnel, String>, f64)>,
{
    let via = deep::choose(neg)?;
    // Only requests with an RDP_NEG_REQ were sent through the gateway.
    let requested = via.request()?;
    let start = Instant::now();
    let (tunnel, ms) = more().await;
    Some((via, ask(tunnel, requested, ms, deadline).await, start))
}
