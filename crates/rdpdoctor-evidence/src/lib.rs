//! The evidence model: what rdpdoctor observed, as plain data.
//!
//! Every source of evidence (the wire probe today; event logs and host
//! configuration later) fills these types, and everything downstream (the
//! findings, the diagnosis rules, the renderers) reads only these types. They
//! hold no I/O handles and no clocks: a report can be built by hand in a test,
//! serialised, and read back.
//!
//! The JSON form of [`ProbeReport`] is a public interface, versioned by
//! [`SCHEMA_VERSION`] and documented in `docs/json-schema.md`. Field names are
//! `snake_case`; enumerated values are `kebab-case` strings.

#![forbid(unsafe_code)]

pub mod host;
pub mod logon;
mod protocol;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::IpAddr;

pub use host::HostEvidence;
pub use logon::{LogonErrorInfo, LogonEvidence, LogonMethod, LogonOutcome, LogonPhase};
pub use protocol::{EncryptionLevel, EncryptionMethod, Protocol, ProtocolSet};

/// Version of the JSON schema of every command's output. Bump on any change
/// that removes or renames a field or changes a field's meaning; adding a
/// field is not a breaking change. Version 2: one kebab-case vocabulary
/// (protocols, encryption, TLS versions), judgement moved out of the evidence
/// (`security`, `server`, `verdict`), `timings.stages_ms`.
pub const SCHEMA_VERSION: u32 = 2;

/// Everything one `rdpdoctor probe` learned about one host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeReport {
    /// Always [`SCHEMA_VERSION`] when produced by this version.
    pub schema_version: u32,
    /// The rdpdoctor version that produced the report.
    pub tool_version: String,
    /// What the user asked to probe.
    pub target: Target,
    /// When the probe started (RFC 3339, UTC).
    pub started_at: String,
    /// Name resolution.
    pub addresses: Addresses,
    /// TCP reachability; `None` when no address could be tried.
    pub tcp: Option<TcpEvidence>,
    /// The X.224 security negotiation matrix; `None` when TCP was not open.
    pub negotiation: Option<NegotiationEvidence>,
    /// TLS, where the server can select SSL or HYBRID.
    pub tls: Option<TlsEvidence>,
    /// The server's TLS certificate, where TLS completed.
    pub certificate: Option<CertificateFacts>,
    /// CredSSP without credentials, where the server can select HYBRID.
    pub credssp: Option<CredSspEvidence>,
    /// Facts from the server's NTLM CHALLENGE message.
    pub ntlm: Option<NtlmFacts>,
    /// Standard RDP Security, where the server accepts PROTOCOL_RDP.
    pub rdp_security: Option<RdpSecurityEvidence>,
    /// The deep probe: the connection sequence past security, towards the
    /// logon screen, where the server does not require NLA.
    pub deep: Option<DeepEvidence>,
    /// The credentialed check (`--user`): one logon attempt; never the password.
    pub logon: Option<LogonEvidence>,
    /// Wall time of each stage.
    pub timings: Timings,
    /// The deadlines the probe ran under: a step that got no answer got none
    /// *within these*, which is all a probe can say.
    pub limits: Limits,
    /// Stages this probe's profile left out that a full probe would have
    /// run (`scan --profile fast`): *not checked*, which says nothing of
    /// the server either way. Empty (and left out of the JSON) for a full probe.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_checked: Vec<Stage>,
    /// How many times `scan` probed this host for this report: 1, or more
    /// when the first probe timed out after the host had answered TCP
    /// ([`ProbeReport::timed_out_after_answer`]) and `scan --retries` probed
    /// it again, this report replacing the earlier one. Left out of the JSON
    /// when 1.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub attempts: u32,
}

fn one() -> u32 {
    1
}

fn is_one(n: &u32) -> bool {
    *n == 1
}

/// The deadlines a probe ran under (`--timeout`, `--ceiling`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct Limits {
    /// Per network step (connect, one answer, one handshake), milliseconds.
    pub step_timeout_ms: f64,
    /// For the whole probe, milliseconds.
    pub ceiling_ms: f64,
}

impl Limits {
    /// The step timeout in seconds, for sentences (`5 s`).
    pub fn step_secs(&self) -> String {
        secs(self.step_timeout_ms)
    }
    /// The ceiling in seconds, for sentences.
    pub fn ceiling_secs(&self) -> String {
        secs(self.ceiling_ms)
    }
}

