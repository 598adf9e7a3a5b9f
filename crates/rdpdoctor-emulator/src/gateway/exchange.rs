//! The MS-TSGU exchange of the HTTP transport ([MS-TSGU 3.3.5.2]:
//! handshake, tunnel create, tunnel auth, channel create) and the relay of
//! the channel's data, once for both transports: [`Tunnel`] is the
//! WebSocket connection ([MS-TSGU 3.3.5.1], [RFC 6455]) or the legacy pair
//! of `RDG_IN_DATA` / `RDG_OUT_DATA` streams (`super::legacy`).

use super::{GatewayConfig, GatewayFault, GatewayHostile, hostile};
use crate::framed::End;
use rdpdoctor_wire::frame::Accumulator;
use rdpdoctor_wire::tsgu::{
    self, ChannelResponse, ClientPacket, HandshakeResponse, ProxyError, ServerPacket,
    TunnelAuthResponse, TunnelResponse,
};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The largest MS-TSGU data the gateway relays per packet.
const RELAY_CHUNK: usize = 16 * 1024;
/// How long a relayed channel may stay idle.
pub(super) const RELAY_IDLE: Duration = Duration::from_secs(120);

/// How MS-TSGU packets travel between the client and the gateway.
pub(super) trait Tunnel {
    /// The client's next packet, within `timeout`. Cancel-safe: the relay
    /// drops it when the target speaks first, and no byte read is lost.
    async fn next_packet(&mut self, timeout: Duration) -> Result<ClientPacket, End>;
    /// Sends one packet to the client.
    async fn send_packet(&mut self, p: &ServerPacket) -> Result<(), End>;
    /// Reads and discards what the client sends for up to `idle`, so it
    /// reads our last packet before the connection goes.
    async fn drain(&mut self, idle: Duration);
}

/// The next whole client packet in the bytes a transport has unwrapped
/// (packets may span frames or chunks, and one may hold several).
pub(super) fn next_in(acc: &mut Accumulator) -> Result<Option<ClientPacket>, End> {
    match acc.next_frame(tsgu::packet_len, tsgu::MAX_PACKET) {
        Ok(Some(p)) => tsgu::decode_client_packet(&p)
            .map(Some)
            .map_err(|e| End::Garbage(e.to_string())),
        Ok(None) => Ok(None),
        Err(e) => Err(End::Garbage(e.to_string())),
    }
}

/// The capabilities the gateway has ([MS-TSGU 2.2.5.3.4]): the idle
/// timeout, and the UDP transport where it has a side channel.
fn negotiated(cfg: &GatewayConfig) -> u32 {
    let udp = if cfg.udp_port.is_some() {
        tsgu::HTTP_CAPABILITY_UDP_TRANSPORT
    } else {
        0
    };
    tsgu::HTTP_CAPABILITY_IDLE_TIMEOUT | udp
}

