//! An RDP server emulator that behaves like a misconfigured Windows host,
//! one [`Fault`] per listener: the test bed of rdpdoctor's diagnosis, the
//! peers of `rdpdoctor demo`, and `rdpdoctor lab serve`.
//!
//! It is built from the same sans-I/O codecs the probe uses
//! (`rdpdoctor-wire`, their server-side halves) and plays the connection
//! sequence of [MS-RDPBCGR 1.3.1.1] as far as each fault needs:
//!
//! ```text
//! X.224 ─┬─ RDP_NEG_FAILURE ........................................ (tls-required, nla-required, ssl-cert-not-on-server)
//!        ├─ TLS (rustls; OpenSSL TLS 1.0 for tls10-only) ─┬─ CredSSP: NTLM CHALLENGE, then STATUS_LOGON_FAILURE
//!        │                                                └─ MCS, Attach User, Channel Join, Client Info ─┬─ Set Error Info + disconnect
//!        │                                                                                               └─ licensing, Demand Active, finalization
//!        └─ Standard RDP Security: MCS with server random + proprietary certificate, up to the Security Exchange PDU
//! ```
//!
//! Robustness: every read has a size limit and an idle timeout, every
//! connection a total budget, and the number of connections is capped; a
//! client that sends garbage, truncated PDUs or nothing gets a clean close,
//! and the listener goes on. Certificates are made in memory (rcgen);
//! nothing is written to disk.
//!
//! ```no_run
//! # async fn demo() -> Result<(), rdpdoctor_emulator::Error> {
//! use rdpdoctor_emulator::{Fault, FaultConfig, spawn};
//! let emu = spawn(FaultConfig::new(Fault::ExpiredCert), "127.0.0.1:0".parse().unwrap()).await?;
//! println!("probe {}", emu.local_addr());
//! emu.shutdown().await;
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

mod certs;
mod conn;
mod fault;
mod framed;
pub mod gateway;
/// Hostile servers for the hostile-server suite (OpenSSL serves their TLS).
#[cfg(feature = "openssl")]
pub mod hostile;
mod pdu;

pub use certs::CaPem;
pub use fault::{DEMO_PASSWORD, DEMO_USER, Fault};
pub use gateway::{GatewayConfig, GatewayFault, RunningGateway, spawn_gateway};

use conn::{Ctx, TlsAcceptor};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, oneshot};
use tokio::task::{JoinHandle, JoinSet};

/// How a listener plays its fault.
#[derive(Debug, Clone)]
pub struct FaultConfig {
    /// The fault.
    pub fault: Fault,
    /// `clock-skew`: seconds the server's NTLM clock is ahead (negative: behind).
    pub skew_secs: i64,
    /// `slow`: the delay before each reply.
    pub delay: Duration,
    /// The NetBIOS computer name (NTLM), e.g. `WIN-RDP01`.
    pub netbios_name: String,
    /// The NetBIOS domain name (NTLM TargetName), e.g. `CORP`.
    pub netbios_domain: String,
    /// The DNS domain: the computer's FQDN is `netbios_name.dns_domain`.
    pub dns_domain: String,
    /// A client silent for this long is dropped.
    pub read_timeout: Duration,
    /// How long `silent` holds a connection, and how long a client that
    /// reached the logon screen may stay idle.
    pub hold: Duration,
    /// The most one connection may last.
    pub connection_budget: Duration,
    /// Connections served at once; more are closed on accept.
    pub max_connections: usize,
    /// Sign the TLS certificate with this CA instead of self-signing it.
    pub issuer: Option<CaPem>,
    /// More DNS names for the TLS certificate (it always names the FQDN,
    /// `localhost`, 127.0.0.1 and the listening IP, except for `wrong-name-cert`).
    pub extra_cert_names: Vec<String>,
    /// The first this-many connections accepted are held without an answer
    /// (as `silent` holds every one), then the fault plays as usual: a server
    /// that answers TCP, stalls its first handshakes and then recovers, as a
    /// prober starved of CPU sees a healthy one. The peer of `scan`'s
    /// re-check after a timeout. 0 (the default): none.
    pub stall_first: usize,
    /// CredSSP served by `sspi`'s server side as a domain member's: a
    /// Kerberos AP-REQ in SPNEGO checked with this service's key, raw NTLM
    /// checked against the [`DEMO_USER`] account (or, with
    /// [`KerberosService::ntlm_names_domain`], the hand-written CHALLENGE
    /// naming the domain and the logon refused). `None` (the default): the
    /// hand-written NTLM CHALLENGE and the fault's NTSTATUS.
    pub kerberos: Option<KerberosService>,
}