fn secs(ms: f64) -> String {
    let s = ms / 1000.0;
    if (s - s.round()).abs() < 0.05 {
        format!("{:.0} s", s)
    } else {
        format!("{s:.1} s")
    }
}

/// What the user typed, and how it was understood.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// The argument as given, e.g. `rdp.example.com:3390` or `[::1]`.
    pub input: String,
    /// The host part: a DNS name or an IP address literal.
    pub host: String,
    /// The TCP port (3389 unless given).
    pub port: u16,
    /// True when `host` is an IP address literal (no DNS involved).
    pub host_is_ip: bool,
}

/// Name resolution results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Addresses {
    /// Every address the name resolved to (A and AAAA), in resolver order.
    pub resolved: Vec<IpAddr>,
    /// The address the rest of the probe used.
    pub used: Option<IpAddr>,
    /// The reverse (PTR) name of `used`, when there is one.
    pub reverse_name: Option<String>,
    /// The resolver's error, when the name did not resolve.
    pub error: Option<String>,
    /// Time spent resolving, in milliseconds.
    pub elapsed_ms: f64,
}

/// How the TCP port behaved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PortState {
    /// The handshake completed and the server answered an X.224 request.
    Open,
    /// The host answered the SYN with a RST: nothing listens, or a firewall rejects.
    Refused,
    /// No answer before the deadline: a firewall drops the packets, or the host is down.
    Filtered,
    /// An ICMP error came back (host or network unreachable, administratively prohibited).
    Unreachable,
    /// The handshake completed, then the server closed (FIN or RST) before or
    /// right after the first request.
    AcceptedThenClosed,
    /// The handshake completed, then the server never answered.
    AcceptedAndSilent,
}

/// One TCP connect attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectSample {
    /// True when the three-way handshake completed.
    pub connected: bool,
    /// Time to connect or to fail, in milliseconds.
    pub elapsed_ms: f64,
    /// The error class when it failed: `refused`, `timeout`, `unreachable`, or the OS message.
    pub error: Option<String>,
}

/// Summary statistics over samples, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Smallest value.
    pub min: f64,
    /// Median value.
    pub median: f64,
    /// Largest value.
    pub max: f64,
}

impl Stats {
    /// Statistics of a non-empty slice; `None` when it is empty.
    pub fn of(values: &[f64]) -> Option<Stats> {
        if values.is_empty() {
            return None;
        }
        let mut v = values.to_vec();
        v.sort_by(|a, b| a.total_cmp(b));
        let mid = v.len() / 2;
        let median = if v.len().is_multiple_of(2) {
            (v[mid - 1] + v[mid]) / 2.0
        } else {
            v[mid]
        };
        Some(Stats {
            min: v[0],
            median,
            max: v[v.len() - 1],
        })
    }
}

/// TCP reachability of the port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TcpEvidence {
    /// The verdict for the port.
    pub state: PortState,
    /// Every connect attempt, in order.
    pub samples: Vec<ConnectSample>,
    /// Connect round-trip statistics over the successful samples.
    pub rtt_ms: Option<Stats>,
    /// How many samples failed.
    pub failures: u32,
    /// For `accepted-then-closed`, `accepted-and-silent` or a non-RDP answer:
    /// what the server did after the first request (`closed`, `reset`, `silent`,
    /// or the first bytes it sent, hex).
    pub first_response: Option<String>,
    /// When something other than RDP answered: a guess at what it is (`http`, `tls`, `ssh`, …).
    pub other_protocol: Option<String>,
}

