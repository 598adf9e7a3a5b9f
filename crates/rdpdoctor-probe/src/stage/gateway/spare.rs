//! A channel opened ahead of the stage that will use it. Each channel costs
//! a path of its own through the gateway (TCP, TLS, the HTTP authentication,
//! handshake, tunnel create, tunnel auth, channel create: about ten round
//! trips, [MS-TSGU 3.2.5]); the deep probe's channel is opened beside the
//! negotiation's, and the Client Info logon's beside the deep probe, so that
//! on a slow link their round trips overlap the stage before instead of
//! following it (measured with `bench/gateway.sh 5 100`, README Speed). A
//! spare no stage took is closed politely.

use super::tunnel::Tunnel;
use crate::io::Deadline;
use std::future::Future;
use std::sync::Mutex;

/// An opened channel, or where its path stopped, and the milliseconds it took.
pub(super) type Opened = (Result<Tunnel, String>, f64);

/// At most one channel opened ahead.
pub(super) struct Spare(Mutex<Option<Opened>>);

impl Spare {
    pub(super) fn new(opened: Option<Opened>) -> Spare {
        Spare(Mutex::new(opened))
    }

    /// The spare channel the first time, then new ones from `more`.
    pub(super) fn or_more<'a, F, Fut>(&'a self, more: &'a F) -> impl Future<Output = Opened> + 'a
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Opened> + 'a,
    {
        let ahead = self.0.lock().ok().and_then(|mut s| s.take());
        async move {
            match ahead {
                Some(opened) => opened,
                None => more().await,
            }
        }
    }

    /// Closes the spare no stage took.
    pub(super) async fn close(self, deadline: &Deadline) {
        if let Some((Ok(tunnel), _)) = self.0.into_inner().ok().flatten() {
            tunnel.close(deadline).await;
        }
    }
}
