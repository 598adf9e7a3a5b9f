//! Stage 4: TLS after the X.224 exchange, and which TLS versions the server accepts.
//!
//! Two tools, on purpose:
//! - rustls plays the modern client (TLS 1.2/1.3, AEAD suites only): the
//!   version and suite it gets are what current mstsc / FreeRDP get, and its
//!   handshake yields the certificate.
//! - With the `openssl` feature, OpenSSL at security level 0 builds the
//!   version matrix. rustls cannot speak TLS 1.0/1.1 at all, and even for
//!   TLS 1.2 it only offers ECDHE+AEAD suites, so a Windows Server 2012 R2 host
//!   that speaks TLS 1.2 with CBC suites only would look like it refuses 1.2.
//!   OpenSSL with `ALL:@SECLEVEL=0` answers "does the server speak version X
//!   at all", which is the question the matrix asks.

use super::negotiation::connect_and_negotiate;
use crate::io::Deadline;
use rdpdoctor_evidence::{
    HandshakeFailure, NegotiationEvidence, NegotiationOutcome, Protocol, StepFailure, TlsEvidence,
    TlsVersion, TlsVersionResult,
};
use rdpdoctor_wire::x224::protocol::{HYBRID, HYBRID_EX, SSL};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};

/// What the TLS stage hands on: the evidence and the leaf certificate (DER).
pub struct TlsOutcome {
    /// The evidence.
    pub evidence: TlsEvidence,
    /// The server's leaf certificate, when a handshake completed.
    pub leaf_der: Option<Vec<u8>>,
}

/// The X.224 request that leads to TLS on this server: SSL when it can be
/// selected, else SSL|HYBRID (an NLA-only server), else nothing.
pub fn tls_request(neg: &NegotiationEvidence) -> Option<(u32, Protocol)> {
    if neg.can_select(Protocol::Ssl) {
        Some((SSL, Protocol::Ssl))
    } else if neg.can_select(Protocol::Hybrid) || neg.can_select(Protocol::HybridEx) {
        Some((SSL | HYBRID, Protocol::Hybrid))
    } else {
        None
    }
}

/// Opens a connection, negotiates `request`, and returns the raw TCP stream
/// ready for a TLS ClientHello; otherwise why not, with the kind of the
/// X.224 exchange's outcome.
pub(crate) async fn tls_ready_stream(
    addr: SocketAddr,
    request: u32,
    deadline: &Deadline,
) -> Result<tokio::net::TcpStream, TlsConnectError> {
    let (outcome, framed) = connect_and_negotiate(addr, Some(request), deadline).await;
    match (outcome, framed) {
        (NegotiationOutcome::Selected { protocol, .. }, Some(framed))
            if protocol
                .bits
                .is_some_and(|b| b & (SSL | HYBRID | HYBRID_EX) != 0) =>
        {
            Ok(framed.into_parts().0)
        }
        (other, _) => Err(TlsConnectError {
            failure: None,
            kind: other.failure_kind(),
            message: format!("the X.224 exchange did not lead to TLS: {other}"),
        }),
    }
}