/// What the server did with one X.224 Connection Request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum NegotiationOutcome {
    /// RDP_NEG_RSP: the server selected a protocol.
    Selected {
        /// The selected protocol.
        protocol: ProtocolSet,
        /// RDP_NEG_RSP flags byte.
        flags: u8,
        /// The names of the flags that are set.
        flag_names: Vec<String>,
    },
    /// RDP_NEG_FAILURE with its `failureCode`.
    Failure {
        /// The failure code (1–6 are defined).
        code: u32,
        /// Its name, e.g. `HYBRID_REQUIRED_BY_SERVER`.
        name: Option<String>,
    },
    /// A Connection Confirm with no negotiation data: a legacy server that
    /// only speaks Standard RDP Security.
    NoNegotiationData,
    /// The server closed the connection without answering.
    Closed,
    /// The server answered with an MCS Disconnect Provider Ultimatum instead
    /// of a Connection Confirm (xrdp does this for requests it cannot serve).
    Disconnected {
        /// The ultimatum's reason, named.
        reason: String,
    },
    /// The server did not answer before the deadline.
    Silent,
    /// The server answered with something that is not an X.224 Connection Confirm.
    Garbage {
        /// Why it did not decode.
        error: String,
        /// The first bytes received, hex.
        first_bytes: String,
    },
    /// The TCP connection itself failed.
    ConnectFailed {
        /// The error class.
        error: String,
    },
}

/// For sentences (the probe's error texts say why an X.224 exchange did not
/// open a connection). A timeout reads "no answer before the deadline", as
/// every step's does.
impl std::fmt::Display for NegotiationOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Selected { protocol, .. } => {
                write!(f, "the server selected {}", protocol.label())
            }
            Self::Failure { code, name } => match name {
                Some(n) => write!(f, "RDP_NEG_FAILURE {n}"),
                None => write!(f, "RDP_NEG_FAILURE 0x{code:X}"),
            },
            Self::NoNegotiationData => f.write_str("a Connection Confirm without negotiation data"),
            Self::Closed => f.write_str("the server closed the connection without an answer"),
            Self::Disconnected { reason } => {
                write!(f, "an MCS Disconnect Provider Ultimatum ({reason})")
            }
            Self::Silent => f.write_str("no answer to the X.224 request before the deadline"),
            Self::Garbage { error, .. } => write!(f, "not an X.224 Connection Confirm ({error})"),
            Self::ConnectFailed { error } if error == "timeout" => {
                f.write_str("no answer to the TCP connect before the deadline")
            }
            Self::ConnectFailed { error } => write!(f, "the TCP connect failed ({error})"),
        }
    }
}

/// One row of the negotiation matrix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NegotiationAttempt {
    /// What was requested.
    pub requested: ProtocolSet,
    /// What came back.
    pub outcome: NegotiationOutcome,
    /// Time to establish the TCP connection, in milliseconds (includes any
    /// queueing behind the probe's own other connections and SYN retransmits).
    pub connect_ms: f64,
    /// Time from sending the Connection Request on the established connection
    /// to the answer (or to giving up), in milliseconds: the server's own
    /// response time, not inflated by connection set-up.
    pub answer_ms: f64,
}

/// The X.224 security negotiation matrix, as observed. What it implies (the
/// security layer, whether NLA is required) is judgement, made by
/// `rdpdoctor-diagnose`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NegotiationEvidence {
    /// One row per request, in a fixed order.
    pub attempts: Vec<NegotiationAttempt>,
}

impl NegotiationEvidence {
    /// The outcome for the request with exactly these bits (`None` = legacy request).
    pub fn outcome_for(&self, bits: Option<u32>) -> Option<&NegotiationOutcome> {
        self.attempts
            .iter()
            .find(|a| a.requested.bits == bits)
            .map(|a| &a.outcome)
    }

    /// The protocol a request got selected, when it got one: `Rdp` for a
    /// Connection Confirm without negotiation data.
    pub fn selected(a: &NegotiationAttempt) -> Option<Protocol> {
        match &a.outcome {
            NegotiationOutcome::Selected { protocol, .. } => protocol.single(),
            NegotiationOutcome::NoNegotiationData => Some(Protocol::Rdp),
            _ => None,
        }
    }

    /// True when some request got `protocol` selected (a fact the probe uses
    /// to decide which stages to run; not a judgement on the server).
    pub fn can_select(&self, protocol: Protocol) -> bool {
        self.attempts
            .iter()
            .any(|a| Self::selected(a) == Some(protocol))
    }

    /// The RDP_NEG_FAILURE codes seen, deduplicated, in order.
    pub fn failure_codes(&self) -> Vec<u32> {
        let mut codes = Vec::new();
        for a in &self.attempts {
            if let NegotiationOutcome::Failure { code, .. } = a.outcome
                && !codes.contains(&code)
            {
                codes.push(code);
            }
        }
        codes
    }
}

