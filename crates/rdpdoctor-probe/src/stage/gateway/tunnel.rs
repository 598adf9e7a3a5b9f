//! The MS-TSGU exchange over the HTTP transport ([MS-TSGU 3.7.5.1]):
//! handshake, tunnel create, tunnel auth, channel create to the target, each
//! answer's HRESULT recorded; the open channel is handed on (to carry the
//! target's own stages, `super::channel`) or closed. The packets travel in
//! WebSocket binary frames, or on the legacy transport ([MS-TSGU 3.3.5.1])
//! in the chunks of `RDG_IN_DATA` and back to back (or chunked) in the body
//! of `RDG_OUT_DATA`'s 200.

use super::hop;
use super::http::Conn;
use crate::io::{Deadline, ReadError};
use rdpdoctor_evidence::{GatewayEvidence, GatewayHopKind, HopOutcome, Target};
use rdpdoctor_wire::frame::Accumulator;
use rdpdoctor_wire::http;
use rdpdoctor_wire::tsgu::{self, ClientPacket, ProxyError, ServerPacket};
use rdpdoctor_wire::websocket::{self, opcode};
use std::time::Instant;

/// The client name sent in the tunnel auth (never the user's host name).
const CLIENT_NAME: &str = "RDPDOCTOR";
/// Keepalives (and other packets) skipped while waiting for one answer:
/// more is a flood, and the hop fails.
const MAX_SKIPPED: usize = 32;

/// The 200 of `RDG_OUT_DATA` starts with a seed body before the first
/// packet: "a random entity body of limited size" ([MS-TSGU 3.3.5.1]);
/// 10 bytes in practice (Windows Server 2019; FreeRDP 2.11 skips 10).
const SEED: usize = 10;

/// How the MS-TSGU packets travel.
pub(super) enum Transport {
    /// Both ways in WebSocket binary frames on one connection.
    WebSocket(Conn),
    /// The legacy transport: the gateway's packets in the OUT channel's
    /// body (`chunked` when its 200 said so), the client's in the IN
    /// channel's chunks.
    Legacy {
        out: Conn,
        inn: Box<Conn>,
        chunked: bool,
    },
}

/// MS-TSGU packets over one [`Transport`].
pub(super) struct Tunnel {
    transport: Transport,
    acc: Accumulator,
}

/// A failed read of the gateway's stream as the hop's outcome and detail.
fn read_failed(e: ReadError, budget: std::time::Duration) -> (HopOutcome, String) {
    match e {
        ReadError::Timeout { .. } => (
            HopOutcome::NoAnswer,
            format!("no answer within {} s", budget.as_secs_f64()),
        ),
        ReadError::Closed { .. } | ReadError::Reset { .. } => (HopOutcome::Closed, e.describe()),
        other => (HopOutcome::Failed, other.describe()),
    }
}

/// Every announced length is taken as a frame: the legacy OUT body read as
/// it comes (the seed, then whatever a packet's header announces).
fn seed_len(_: &[u8]) -> Result<Option<usize>, rdpdoctor_wire::WireError> {
    Ok(Some(SEED))
}

/// The most one chunk of the OUT channel's body may take.
const MAX_CHUNK_FRAME: usize = http::MAX_CHUNK + http::MAX_CHUNK_LINE + 2;

impl Tunnel {
    pub(super) async fn send(
        &mut self,
        p: &ClientPacket,
        deadline: &Deadline,
    ) -> Result<(), String> {
        let bytes = p.encode().map_err(|e| e.to_string())?;
        let (conn, wrapped) = match &mut self.transport {
            Transport::WebSocket(conn) => {
                let mut mask = [0u8; 4];
                let _ = getrandom::getrandom(&mut mask);
                let frame = websocket::encode_frame(opcode::BINARY, &bytes, Some(mask));
                (conn, frame)
            }
            Transport::Legacy { inn, .. } => (&mut **inn, http::encode_chunk(&bytes)),
        };
        conn.send(&wrapped, deadline.step())
            .await
            .map_err(|e| e.describe())
    }

    /// The next gateway packet other than a keepalive, within the step deadline.
    async fn next(&mut self, deadline: &Deadline) -> Result<ServerPacket, (HopOutcome, String)> {
        self.next_within(deadline.step(), MAX_SKIPPED).await
    }

