//! TLS: the modern handshake, each TLS version tried, and why a handshake
//! failed (the served certificate's facts are in `certificate`).

use crate::Protocol;
use serde::{Deserialize, Serialize};

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
    /// How the handshake failed, typed, when it was refused or not tested
    /// for want of an answer (`timeout`, `alert`, `closed`, …); absent when
    /// it completed, when the cause is on our side, or in an older report
    /// ([`crate::StepFailure`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_kind: Option<crate::StepFailure>,
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
    /// How the modern client's attempt failed, typed, including before the
    /// handshake (the X.224 exchange that should lead to TLS, where
    /// `failure` is `None`); for a handshake failure it is `failure`'s kind.
    /// Absent when it succeeded, or in an older report ([`crate::StepFailure`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_kind: Option<crate::StepFailure>,
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
