//! Plays a [`Hostile`] script: the listener, what its connections share
//! (the messages and TLS servers made once), and the interpreter that runs
//! each [`Step`] on one connection, within [`CONNECTION_BUDGET`].

use super::{CONNECTION_BUDGET, Hostile, Msg, Play, Step, m, tls};
use crate::Error;
use crate::framed::{End, Framed};
use rdpdoctor_wire::x224::{self, ConnectionConfirm};
use rdpdoctor_wire::{mcs, tpkt};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tls::{Cert, ClientAuth};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

/// A client silent this long is dropped.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections served at once; more are closed on accept.
const MAX_CONNECTIONS: usize = 64;
/// The pace of a dribble.
const DRIBBLE_GAP: Duration = Duration::from_secs(1);

/// What every connection of a listener shares.
struct Ctx {
    play: Play,
    /// The `Made` messages, made once, by step index.
    made: Vec<Option<Vec<u8>>>,
    /// One TLS server per certificate the script uses.
    acceptors: Vec<(Cert, ClientAuth, openssl::ssl::SslAcceptor)>,
    /// The rustls server of [`Step::KeyUpdates`].
    rustls: Option<tokio_rustls::TlsAcceptor>,
}

impl Ctx {
    fn new(h: Hostile) -> Result<Ctx, Error> {
        let play = h.play();
        let mut made = Vec::new();
        let mut acceptors = Vec::new();
        let mut rustls = None;
        for step in &play.steps {
            if matches!(step, Step::KeyUpdates) {
                let cfg = crate::FaultConfig::new(crate::Fault::HealthyNla);
                let id = crate::certs::tls_identity(&cfg, std::net::Ipv4Addr::LOCALHOST.into())?;
                if let crate::conn::TlsAcceptor::Rustls(a) =
                    crate::rustls_acceptor(&id, crate::MODERN_TLS)?
                {
                    rustls = Some(a);
                }
            }
            let msg = match step {
                Step::Send(m) | Step::Dribble(m) | Step::Repeat(m, _) => Some(*m),
                _ => None,
            };
            made.push(match msg {
                Some(Msg::Made(f)) => Some(f()?),
                _ => None,
            });
            let tls = match *step {
                Step::Tls(c, a) => Some((c, a)),
                Step::TlsDribbled(c) => Some((c, ClientAuth::None)),
                _ => None,
            };
            if let Some((c, a)) = tls {
                acceptors.push((c, a, tls::acceptor(c, a)?));
            }
        }
        Ok(Ctx {
            play,
            made,
            acceptors,
            rustls,
        })
    }

    fn bytes(&self, i: usize, msg: Msg) -> Vec<u8> {
        match msg {
            Msg::Plain(f) => f(),
            Msg::Made(_) => self.made.get(i).cloned().flatten().unwrap_or_default(),
        }
    }

    fn acceptor(&self, c: Cert, a: ClientAuth) -> Option<&openssl::ssl::SslAcceptor> {
        self.acceptors
            .iter()
            .find(|(cc, aa, _)| *cc == c && *aa == a)
            .map(|(_, _, acc)| acc)
    }
}

/// A listener playing one [`Hostile`] behaviour. Stops, cutting every
/// connection, when dropped.
#[derive(Debug)]
pub struct RunningHostile {
    local_addr: SocketAddr,
    task: JoinHandle<()>,
}

impl RunningHostile {
    /// Where it listens.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }
}