/// TLS protocol versions, as named in reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TlsVersion {
    /// TLS 1.0
    #[serde(rename = "tls1.0")]
    Tls10,
    /// TLS 1.1
    #[serde(rename = "tls1.1")]
    Tls11,
    /// TLS 1.2
    #[serde(rename = "tls1.2")]
    Tls12,
    /// TLS 1.3
    #[serde(rename = "tls1.3")]
    Tls13,
}

impl TlsVersion {
    /// All versions, oldest first.
    pub const ALL: [TlsVersion; 4] = [Self::Tls10, Self::Tls11, Self::Tls12, Self::Tls13];

    /// The name used in text reports, e.g. `TLSv1.2` (JSON says `tls1.2`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Tls10 => "TLSv1.0",
            Self::Tls11 => "TLSv1.1",
            Self::Tls12 => "TLSv1.2",
            Self::Tls13 => "TLSv1.3",
        }
    }

    /// TLS 1.0 and 1.1, deprecated by RFC 8996.
    pub fn is_legacy(self) -> bool {
        matches!(self, Self::Tls10 | Self::Tls11)
    }
}

/// Whether the server accepted a handshake limited to one TLS version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TlsVersionResult {
    /// The version offered (and only that one).
    pub version: TlsVersion,
    /// `Some(true)` accepted, `Some(false)` refused, `None` not tested (e.g. built without the `openssl` feature).
    pub accepted: Option<bool>,
    /// How long the handshake took (or took to fail), in milliseconds.
    #[serde(default)]
    pub elapsed_ms: Option<f64>,
    /// The cipher suite the server chose, when accepted.
    pub cipher_suite: Option<String>,
    /// Why it failed or was not tested.
    pub detail: Option<String>,
    /// [RFC 5746](https://www.rfc-editor.org/rfc/rfc5746) secure
    /// renegotiation: whether the server's ServerHello for this version
    /// carried the renegotiation_info extension; `None` when no ServerHello
    /// was read (or without the `openssl` feature). `false` is an old
    /// server (the Windows Server 2008 R2 of Zeek's rdp-to-ssl.pcap): clients
    /// connect, OpenSSL 3 only with `SSL_OP_LEGACY_SERVER_CONNECT`.
    #[serde(default)]
    pub secure_renegotiation: Option<bool>,
}

/// How a TLS handshake failed, as seen from the client: the difference
/// between a server that refuses and a path that swallows the handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HandshakeFailure {
    /// The ClientHello was never answered before the deadline.
    NoAnswer,
    /// The server (or something on the path) reset the connection.
    Reset,
    /// The connection was closed (FIN) during the handshake.
    Closed,
    /// The server answered with a TLS alert.
    Alert,
    /// Anything else (bad data, a certificate or signature the client could not process).
    Other,
}

impl HandshakeFailure {
    /// The kebab-case name, as in JSON: `no-answer`, `reset`, `closed`, `alert`, `other`.
    pub fn name(self) -> &'static str {
        match self {
            HandshakeFailure::NoAnswer => "no-answer",
            HandshakeFailure::Reset => "reset",
            HandshakeFailure::Closed => "closed",
            HandshakeFailure::Alert => "alert",
            HandshakeFailure::Other => "other",
        }
    }
}

/// TLS as a modern client sees it, and which versions the server accepts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TlsEvidence {
    /// The protocol requested in X.224 to get to TLS (`ssl` or `hybrid`).
    pub via: Protocol,
    /// The version a modern client (rustls, TLS 1.2–1.3) negotiated.
    pub version: Option<TlsVersion>,
    /// The cipher suite a modern client negotiated.
    pub cipher_suite: Option<String>,
    /// Why a modern client's handshake failed, when it did.
    pub error: Option<String>,
    /// How it failed, when it did.
    pub failure: Option<HandshakeFailure>,
    /// One handshake per TLS version.
    pub versions: Vec<TlsVersionResult>,
}

impl TlsEvidence {
    /// Versions the server accepted.
    pub fn accepted_versions(&self) -> Vec<TlsVersion> {
        self.versions
            .iter()
            .filter(|v| v.accepted == Some(true))
            .map(|v| v.version)
            .collect()
    }
}