/// Answers the client's packets until the channel is relayed and ends, or
/// the fault's answer is sent.
pub(super) async fn tsgu_exchange<T: Tunnel>(t: &mut T, cfg: &GatewayConfig) -> Result<(), End> {
    let timeout = cfg.read_timeout;
    // [MS-TSGU 2.2.5.3.4] The UDP side channel is announced only to a
    // client whose tunnel create offered it (xfreerdp 2.11 does not).
    let mut udp_offered = false;
    loop {
        let packet = t.next_packet(timeout).await?;
        match packet {
            ClientPacket::HandshakeRequest { .. } => {
                let r = ServerPacket::HandshakeResponse(HandshakeResponse {
                    error: ProxyError::Success,
                    ver_major: 1,
                    ver_minor: 0,
                    server_version: 0,
                    extended_auth: tsgu::HTTP_EXTENDED_AUTH_NONE,
                });
                t.send_packet(&r).await?;
            }
            ClientPacket::TunnelCreate { .. }
                if cfg.hostile == Some(GatewayHostile::KeepaliveFlood) =>
            {
                return Err(hostile::keepalive_flood(t).await);
            }
            ClientPacket::ChannelCreate { .. }
                if cfg.hostile == Some(GatewayHostile::ChannelNeverOpens) =>
            {
                t.drain(cfg.hold).await;
                return Err(End::Done);
            }
            ClientPacket::TunnelCreate { caps_flags, .. } => {
                let status = match cfg.fault {
                    GatewayFault::CapDenied => ProxyError::EProxyNapAccessdenied,
                    GatewayFault::MaxConnections => ProxyError::EProxyMaxconnectionsreached,
                    _ => ProxyError::Success,
                };
                let r = ServerPacket::TunnelResponse(TunnelResponse {
                    server_version: 5,
                    status: Some(status),
                    tunnel_id: Some(1),
                    caps_flags: Some(caps_flags & negotiated(cfg)),
                    soh_request: None,
                    consent_message: None,
                });
                udp_offered = caps_flags & tsgu::HTTP_CAPABILITY_UDP_TRANSPORT != 0;
                t.send_packet(&r).await?;
                if !status.is_success() {
                    t.drain(Duration::from_secs(2)).await;
                    return Err(End::Done);
                }
            }
            ClientPacket::TunnelAuth { .. } => {
                let r = ServerPacket::TunnelAuthResponse(TunnelAuthResponse {
                    error: ProxyError::Success,
                    redir_flags: Some(0),
                    idle_timeout: Some(0),
                    soh_response: None,
                });
                t.send_packet(&r).await?;
            }
            ClientPacket::ChannelCreate {
                resources, port, ..
            } => {
                let target = match cfg.fault {
                    GatewayFault::RapDenied => Err(ProxyError::EProxyRapAccessdenied),
                    GatewayFault::TargetUnreachable => Err(ProxyError::EProxyTsConnectfailed),
                    _ => connect_target(cfg, resources.first().map(String::as_str), port).await,
                };
                let (error, stream) = match target {
                    Ok(t) => (ProxyError::Success, Some(t)),
                    Err(e) => (e, None),
                };
                let r = ServerPacket::ChannelResponse(ChannelResponse {
                    error,
                    channel_id: stream.is_some().then_some(1),
                    udp_port: cfg.udp_port.filter(|_| udp_offered && stream.is_some()),
                    authn_cookie: None,
                });
                t.send_packet(&r).await?;
                let Some(target) = stream else {
                    t.drain(Duration::from_secs(2)).await;
                    return Err(End::Done);
                };
                match cfg.hostile {
                    Some(GatewayHostile::ChannelGarbage) => {
                        return Err(hostile::channel_garbage(t, cfg.hold).await);
                    }
                    Some(GatewayHostile::ChannelSilent) => {
                        t.drain(cfg.hold).await;
                        return Err(End::Done);
                    }
                    _ => {}
                }
                return relay(t, target).await;
            }
            ClientPacket::Keepalive => {}
            ClientPacket::CloseChannel(_) | ClientPacket::Data(_) => return Err(End::Done),
        }
    }
}

/// The target: `relay_to`, or the resource when it is an address (names
/// are never resolved).
async fn connect_target(
    cfg: &GatewayConfig,
    resource: Option<&str>,
    port: u16,
) -> Result<TcpStream, ProxyError> {
    let addr = match (cfg.relay_to, resource) {
        (Some(a), _) => a,
        (None, Some("localhost")) => SocketAddr::new(IpAddr::from([127, 0, 0, 1]), port),
        (None, Some(r)) => match r.parse::<IpAddr>() {
            Ok(ip) => SocketAddr::new(ip, port),
            Err(_) => return Err(ProxyError::EProxyTsConnectfailed),
        },
        (None, None) => return Err(ProxyError::EProxyTsConnectfailed),
    };
    match tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(addr)).await {
        Ok(Ok(t)) => Ok(t),
        _ => Err(ProxyError::EProxyTsConnectfailed),
    }
}

/// Relays data packets to the target and the target's bytes back, until
/// either side closes or the channel idles out.
async fn relay<T: Tunnel>(t: &mut T, mut target: TcpStream) -> Result<(), End> {
    let mut buf = vec![0u8; RELAY_CHUNK];
    loop {
        enum Next {
            Client(Result<ClientPacket, End>),
            Target(std::io::Result<usize>),
        }
        let next = tokio::select! {
            p = t.next_packet(RELAY_IDLE) => Next::Client(p),
            n = target.read(&mut buf) => Next::Target(n),
        };
        match next {
            Next::Client(Ok(ClientPacket::Data(d))) => {
                if target.write_all(&d).await.is_err() {
                    return Err(End::Closed);
                }
            }
            Next::Client(Ok(ClientPacket::Keepalive)) => {}
            Next::Client(Ok(ClientPacket::CloseChannel(_))) => {
                t.send_packet(&ServerPacket::CloseChannelResponse(ProxyError::Success))
                    .await?;
                return Err(End::Done);
            }
            Next::Client(Ok(_)) => {
                return Err(End::Garbage("an unexpected packet in the channel".into()));
            }
            Next::Client(Err(e)) => return Err(e),
            Next::Target(Ok(0)) | Next::Target(Err(_)) => {
                t.send_packet(&ServerPacket::CloseChannel(ProxyError::Success))
                    .await?;
                return Err(End::Done);
            }
            Next::Target(Ok(n)) => {
                let data = buf.get(..n).unwrap_or_default().to_vec();
                t.send_packet(&ServerPacket::Data(data)).await?;
            }
        }
    }
}