    /// The next gateway packet other than a keepalive, within `budget` per
    /// read, skipping at most `max_skipped` keepalives and control frames.
    /// Cancel-safe: the bytes read so far stay in the connection's buffer
    /// and `acc`, so the channel's pump can wait on it beside its other side.
    pub(super) async fn next_within(
        &mut self,
        budget: std::time::Duration,
        max_skipped: usize,
    ) -> Result<ServerPacket, (HopOutcome, String)> {
        let mut skipped = 0;
        loop {
            match self.acc.next_frame(tsgu::packet_len, tsgu::MAX_PACKET) {
                Ok(Some(p)) => match tsgu::decode_server_packet(&p) {
                    Ok(ServerPacket::Keepalive) | Ok(ServerPacket::Other { .. }) => {
                        skipped += 1;
                        if skipped > max_skipped {
                            return Err((
                                HopOutcome::Failed,
                                format!("more than {max_skipped} keepalives and no answer"),
                            ));
                        }
                        continue;
                    }
                    Ok(p) => return Ok(p),
                    Err(e) => return Err((HopOutcome::Failed, e.to_string())),
                },
                Ok(None) => {}
                Err(e) => return Err((HopOutcome::Failed, e.to_string())),
            }
            let conn = match &mut self.transport {
                Transport::WebSocket(conn) => conn,
                Transport::Legacy { out, chunked, .. } => {
                    self.acc.feed(&read_out(out, *chunked, budget).await?);
                    continue;
                }
            };
            let frame = conn
                .read_frame(websocket::frame_len, websocket::MAX_PAYLOAD + 14, budget)
                .await
                .map_err(|e| read_failed(e, budget))?;
            let f =
                websocket::decode_frame(&frame).map_err(|e| (HopOutcome::Failed, e.to_string()))?;
            match f.opcode {
                opcode::BINARY | opcode::CONTINUATION => self.acc.feed(&f.payload),
                opcode::CLOSE => {
                    return Err((
                        HopOutcome::Closed,
                        "the gateway closed the WebSocket".into(),
                    ));
                }
                _ => {
                    skipped += 1;
                    if skipped > max_skipped {
                        return Err((HopOutcome::Failed, "a flood of control frames".into()));
                    }
                }
            }
        }
    }
}

/// The next bytes of the legacy OUT channel's body: a chunk's data, or
/// (not chunked) one MS-TSGU packet as its header announces it.
async fn read_out(
    out: &mut Conn,
    chunked: bool,
    budget: std::time::Duration,
) -> Result<Vec<u8>, (HopOutcome, String)> {
    if !chunked {
        return out
            .read_frame(tsgu::packet_len, tsgu::MAX_PACKET, budget)
            .await
            .map_err(|e| read_failed(e, budget));
    }
    let frame = out
        .read_frame(http::chunk_len, MAX_CHUNK_FRAME, budget)
        .await
        .map_err(|e| read_failed(e, budget))?;
    match http::decode_chunk(&frame) {
        Ok(Some(c)) if !c.last => Ok(c.data),
        Ok(Some(_)) => Err((
            HopOutcome::Closed,
            "the gateway ended the OUT channel's body".into(),
        )),
        Ok(None) => Err((HopOutcome::Failed, "a truncated chunk".into())),
        Err(e) => Err((HopOutcome::Failed, e.to_string())),
    }
}

/// Skips the OUT channel's seed body: 10 bytes, plain or in chunks.
async fn skip_seed(
    out: &mut Conn,
    chunked: bool,
    acc: &mut Accumulator,
    deadline: &Deadline,
) -> Result<(), (HopOutcome, String)> {
    let budget = deadline.step();
    if !chunked {
        out.read_frame(seed_len, SEED, budget)
            .await
            .map_err(|e| read_failed(e, budget))?;
        return Ok(());
    }
    while acc.buffered().len() < SEED {
        let data = read_out(out, true, budget).await?;
        acc.feed(&data);
    }
    let rest = acc.take().split_off(SEED);
    acc.feed(&rest);
    Ok(())
}