/// Facts read from an X.509 certificate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct CertificateFacts {
    /// Subject distinguished name.
    pub subject: String,
    /// Subject common name, when present.
    pub common_name: Option<String>,
    /// DNS and IP subject alternative names.
    pub subject_alt_names: Vec<String>,
    /// Issuer distinguished name.
    pub issuer: String,
    /// Subject equals issuer and the signature verifies with its own key.
    pub self_signed: bool,
    /// Start of validity (RFC 3339).
    pub not_before: String,
    /// End of validity (RFC 3339).
    pub not_after: String,
    /// Start of validity, Unix seconds.
    pub not_before_unix: i64,
    /// End of validity, Unix seconds.
    pub not_after_unix: i64,
    /// Whole days left until `not_after`, negative once expired, as of the probe.
    pub days_left: i64,
    /// `not_after` is in the past.
    pub expired: bool,
    /// `not_before` is in the future.
    pub not_yet_valid: bool,
    /// Public key algorithm, e.g. `RSA`, `EC`.
    pub key_type: String,
    /// Public key size in bits.
    pub key_bits: Option<u32>,
    /// Signature algorithm, e.g. `sha256WithRSAEncryption`.
    pub signature_algorithm: String,
    /// Extended key usages, by name or OID.
    pub extended_key_usage: Vec<String>,
    /// The EKU allows TLS server authentication (or there is no EKU extension).
    pub server_auth: bool,
    /// The EKU has Remote Desktop Authentication (1.3.6.1.4.1.311.54.1.2).
    pub remote_desktop_auth: bool,
    /// Whether the name the user typed matches the CN or a SAN.
    pub matches_target: Option<bool>,
    /// Whether the server's own DNS name (from NTLM) matches.
    pub matches_server_dns_name: Option<bool>,
    /// SHA-1 thumbprint, upper-case hex without separators: the form Windows
    /// shows and stores in `SSLCertificateSHA1Hash`.
    pub sha1_thumbprint: String,
    /// SHA-256 fingerprint, upper-case hex.
    pub sha256_fingerprint: String,
}

/// CredSSP ([MS-CSSP]) without credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredSspEvidence {
    /// The TSRequest version the server answered with (2–6).
    pub server_version: Option<u32>,
    /// The version rdpdoctor sent.
    pub client_version: u32,
    /// `errorCode` in the server's TSRequest, when present (an NTSTATUS / HRESULT).
    pub error_code: Option<u32>,
    /// The server's TSRequest carried an NTLM CHALLENGE.
    pub ntlm_challenge: bool,
    /// Why the exchange stopped, when it failed.
    pub error: Option<String>,
}

/// Facts from the server's NTLM CHALLENGE message ([MS-NLMP 2.2.1.2]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct NtlmFacts {
    /// TargetName.
    pub target_name: Option<String>,
    /// MsvAvNbComputerName.
    pub netbios_computer_name: Option<String>,
    /// MsvAvNbDomainName.
    pub netbios_domain_name: Option<String>,
    /// MsvAvDnsComputerName.
    pub dns_computer_name: Option<String>,
    /// MsvAvDnsDomainName.
    pub dns_domain_name: Option<String>,
    /// MsvAvDnsTreeName.
    pub dns_tree_name: Option<String>,
    /// major.minor.build from the VERSION field.
    pub os_version: Option<String>,
    /// The Windows release the version would be, *if* the server is Windows
    /// (winpr-based servers always report 6.1.7601: see `server` in the
    /// judgement before believing it).
    pub windows_release: Option<String>,
    /// MsvAvTimestamp as RFC 3339 UTC.
    pub server_time: Option<String>,
    /// Server clock minus local clock, in seconds (positive: server ahead).
    pub clock_skew_seconds: Option<i64>,
}

/// Standard RDP Security ([MS-RDPBCGR 5.3]): one MCS Connect Initial per offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RdpSecurityOffer {
    /// The encryption methods offered, e.g. `["128-bit"]`.
    pub offered: Vec<EncryptionMethod>,
    /// The offered bits, raw.
    pub offered_bits: u32,
    /// The server's choice, or why there was none.
    pub outcome: RdpSecurityOutcome,
}

/// The server's answer to one Standard RDP Security offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum RdpSecurityOutcome {
    /// An MCS Connect Response with server security data.
    Accepted {
        /// The chosen encryption method.
        encryption_method: EncryptionMethod,
        /// The encryption level.
        encryption_level: EncryptionLevel,
    },
    /// The server refused (MCS result, disconnect or close).
    Refused {
        /// What happened.
        detail: String,
    },
}