/// Runs the modern-client handshake and the version matrix, concurrently.
/// With `matrix_always` false (the fast profile) the matrix runs only when
/// the modern handshake fails: then it tells a legacy-only server from a
/// broken one; otherwise each version reads "not tested" (`accepted: null`).
pub async fn run(
    addr: SocketAddr,
    host: &str,
    neg: &NegotiationEvidence,
    deadline: &Deadline,
    matrix_always: bool,
) -> Option<TlsOutcome> {
    let (request, via) = tls_request(neg)?;
    let modern = modern_handshake(addr, host, request, deadline);
    let spawn_matrix = || {
        TlsVersion::ALL.map(|v| {
            let host = host.to_owned();
            let deadline = deadline.clone();
            tokio::spawn(async move {
                let t = std::time::Instant::now();
                let mut r = version_check(addr, &host, request, v, &deadline).await;
                r.0.elapsed_ms = Some(crate::io::elapsed_ms(t));
                r
            })
        })
    };
    let early_tasks = matrix_always.then(spawn_matrix);
    let modern = modern.await;
    let version_tasks = match (early_tasks, &modern) {
        (Some(t), _) => Some(t),
        (None, Err(_)) => Some(spawn_matrix()),
        (None, Ok(_)) => None,
    };
    let (version, cipher_suite, error, failure, failure_kind, leaf_der) = match modern {
        Ok(m) => (Some(m.0), Some(m.1), None, None, None, m.2),
        Err((e, leaf)) => (None, None, Some(e.message), e.failure, e.kind, leaf),
    };
    let (versions, leaf_der) = match version_tasks {
        None => (
            fast_versions(addr, host, request, version, &cipher_suite, deadline).await,
            leaf_der,
        ),
        Some(tasks) => {
            let (versions, matrix_leaf) = await_matrix(tasks).await;
            (versions, leaf_der.or(matrix_leaf))
        }
    };
    Some(TlsOutcome {
        evidence: TlsEvidence {
            via,
            version,
            cipher_suite,
            error,
            failure,
            failure_kind,
            versions,
        },
        leaf_der,
    })
}

/// The version matrix's answers, oldest version first, and the certificate
/// from the newest version that completed.
async fn await_matrix(
    tasks: [tokio::task::JoinHandle<(TlsVersionResult, Option<Vec<u8>>)>; 4],
) -> (Vec<TlsVersionResult>, Option<Vec<u8>>) {
    let mut versions = Vec::new();
    // The certificate from the newest version that completed, when the
    // modern client saw none: e.g. an RSA-512 key cannot make the RSA-PSS
    // signature TLS 1.3 needs, so the modern handshake fails before the
    // server sends its certificate, while OpenSSL's TLS 1.2 gets it.
    let mut matrix_leaf = None;
    for (t, v) in tasks.into_iter().zip(TlsVersion::ALL) {
        let (result, leaf) = t.await.unwrap_or_else(|e| {
            (
                TlsVersionResult {
                    elapsed_ms: None,
                    version: v,
                    accepted: None,
                    cipher_suite: None,
                    detail: Some(format!("internal error: {e}")),
                    secure_renegotiation: None,
                    failure_kind: Some(StepFailure::Other),
                },
                None,
            )
        });
        matrix_leaf = leaf.or(matrix_leaf);
        versions.push(result);
    }
    (versions, matrix_leaf)
}

/// The fast profile's version row once the modern handshake got through:
/// that version is accepted (a handshake completed); after TLS 1.3, one
/// more handshake asks whether TLS 1.2 is accepted too, because that decides
/// whether clients without TLS 1.3 (mstsc on Windows 10, macOS) connect;
/// TLS 1.0 and 1.1 read "not tested" (`accepted: null`), so the fast profile
/// does not report `tls-legacy-enabled`.
async fn fast_versions(
    addr: SocketAddr,
    host: &str,
    request: u32,
    modern: Option<TlsVersion>,
    suite: &Option<String>,
    deadline: &Deadline,
) -> Vec<TlsVersionResult> {
    let mut versions = Vec::new();
    for v in TlsVersion::ALL {
        let r = if Some(v) == modern {
            TlsVersionResult {
                elapsed_ms: None,
                version: v,
                accepted: Some(true),
                cipher_suite: suite.clone(),
                detail: Some("the modern handshake (fast profile)".into()),
                secure_renegotiation: None,
                failure_kind: None,
            }
        } else if v == TlsVersion::Tls12 && modern == Some(TlsVersion::Tls13) {
            // The server has just completed a TLS 1.3 handshake: a 1.2
            // attempt that merely ran out of time says the server (or the
            // path) was busy, not that it refuses 1.2, which would read as
            // `tls13-only` and fail clients without TLS 1.3. One more try;
            // a second timeout is "not tested", never "refused".
            let timed_out = |r: &TlsVersionResult| {
                r.accepted == Some(false) && r.failure_kind == Some(StepFailure::Timeout)
            };
            let t = std::time::Instant::now();
            let mut r = version_check(addr, host, request, v, deadline).await.0;
            // Also when the connection closed before TLS began (a server at
            // its connection limit): that too is no answer about 1.2.
            if (timed_out(&r) || r.accepted.is_none()) && !deadline.expired() {
                r = version_check(addr, host, request, v, deadline).await.0;
            }
            if timed_out(&r) {
                r.accepted = None;
            }
            r.elapsed_ms = Some(crate::io::elapsed_ms(t));
            r
        } else {
            TlsVersionResult {
                elapsed_ms: None,
                version: v,
                accepted: None,
                cipher_suite: None,
                detail: Some("fast profile".into()),
                secure_renegotiation: None,
                failure_kind: None,
            }
        };
        versions.push(r);
    }
    versions
}