/// One request and its answer's status; false when the path stops here.
async fn exchange(
    tunnel: &mut Tunnel,
    kind: GatewayHopKind,
    request: ClientPacket,
    deadline: &Deadline,
    ev: &mut GatewayEvidence,
) -> Option<ServerPacket> {
    let t = Instant::now();
    if let Err(d) = tunnel.send(&request, deadline).await {
        ev.hops.push(hop(kind, HopOutcome::Closed, t, Some(d)));
        return None;
    }
    let answer = match tunnel.next(deadline).await {
        Ok(p) => p,
        Err((outcome, d)) => {
            ev.hops.push(hop(kind, outcome, t, Some(d)));
            return None;
        }
    };
    let status = match &answer {
        ServerPacket::HandshakeResponse(h) if kind == GatewayHopKind::Handshake => h.error,
        ServerPacket::TunnelResponse(r) if kind == GatewayHopKind::TunnelCreate => {
            r.status.unwrap_or(ProxyError::Success)
        }
        ServerPacket::TunnelAuthResponse(r) if kind == GatewayHopKind::TunnelAuth => r.error,
        ServerPacket::ChannelResponse(r) if kind == GatewayHopKind::ChannelCreate => r.error,
        ServerPacket::CloseChannel(s) => *s,
        other => {
            let d = format!("an unexpected answer: {other:?}");
            ev.hops.push(hop(kind, HopOutcome::Failed, t, Some(d)));
            return None;
        }
    };
    let closed = matches!(answer, ServerPacket::CloseChannel(_));
    let ok = status.is_success() && !closed;
    let mut h = hop(
        kind,
        if ok {
            HopOutcome::Ok
        } else {
            HopOutcome::Refused
        },
        t,
        closed.then(|| "the gateway closed the channel".to_owned()),
    );
    h.status = Some(status.code());
    h.status_name = Some(
        status
            .name()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("{:#010X}", status.code())),
    );
    ev.hops.push(h);
    ok.then_some(answer)
}

/// Handshake → tunnel create → tunnel auth → channel create to `target`:
/// the open channel, or `None` (the hops say where the path stopped).
pub(super) async fn run(
    transport: Transport,
    target: &Target,
    deadline: &Deadline,
    ev: &mut GatewayEvidence,
) -> Option<Tunnel> {
    let mut tunnel = Tunnel {
        transport,
        acc: Accumulator::new(),
    };
    if let Transport::Legacy { out, chunked, .. } = &mut tunnel.transport {
        let t = Instant::now();
        if let Err((outcome, d)) = skip_seed(out, *chunked, &mut tunnel.acc, deadline).await {
            let d = format!("the seed body of RDG_OUT_DATA's 200: {d}");
            ev.hops
                .push(hop(GatewayHopKind::Handshake, outcome, t, Some(d)));
            return None;
        }
    }
    let steps = [
        (GatewayHopKind::Handshake, ClientPacket::handshake()),
        (
            GatewayHopKind::TunnelCreate,
            ClientPacket::TunnelCreate {
                // UDP as mstsc offers it, so that a gateway with the UDP
                // transport announces its port (checked by `super::udp`).
                caps_flags: tsgu::HTTP_CAPABILITY_IDLE_TIMEOUT
                    | tsgu::HTTP_CAPABILITY_UDP_TRANSPORT,
                paa_cookie: None,
            },
        ),
        (
            GatewayHopKind::TunnelAuth,
            ClientPacket::TunnelAuth {
                client_name: CLIENT_NAME.into(),
            },
        ),
        (
            GatewayHopKind::ChannelCreate,
            ClientPacket::ChannelCreate {
                resources: vec![target.host.clone()],
                alt_resources: Vec::new(),
                port: target.port,
                protocol: tsgu::PROTOCOL_RDP,
            },
        ),
    ];
    for (kind, request) in steps {
        let answer = exchange(&mut tunnel, kind, request, deadline, ev).await?;
        if let ServerPacket::ChannelResponse(r) = answer {
            ev.channel_opened = true;
            ev.udp_port = r.udp_port;
        }
    }
    ev.channel_opened.then_some(tunnel)
}

impl Tunnel {
    /// Done with the channel: close it politely ([MS-TSGU 2.2.10.3]), without waiting long.
    pub(super) async fn close(mut self, deadline: &Deadline) {
        let _ = self.send(&ClientPacket::CloseChannel(0), deadline).await;
    }
}