/// What Standard RDP Security looks like on this server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RdpSecurityEvidence {
    /// One row per offer.
    pub offers: Vec<RdpSecurityOffer>,
    /// The server's encryption level.
    pub encryption_level: Option<EncryptionLevel>,
    /// TS_UD_SC_CORE version, raw.
    pub server_rdp_version: Option<u32>,
    /// TS_UD_SC_CORE version, named (e.g. `RDP 5.0+`).
    pub server_rdp_version_name: Option<String>,
    /// `proprietary` or `x509`.
    pub server_certificate: Option<String>,
    /// Size in bits of the server's RSA key, the one the client random is
    /// sent under: the proprietary certificate's, or the X.509 chain's leaf
    /// (the server's own certificate, [MS-RDPBCGR 5.3.3.2]).
    pub server_key_bits: Option<u32>,
    /// [MS-RDPBCGR 2.2.1.4.3.1] whether the server certificate was
    /// permanently issued (`dwVersion`'s `t` bit is 0) or temporarily (1).
    #[serde(default)]
    pub server_certificate_permanent: Option<bool>,
}

/// The phases of the connection sequence after the security negotiation
/// ([MS-RDPBCGR 1.3.1.1](https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/023f1e69-cfe8-4ee6-9ee0-7e759fb4e4ee)), in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeepPhase {
    /// TLS (or nothing, for Standard RDP Security) after the X.224 exchange.
    Security,
    /// MCS Connect Initial / Connect Response (basic settings exchange).
    McsConnect,
    /// MCS Erect Domain Request and Attach User Request / Confirm.
    AttachUser,
    /// MCS Channel Join Request / Confirm for the user, I/O and static channels.
    ChannelJoin,
    /// Security Exchange PDU (Standard RDP Security only).
    SecurityExchange,
    /// Client Info PDU (no credentials are sent).
    ClientInfo,
    /// Licensing (server license error / valid client, or a license request).
    Licensing,
    /// The server sent Demand Active: a client would get the logon screen.
    DemandActive,
}

/// How the deep probe ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum DeepOutcome {
    /// Demand Active arrived: a client would see the logon screen.
    LogonScreen,
    /// The server sent a Set Error Info PDU ([MS-RDPBCGR 2.2.5.1.1]) and then usually disconnected.
    ErrorInfo {
        /// The raw 32-bit errorInfo (same numbers as mstsc's "extended error code").
        code: u32,
        /// Its name, e.g. `ERRINFO_SERVER_DENIED_CONNECTION`.
        name: Option<String>,
    },
    /// The server disconnected (MCS Disconnect Provider Ultimatum, X.224 disconnect, close or reset).
    Disconnected {
        /// What happened, in one phrase.
        detail: String,
    },
    /// No answer before the deadline.
    Timeout,
    /// The probe could not go on (decode error, unsupported step).
    Failed {
        /// Why.
        detail: String,
    },
}

/// The deep probe, as far as it got.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeepEvidence {
    /// The security protocol used: `ssl` or `rdp`.
    pub via: Protocol,
    /// The last phase completed.
    pub phase_reached: DeepPhase,
    /// How it ended.
    pub outcome: DeepOutcome,
    /// The licensing result, when that phase was reached
    /// (`valid-client`, `license-request`, or the licensing error).
    pub licensing: Option<String>,
    /// The static channels the server joined.
    pub channels: Vec<String>,
    /// Wall time, in milliseconds.
    pub elapsed_ms: f64,
}

/// A stage of the probe, as named in `timings.stages_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// Name resolution.
    Dns,
    /// TCP connect samples.
    Tcp,
    /// The X.224 negotiation matrix.
    Negotiation,
    /// TLS and the version matrix.
    Tls,
    /// CredSSP without credentials.
    Credssp,
    /// Standard RDP Security offers.
    RdpSecurity,
    /// The deep probe to the logon screen.
    Deep,
}

