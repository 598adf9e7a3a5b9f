//! Standard RDP Security through the gateway's channels ([MS-RDPBCGR 5.3]):
//! the direct stage's five encryption-method offers
//! ([`crate::stage::rdp_security::OFFERS`], one MCS Connect Initial each,
//! [MS-RDPBCGR 2.2.1.3], read back from the Connect Response's Server
//! Security Data, [MS-RDPBCGR 2.2.1.4.3]), each on a channel of its own as
//! each is a connection of its own directly ([MS-TSGU 3.2.5]: a channel
//! carries one RDP connection). The first offer goes on the channel whose
//! X.224 request for PROTOCOL_RDP the target already selected; the other
//! four open new channels at once. The evidence is the direct stage's.

use super::target::ask;
use super::tunnel::Tunnel;
use crate::io::{Deadline, FramedStream};
use crate::stage::rdp_security::{self as direct, OFFERS, OfferResult};
use rdpdoctor_evidence::RdpSecurityEvidence;
use rdpdoctor_wire::x224::protocol::RDP;
use std::future::Future;
use tokio::io::DuplexStream;

/// The offers through the gateway: `first` the channel that selected
/// PROTOCOL_RDP, `more` a new path to an open channel (or why none opened).
pub(super) async fn run<F, Fut>(
    first: Option<FramedStream<DuplexStream>>,
    more: &F,
    deadline: &Deadline,
) -> RdpSecurityEvidence
where
    F: Fn() -> Fut,
    Fut: Future<Output = (Result<Tunnel, String>, f64)>,
{
    let [a, b, c, d, e] = OFFERS;
    let on_first = async {
        let r = match first {
            Some(mut f) => direct::connect_initial(&mut f, a, RDP, deadline).await,
            None => offer(more, a, deadline).await,
        };
        (a, r)
    };
    let other = |o: u32| async move { (o, offer(more, o, deadline).await) };
    let (ra, rb, rc, rd, re) = tokio::join!(on_first, other(b), other(c), other(d), other(e));
    direct::evidence(vec![ra, rb, rc, rd, re])
}

/// One offer on a new channel: the X.224 request for PROTOCOL_RDP, then
/// the MCS Connect Initial.
async fn offer<F, Fut>(more: &F, offer: u32, deadline: &Deadline) -> OfferResult
where
    F: Fn() -> Fut,
    Fut: Future<Output = (Result<Tunnel, String>, f64)>,
{
    let (tunnel, ms) = more().await;
    let (attempt, framed, _) = ask(tunnel, RDP, ms, deadline).await;
    direct::offer_after(&attempt.outcome, framed, offer, deadline).await
}
