//! One connection to the emulated gateway: TLS, HTTP requests with NTLM or
//! Negotiate ([MS-TSGU 3.3.5.1], [`super::negotiate`]), the WebSocket
//! upgrade, the MS-TSGU exchange ([MS-TSGU 3.7.5]) and the relay, or the
//! hand-over of an authorized legacy channel to [`super::legacy`]. Every
//! read is bounded and deadlined (the emulator's [`Framed`]); any error
//! ends the connection quietly.

use super::exchange::{self, RELAY_IDLE, Tunnel};
use super::legacy::{self, Half};
use super::negotiate::Acceptor;
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
        // RPC over HTTP ([MS-RPCH 2.1.2.1]): the RPC proxy a Windows gateway
        // publishes beside the HTTP transport asks for credentials (401,
        // Negotiate and NTLM); the RPC exchange behind it is not played.
        if req.method.starts_with("RPC_") {
            s.send(&unauthorized(cfg, None)).await?;
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
) -> Result<Half, End> {
    let upgrade = req
        .value("Upgrade")
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    let key = req.value("Sec-WebSocket-Key");
    let refused = cfg.fault == GatewayFault::NoWebsocket || cfg.hostile.is_some_and(|h| h.legacy());
    let (true, Some(key), false) = (upgrade, key, refused) else {
        // No upgrade asked, or none offered: the legacy transport. Its 200
        // carries no last Negotiate token (the emulator's simplification:
        // the legacy OUT channel's 200 is sent when its IN pairs).
        let _ = last;
        return legacy::half(req).ok_or_else(|| garbage("no RDG-Connection-Id"));
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