type Modern = (TlsVersion, String, Option<Vec<u8>>);

/// The modern-client handshake; on failure, the error and whatever leaf
/// certificate the server presented before it failed.
async fn modern_handshake(
    addr: SocketAddr,
    host: &str,
    request: u32,
    deadline: &Deadline,
) -> Result<Modern, (TlsConnectError, Option<Vec<u8>>)> {
    let (config, seen) =
        client_config_recording(&[&rustls::version::TLS12, &rustls::version::TLS13]);
    match rustls_connect(addr, host, request, config, deadline).await {
        Ok((version, suite, leaf, _stream)) => Ok((version, suite, leaf)),
        Err(e) => Err((e, seen.lock().ok().and_then(|mut s| s.take()))),
    }
}

/// A TLS client stream after the X.224 exchange.
pub(crate) type TlsStream = tokio_rustls::client::TlsStream<tokio::net::TcpStream>;

/// Why [`rustls_connect`] did not produce a TLS stream.
#[derive(Debug, Clone)]
pub(crate) struct TlsConnectError {
    /// How the handshake failed; `None` when it never started (the X.224
    /// exchange did not lead to TLS).
    pub failure: Option<HandshakeFailure>,
    /// How the attempt failed, the handshake or the X.224 exchange before it.
    pub kind: Option<StepFailure>,
    /// One line for the report.
    pub message: String,
}

impl std::fmt::Display for TlsConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Classifies a failed handshake by what came back from the server.
pub(crate) fn classify(e: &std::io::Error) -> HandshakeFailure {
    use std::io::ErrorKind::*;
    match e.kind() {
        ConnectionReset | ConnectionAborted | BrokenPipe => HandshakeFailure::Reset,
        UnexpectedEof => HandshakeFailure::Closed,
        _ if e.to_string().contains("received fatal alert") => HandshakeFailure::Alert,
        _ => HandshakeFailure::Other,
    }
}

/// Connects, negotiates `request`, and completes a rustls handshake.
pub(crate) async fn rustls_connect(
    addr: SocketAddr,
    host: &str,
    request: u32,
    config: Arc<rustls::ClientConfig>,
    deadline: &Deadline,
) -> Result<(TlsVersion, String, Option<Vec<u8>>, TlsStream), TlsConnectError> {
    let tcp = tls_ready_stream(addr, request, deadline).await?;
    rustls_handshake(tcp, host, config, deadline).await
}

/// A rustls handshake on a stream the X.224 exchange has readied (a TCP
/// connection, or the RD Gateway's channel).
pub(crate) async fn rustls_handshake<S: AsyncRead + AsyncWrite + Unpin>(
    tcp: S,
    host: &str,
    config: Arc<rustls::ClientConfig>,
    deadline: &Deadline,
) -> Result<
    (
        TlsVersion,
        String,
        Option<Vec<u8>>,
        tokio_rustls::client::TlsStream<S>,
    ),
    TlsConnectError,
