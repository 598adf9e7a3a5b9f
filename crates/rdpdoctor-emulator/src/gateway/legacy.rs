//! The legacy two-channel HTTP transport of [MS-TSGU 3.3.5.1], used when
//! the client does not ask for WebSocket or the gateway refuses it: the
//! client's `RDG_OUT_DATA` request, answered 200, becomes the stream from
//! the gateway to the client; its `RDG_IN_DATA` request on a second TLS
//! connection, answered 200, the stream from the client to the gateway.
//! The two are paired by their `RDG-Connection-Id` ([MS-TSGU 2.2.3.2.1]),
//! each authenticated on its own connection.
//!
//! Framing, as Windows and FreeRDP 2.11 (`rdg.c`) play it:
//! - OUT: `200 OK` without `Content-Length` (HTTP/1.0 semantics: the body
//!   ends when the connection does), a 10-byte seed body (the "random
//!   entity body of limited size" of [MS-TSGU 3.3.5.1] step 4; FreeRDP skips
//!   10 bytes, and Windows Server 2019 sends `ab cd` five times), then the
//!   server's MS-TSGU packets back to back.
//! - IN: `200 OK` with `Content-Length: 0`; the client may then send a
//!   second `RDG_IN_DATA` head announcing `Transfer-Encoding: chunked`
//!   (FreeRDP does), then its MS-TSGU packets as chunks ([RFC 9112 7.1]).
//!
//! An OUT channel waits at most the read timeout for its IN channel; an IN
//! channel without a waiting OUT channel is answered 400.

use super::conn::{GwCtx, garbage, response};
use super::exchange::{self, Tunnel};
use super::{GatewayHostile, hostile};
use crate::framed::{End, Framed};
use rdpdoctor_wire::WireError;
use rdpdoctor_wire::frame::Accumulator;
use rdpdoctor_wire::http::{self, RequestHead};
use rdpdoctor_wire::tsgu::{ClientPacket, ServerPacket};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::oneshot;

/// The stream of one gateway connection.
pub(super) type GwStream = tokio_rustls::server::TlsStream<TcpStream>;

/// The seed body after the OUT channel's 200 (Windows Server 2019's).
const SEED: [u8; 10] = [0xAB, 0xCD, 0xAB, 0xCD, 0xAB, 0xCD, 0xAB, 0xCD, 0xAB, 0xCD];
/// The longest `RDG-Connection-Id` kept (a braced GUID is 38).
const MAX_CONNECTION_ID: usize = 128;
/// The most one item of the IN channel (a chunk or a request head) may take.
const MAX_IN_ITEM: usize = http::MAX_CHUNK + http::MAX_CHUNK_LINE + 2;

/// OUT channels waiting for their IN channel, by `RDG-Connection-Id`.
/// Each entry is held by a live OUT connection, which removes it when it
/// stops waiting, so there are never more than the connections served.
#[derive(Default)]
pub(super) struct Pending(Mutex<HashMap<String, oneshot::Sender<Framed<GwStream>>>>);

/// An authorized request of the legacy transport.
#[derive(Debug)]
pub(super) struct Half {
    /// `RDG_OUT_DATA` (true) or `RDG_IN_DATA`.
    out: bool,
    /// Its `RDG-Connection-Id`.
    id: String,
}

/// The channel an authorized request opens, if it names one.
pub(super) fn half(req: &RequestHead) -> Option<Half> {
    let out = match req.method.as_str() {
        "RDG_OUT_DATA" => true,
        "RDG_IN_DATA" => false,
        _ => return None,
    };
    let id = req
        .value("RDG-Connection-Id")
        .map(str::trim)
        .filter(|id| !id.is_empty() && id.len() <= MAX_CONNECTION_ID)?;
    Some(Half {
        out,
        id: id.to_owned(),
    })
}

