//! One connection to the emulated gateway: TLS, HTTP requests with NTLM or
//! Negotiate ([MS-TSGU 3.3.5.1], [`super::negotiate`]), the WebSocket upgrade, the MS-TSGU exchange
//! ([MS-TSGU 3.7.5]) and the relay. Every read is bounded and deadlined
//! (the emulator's [`Framed`]); any error ends the connection quietly.

use super::negotiate::Acceptor;
use super::{GatewayConfig, GatewayFault, GatewayHostile, hostile};
use crate::framed::{End, Framed};
use base64::Engine as _;
use rdpdoctor_wire::http::{self, RequestHead};
use rdpdoctor_wire::tsgu::{
    self, ChannelResponse, ClientPacket, HandshakeResponse, ProxyError, ServerPacket,
    TunnelAuthResponse, TunnelResponse,
};
use rdpdoctor_wire::websocket::{self, opcode};
use sspi::{
    AuthIdentity, BufferType, CredentialUse, DataRepresentation, Ntlm, SecurityBuffer,
    SecurityStatus, ServerRequestFlags, Sspi, SspiImpl, Username,
};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// What every connection of a gateway shares.
pub(super) struct GwCtx {
    pub(super) cfg: GatewayConfig,
    pub(super) tls: tokio_rustls::TlsAcceptor,
}

/// Requests one connection may make before the gateway closes it.
const MAX_REQUESTS: usize = 8;
/// The largest MS-TSGU data the gateway relays per packet.
const RELAY_CHUNK: usize = 16 * 1024;
/// How long a relayed channel may stay idle.
const RELAY_IDLE: Duration = Duration::from_secs(120);

fn garbage(e: impl std::fmt::Display) -> End {
    End::Garbage(e.to_string())
}

/// Serves one connection; never panics, always ends.
pub(super) async fn handle(tcp: TcpStream, ctx: Arc<GwCtx>) {
    let cfg = &ctx.cfg;
    let Ok(Ok(tls)) = tokio::time::timeout(cfg.read_timeout, ctx.tls.accept(tcp)).await else {
        return;
    };
    let deadline = tokio::time::Instant::now() + cfg.hold + RELAY_IDLE;
    let mut s = Framed::new(tls, cfg.read_timeout, deadline, Duration::ZERO);
    if cfg.fault == GatewayFault::Silent {
        s.drain(cfg.hold).await;
        return;
    }
    let _ = serve(&mut s, cfg).await;
    s.close().await;
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut Framed<S>,
    cfg: &GatewayConfig,
) -> Result<(), End> {
    let mut ntlm: Option<(Ntlm, sspi::AuthIdentityBuffers)> = None;
    let mut spnego: Option<Acceptor> = None;
    for _ in 0..MAX_REQUESTS {
        let head = s.read_frame(http::request_head_len, http::MAX_HEAD).await?;
        let req = http::decode_request_head(&head).map_err(garbage)?;
        match cfg.hostile {
            Some(GatewayHostile::EndlessHeaders) => return Err(hostile::endless_headers(s).await),
            Some(GatewayHostile::EndlessChunked) if req.value("Authorization").is_none() => {
                return Err(hostile::endless_chunked(s).await);
            }
            _ => {}
        }
        if !req.method.starts_with("RDG_") {
            s.send(&response(405, "Method Not Allowed", &[])).await?;
            return Err(End::Done);
        }
        if cfg.fault == GatewayFault::RpcOnly {
            s.send(&response(404, "Not Found", &[])).await?;
            return Err(End::Done);
        }
        let negotiate_only = cfg.fault == GatewayFault::NegotiateOnly;
        let offered = |scheme: &str| {
            scheme.eq_ignore_ascii_case("Negotiate")
                || (scheme.eq_ignore_ascii_case("NTLM") && !negotiate_only)
        };
        let token = req
            .value("Authorization")
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| offered(scheme))
            .and_then(|(scheme, t)| {
                let t = base64::engine::general_purpose::STANDARD
                    .decode(t.trim())
                    .ok()?;
                Some((scheme.to_owned(), t))
            });
        let Some((scheme, token)) = token else {
            // No credentials, or a scheme this gateway does not offer: the
            // schemes again, as IIS answers.
            ntlm = None;
            spnego = None;
            s.send(&unauthorized(cfg, None)).await?;
            continue;
        };
        // A raw NTLM message (also accepted under `Negotiate`, as Windows'
        // Negotiate package accepts one), else SPNEGO.
        let raw_ntlm = token.starts_with(b"NTLMSSP\0");
        if !raw_ntlm {
            let step = match spnego.as_mut() {
                Some(a) => a.step(token),
                None => Acceptor::new(cfg).and_then(|a| spnego.insert(a).step(token)),
            };
            match step {
                Ok((reply, false)) => {
                    s.send(&unauthorized(cfg, Some((&scheme, &reply)))).await?;
                    continue;
                }
                Ok((last, true)) if cfg.fault != GatewayFault::AuthRefused => {
                    let field = (!last.is_empty()).then(|| {
                        format!(
                            "{scheme} {}",
                            base64::engine::general_purpose::STANDARD.encode(&last)
                        )
                    });
                    return authorized(s, cfg, &req, field.as_deref()).await;
                }
                _ => {
                    s.send(&unauthorized(cfg, None)).await?;
                    return Err(End::Done);
                }
            }
        }
        match token.get(8..12) {
            Some([1, 0, 0, 0]) => {
                let (ctx, challenge) = ntlm_challenge(cfg, token).map_err(garbage)?;
                ntlm = Some(ctx);
                s.send(&unauthorized(cfg, Some((&scheme, &challenge))))
                    .await?;
            }
            Some([3, 0, 0, 0]) => {
                let accepted = match ntlm.take() {
                    Some(ctx) => ntlm_check(ctx, token).is_ok(),
                    None => false,
                };
                if !accepted || cfg.fault == GatewayFault::AuthRefused {
                    s.send(&unauthorized(cfg, None)).await?;
                    return Err(End::Done);
                }
                return authorized(s, cfg, &req, None).await;
            }
            _ => {
                s.send(&response(400, "Bad Request", &[])).await?;
                return Err(End::Done);
            }
        }
    }
    Err(End::Done)
}