> {
    let name = server_name(host);
    let connector = tokio_rustls::TlsConnector::from(config);
    let stream = match tokio::time::timeout(deadline.step(), connector.connect(name, tcp)).await {
        Err(_) => {
            return Err(TlsConnectError {
                failure: Some(HandshakeFailure::NoAnswer),
                kind: Some(StepFailure::Timeout),
                message: "the TLS handshake did not finish before the deadline".into(),
            });
        }
        Ok(Err(e)) => {
            let failure = classify(&e);
            return Err(TlsConnectError {
                failure: Some(failure),
                kind: Some(failure.into()),
                message: format!("TLS handshake failed: {e}"),
            });
        }
        Ok(Ok(s)) => s,
    };
    let (_, conn) = stream.get_ref();
    let version = match conn.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_3) => TlsVersion::Tls13,
        _ => TlsVersion::Tls12,
    };
    let suite = conn
        .negotiated_cipher_suite()
        .map(|s| format!("{:?}", s.suite()))
        .unwrap_or_default();
    let leaf = conn
        .peer_certificates()
        .and_then(|c| c.first())
        .map(|c| c.as_ref().to_vec());
    Ok((version, suite, leaf, stream))
}

fn server_name(host: &str) -> ServerName<'static> {
    // rustls sends SNI only for DNS names, as mstsc does.
    ServerName::try_from(host.to_owned())
        .unwrap_or_else(|_| ServerName::IpAddress(std::net::Ipv4Addr::UNSPECIFIED.into()))
}

/// The leaf certificate the server presented, kept even when the handshake
/// then fails (e.g. rustls refusing an RSA-1024 handshake signature: the
/// certificate is exactly what the user needs to see then).
pub(crate) type SeenLeaf = Arc<std::sync::Mutex<Option<Vec<u8>>>>;

