//! The gateway's channel as a byte stream: what the target's stages write
//! goes to the gateway in MS-TSGU data packets ([MS-TSGU 2.2.10.6], each in
//! a WebSocket binary frame, or on the legacy transport in a chunk of
//! `RDG_IN_DATA`: the [`Tunnel`] hides which), and the gateway's data
//! packets come back as bytes. So the X.224 exchange and the TLS handshake run through the
//! gateway unchanged: they take any `AsyncRead + AsyncWrite + Unpin`.
//!
//! A pump task moves the bytes, bounded on both sides: the in-memory pipe
//! holds at most [`PIPE`] bytes, a data packet carries at most [`CHUNK`],
//! every gateway packet is read within the probe's limits
//! (`Tunnel::next_within`), and the pump ends at the probe's ceiling at the
//! latest. When the gateway closes the channel, sends what is not MS-TSGU,
//! or floods it with keepalives, the pump ends and the stages read the end
//! of the stream; why is kept in [`ChannelEnd`].

use super::tunnel::Tunnel;
use crate::io::Deadline;
use rdpdoctor_wire::tsgu::{ClientPacket, ServerPacket};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

/// Bytes the in-memory pipe between the stages and the pump holds.
const PIPE: usize = 64 * 1024;
/// The most bytes sent in one data packet (well under `tsgu::MAX_PACKET`).
const CHUNK: usize = 16 * 1024;
/// Keepalives the gateway may send between two data packets.
const MAX_KEEPALIVES: usize = 256;

/// Why the channel ended before the stages were done with it, when the
/// gateway ended it (gateway-controlled text is kept as the decoders
/// describe it, never raw).
pub(crate) type ChannelEnd = Arc<Mutex<Option<String>>>;

/// The open channel as a stream, and the slot where the pump says why the
/// gateway ended it.
pub(crate) fn stream(tunnel: Tunnel, deadline: &Deadline) -> (DuplexStream, ChannelEnd) {
    let (mine, mut theirs) = tokio::io::duplex(PIPE);
    let end = ChannelEnd::default();
    let slot = end.clone();
    let deadline = deadline.clone();
    tokio::spawn(async move {
        let budget = deadline.remaining();
        let why = tokio::time::timeout(budget, pump(tunnel, &mut theirs, &deadline))
            .await
            .unwrap_or_else(|_| Some(format!("no answer within {} s", budget.as_secs_f64())));
        if let (Some(why), Ok(mut s)) = (why, slot.lock()) {
            *s = Some(why);
        }
        // Only now do the stages read the end of the stream: why is known.
        drop(theirs);
    });
    (mine, end)
}

/// Moves bytes both ways until either side ends; `Some(why)` when the
/// gateway's side did.
async fn pump(mut tunnel: Tunnel, local: &mut DuplexStream, deadline: &Deadline) -> Option<String> {
    let mut buf = vec![0u8; CHUNK];
    loop {
        enum Next {
            Local(std::io::Result<usize>),
            Gateway(Result<ServerPacket, String>),
        }
        // Both sides are cancel-safe: a read that loses the race keeps its
        // bytes (the pipe's, or the tunnel's buffers).
        let next = tokio::select! {
            n = local.read(&mut buf) => Next::Local(n),
            p = tunnel.next_within(deadline.remaining(), MAX_KEEPALIVES) => {
                Next::Gateway(p.map_err(|(_, d)| d))
            }
        };
        match next {
            Next::Local(Ok(0)) | Next::Local(Err(_)) => {
                tunnel.close(deadline).await;
                return None;
            }
            Next::Local(Ok(n)) => {
                let data = buf.get(..n).unwrap_or_default().to_vec();
                if let Err(e) = tunnel.send(&ClientPacket::Data(data), deadline).await {
                    return Some(format!("sending through the channel: {e}"));
                }
            }
            Next::Gateway(Ok(ServerPacket::Data(d))) => {
                if local.write_all(&d).await.is_err() {
                    return None;
                }
            }
            Next::Gateway(Ok(ServerPacket::CloseChannel(status))) => {
                let name = status
                    .name()
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("{:#010X}", status.code()));
                return Some(format!("the gateway closed the channel ({name})"));
            }
            Next::Gateway(Ok(other)) => {
                return Some(format!(
                    "the gateway sent an unexpected packet in the channel: {}",
                    packet_name(&other)
                ));
            }
            Next::Gateway(Err(d)) => return Some(d),
        }
    }
}

fn packet_name(p: &ServerPacket) -> String {
    match p {
        ServerPacket::HandshakeResponse(_) => "a handshake response".into(),
        ServerPacket::TunnelResponse(_) => "a tunnel response".into(),
        ServerPacket::TunnelAuthResponse(_) => "a tunnel auth response".into(),
        ServerPacket::ChannelResponse(_) => "a channel response".into(),
        ServerPacket::CloseChannelResponse(_) => "a close channel response".into(),
        ServerPacket::Other { packet_type, .. } => format!("packet type {packet_type:#06x}"),
        ServerPacket::Data(_) | ServerPacket::Keepalive | ServerPacket::CloseChannel(_) => {
            "a data packet".into()
        }
    }
}