/// The RDP service of a domain member ([MS-CSSP 3.1.5] with SPNEGO,
/// RFC 4120 3.2.3): the key it holds for `TERMSRV/<host>`, as its keytab
/// (the computer account's password) gives it. A key from another password
/// or kvno than the KDC's is the stale machine password or duplicate SPN
/// that makes the KDC's tickets undecryptable (KRB_AP_ERR_MODIFIED).
#[derive(Clone)]
pub struct KerberosService {
    /// The service's host name: its SPN is `TERMSRV/<host>`.
    pub host: String,
    /// The long-term key of that principal (AES256-CTS-HMAC-SHA1-96,
    /// RFC 3962), as raw bytes.
    pub key: Vec<u8>,
    /// Raw NTLM answered as a domain member's CHALLENGE reads (the
    /// hand-written one, naming the fault's domain, [MS-NLMP 2.2.2.1]) and
    /// refused with the fault's NTSTATUS, rather than by `sspi`'s server,
    /// which checks the [`DEMO_USER`] account but names no domain (sspi
    /// 0.23 sends empty MsvAvNbDomainName and MsvAvDnsDomainName, and its
    /// MIC check rules out rewriting its CHALLENGE). The peer of a probe
    /// that learns the domain from NTLM before its Kerberos logon.
    pub ntlm_names_domain: bool,
}

impl KerberosService {
    /// The service of `TERMSRV/<host>@<realm>` whose principal was made
    /// with `password` (`kadmin addprinc -pw`): its AES256 key.
    pub fn from_password(password: &str, realm: &str, host: &str) -> Result<Self, String> {
        Self::from_password_for("TERMSRV", password, realm, host)
    }

    /// The same for `<class>/<host>@<realm>`: `HTTP` for an emulated RD
    /// Gateway's Negotiate ([`GatewayConfig::kerberos`]).
    pub fn from_password_for(
        class: &str,
        password: &str,
        realm: &str,
        host: &str,
    ) -> Result<Self, String> {
        let realm = realm.to_ascii_uppercase();
        let key = rdpdoctor_wire::kerberos::aes256_key(password, &realm, &[class, host])
            .map_err(|e| e.to_string())?;
        Ok(KerberosService {
            host: host.to_owned(),
            key,
            ntlm_names_domain: false,
        })
    }
}

impl std::fmt::Debug for KerberosService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KerberosService")
            .field("host", &self.host)
            .field("key", &"<redacted>")
            .finish()
    }
}

impl FaultConfig {
    /// The defaults: a Windows Server 2022 host `WIN-RDP01.corp.example`,
    /// skew 1 hour, delay 2.5 s, clients dropped after 10 s of silence.
    pub fn new(fault: Fault) -> Self {
        FaultConfig {
            fault,
            skew_secs: 3600,
            delay: Duration::from_millis(2500),
            netbios_name: "WIN-RDP01".into(),
            netbios_domain: "CORP".into(),
            dns_domain: "corp.example".into(),
            read_timeout: Duration::from_secs(10),
            hold: Duration::from_secs(120),
            connection_budget: Duration::from_secs(600),
            max_connections: 128,
            issuer: None,
            extra_cert_names: Vec::new(),
            stall_first: 0,
            kerberos: None,
        }
    }

    /// `WIN-RDP01.corp.example`.
    pub fn fqdn(&self) -> String {
        format!("{}.{}", self.netbios_name, self.dns_domain)
    }
}

/// Why a listener could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The certificate could not be made (or the CA given could not be read).
    #[error("cannot make the certificate: {0}")]
    Certificate(String),
    /// The TLS server could not be set up.
    #[error("cannot set up TLS: {0}")]
    Tls(String),
    /// This build cannot play the fault.
    #[error("{0}")]
    Unsupported(String),
}

/// A listener playing one fault. Stops on [`shutdown`](Self::shutdown) or
/// when dropped (every open connection is cut).
#[derive(Debug)]
pub struct RunningEmulator {
    fault: Fault,
    local_addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl RunningEmulator {
    /// Where it listens (with the real port when asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The fault it plays.
    pub fn fault(&self) -> Fault {
        self.fault
    }

    /// Stops listening, cuts every connection, and waits until that is done.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            // Aborting the accept loop drops its JoinSet, which aborts every connection.
            task.abort();
        }
    }
}

/// TLS 1.2 and 1.3, as a current server offers them.
const MODERN_TLS: &[&rustls::SupportedProtocolVersion] =
    &[&rustls::version::TLS12, &rustls::version::TLS13];

fn rustls_acceptor(
    id: &certs::TlsIdentity,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Result<TlsAcceptor, Error> {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chain = id
        .chain
        .iter()
        .map(|c| CertificateDer::from(c.clone()))
        .collect();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(id.key_pkcs8.clone()));
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .map_err(|e| Error::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| Error::Tls(e.to_string()))?;
    Ok(TlsAcceptor::Rustls(tokio_rustls::TlsAcceptor::from(
        Arc::new(config),
    )))
}

