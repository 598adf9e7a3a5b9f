//! Hostile RD Gateways ([`GatewayHostile`]): each breaks one rule of the
//! HTTP transport ([MS-TSGU 3.3.5.1], [RFC 9112], [RFC 6455]) at the point
//! where a client trusts it, so the probe's bounds and deadlines are shown
//! to hold. Each ends after the connection's hold time at the latest.

use super::exchange::Tunnel;
use crate::framed::{End, Framed};
use rdpdoctor_wire::tsgu::ServerPacket;
use rdpdoctor_wire::websocket::{self, opcode};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};

/// One hostile gateway behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GatewayHostile {
    /// Answers `RDG_OUT_DATA` with a status line, then header lines forever.
    EndlessHeaders,
    /// Answers 401 with a chunked body that never ends.
    EndlessChunked,
    /// Answers the upgrade 101, then sends MS-TSGU bytes without WebSocket framing.
    UpgradeWithoutFraming,
    /// Sends an MS-TSGU packet header announcing 2 GiB.
    OversizedPacket,
    /// Answers everything up to the channel create, which it never answers.
    ChannelNeverOpens,
    /// Answers the tunnel create with keepalives, forever.
    KeepaliveFlood,
    /// Opens the channel, then answers what comes through it with data
    /// that is not RDP (an HTTP error page).
    ChannelGarbage,
    /// Opens the channel, and its UDP side channel answers the DTLS
    /// ClientHello with a flood of datagrams that are not DTLS.
    UdpGarbageFlood,
    /// Opens the channel, then relays nothing and says nothing.
    ChannelSilent,
    /// Refuses WebSocket; answers the legacy `RDG_OUT_DATA` 200 with a
    /// chunked body that never ends (and is no MS-TSGU).
    LegacyEndlessBody,
    /// Refuses WebSocket; never answers the legacy `RDG_IN_DATA` once
    /// its NTLM is done.
    LegacyInNeverAnswered,
}

impl GatewayHostile {
    /// Every behaviour.
    pub const ALL: [GatewayHostile; 11] = [
        Self::EndlessHeaders,
        Self::EndlessChunked,
        Self::UpgradeWithoutFraming,
        Self::OversizedPacket,
        Self::ChannelNeverOpens,
        Self::KeepaliveFlood,
        Self::ChannelGarbage,
        Self::ChannelSilent,
        Self::UdpGarbageFlood,
        Self::LegacyEndlessBody,
        Self::LegacyInNeverAnswered,
    ];

    /// The kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::EndlessHeaders => "gw-endless-headers",
            Self::EndlessChunked => "gw-endless-chunked",
            Self::UpgradeWithoutFraming => "gw-101-without-framing",
            Self::OversizedPacket => "gw-oversized-packet",
            Self::ChannelNeverOpens => "gw-channel-never-opens",
            Self::KeepaliveFlood => "gw-keepalive-flood",
            Self::ChannelGarbage => "gw-channel-garbage",
            Self::ChannelSilent => "gw-channel-silent",
            Self::UdpGarbageFlood => "gw-udp-garbage-flood",
            Self::LegacyEndlessBody => "gw-legacy-endless-body",
            Self::LegacyInNeverAnswered => "gw-legacy-in-never-answered",
        }
    }

    /// Whether it plays on the legacy transport (so refuses WebSocket).
    pub fn legacy(self) -> bool {
        matches!(self, Self::LegacyEndlessBody | Self::LegacyInNeverAnswered)
    }
}

/// Writes `chunk` again and again until the client stops reading, the
/// connection's budget ends, or `most` writes.
async fn forever<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut Framed<S>,
    chunk: &[u8],
    most: usize,
) -> End {
    for _ in 0..most {
        if let Err(e) = s.send_now(chunk).await {
            return e;
        }
    }
    End::Done
}

/// A status line, then header lines without end.
pub(super) async fn endless_headers<S: AsyncRead + AsyncWrite + Unpin>(s: &mut Framed<S>) -> End {
    if let Err(e) = s.send_now(b"HTTP/1.1 401 Unauthorized\r\n").await {
        return e;
    }
    forever(
        s,
        &b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n".repeat(64),
        100_000,
    )
    .await
}

/// 401 with a chunked body that never ends.
pub(super) async fn endless_chunked<S: AsyncRead + AsyncWrite + Unpin>(s: &mut Framed<S>) -> End {
    endless_chunks(s, "401 Unauthorized\r\nWWW-Authenticate: NTLM").await
}

/// The legacy OUT channel's 200, with a chunked body that never ends.
pub(super) async fn endless_body<S: AsyncRead + AsyncWrite + Unpin>(s: &mut Framed<S>) -> End {
    endless_chunks(s, "200 OK").await
}

/// A response head (`status` and its fields), then chunks without end.
async fn endless_chunks<S: AsyncRead + AsyncWrite + Unpin>(s: &mut Framed<S>, status: &str) -> End {
    let head = format!("HTTP/1.1 {status}\r\nTransfer-Encoding: chunked\r\n\r\n");
    if let Err(e) = s.send_now(head.as_bytes()).await {
        return e;
    }
    forever(
        s,
        &rdpdoctor_wire::http::encode_chunk(&[b'a'; 4096]),
        100_000,
    )
    .await
}

/// After the 101: a handshake response as raw bytes, no frame around it.
pub(super) async fn unframed<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut Framed<S>,
    hold: Duration,
) -> End {
    let raw = ServerPacket::Keepalive.encode();
    if let Err(e) = s.send_now(&raw).await {
        return e;
    }
    s.drain(hold).await;
    End::Done
}

/// After the 101: a frame holding a packet header that announces 2 GiB.
pub(super) async fn oversized<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut Framed<S>,
    hold: Duration,
) -> End {
    let header = [0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80];
    let frame = websocket::encode_frame(opcode::BINARY, &header, None);
    if let Err(e) = s.send_now(&frame).await {
        return e;
    }
    s.drain(hold).await;
    End::Done
}

/// Keepalive packets, each in its own frame (or, on the legacy transport,
/// straight after another), without end.
pub(super) async fn keepalive_flood<T: Tunnel>(t: &mut T) -> End {
    for _ in 0..1_000_000 {
        if let Err(e) = t.send_packet(&ServerPacket::Keepalive).await {
            return e;
        }
    }
    End::Done
}

/// After a successful channel response: data packets ([MS-TSGU 2.2.10.6])
/// that are not RDP, at once, one for each request a client may send.
pub(super) async fn channel_garbage<T: Tunnel>(t: &mut T, hold: Duration) -> End {
    let page = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".to_vec();
    // Then hold the connection until the client goes.
    for _ in 0..4 {
        if let Err(e) = t.send_packet(&ServerPacket::Data(page.clone())).await {
            return e;
        }
    }
    t.drain(hold).await;
    End::Done
}