/// Wall time of the probe and of each stage, in milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Timings {
    /// The whole probe.
    pub total_ms: f64,
    /// Per stage, in milliseconds.
    pub stages_ms: BTreeMap<Stage, f64>,
    /// True when the overall ceiling cut the probe short.
    pub ceiling_hit: bool,
    /// Server round trips the deep probe's answer (Demand Active, Set Error
    /// Info, or where it stopped) waited for one after another, from the
    /// start of the probe: the TCP samples, the deep probe's own, and the
    /// X.224 matrix when it had to wait for it. `None` when no deep probe ran.
    #[serde(default)]
    pub critical_path_round_trips: Option<u32>,
    /// The deep probe's own round trips: its TCP connect, X.224 exchange, and
    /// each turn of the conversation after it (TLS flights included).
    #[serde(default)]
    pub deep_round_trips: Option<u32>,
}

impl ProbeReport {
    /// An empty report for `target`, to be filled stage by stage.
    pub fn new(target: Target, tool_version: &str, started_at: String) -> Self {
        ProbeReport {
            schema_version: SCHEMA_VERSION,
            tool_version: tool_version.to_owned(),
            target,
            started_at,
            addresses: Addresses::default(),
            tcp: None,
            negotiation: None,
            tls: None,
            certificate: None,
            credssp: None,
            ntlm: None,
            rdp_security: None,
            deep: None,
            logon: None,
            timings: Timings::default(),
            limits: Limits::default(),
            not_checked: Vec::new(),
            attempts: 1,
        }
    }

    /// True when the host answered TCP (a connect completed) and then a
    /// later step got no answer within its step timeout, or when the probe's
    /// ceiling cut it short: a result that says as much about the prober's
    /// deadlines (and its load) as about the server, worth one more look.
    /// A host silent at TCP (filtered, down) is not one: nothing answered.
    ///
    /// The probe records most step timeouts as types (an X.224 request
    /// [`NegotiationOutcome::Silent`], a connect `timeout`, a TLS handshake
    /// [`HandshakeFailure::NoAnswer`], [`DeepOutcome::Timeout`],
    /// [`LogonOutcome::NoAnswer`]); CredSSP, the TLS version matrix and the
    /// Standard RDP Security offers only as text, read by `step_timed_out`.
    pub fn timed_out_after_answer(&self) -> bool {
        if self.timings.ceiling_hit {
            return true;
        }
        let answered = self
            .tcp
            .as_ref()
            .is_some_and(|t| t.samples.iter().any(|s| s.connected));
        if !answered {
            return false;
        }
        let timed_out = |text: &Option<String>| text.as_deref().is_some_and(step_timed_out);
        let tcp = self.tcp.as_ref().is_some_and(|t| {
            t.samples
                .iter()
                .any(|s| s.error.as_deref() == Some("timeout"))
        });
        let negotiation = self.negotiation.as_ref().is_some_and(|n| {
            n.attempts.iter().any(|a| match &a.outcome {
                NegotiationOutcome::Silent => true,
                NegotiationOutcome::ConnectFailed { error } => error == "timeout",
                _ => false,
            })
        });
        let tls = self.tls.as_ref().is_some_and(|t| {
            t.failure == Some(HandshakeFailure::NoAnswer)
                || timed_out(&t.error)
                || t.versions.iter().any(|v| timed_out(&v.detail))
        });
        let credssp = self.credssp.as_ref().is_some_and(|c| timed_out(&c.error));
        let rdp_security = self.rdp_security.as_ref().is_some_and(|r| {
            r.offers.iter().any(|o| match &o.outcome {
                RdpSecurityOutcome::Refused { detail } => step_timed_out(detail),
                _ => false,
            })
        });
        let deep = self.deep.as_ref().is_some_and(|d| match &d.outcome {
            DeepOutcome::Timeout => true,
            DeepOutcome::Failed { detail } => step_timed_out(detail),
            _ => false,
        });
        let logon = self
            .logon
            .as_ref()
            .is_some_and(|l| l.outcome == LogonOutcome::NoAnswer);
        tcp || negotiation || tls || credssp || rdp_security || deep || logon
    }
}

