//! An emulated Remote Desktop Gateway, one [`GatewayFault`] per listener:
//! TLS on a port, the HTTP transport of [MS-TSGU 3.3.5.1] (`RDG_OUT_DATA
//! /remoteDesktopGateway/`), NTLM and Negotiate authentication of the HTTP
//! request ([MS-NLMP]; [RFC 4559] SPNEGO with NTLM inside, or Kerberos for
//! `HTTP/<host>` given [`GatewayConfig::kerberos`]; the `sspi` crate's
//! server side, against one lab account),
//! the WebSocket transport (101, [RFC 6455]) or the legacy two-channel one
//! (200: `RDG_OUT_DATA` and `RDG_IN_DATA` on two TLS connections paired by
//! `RDG-Connection-Id`, `legacy`), the MS-TSGU exchange ([MS-TSGU
//! 2.2.10]: handshake, tunnel create, tunnel auth, channel create) over
//! either, and, when healthy, a relay of the channel's bytes to the target
//! over TCP, and a UDP side channel that answers DTLS ([`udp`]: announced
//! to a client that offers HTTP_CAPABILITY_UDP_TRANSPORT).
//!
//! ```text
//! TLS ─ RPC_IN_DATA ── 401 (every fault: the RPC proxy is there, not played)
//! TLS ─ RDG_OUT_DATA ─┬─ 404 ........................................ gw-rpc-only
//!                     ├─ 401 Negotiate alone ─ SPNEGO (NTLM, Kerberos) ─ 101 ... gw-negotiate-only
//!                     └─ 401 NTLM/Negotiate ─ NTLM ─┬─ 401 ........... gw-auth-refused
//!                                                   ├─ 200 (legacy: no upgrade asked, or gw-no-websocket)
//!                                                   │    + RDG_IN_DATA ─┐
//!                                                   └─ 101 WebSocket ───┴─ handshake ─ tunnel ─┬─ E_PROXY_NAP_ACCESSDENIED ..... gw-cap-denied
//!                                                                                              ├─ E_PROXY_MAXCONNECTIONSREACHED  gw-max-connections
//!                                                                                              └─ tunnel auth ─ channel ─┬─ E_PROXY_RAP_ACCESSDENIED gw-rap-denied
//!                                                                                                                        ├─ E_PROXY_TS_CONNECTFAILED gw-target-unreachable
//!                                                                                                                        ├─ relay, UDP port silent . gw-udp-blocked
//!                                                                                                                        └─ relay, DTLS on UDP ..... gw-healthy, gw-no-websocket
//! ```
//!
//! What it does not do that Windows' gateway does: a KDC of its own
//! (Kerberos is checked with the service key it is given, never with
//! user-to-user, and no account is looked up: any user of the realm with a
//! ticket is let in), NTLM denied by domain policy (`gw-negotiate-only`
//! removes the `NTLM` scheme only; NTLM inside SPNEGO still passes, as on a
//! gateway whose site lists the Negotiate provider alone), Basic, the UDP
//! side channel past its DTLS handshake (no CONNECT_PKT, no RDP-UDP relay,
//! one client at a time), the RPC over HTTP exchange (its proxy only
//! answers 401), PAA cookies and consent messages; on the legacy transport,
//! a 100-byte seed (it sends the 10 bytes Windows Server 2019 and FreeRDP
//! use), a last Negotiate token in its 200, and its own answer to an
//! `RDG_IN_DATA` whose `RDG_OUT_DATA` is not waiting (it answers 400;
//! Windows' is undocumented). Resource names are connected to only when
//! they are IP addresses or `localhost` (no name is ever resolved), or
//! through [`GatewayConfig::relay_to`].

mod conn;
mod exchange;
mod hostile;
mod legacy;
mod negotiate;
mod udp;

pub use hostile::GatewayHostile;

use crate::{Error, FaultConfig, certs};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Semaphore, oneshot};
use tokio::task::JoinSet;

