//! One connection to the emulated gateway: TLS, HTTP requests with NTLM
//! ([MS-TSGU 3.3.5.1]), the WebSocket upgrade, the MS-TSGU exchange
//! ([MS-TSGU 3.7.5]) and the relay, or the hand-over of an authorized
//! legacy channel to [`super::legacy`]. Every read is bounded and deadlined
//! (the emulator's [`Framed`]); any error ends the connection quietly.

use super::exchange::{self, RELAY_IDLE, Tunnel};
use super::legacy::{self, Half};
use super::{GatewayConfig, GatewayFault, GatewayHostile, hostile};
use crate::framed::{End, Framed};
use base64::Engine as _;
use rdpdoctor_wire::http::{self, RequestHead};
use rdpdoctor_wire::tsgu::{ClientPacket, ServerPacket};
use rdpdoctor_wire::websocket::{self, opcode};
use sspi::{
    AuthIdentity, BufferType, CredentialUse, DataRepresentation, Ntlm, SecurityBuffer,
    SecurityStatus, ServerRequestFlags, Sspi, SspiImpl, Username,
};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// What every connection of a gateway shares.
pub(super) struct GwCtx {
    pub(super) cfg: GatewayConfig,
    pub(super) tls: tokio_rustls::TlsAcceptor,
    /// Legacy OUT channels waiting for their IN channel.
    pub(super) pending: legacy::Pending,
}

/// Requests one connection may make before the gateway closes it.
const MAX_REQUESTS: usize = 8;

pub(super) fn garbage(e: impl std::fmt::Display) -> End {
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
    match serve(&mut s, cfg).await {
        Ok(half) => legacy::pair(s, &ctx, half).await,
        Err(_) => s.close().await,
    }
}

/// The HTTP requests up to the user's authentication, then the WebSocket
/// transport to its end (always an `Err`), or `Ok` with an authorized
/// channel of the legacy transport, for [`legacy::pair`].
async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut Framed<S>,
    cfg: &GatewayConfig,
) -> Result<Half, End> {
    let mut ntlm: Option<(Ntlm, sspi::AuthIdentityBuffers)> = None;
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
        // RPC over HTTP ([MS-RPCH 2.1.2.1]): the RPC proxy a Windows gateway
        // publishes beside the HTTP transport asks for credentials (401,
        // Negotiate and NTLM); the RPC exchange behind it is not played.
        if req.method.starts_with("RPC_") {
            s.send(&unauthorized(None)).await?;
            return Err(End::Done);
        }
        if !req.method.starts_with("RDG_") {
            s.send(&response(405, "Method Not Allowed", &[])).await?;
            return Err(End::Done);
        }
        if cfg.fault == GatewayFault::RpcOnly {
            s.send(&response(404, "Not Found", &[])).await?;
            return Err(End::Done);
        }
        let token = req
            .value("Authorization")
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| {
                scheme.eq_ignore_ascii_case("NTLM") || scheme.eq_ignore_ascii_case("Negotiate")
            })
            .and_then(|(_, t)| {
                base64::engine::general_purpose::STANDARD
                    .decode(t.trim())
                    .ok()
            });
        let Some(token) = token else {
            ntlm = None;
            s.send(&unauthorized(None)).await?;
            continue;
        };
        match token.get(8..12) {
            Some([1, 0, 0, 0]) => {
                let (ctx, challenge) = ntlm_challenge(cfg, token).map_err(garbage)?;
                ntlm = Some(ctx);
                s.send(&unauthorized(Some(&challenge))).await?;
            }
            Some([3, 0, 0, 0]) => {
                let accepted = match ntlm.take() {
                    Some(ctx) => ntlm_check(ctx, token).is_ok(),
                    None => false,
                };
                if !accepted || cfg.fault == GatewayFault::AuthRefused {
                    s.send(&unauthorized(None)).await?;
                    return Err(End::Done);
                }
                return authorized(s, cfg, &req).await;
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
pub(super) fn response(status: u16, reason: &str, headers: &[(&str, &str)]) -> Vec<u8> {
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

/// 401 offering Negotiate and NTLM, or carrying an NTLM CHALLENGE.
fn unauthorized(challenge: Option<&[u8]>) -> Vec<u8> {
    match challenge {
        Some(c) => {
            let v = format!(
                "NTLM {}",
                base64::engine::general_purpose::STANDARD.encode(c)
            );
            response(401, "Unauthorized", &[("WWW-Authenticate", &v)])
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
async fn authorized<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut Framed<S>,
    cfg: &GatewayConfig,
    req: &RequestHead,
) -> Result<Half, End> {
    let upgrade = req
        .value("Upgrade")
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    let key = req.value("Sec-WebSocket-Key");
    let refused = cfg.fault == GatewayFault::NoWebsocket || cfg.hostile.is_some_and(|h| h.legacy());
    let (true, Some(key), false) = (upgrade, key, refused) else {
        // No upgrade asked, or none offered: the legacy transport.
        return legacy::half(req).ok_or_else(|| garbage("no RDG-Connection-Id"));
    };
    let accept = websocket::accept_key(key);
    s.send(&response(
        101,
        "Switching Protocols",
        &[
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Accept", &accept),
        ],
    ))
    .await?;
    match cfg.hostile {
        Some(GatewayHostile::UpgradeWithoutFraming) => {
            return Err(hostile::unframed(s, cfg.hold).await);
        }
        Some(GatewayHostile::OversizedPacket) => return Err(hostile::oversized(s, cfg.hold).await),
        _ => {}
    }
    let mut ws = Ws {
        s,
        acc: Default::default(),
    };
    exchange::tsgu_exchange(&mut ws, cfg).await?;
    Err(End::Done)
}

/// MS-TSGU packets carried in WebSocket binary frames: the payloads are a
/// byte stream, cut into packets by their headers.
struct Ws<'a, S> {
    s: &'a mut Framed<S>,
    acc: rdpdoctor_wire::frame::Accumulator,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Tunnel for Ws<'_, S> {
    async fn next_packet(&mut self, timeout: Duration) -> Result<ClientPacket, End> {
        loop {
            if let Some(p) = exchange::next_in(&mut self.acc)? {
                return Ok(p);
            }
            let frame = self
                .s
                .read_frame_within(websocket::frame_len, websocket::MAX_PAYLOAD + 14, timeout)
                .await?;
            let f = websocket::decode_frame(&frame).map_err(garbage)?;
            match f.opcode {
                opcode::BINARY | opcode::CONTINUATION => self.acc.feed(&f.payload),
                opcode::PING => {
                    let pong = websocket::encode_frame(opcode::PONG, &f.payload, None);
                    self.s.send_now(&pong).await?
                }
                opcode::CLOSE => return Err(End::Closed),
                _ => {}
            }
        }
    }

    async fn send_packet(&mut self, p: &ServerPacket) -> Result<(), End> {
        let frame = websocket::encode_frame(opcode::BINARY, &p.encode(), None);
        self.s.send_now(&frame).await
    }

    async fn drain(&mut self, idle: Duration) {
        self.s.drain(idle).await
    }
}