/// True when an error text of `rdpdoctor-probe` says a step timed out: it
/// says "before the deadline" for a read or a handshake, and so does the
/// [`NegotiationOutcome`] it names where the X.224 exchange that opens a TLS
/// or CredSSP connection got no answer (its `Display`).
fn step_timed_out(text: &str) -> bool {
    text.contains("before the deadline")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_median_of_even_and_odd() {
        assert_eq!(Stats::of(&[3.0, 1.0, 2.0]).unwrap().median, 2.0);
        let s = Stats::of(&[4.0, 1.0, 3.0, 2.0]).unwrap();
        assert_eq!((s.min, s.median, s.max), (1.0, 2.5, 4.0));
        assert!(Stats::of(&[]).is_none());
    }

    fn report(connected: bool) -> ProbeReport {
        let target = Target {
            input: "h".into(),
            host: "h".into(),
            port: 3389,
            host_is_ip: false,
        };
        let mut r = ProbeReport::new(target, "0", String::new());
        r.tcp = Some(TcpEvidence {
            state: if connected {
                PortState::Open
            } else {
                PortState::Filtered
            },
            samples: vec![ConnectSample {
                connected,
                elapsed_ms: 1.0,
                error: (!connected).then(|| "timeout".to_owned()),
            }],
            rtt_ms: None,
            failures: u32::from(!connected),
            first_response: None,
            other_protocol: None,
        });
        r
    }

    fn row(outcome: NegotiationOutcome) -> NegotiationEvidence {
        NegotiationEvidence {
            attempts: vec![NegotiationAttempt {
                requested: ProtocolSet::from_bits(Some(3)),
                outcome,
                connect_ms: 1.0,
                answer_ms: 1.0,
            }],
        }
    }

    #[test]
    fn a_timeout_after_tcp_answered_is_one_and_silence_at_tcp_is_not() {
        // Silent at TCP (filtered or down): nothing answered, nothing to re-check.
        assert!(!report(false).timed_out_after_answer());
        // Answered, and every step answered.
        let mut r = report(true);
        r.negotiation = Some(row(NegotiationOutcome::NoNegotiationData));
        assert!(!r.timed_out_after_answer());
        // The X.224 request got no answer.
        r.negotiation = Some(row(NegotiationOutcome::Silent));
        assert!(r.timed_out_after_answer());
        // A later connect timed out.
        r.negotiation = Some(row(NegotiationOutcome::ConnectFailed {
            error: "timeout".into(),
        }));
        assert!(r.timed_out_after_answer());
        // A refusal is an answer.
        r.negotiation = Some(row(NegotiationOutcome::ConnectFailed {
            error: "refused".into(),
        }));
        assert!(!r.timed_out_after_answer());
        // CredSSP records its timeout as text only.
        r.credssp = Some(CredSspEvidence {
            server_version: None,
            client_version: 6,
            error_code: None,
            ntlm_challenge: false,
            error: Some("no TSRequest from the server: no answer before the deadline".into()),
        });
        assert!(r.timed_out_after_answer());
        // Its connect timed out (seen under load: the X.224 exchange that
        // opens CredSSP's connection, named as the probe names it).
        let x224 =
            |o: NegotiationOutcome| Some(format!("the X.224 exchange did not lead to TLS: {o}"));
        let failed = |e: &str| NegotiationOutcome::ConnectFailed { error: e.into() };
        r.credssp.as_mut().unwrap().error = x224(failed("timeout"));
        assert!(r.timed_out_after_answer());
        r.credssp.as_mut().unwrap().error = x224(NegotiationOutcome::Silent);
        assert!(r.timed_out_after_answer());
        r.credssp.as_mut().unwrap().error = Some("the server reset the connection".into());
        assert!(!r.timed_out_after_answer());
        r.credssp.as_mut().unwrap().error = x224(failed("refused"));
        assert!(!r.timed_out_after_answer());
        r.credssp.as_mut().unwrap().error = x224(NegotiationOutcome::Closed);
        assert!(!r.timed_out_after_answer());
        // The ceiling, whatever TCP did (the scheduler's own net leaves no TCP evidence).
        let mut r = report(false);
        r.tcp = None;
        r.timings.ceiling_hit = true;
        assert!(r.timed_out_after_answer());
    }

    #[test]
    fn attempts_is_in_the_json_only_for_a_recheck() {
        let mut r = report(true);
        let v = serde_json::to_value(&r).unwrap();
        assert!(v.get("attempts").is_none());
        r.attempts = 2;
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["attempts"], 2);
        let mut v = serde_json::to_value(&r).unwrap();
        v.as_object_mut().unwrap().remove("attempts");
        let back: ProbeReport = serde_json::from_value(v).unwrap();
        assert_eq!(back.attempts, 1, "an older report reads as one attempt");
    }
}