/// TLS 1.0 only: OpenSSL, because rustls cannot speak it; security level 0
/// and every cipher, as a 2008-era host would offer.
#[cfg(feature = "openssl")]
fn openssl_acceptor(id: &certs::TlsIdentity) -> Result<TlsAcceptor, Error> {
    use openssl::ssl::{SslAcceptor, SslMethod, SslVersion};
    let e = |e: openssl::error::ErrorStack| Error::Tls(e.to_string());
    let mut b = SslAcceptor::mozilla_intermediate(SslMethod::tls_server()).map_err(e)?;
    b.set_security_level(0);
    b.set_cipher_list("ALL:@SECLEVEL=0").map_err(e)?;
    b.set_min_proto_version(Some(SslVersion::TLS1)).map_err(e)?;
    b.set_max_proto_version(Some(SslVersion::TLS1)).map_err(e)?;
    let mut chain = id.chain.iter();
    if let Some(leaf) = chain.next() {
        let leaf = openssl::x509::X509::from_der(leaf).map_err(e)?;
        b.set_certificate(&leaf).map_err(e)?;
    }
    for extra in chain {
        b.add_extra_chain_cert(openssl::x509::X509::from_der(extra).map_err(e)?)
            .map_err(e)?;
    }
    let key = openssl::pkey::PKey::private_key_from_pkcs8(&id.key_pkcs8).map_err(e)?;
    b.set_private_key(&key).map_err(e)?;
    b.check_private_key().map_err(e)?;
    Ok(TlsAcceptor::OpenSsl(b.build()))
}

fn context(cfg: FaultConfig, listen: SocketAddr) -> Result<Ctx, Error> {
    let mut public_key = None;
    let tls = match cfg.fault {
        Fault::SslCertNotOnServer | Fault::AcceptThenClose | Fault::Silent => TlsAcceptor::None,
        Fault::RdpSecurityOnly | Fault::FipsRequired => TlsAcceptor::None,
        Fault::Tls10Only => {
            #[cfg(feature = "openssl")]
            {
                openssl_acceptor(&certs::tls_identity(&cfg, listen.ip())?)?
            }
            #[cfg(not(feature = "openssl"))]
            {
                return Err(Error::Unsupported(
                    "tls10-only needs the openssl feature (rustls cannot serve TLS 1.0)".into(),
                ));
            }
        }
        // rustls answers a TLS 1.2 ClientHello with alert 70 (protocol_version).
        Fault::Tls13Only => rustls_acceptor(
            &certs::tls_identity(&cfg, listen.ip())?,
            &[&rustls::version::TLS13],
        )?,
        _ => {
            let id = certs::tls_identity(&cfg, listen.ip())?;
            // CredSSP binds the public key of the certificate served.
            public_key = id
                .chain
                .first()
                .and_then(|c| rdpdoctor_wire::cert::subject_public_key(c).ok());
            rustls_acceptor(&id, MODERN_TLS)?
        }
    };
    let proprietary = certs::proprietary_key();
    Ok(Ctx {
        cfg,
        tls,
        proprietary,
        public_key,
    })
}

/// Binds `listen` (port 0 picks a free port) and says where it listens.
pub(crate) async fn bind(listen: SocketAddr) -> Result<(TcpListener, SocketAddr), Error> {
    let bind_error = |source| Error::Bind {
        addr: listen,
        source,
    };
    let listener = TcpListener::bind(listen).await.map_err(bind_error)?;
    let local_addr = listener.local_addr().map_err(bind_error)?;
    Ok((listener, local_addr))
}

/// Starts a listener on `listen` (port 0 picks a free port) playing
/// `config.fault`. Must be called inside a tokio runtime.
pub async fn spawn(config: FaultConfig, listen: SocketAddr) -> Result<RunningEmulator, Error> {
    let fault = config.fault;
    let max = config.max_connections.max(1);
    // RSA key generation takes a moment: keep it off the async workers.
    let ctx = tokio::task::spawn_blocking(move || context(config, listen))
        .await
        .map_err(|e| Error::Certificate(e.to_string()))??;
    let (listener, local_addr) = bind(listen).await?;
    let (stop, stopped) = oneshot::channel();
    let task = tokio::spawn(accept_loop(listener, Arc::new(ctx), max, stopped));
    Ok(RunningEmulator {
        fault,
        local_addr,
        stop: Some(stop),
        task: Some(task),
    })
}

async fn accept_loop(
    listener: TcpListener,
    ctx: Arc<Ctx>,
    max: usize,
    mut stopped: oneshot::Receiver<()>,
) {
    let permits = Arc::new(Semaphore::new(max));
    let mut connections = JoinSet::new();
    let mut to_stall = ctx.cfg.stall_first;
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((tcp, _peer)) => {
                    // Over the cap: the socket is dropped (closed) at once.
                    let Ok(permit) = permits.clone().try_acquire_owned() else { continue };
                    let ctx = ctx.clone();
                    let stall = to_stall > 0;
                    to_stall = to_stall.saturating_sub(1);
                    connections.spawn(async move {
                        let _end = conn::handle(tcp, ctx, stall).await;
                        drop(permit);
                    });
                }
                // Out of file descriptors and the like: wait, do not spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            },
        }
    }
    connections.shutdown().await;
}

/// Waits for Ctrl-C or SIGTERM: how `rdpdoctor lab serve` knows to stop.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