/// A response head with `Content-Length: 0` unless a body framing is given.
fn response(status: u16, reason: &str, headers: &[(&str, &str)]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} {reason}\r\nServer: Microsoft-HTTPAPI/2.0\r\n");
    for (n, v) in headers {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    if !headers.iter().any(|(n, _)| {
        n.eq_ignore_ascii_case("Upgrade") || n.eq_ignore_ascii_case("Transfer-Encoding")
    }) {
        out.push_str("Content-Length: 0\r\n");
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// 401 offering the gateway's schemes (Negotiate and NTLM; Negotiate alone
/// for `gw-negotiate-only`), or carrying the next token in the scheme the
/// client used.
fn unauthorized(cfg: &GatewayConfig, token: Option<(&str, &[u8])>) -> Vec<u8> {
    match token {
        Some((scheme, t)) => {
            let v = format!(
                "{scheme} {}",
                base64::engine::general_purpose::STANDARD.encode(t)
            );
            response(401, "Unauthorized", &[("WWW-Authenticate", &v)])
        }
        None if cfg.fault == GatewayFault::NegotiateOnly => {
            response(401, "Unauthorized", &[("WWW-Authenticate", "Negotiate")])
        }
        None => response(
            401,
            "Unauthorized",
            &[
                ("WWW-Authenticate", "Negotiate"),
                ("WWW-Authenticate", "NTLM"),
            ],
        ),
    }
}

/// One `AcceptSecurityContext` step of sspi's NTLM server: the token in,
/// the status and the token out.
fn accept(
    ntlm: &mut Ntlm,
    creds: &mut Option<sspi::AuthIdentityBuffers>,
    token: Vec<u8>,
) -> Result<(SecurityStatus, Vec<u8>), sspi::Error> {
    let mut input = vec![SecurityBuffer::new(token, BufferType::Token)];
    let mut output = vec![SecurityBuffer::new(Vec::new(), BufferType::Token)];
    let builder = ntlm
        .accept_security_context()
        .with_credentials_handle(creds)
        .with_context_requirements(ServerRequestFlags::ALLOCATE_MEMORY)
        .with_target_data_representation(DataRepresentation::Native)
        .with_input(&mut input)
        .with_output(&mut output);
    let r = ntlm
        .accept_security_context_impl(builder)?
        .resolve_to_result()?;
    let out = output
        .into_iter()
        .next()
        .map(|b| b.buffer)
        .unwrap_or_default();
    Ok((r.status, out))
}

/// NEGOTIATE in, CHALLENGE out, with sspi's NTLM server.
fn ntlm_challenge(
    cfg: &GatewayConfig,
    token: Vec<u8>,
) -> Result<((Ntlm, sspi::AuthIdentityBuffers), Vec<u8>), sspi::Error> {
    let mut ntlm = Ntlm::new();
    let identity = AuthIdentity {
        username: Username::new(&cfg.user, None)?,
        password: cfg.password.clone().into(),
    };
    let acquired = ntlm
        .acquire_credentials_handle()
        .with_credential_use(CredentialUse::Inbound)
        .with_auth_data(&identity)
        .execute(&mut ntlm)?;
    let mut creds = acquired.credentials_handle;
    let (_, challenge) = accept(&mut ntlm, &mut creds, token)?;
    let creds = creds
        .ok_or_else(|| sspi::Error::new(sspi::ErrorKind::NoCredentials, "no credentials handle"))?;
    Ok(((ntlm, creds), challenge))
}

/// AUTHENTICATE in: sspi checks the NTLMv2 proof against the lab account.
fn ntlm_check(ctx: (Ntlm, sspi::AuthIdentityBuffers), token: Vec<u8>) -> Result<(), sspi::Error> {
    let (mut ntlm, creds) = ctx;
    let (status, _) = accept(&mut ntlm, &mut Some(creds), token)?;
    if matches!(
        status,
        SecurityStatus::CompleteNeeded | SecurityStatus::CompleteAndContinue
    ) {
        ntlm.complete_auth_token(&mut [])?;
    }
    Ok(())
}

/// The user is authenticated: the transport, then MS-TSGU.
/// `last` is the `WWW-Authenticate` value carrying the gateway's last
/// Negotiate token ([RFC 4559 5]: mutual authentication), if any.
async fn authorized<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut Framed<S>,
    cfg: &GatewayConfig,
    req: &RequestHead,
    last: Option<&str>,
) -> Result<(), End> {
    let upgrade = req
        .value("Upgrade")
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    let key = req.value("Sec-WebSocket-Key");
    let (true, Some(key), false) = (upgrade, key, cfg.fault == GatewayFault::NoWebsocket) else {
        // The legacy transport is not emulated: 200, then the connection ends.
        let fields: Vec<(&str, &str)> = last.map(|v| ("WWW-Authenticate", v)).into_iter().collect();
        s.send(&response(200, "OK", &fields)).await?;
        s.drain(Duration::from_secs(2)).await;
        return Err(End::Done);
    };
    let accept = websocket::accept_key(key);
    let mut fields = vec![
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Accept", accept.as_str()),
    ];
    if let Some(v) = last {
        fields.push(("WWW-Authenticate", v));
    }
    s.send(&response(101, "Switching Protocols", &fields))
        .await?;
    match cfg.hostile {
        Some(GatewayHostile::UpgradeWithoutFraming) => {
            return Err(hostile::unframed(s, cfg.hold).await);
        }
        Some(GatewayHostile::OversizedPacket) => return Err(hostile::oversized(s, cfg.hold).await),
        _ => {}
    }
    let mut ws = Ws::default();
    tsgu_exchange(s, cfg, &mut ws).await
}

/// MS-TSGU packets carried in WebSocket binary frames: the payloads are a
/// byte stream, cut into packets by their headers.
#[derive(Default)]
struct Ws {
    acc: rdpdoctor_wire::frame::Accumulator,
}

impl Ws {
    async fn next_packet<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        s: &mut Framed<S>,
        timeout: Duration,
    ) -> Result<ClientPacket, End> {
        loop {
            match self.acc.next_frame(tsgu::packet_len, tsgu::MAX_PACKET) {
                Ok(Some(p)) => return tsgu::decode_client_packet(&p).map_err(garbage),
                Ok(None) => {}
                Err(e) => return Err(garbage(e)),
            }
            let frame = s
                .read_frame_within(websocket::frame_len, websocket::MAX_PAYLOAD + 14, timeout)
                .await?;
            let f = websocket::decode_frame(&frame).map_err(garbage)?;
            match f.opcode {
                opcode::BINARY | opcode::CONTINUATION => self.acc.feed(&f.payload),
                opcode::PING => {
                    s.send_now(&websocket::encode_frame(opcode::PONG, &f.payload, None))
                        .await?
                }
                opcode::CLOSE => return Err(End::Closed),
                _ => {}
            }
        }
    }
}