/// One failure mode of an RD Gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GatewayFault {
    /// Everything works; the channel is relayed to the target.
    Healthy,
    /// The gateway's certificate expired 30 days ago.
    CertExpired,
    /// NTLM completes, and the gateway still answers 401.
    AuthRefused,
    /// The connection authorization policy (CAP) denies the user:
    /// E_PROXY_NAP_ACCESSDENIED in the tunnel response.
    CapDenied,
    /// The resource authorization policy (RAP) denies the target:
    /// E_PROXY_RAP_ACCESSDENIED in the channel response.
    RapDenied,
    /// The gateway cannot reach the target: E_PROXY_TS_CONNECTFAILED.
    TargetUnreachable,
    /// The gateway's connection limit: E_PROXY_MAXCONNECTIONSREACHED in
    /// the tunnel response.
    MaxConnections,
    /// No WebSocket transport: the upgrade is answered 200, and the legacy
    /// two-channel transport works (relays to the target).
    NoWebsocket,
    /// No HTTP transport: `RDG_OUT_DATA` is answered 404 (RPC over HTTP only).
    RpcOnly,
    /// TLS completes, then the gateway says nothing.
    Silent,
    /// Healthy over TCP, and the UDP side channel it announces answers
    /// nothing: datagrams to it are dropped (a firewall in front of UDP 3391).
    UdpBlocked,
    /// The 401 offers only `Negotiate` (the gateway's site has the
    /// Negotiate provider alone, NTLM removed from its list): SPNEGO with
    /// NTLM inside or Kerberos is accepted, the `NTLM` scheme is not.
    NegotiateOnly,
}

impl GatewayFault {
    /// Every fault.
    pub const ALL: [GatewayFault; 12] = [
        Self::Healthy,
        Self::CertExpired,
        Self::AuthRefused,
        Self::CapDenied,
        Self::RapDenied,
        Self::TargetUnreachable,
        Self::MaxConnections,
        Self::NoWebsocket,
        Self::RpcOnly,
        Self::Silent,
        Self::UdpBlocked,
        Self::NegotiateOnly,
    ];

    /// The kebab-case name (`gw-healthy`, `gw-cap-denied`, …).
    pub fn name(self) -> &'static str {
        match self {
            Self::Healthy => "gw-healthy",
            Self::CertExpired => "gw-cert-expired",
            Self::AuthRefused => "gw-auth-refused",
            Self::CapDenied => "gw-cap-denied",
            Self::RapDenied => "gw-rap-denied",
            Self::TargetUnreachable => "gw-target-unreachable",
            Self::MaxConnections => "gw-max-connections",
            Self::NoWebsocket => "gw-no-websocket",
            Self::RpcOnly => "gw-rpc-only",
            Self::Silent => "gw-silent",
            Self::UdpBlocked => "gw-udp-blocked",
            Self::NegotiateOnly => "gw-negotiate-only",
        }
    }

    /// Looks a fault up by its name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }

    /// One line: what the gateway does.
    pub fn description(self) -> &'static str {
        match self {
            Self::Healthy => "a working gateway that relays the channel to the target",
            Self::CertExpired => "the gateway's TLS certificate expired 30 days ago",
            Self::AuthRefused => "the gateway refuses the user's credentials (401 after NTLM)",
            Self::CapDenied => "the connection authorization policy (CAP) denies the user",
            Self::RapDenied => "the resource authorization policy (RAP) denies the target",
            Self::TargetUnreachable => "the gateway cannot connect to the target",
            Self::MaxConnections => "the gateway has reached its connection limit",
            Self::NoWebsocket => {
                "the gateway refuses WebSocket; its legacy HTTP transport relays to the target"
            }
            Self::RpcOnly => "the gateway has no HTTP transport (RPC over HTTP only)",
            Self::Silent => "the gateway completes TLS, then says nothing",
            Self::UdpBlocked => {
                "a working gateway whose UDP side channel answers nothing (UDP dropped)"
            }
            Self::NegotiateOnly => {
                "the gateway offers only Negotiate (SPNEGO), not the NTLM scheme"
            }
        }
    }
}

/// How a gateway listener plays its fault.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// The fault.
    pub fault: GatewayFault,
    /// The one account the gateway's NTLM accepts.
    pub user: String,
    /// Its password (the lab's throwaway one).
    pub password: String,
    /// Relay every channel here instead of to the resource the client names.
    pub relay_to: Option<SocketAddr>,
    /// A client silent for this long is dropped.
    pub read_timeout: Duration,
    /// How long `gw-silent` holds a connection.
    pub hold: Duration,
    /// Connections served at once; more are closed on accept.
    pub max_connections: usize,
    /// Break one rule of the protocol instead of playing the fault's last step.
    pub hostile: Option<GatewayHostile>,
    /// The UDP side channel's port, once bound: set by [`spawn_gateway`].
    pub(crate) udp_port: Option<u16>,
    /// The key of `HTTP/<host>` in a realm, when the gateway is a domain
    /// member: Negotiate then accepts Kerberos tickets for that SPN
    /// ([`crate::KerberosService::from_password_for`] with `HTTP`).
    pub kerberos: Option<crate::KerberosService>,
}