/// Answers an authorized legacy request: an OUT channel waits for its IN
/// channel and then runs the whole exchange; an IN channel is handed over
/// to its waiting OUT channel.
pub(super) async fn pair(mut s: Framed<GwStream>, ctx: &GwCtx, half: Half) {
    let cfg = &ctx.cfg;
    if cfg.hostile == Some(GatewayHostile::LegacyInNeverAnswered) && !half.out {
        s.drain(cfg.hold).await;
        return;
    }
    if !half.out {
        let waiting = ctx
            .pending
            .0
            .lock()
            .ok()
            .and_then(|mut p| p.remove(&half.id));
        let Some(out) = waiting else {
            let _ = s.send(&response(400, "Bad Request", &[])).await;
            s.close().await;
            return;
        };
        if s.send(&response(200, "OK", &[])).await.is_ok() {
            // The OUT connection's task owns this one from here on (and
            // its permit covers both: at most two streams per permit).
            let _ = out.send(s);
        }
        return;
    }
    // Waiting before the 200 goes: the IN channel comes only after it.
    let (tx, rx) = oneshot::channel();
    let registered = ctx.pending.0.lock().is_ok_and(|mut p| {
        if p.contains_key(&half.id) {
            return false;
        }
        p.insert(half.id.clone(), tx);
        true
    });
    if !registered {
        s.close().await;
        return;
    }
    let head = b"HTTP/1.1 200 OK\r\nServer: Microsoft-HTTPAPI/2.0\r\n\r\n";
    let inn = if cfg.hostile == Some(GatewayHostile::LegacyEndlessBody) {
        // The IN channel is taken (and held in `rx`) while the body goes on.
        let _ = hostile::endless_body(&mut s).await;
        None
    } else if s.send(head).await.is_err() || s.send_now(&SEED).await.is_err() {
        None
    } else {
        tokio::time::timeout(cfg.read_timeout, rx)
            .await
            .ok()
            .and_then(Result::ok)
    };
    if let Ok(mut p) = ctx.pending.0.lock() {
        p.remove(&half.id);
    }
    let Some(inn) = inn else {
        s.close().await;
        return;
    };
    let mut t = Legacy {
        out: s,
        inn,
        acc: Accumulator::new(),
        heads: 0,
    };
    let _ = exchange::tsgu_exchange(&mut t, cfg).await;
    t.inn.close().await;
    t.out.close().await;
}

/// The two streams of one tunnel.
struct Legacy {
    out: Framed<GwStream>,
    inn: Framed<GwStream>,
    /// The IN channel's chunk data, cut into MS-TSGU packets.
    acc: Accumulator,
    /// Request heads seen on the IN channel after its 200.
    heads: usize,
}

/// The length of the IN channel's next item: a chunk (its size line starts
/// with a hex digit) or a request head (`RDG_IN_DATA …`). A [`Framer`].
///
/// [`Framer`]: rdpdoctor_wire::frame::Framer
fn in_item_len(buf: &[u8]) -> Result<Option<usize>, WireError> {
    match buf.first() {
        None => Ok(None),
        Some(b) if b.is_ascii_hexdigit() => http::chunk_len(buf),
        Some(_) => http::request_head_len(buf),
    }
}

impl Tunnel for Legacy {
    async fn next_packet(&mut self, timeout: Duration) -> Result<ClientPacket, End> {
        loop {
            if let Some(p) = exchange::next_in(&mut self.acc)? {
                return Ok(p);
            }
            let item = self
                .inn
                .read_frame_within(in_item_len, MAX_IN_ITEM, timeout)
                .await?;
            if item.first().is_some_and(u8::is_ascii_hexdigit) {
                let chunk = http::decode_chunk(&item)
                    .map_err(garbage)?
                    .ok_or_else(|| garbage("a truncated chunk"))?;
                if chunk.last {
                    return Err(End::Closed);
                }
                self.acc.feed(&chunk.data);
                continue;
            }
            // The one head FreeRDP sends to announce the chunked body.
            self.heads += 1;
            let head = http::decode_request_head(&item).map_err(garbage)?;
            if self.heads > 1 || head.method != "RDG_IN_DATA" {
                return Err(garbage("a second request on the IN channel"));
            }
        }
    }

    async fn send_packet(&mut self, p: &ServerPacket) -> Result<(), End> {
        self.out.send_now(&p.encode()).await
    }

    async fn drain(&mut self, idle: Duration) {
        self.inn.drain(idle).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_in_channel_is_cut_into_its_head_and_chunks() {
        let head =
            b"RDG_IN_DATA /remoteDesktopGateway/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert_eq!(in_item_len(head), Ok(Some(head.len())));
        assert_eq!(in_item_len(b"a\r\n0123456789\r\n"), Ok(Some(15)));
        assert_eq!(in_item_len(b"a\r\n01"), Ok(Some(15)));
        assert_eq!(in_item_len(b""), Ok(None));
        assert!(in_item_len(b"zzzzzzzz").is_ok_and(|n| n.is_none()));
    }
}