/// A rustls client limited to `versions` that accepts any certificate: the
/// probe's job is to report on the certificate, not to refuse to look at it.
pub(crate) fn client_config(
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Arc<rustls::ClientConfig> {
    client_config_recording(versions).0
}

/// [`client_config`], plus the slot where the presented leaf is recorded.
pub(crate) fn client_config_recording(
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> (Arc<rustls::ClientConfig>, SeenLeaf) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let seen = SeenLeaf::default();
    let verifier = Arc::new(RecordOnly {
        provider: provider.clone(),
        seen: seen.clone(),
    });
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .expect("the ring provider supports TLS 1.2 and 1.3")
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    (Arc::new(config), seen)
}

/// Accepts every certificate (recording it) but still checks handshake
/// signatures, so a completed handshake proves the server holds the
/// certificate's key.
#[derive(Debug)]
struct RecordOnly {
    provider: Arc<rustls::crypto::CryptoProvider>,
    seen: SeenLeaf,
}

impl ServerCertVerifier for RecordOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut slot) = self.seen.lock() {
            *slot = Some(end_entity.as_ref().to_vec());
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// How long past its own deadline a blocking handshake may take before its
/// socket is shut under it (it only overruns when OpenSSL computes rather
/// than reads, e.g. on a huge Diffie-Hellman group).
#[cfg(feature = "openssl")]
const BLOCKING_GRACE: std::time::Duration = std::time::Duration::from_millis(250);

#[cfg(feature = "openssl")]
async fn version_check(
    addr: SocketAddr,
    _host: &str,
    request: u32,
    v: TlsVersion,
    deadline: &Deadline,
) -> (TlsVersionResult, Option<Vec<u8>>) {
    let tcp = match tls_ready_stream(addr, request, deadline).await {
        Ok(s) => s,
        Err(e) => return (not_tested(v, e.message, e.kind), None),
    };
    let budget = deadline.step();
    let std_stream = match tcp.into_std() {
        Ok(s) => s,
        Err(e) => return (not_tested(v, e.to_string(), Some(StepFailure::Other)), None),
    };
    // A second handle on the socket: shutting it down ends any blocking
    // read the handshake thread is in, so a timed-out thread is released.
    let watchdog = std_stream.try_clone();
    let task =
        tokio::task::spawn_blocking(move || super::tls_legacy::handshake(std_stream, v, budget));
    let r = match tokio::time::timeout(budget + BLOCKING_GRACE, task).await {
        Ok(r) => r,
        Err(_) => {
            if let Ok(s) = &watchdog {
                let _ = s.shutdown(std::net::Shutdown::Both);
            }
            return (
                refused(
                    v,
                    "no complete handshake before the deadline".into(),
                    StepFailure::Timeout,
                ),
                None,
            );
        }
    };
    match r {
        Ok(Ok(done)) => (
            TlsVersionResult {
                elapsed_ms: None,
                version: v,
                accepted: Some(true),
                cipher_suite: Some(done.cipher),
                detail: None,
                secure_renegotiation: done.secure_renegotiation,
                failure_kind: None,
            },
            done.leaf_der,
        ),
        Ok(Err(super::tls_legacy::HandshakeError::Refused {
            why,
            kind,
            secure_renegotiation,
        })) => (
            TlsVersionResult {
                secure_renegotiation,
                ..refused(v, why, kind)
            },
            None,
        ),
        Ok(Err(super::tls_legacy::HandshakeError::Local(why))) => (not_tested(v, why, None), None),
        Err(e) => (not_tested(v, e.to_string(), Some(StepFailure::Other)), None),
    }
}

#[cfg(feature = "openssl")]
fn refused(v: TlsVersion, why: String, kind: StepFailure) -> TlsVersionResult {
    TlsVersionResult {
        elapsed_ms: None,
        version: v,
        accepted: Some(false),
        cipher_suite: None,
        detail: Some(why),
        secure_renegotiation: None,
        failure_kind: Some(kind),
    }
}

#[cfg(not(feature = "openssl"))]
async fn version_check(
    addr: SocketAddr,
    host: &str,
    request: u32,
    v: TlsVersion,
    deadline: &Deadline,
) -> (TlsVersionResult, Option<Vec<u8>>) {
    let only: &'static rustls::SupportedProtocolVersion = match v {
        TlsVersion::Tls12 => &rustls::version::TLS12,
        TlsVersion::Tls13 => &rustls::version::TLS13,
        _ => {
            return (
                not_tested(
                    v,
                    "built without the openssl feature: rustls cannot speak TLS 1.0/1.1".into(),
                    None,
                ),
                None,
            );
        }
    };
    match rustls_connect(addr, host, request, client_config(&[only]), deadline).await {
        Ok((_, suite, leaf, _)) => (
            TlsVersionResult {
                elapsed_ms: None,
                version: v,
                accepted: Some(true),
                cipher_suite: Some(suite),
                detail: None,
                secure_renegotiation: None,
                failure_kind: None,
            },
            leaf,
        ),
        Err(e) if e.failure.is_some() => (
            TlsVersionResult {
                elapsed_ms: None,
                version: v,
                accepted: Some(false),
                cipher_suite: None,
                detail: Some(e.message),
                secure_renegotiation: None,
                failure_kind: e.kind,
            },
            None,
        ),
        Err(e) => (not_tested(v, e.message, e.kind), None),
    }
}

/// A row not tested: `kind` says why where the server (or the path) is the
/// reason (the X.224 exchange before TLS got no answer), `None` where it is ours.
fn not_tested(v: TlsVersion, why: String, kind: Option<StepFailure>) -> TlsVersionResult {
    TlsVersionResult {
        elapsed_ms: None,
        version: v,
        accepted: None,
        cipher_suite: None,
        detail: Some(why),
        secure_renegotiation: None,
        failure_kind: kind,
    }
}