async fn send_packet<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut Framed<S>,
    p: &ServerPacket,
) -> Result<(), End> {
    s.send_now(&websocket::encode_frame(opcode::BINARY, &p.encode(), None))
        .await
}

async fn tsgu_exchange<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut Framed<S>,
    cfg: &GatewayConfig,
    ws: &mut Ws,
) -> Result<(), End> {
    let timeout = cfg.read_timeout;
    loop {
        let packet = ws.next_packet(s, timeout).await?;
        match packet {
            ClientPacket::HandshakeRequest { .. } => {
                let r = ServerPacket::HandshakeResponse(HandshakeResponse {
                    error: ProxyError::Success,
                    ver_major: 1,
                    ver_minor: 0,
                    server_version: 0,
                    extended_auth: tsgu::HTTP_EXTENDED_AUTH_NONE,
                });
                send_packet(s, &r).await?;
            }
            ClientPacket::TunnelCreate { .. }
                if cfg.hostile == Some(GatewayHostile::KeepaliveFlood) =>
            {
                return Err(hostile::keepalive_flood(s).await);
            }
            ClientPacket::ChannelCreate { .. }
                if cfg.hostile == Some(GatewayHostile::ChannelNeverOpens) =>
            {
                s.drain(cfg.hold).await;
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
                    caps_flags: Some(caps_flags & tsgu::HTTP_CAPABILITY_IDLE_TIMEOUT),
                    soh_request: None,
                    consent_message: None,
                });
                send_packet(s, &r).await?;
                if !status.is_success() {
                    s.drain(Duration::from_secs(2)).await;
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
                send_packet(s, &r).await?;
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
                    udp_port: None,
                    authn_cookie: None,
                });
                send_packet(s, &r).await?;
                let Some(target) = stream else {
                    s.drain(Duration::from_secs(2)).await;
                    return Err(End::Done);
                };
                match cfg.hostile {
                    Some(GatewayHostile::ChannelGarbage) => {
                        return Err(hostile::channel_garbage(s, cfg.hold).await);
                    }
                    Some(GatewayHostile::ChannelSilent) => {
                        s.drain(cfg.hold).await;
                        return Err(End::Done);
                    }
                    _ => {}
                }
                return relay(s, ws, target).await;
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
async fn relay<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut Framed<S>,
    ws: &mut Ws,
    mut target: TcpStream,
) -> Result<(), End> {
    let mut buf = vec![0u8; RELAY_CHUNK];
    loop {
        enum Next {
            Client(Result<ClientPacket, End>),
            Target(std::io::Result<usize>),
        }
        let next = tokio::select! {
            p = ws.next_packet(s, RELAY_IDLE) => Next::Client(p),
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
                send_packet(s, &ServerPacket::CloseChannelResponse(ProxyError::Success)).await?;
                return Err(End::Done);
            }
            Next::Client(Ok(_)) => return Err(garbage("an unexpected packet in the channel")),
            Next::Client(Err(e)) => return Err(e),
            Next::Target(Ok(0)) | Next::Target(Err(_)) => {
                send_packet(s, &ServerPacket::CloseChannel(ProxyError::Success)).await?;
                return Err(End::Done);
            }
            Next::Target(Ok(n)) => {
                let data = buf.get(..n).unwrap_or_default().to_vec();
                send_packet(s, &ServerPacket::Data(data)).await?;
            }
        }
    }
}