impl GatewayConfig {
    /// The defaults: the demo account, clients dropped after 10 s of silence.
    pub fn new(fault: GatewayFault) -> Self {
        GatewayConfig {
            fault,
            user: crate::DEMO_USER.into(),
            password: crate::DEMO_PASSWORD.into(),
            relay_to: None,
            read_timeout: Duration::from_secs(10),
            hold: Duration::from_secs(120),
            max_connections: 64,
            hostile: None,
            udp_port: None,
            kerberos: None,
        }
    }
}

/// A gateway listener. Stops on [`shutdown`](Self::shutdown) or when
/// dropped (the RDP emulator's listener handle does the stopping).
#[derive(Debug)]
pub struct RunningGateway {
    fault: GatewayFault,
    listener: crate::RunningEmulator,
    udp: Option<udp::UdpSide>,
}

impl RunningGateway {
    /// Where it listens.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr()
    }

    /// The fault it plays.
    pub fn fault(&self) -> GatewayFault {
        self.fault
    }

    /// The UDP side channel's port, where the fault has one.
    pub fn udp_port(&self) -> Option<u16> {
        self.udp.as_ref().map(udp::UdpSide::port)
    }

    /// Stops listening, cuts every connection, and waits until that is done.
    pub async fn shutdown(self) {
        drop(self.udp);
        self.listener.shutdown().await;
    }
}

/// Starts a gateway on `listen` (port 0 picks a free port). Must be called
/// inside a tokio runtime.
pub async fn spawn_gateway(
    mut config: GatewayConfig,
    listen: SocketAddr,
) -> Result<RunningGateway, Error> {
    let fault = config.fault;
    // The certificate: the RDP emulator's, expired for gw-cert-expired.
    let cert_fault = if fault == GatewayFault::CertExpired {
        crate::Fault::ExpiredCert
    } else {
        crate::Fault::HealthyTls
    };
    let mut cert_cfg = FaultConfig::new(cert_fault);
    cert_cfg.netbios_name = "RDGW01".into();
    let (timeout, hostile) = (config.read_timeout, config.hostile);
    let (acceptor, udp) = tokio::task::spawn_blocking(move || {
        let id = certs::tls_identity(&cert_cfg, listen.ip())?;
        let udp = udp::spawn(fault, hostile, listen.ip(), &id, timeout)?;
        Ok::<_, Error>((crate::rustls_acceptor(&id, crate::MODERN_TLS)?, udp))
    })
    .await
    .map_err(|e| Error::Certificate(e.to_string()))??;
    config.udp_port = udp.as_ref().map(udp::UdpSide::port);
    let crate::conn::TlsAcceptor::Rustls(tls) = acceptor else {
        return Err(Error::Tls("the gateway serves TLS with rustls".into()));
    };
    let (listener, local_addr) = crate::bind(listen).await?;
    let (stop, mut stopped) = oneshot::channel::<()>();
    let max = config.max_connections.max(1);
    let ctx = Arc::new(conn::GwCtx {
        cfg: config,
        tls,
        pending: Default::default(),
    });
    let task = tokio::spawn(async move {
        let permits = Arc::new(Semaphore::new(max));
        let mut connections = JoinSet::new();
        loop {
            tokio::select! {
                _ = &mut stopped => break,
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
                accepted = listener.accept() => match accepted {
                    Ok((tcp, _)) => {
                        let Ok(permit) = permits.clone().try_acquire_owned() else { continue };
                        let ctx = ctx.clone();
                        connections.spawn(async move {
                            conn::handle(tcp, ctx).await;
                            drop(permit);
                        });
                    }
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                },
            }
        }
        connections.shutdown().await;
    });
    Ok(RunningGateway {
        fault,
        listener: crate::RunningEmulator {
            fault: cert_fault,
            local_addr,
            stop: Some(stop),
            task: Some(task),
        },
        udp,
    })
}
