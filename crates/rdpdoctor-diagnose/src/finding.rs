//! Findings: judgements on the evidence, each with a stable id.
//!
//! A finding says one thing a user would act on ("the certificate expired
//! 41 days ago") and carries the evidence it rests on. Finding ids are a
//! public interface: users grep and alert on them, so an id is never renamed
//! or reused for another meaning (append new ids at the end).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// How bad a finding is. Ordered: `Info < Warn < Fail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Worth knowing; not a problem by itself.
    Info,
    /// Some clients fail, or security is weaker than it should be.
    Warn,
    /// Connections fail (for most clients) because of this.
    Fail,
}

impl Severity {
    /// `info`, `warn` or `fail`.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warn => "warn",
            Severity::Fail => "fail",
        }
    }
}

macro_rules! finding_ids {
    ($($(#[$doc:meta])* $variant:ident = $name:literal,)*) => {
        /// The stable id of a finding (serialised as its kebab-case name).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum FindingId {
            $($(#[$doc])* #[serde(rename = $name)] $variant,)*
        }

        impl FindingId {
            /// Every finding id, in declaration order.
            pub const ALL: &'static [FindingId] = &[$(FindingId::$variant,)*];

            /// The kebab-case id, e.g. `cert-expired`.
            pub fn name(self) -> &'static str {
                match self { $(FindingId::$variant => $name,)* }
            }

            /// Looks an id up by its kebab-case name.
            pub fn from_name(name: &str) -> Option<FindingId> {
                match name { $($name => Some(FindingId::$variant),)* _ => None }
            }
        }
    };
}

finding_ids! {
    /// The name did not resolve.
    DnsFailure = "dns-failure",
    /// The port refused the connection (RST).
    PortClosed = "port-closed",
    /// Nothing answered the connection attempt before the deadline.
    PortFiltered = "port-filtered",
    /// An ICMP error came back: host or network unreachable, or administratively prohibited.
    HostUnreachable = "host-unreachable",
    /// The server accepted TCP, then closed without an RDP answer.
    ConnectionClosedByServer = "connection-closed-by-server",
    /// The server accepted TCP, then never answered.
    ServerSilent = "server-silent",
    /// Something other than an RDP server answers on the port.
    NotRdp = "not-rdp",
    /// The server refuses Standard RDP Security: it requires TLS or CredSSP.
    TlsRequired = "tls-required",
    /// The server only speaks Standard RDP Security: no TLS, no NLA.
    RdpSecurityOnly = "rdp-security-only",
    /// The server requires Network Level Authentication (CredSSP).
    NlaRequired = "nla-required",
    /// The server never selects CredSSP.
    NlaNotOffered = "nla-not-offered",
    /// The server offers NLA but lets clients in without it.
    NlaOptional = "nla-optional",
    /// RDP_NEG_FAILURE SSL_CERT_NOT_ON_SERVER: the server has no usable certificate.
    SslCertNotOnServer = "ssl-cert-not-on-server",
    /// The modern-client TLS handshake failed although the server selected TLS.
    TlsHandshakeFailed = "tls-handshake-failed",
    /// The certificate has expired.
    CertExpired = "cert-expired",
    /// The certificate is not valid yet.
    CertNotYetValid = "cert-not-yet-valid",
    /// The certificate expires within 30 days.
    CertExpiresSoon = "cert-expires-soon",
    /// The certificate does not name the host the user typed.
    CertNameMismatch = "cert-name-mismatch",
    /// The certificate is self-signed.
    CertSelfSigned = "cert-self-signed",
    /// The certificate is signed with MD5 or SHA-1.
    CertWeakSignature = "cert-weak-signature",
    /// The certificate's key is too small (RSA under 2048 bits).
    CertWeakKey = "cert-weak-key",
    /// The server only accepts TLS 1.0 or 1.1.
    TlsLegacyOnly = "tls-legacy-only",
    /// The server still accepts TLS 1.0 or 1.1 beside newer versions.
    TlsLegacyEnabled = "tls-legacy-enabled",
    /// The server accepts only TLS 1.3, which Windows 10 / Server 2019 and older cannot speak.
    Tls13Only = "tls13-only",
    /// The server's CredSSP version predates the CVE-2018-0886 fix.
    CredsspUnpatched = "credssp-unpatched",
    /// The server's clock differs from ours by more than 5 minutes.
    ClockSkew = "clock-skew",
    /// Standard RDP Security with 40/56-bit or no encryption is accepted.
    RdpEncryptionWeak = "rdp-encryption-weak",
    /// The server requires FIPS encryption for Standard RDP Security.
    FipsRequired = "fips-required",
    /// Connection attempts fail or stall intermittently.
    UnstableNetwork = "unstable-network",
    /// TCP connects fast but the RDP service takes long to answer.
    SlowServer = "slow-server",
    /// The server sent ERRINFO_SERVER_DENIED_CONNECTION (mstsc 0x904 / extended 0x7).
    ServerDeniedConnection = "server-denied-connection",
    /// The server sent a licensing ERRINFO (0x100–0x10A) or licensing failed.
    LicensingError = "licensing-error",
    /// The server ended the connection sequence with another ERRINFO code.
    ServerErrorInfo = "server-error-info",
    /// The server refused every security protocol, NLA included.
    NoProtocolAccepted = "no-protocol-accepted",
    /// The server's answers break the specification (undefined codes or
    /// protocols): no client can rely on them.
    RdpProtocolViolation = "rdp-protocol-violation",
    /// The server's clock (from NTLM) agrees with ours within 5 minutes.
    ClockInSync = "clock-in-sync",
    /// A client you connect with offers no TLS version the server accepts.
    ClientTlsVersionUnsupported = "client-tls-version-unsupported",
    /// The server selects a protocol, but the security exchange after it
    /// (MCS with Standard RDP Security, CredSSP) fails for every mode.
    SecurityExchangeFailed = "security-exchange-failed",
    /// The server stops the connection sequence before the logon screen
    /// without saying why (no Set Error Info): silence, garbage or a disconnect.
    ConnectionSequenceFailed = "connection-sequence-failed",
    /// `--user`: the server accepted the user name and password.
    LogonSucceeded = "logon-succeeded",
    /// `--user`: wrong user name or password (STATUS_LOGON_FAILURE and kin).
    BadCredentials = "bad-credentials",
    /// `--user`: the server closed the connection right after the NTLM
    /// AUTHENTICATE, with no status (FreeRDP-based servers on a bad password).
    LogonRefusedWithoutStatus = "logon-refused-without-status",
    /// `--user`: the password expired or must be changed at the next logon.
    PasswordExpired = "password-expired",
    /// `--user`: the account is locked out.
    AccountLocked = "account-locked",
    /// `--user`: the account is disabled.
    AccountDisabled = "account-disabled",
    /// `--user`: the account expired.
    AccountExpired = "account-expired",
    /// `--user`: an account restriction (logon hours, workstations, blank password).
    AccountRestricted = "account-restricted",
    /// `--user`: the user may not log on through Remote Desktop
    /// (STATUS_LOGON_TYPE_NOT_GRANTED, or AUTHZ_ACCESS_DENIED under HYBRID_EX).
    LogonTypeNotGranted = "logon-type-not-granted",
    /// `--user`: STATUS_TIME_DIFFERENCE_AT_DC, the clocks of the server and its DC disagree.
    DcTimeSkew = "dc-time-skew",
    /// `--user`: no domain controller could check the logon, or a trust failed.
    LogonServerUnavailable = "logon-server-unavailable",
    /// `--user`: the server refused the logon with a status not classified above.
    LogonFailedOther = "logon-failed-other",
    /// `--user`: the credentials could not be checked (no path, no answer, an error).
    LogonNotChecked = "logon-not-checked",
}

impl FindingId {
    /// The probe stage a finding belongs to (as text reports name it).
    pub fn stage(self) -> &'static str {
        use FindingId::*;
        match self {
            DnsFailure => "DNS",
            PortClosed
            | PortFiltered
            | HostUnreachable
            | ConnectionClosedByServer
            | ServerSilent
            | NotRdp
            | UnstableNetwork
            | SlowServer => "TCP",
            TlsRequired | RdpSecurityOnly | NlaRequired | NlaNotOffered | NlaOptional
            | SslCertNotOnServer => "Negotiation",
            TlsHandshakeFailed | TlsLegacyOnly | TlsLegacyEnabled | Tls13Only => "TLS",
            CertExpired | CertNotYetValid | CertExpiresSoon | CertNameMismatch | CertSelfSigned
            | CertWeakSignature | CertWeakKey => "Certificate",
            CredsspUnpatched | ClockSkew => "CredSSP",
            RdpEncryptionWeak | FipsRequired => "RDP security",
            ServerDeniedConnection | LicensingError | ServerErrorInfo => "Logon screen",
            NoProtocolAccepted | RdpProtocolViolation => "Negotiation",
            ClockInSync => "CredSSP",
            ClientTlsVersionUnsupported => "TLS",
            SecurityExchangeFailed => "Negotiation",
            ConnectionSequenceFailed => "Logon screen",
            LogonSucceeded
            | BadCredentials
            | LogonRefusedWithoutStatus
            | PasswordExpired
            | AccountLocked
            | AccountDisabled
            | AccountExpired
            | AccountRestricted
            | LogonTypeNotGranted
            | DcTimeSkew
            | LogonServerUnavailable
            | LogonFailedOther
            | LogonNotChecked => "Logon",
        }
    }
}

impl FindingId {
    /// The server refused the credentials of `--user` (every client fails
    /// with them, whatever the security layer).
    pub fn is_logon_refusal(self) -> bool {
        self.stage() == "Logon"
            && !matches!(self, FindingId::LogonSucceeded | FindingId::LogonNotChecked)
    }
}

impl std::fmt::Display for FindingId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What the evidence says beyond a finding's id, where that changes which
/// cause it points at (the KB's relations can name a qualifier).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Qualifier {
    /// An ICMP error within 500 ms: a router or firewall rejecting on purpose.
    Fast,
    /// An ICMP error after 2 s or more: ARP gave up on a host that is not there.
    Slow,
    /// The TLS ClientHello got no answer: something on the path swallows it.
    NoAnswer,
    /// The TLS handshake was reset.
    Reset,
    /// The TLS handshake was closed (FIN).
    Closed,
    /// The server answered the handshake with a TLS alert.
    Alert,
}

impl Qualifier {
    /// Every qualifier.
    pub const ALL: [Qualifier; 6] = [
        Self::Fast,
        Self::Slow,
        Self::NoAnswer,
        Self::Reset,
        Self::Closed,
        Self::Alert,
    ];

    /// The kebab-case name, as in the JSON and the KB.
    pub fn name(self) -> &'static str {
        match self {
            Self::Fast => "fast",
            Self::Slow => "slow",
            Self::NoAnswer => "no-answer",
            Self::Reset => "reset",
            Self::Closed => "closed",
            Self::Alert => "alert",
        }
    }
}

/// One judgement on the evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable id.
    pub id: FindingId,
    /// How bad it is.
    pub severity: Severity,
    /// One sentence a person reads.
    pub summary: String,
    /// What the evidence says beyond the id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualifier: Option<Qualifier>,
    /// The facts it rests on (field name → value).
    pub evidence: BTreeMap<String, Value>,
}