impl Drop for RunningHostile {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts a listener on `listen` (port 0 picks a free port) playing `h`.
/// Must be called inside a tokio runtime.
pub async fn spawn(h: Hostile, listen: SocketAddr) -> Result<RunningHostile, Error> {
    // Key generation takes a moment: keep it off the async workers.
    let ctx = tokio::task::spawn_blocking(move || Ctx::new(h))
        .await
        .map_err(|e| Error::Certificate(e.to_string()))??;
    let (listener, local_addr) = crate::bind(listen).await?;
    let task = tokio::spawn(accept_loop(listener, Arc::new(ctx)));
    Ok(RunningHostile { local_addr, task })
}

async fn accept_loop(listener: TcpListener, ctx: Arc<Ctx>) {
    // Dropped with this task: every connection is aborted with it.
    let mut connections = JoinSet::new();
    loop {
        if !ctx.play.accept_delay.is_zero() {
            tokio::time::sleep(ctx.play.accept_delay).await;
        }
        while connections.try_join_next().is_some() {}
        match listener.accept().await {
            Ok((tcp, _)) if connections.len() < MAX_CONNECTIONS => {
                let _ = tcp.set_nodelay(true);
                let ctx = ctx.clone();
                connections.spawn(async move {
                    let deadline = Instant::now() + CONNECTION_BUDGET;
                    let io: Box<dyn Io> = Box::new(tcp);
                    let s = Framed::new(io, READ_TIMEOUT, deadline, Duration::ZERO);
                    let _ = tokio::time::timeout_at(deadline, serve(s, &ctx)).await;
                });
            }
            Ok(_) => {}
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// A byte stream: TCP, or TLS over TCP.
trait Io: AsyncRead + AsyncWrite + Unpin + Send + Sync {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + Sync> Io for T {}

fn tpkt_framer(b: &[u8]) -> Result<Option<usize>, rdpdoctor_wire::WireError> {
    tpkt::declared_len(b)
}

fn any_framer(b: &[u8]) -> Result<Option<usize>, rdpdoctor_wire::WireError> {
    Ok((!b.is_empty()).then_some(b.len()))
}

/// Plays the script on one connection.
async fn serve(mut s: Framed<Box<dyn Io>>, ctx: &Ctx) -> Result<(), End> {
    for (i, step) in ctx.play.steps.iter().enumerate() {
        match *step {
            Step::Negotiate(policy) => {
                let frame = s.read_frame(tpkt_framer, 1024).await?;
                let request = x224::decode_connection_request(&frame)
                    .map_err(|e| End::Garbage(e.to_string()))?;
                let cc = policy.answer(request.requested_protocols);
                s.send(&x224::encode_connection_confirm(&cc)).await?;
                if matches!(cc, ConnectionConfirm::Failure { .. }) {
                    s.close().await;
                    s.drain(Duration::from_secs(2)).await;
                    return Err(End::Done);
                }
            }
            Step::ReadFrame => {
                s.read_frame(tpkt_framer, tpkt::MAX_FRAME).await?;
            }
            Step::ReadAny => {
                s.read_frame(any_framer, 64 * 1024).await?;
            }
            Step::Tls(cert, auth) => {
                let acceptor = ctx.acceptor(cert, auth).ok_or(End::Done)?;
                s = tls_accept(s, acceptor).await?;
            }
            Step::TlsDribbled(cert) => {
                let acceptor = ctx.acceptor(cert, ClientAuth::None).ok_or(End::Done)?;
                return tls_dribbled(s, acceptor).await;
            }
            Step::Domain => domain(&mut s).await?,
            Step::KeyUpdates => return key_updates(s, ctx).await,
            Step::Send(msg) => s.send(&ctx.bytes(i, msg)).await?,
            Step::Dribble(msg) => {
                for b in ctx.bytes(i, msg) {
                    s.send_now(&[b]).await?;
                    tokio::time::sleep(DRIBBLE_GAP).await;
                }
            }
            Step::Repeat(msg, gap) => {
                let bytes = ctx.bytes(i, msg);
                loop {
                    s.send_now(&bytes).await?;
                    if !gap.is_zero() {
                        tokio::time::sleep(gap).await;
                    }
                }
            }
            Step::Hold => s.drain(CONNECTION_BUDGET).await,
        }
    }
    Ok(())
}

fn ssl(acceptor: &openssl::ssl::SslAcceptor) -> Result<openssl::ssl::Ssl, End> {
    openssl::ssl::Ssl::new(acceptor.context()).map_err(|e| End::Garbage(e.to_string()))
}

/// The TLS server handshake; the stream goes on inside TLS.
async fn tls_accept(
    s: Framed<Box<dyn Io>>,
    acceptor: &openssl::ssl::SslAcceptor,
) -> Result<Framed<Box<dyn Io>>, End> {
    if s.buffered() > 0 {
        return Err(End::Garbage("data before the ClientHello was due".into()));
    }
    let settings = s.settings();
    let mut tls = tokio_openssl::SslStream::new(ssl(acceptor)?, s.into_inner())
        .map_err(|e| End::Garbage(e.to_string()))?;
    match tokio::time::timeout(READ_TIMEOUT, std::pin::Pin::new(&mut tls).accept()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(End::Garbage(format!("TLS handshake: {e}"))),
        Err(_) => return Err(End::Timeout),
    }
    let io: Box<dyn Io> = Box::new(tls);
    Ok(Framed::with_settings(io, settings))
}

/// A real TLS server behind a relay that passes the client's bytes at once
/// and the server's one a second.
async fn tls_dribbled(
    s: Framed<Box<dyn Io>>,
    acceptor: &openssl::ssl::SslAcceptor,
) -> Result<(), End> {
    let (near, far) = tokio::io::duplex(64 * 1024);
    let mut tls = tokio_openssl::SslStream::new(ssl(acceptor)?, far)
        .map_err(|e| End::Garbage(e.to_string()))?;
    let server = async move {
        if std::pin::Pin::new(&mut tls).accept().await.is_ok() {
            let mut sink = [0u8; 4096];
            while matches!(tls.read(&mut sink).await, Ok(n) if n > 0) {}
        }
    };
    let (mut client_r, mut client_w) = tokio::io::split(s.into_inner());
    let (mut near_r, mut near_w) = tokio::io::split(near);
    let upstream = async {
        let _ = tokio::io::copy(&mut client_r, &mut near_w).await;
    };
    let downstream = async {
        let mut byte = [0u8; 1];
        while matches!(near_r.read(&mut byte).await, Ok(1)) {
            if client_w.write_all(&byte).await.is_err() {
                break;
            }
            tokio::time::sleep(DRIBBLE_GAP).await;
        }
    };
    tokio::select! {
        _ = server => {}
        _ = upstream => {}
        _ = downstream => {}
    }
    Err(End::Done)
}

/// TLS 1.3 with rustls, then KeyUpdate requests without end.
async fn key_updates(s: Framed<Box<dyn Io>>, ctx: &Ctx) -> Result<(), End> {
    let acceptor = ctx.rustls.as_ref().ok_or(End::Done)?;
    let mut tls = match tokio::time::timeout(READ_TIMEOUT, acceptor.accept(s.into_inner())).await {
        Ok(Ok(t)) => t,
        Ok(Err(e)) => return Err(End::Garbage(format!("TLS handshake: {e}"))),
        Err(_) => return Err(End::Timeout),
    };
    let mut first = [0u8; 4096];
    match tokio::time::timeout(READ_TIMEOUT, tls.read(&mut first)).await {
        Ok(Ok(n)) if n > 0 => {}
        _ => return Err(End::Closed),
    }
    loop {
        // Fails on TLS 1.2 (no KeyUpdate there): the connection ends.
        tls.get_mut()
            .1
            .refresh_traffic_keys()
            .map_err(|e| End::Garbage(e.to_string()))?;
        match tokio::time::timeout(READ_TIMEOUT, tls.flush()).await {
            Ok(Ok(())) => {}
            _ => return Err(End::Closed),
        }
    }
}

/// Erect Domain, Attach User, Channel Joins, answered; reads the PDU after them.
async fn domain(s: &mut Framed<Box<dyn Io>>) -> Result<(), End> {
    let garbage = |e: rdpdoctor_wire::WireError| End::Garbage(e.to_string());
    let frame = s.read_frame(tpkt_framer, 64).await?;
    mcs::decode_erect_domain_request(&frame).map_err(garbage)?;
    let frame = s.read_frame(tpkt_framer, 64).await?;
    mcs::decode_attach_user_request(&frame).map_err(garbage)?;
    s.send(&m::attach_user_confirm()).await?;
    for _ in 0..=mcs::MAX_CHANNELS.saturating_add(3) {
        let frame = s.read_frame(tpkt_framer, tpkt::MAX_FRAME).await?;
        match mcs::decode_channel_join_request(&frame) {
            Ok((user, channel)) => {
                s.send(&mcs::encode_channel_join_confirm(user, channel))
                    .await?
            }
            Err(_) => return Ok(()),
        }
    }
    Err(End::Garbage("too many Channel Join Requests".into()))
}
