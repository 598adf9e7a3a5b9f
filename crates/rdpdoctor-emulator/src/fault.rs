//! The faults the emulator can play, what each one does on the wire, and what
//! a probe should say about it.

use rdpdoctor_diagnose::FindingId;
use rdpdoctor_wire::x224::failure_code;
use rdpdoctor_wire::x224::protocol::{HYBRID, HYBRID_EX, RDP, SSL};

/// One misconfiguration of a Windows RDP host. Each listener plays exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    /// NLA offered and used by every client that asks for it; TLS and
    /// Standard RDP Security clients let in too (Security Layer "Negotiate",
    /// "Allow connections only with NLA" off).
    HealthyNla,
    /// TLS and Standard RDP Security, no NLA (like xrdp's
    /// `security_layer=negotiate`); a TLS client reaches the logon screen.
    HealthyTls,
    /// TLS only, with a certificate that expired.
    ExpiredCert,
    /// TLS only, with a certificate valid from next year.
    NotYetValidCert,
    /// TLS only, with a certificate for another host name.
    WrongNameCert,
    /// Standard RDP Security refused (SSL_REQUIRED_BY_SERVER); TLS only.
    TlsRequired,
    /// Standard RDP Security only: PROTOCOL_RDP selected whatever is asked.
    RdpSecurityOnly,
    /// NLA required: HYBRID_REQUIRED_BY_SERVER to anything without HYBRID.
    NlaRequired,
    /// NLA required, CredSSP version 2 (unpatched for CVE-2018-0886).
    CredsspV2,
    /// NLA required, server clock off by `--skew`.
    ClockSkew,
    /// TLS only; Set Error Info ERRINFO_SERVER_DENIED_CONNECTION after Client Info.
    ServerDenied,
    /// TLS only; Set Error Info ERRINFO_LICENSE_NO_LICENSE_SERVER after Client Info.
    LicensingError,
    /// Standard RDP Security only, encryption level FIPS.
    FipsRequired,
    /// TLS only, and only TLS 1.0.
    Tls10Only,
    /// TLS only, and only TLS 1.3: TLS 1.2 refused with alert 70
    /// (protocol_version), like xrdp with `ssl_protocols=TLSv1.3` or
    /// SCHANNEL with TLS 1.2 switched off on the server.
    Tls13Only,
    /// TLS configured but no certificate: SSL_CERT_NOT_ON_SERVER.
    SslCertNotOnServer,
    /// Accepts TCP, closes at once.
    AcceptThenClose,
    /// Accepts TCP, never sends a byte.
    Silent,
    /// Like `healthy-tls`, each reply delayed by `--delay`.
    Slow,
    /// NLA required; the AUTHENTICATE is answered with errorCode
    /// STATUS_PASSWORD_EXPIRED.
    PasswordExpired,
    /// … STATUS_PASSWORD_MUST_CHANGE ("User must change password at next logon").
    PasswordMustChange,
    /// … STATUS_ACCOUNT_RESTRICTION (e.g. a blank password, logon hours).
    AccountRestriction,
    /// … STATUS_ACCOUNT_LOCKED_OUT.
    AccountLockedOut,
    /// … STATUS_ACCOUNT_DISABLED.
    AccountDisabled,
    /// … STATUS_LOGON_TYPE_NOT_GRANTED (no "Allow log on through Remote Desktop Services").
    LogonTypeNotGranted,
}

/// The user name the emulator's logon faults expect; any password is
/// "right" (the emulator has no accounts: its status answers do not depend
/// on the password, as Windows' do not for a locked or disabled account).
/// `demo` sends [`DEMO_PASSWORD`] in-process, never through argv or the
/// environment.
pub const DEMO_USER: &str = "demo";
/// The throwaway password `demo` sends to the logon faults.
pub const DEMO_PASSWORD: &str = "Demo-Pass-1";

/// How a listener answers the X.224 Connection Request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    /// RDP_NEG_RSP with this selectedProtocol.
    Select(u32),
    /// RDP_NEG_FAILURE with this failureCode, then close.
    Fail(u32),
    /// A Connection Confirm without negotiation data (Standard RDP Security).
    NoNegotiationData,
}

/// The security layers a fault's host allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layer {
    /// RDP, TLS; HYBRID too when `nla`.
    Negotiate { nla: bool },
    /// TLS only (SSL_REQUIRED_BY_SERVER to the rest).
    TlsOnly,
    /// NLA required (HYBRID_REQUIRED_BY_SERVER to the rest).
    NlaOnly,
    /// Standard RDP Security only, selected whatever is asked.
    RdpOnly,
    /// TLS configured, certificate missing.
    CertMissing,
    /// No X.224 answer at all (accept-then-close, silent).
    None,
}

impl Fault {
    /// Every fault, in the order `lab serve --help` and `demo` list them.
    pub const ALL: &'static [Fault] = &[
        Fault::HealthyNla,
        Fault::HealthyTls,
        Fault::ExpiredCert,
        Fault::NotYetValidCert,
        Fault::WrongNameCert,
        Fault::TlsRequired,
        Fault::RdpSecurityOnly,
        Fault::NlaRequired,
        Fault::CredsspV2,
        Fault::ClockSkew,
        Fault::ServerDenied,
        Fault::LicensingError,
        Fault::FipsRequired,
        Fault::Tls10Only,
        Fault::Tls13Only,
        Fault::SslCertNotOnServer,
        Fault::AcceptThenClose,
        Fault::Silent,
        Fault::Slow,
        Fault::PasswordExpired,
        Fault::PasswordMustChange,
        Fault::AccountRestriction,
        Fault::AccountLockedOut,
        Fault::AccountDisabled,
        Fault::LogonTypeNotGranted,
    ];

    /// The kebab-case name used on the command line, e.g. `expired-cert`.
    pub fn name(self) -> &'static str {
        match self {
            Fault::HealthyNla => "healthy-nla",
            Fault::HealthyTls => "healthy-tls",
            Fault::ExpiredCert => "expired-cert",
            Fault::NotYetValidCert => "not-yet-valid-cert",
            Fault::WrongNameCert => "wrong-name-cert",
            Fault::TlsRequired => "tls-required",
            Fault::RdpSecurityOnly => "rdp-security-only",
            Fault::NlaRequired => "nla-required",
            Fault::CredsspV2 => "credssp-v2",
            Fault::ClockSkew => "clock-skew",
            Fault::ServerDenied => "server-denied",
            Fault::LicensingError => "licensing-error",
            Fault::FipsRequired => "fips-required",
            Fault::Tls10Only => "tls10-only",
            Fault::Tls13Only => "tls13-only",
            Fault::SslCertNotOnServer => "ssl-cert-not-on-server",
            Fault::AcceptThenClose => "accept-then-close",
            Fault::Silent => "silent",
            Fault::Slow => "slow",
            Fault::PasswordExpired => "password-expired",
            Fault::PasswordMustChange => "password-must-change",
            Fault::AccountRestriction => "account-restriction",
            Fault::AccountLockedOut => "account-locked-out",
            Fault::AccountDisabled => "account-disabled",
            Fault::LogonTypeNotGranted => "logon-type-not-granted",
        }
    }

    /// Looks a fault up by its [`name`](Self::name).
    pub fn from_name(name: &str) -> Option<Fault> {
        Fault::ALL.iter().copied().find(|f| f.name() == name)
    }

    /// One line: what the host does, as an admin would set it up.
    pub fn description(self) -> &'static str {
        match self {
            Fault::HealthyNla => {
                "NLA offered (CredSSP 6, NTLM from WIN-RDP01, Server 2022) but not enforced; TLS clients reach the logon screen"
            }
            Fault::HealthyTls => {
                "TLS and Standard RDP Security, no NLA; a TLS client reaches the logon screen (Demand Active)"
            }
            Fault::ExpiredCert => "TLS only, with a certificate that expired 30 days ago",
            Fault::NotYetValidCert => "TLS only, with a certificate valid only from next year",
            Fault::WrongNameCert => "TLS only, with a certificate for wrong-name.example",
            Fault::TlsRequired => {
                "Standard RDP Security refused with SSL_REQUIRED_BY_SERVER; TLS only, no NLA"
            }
            Fault::RdpSecurityOnly => {
                "Standard RDP Security only (level HIGH, proprietary certificate); stops after the Security Exchange PDU"
            }
            Fault::NlaRequired => {
                "NLA required: HYBRID_REQUIRED_BY_SERVER to every request without HYBRID"
            }
            Fault::CredsspV2 => {
                "NLA required, CredSSP version 2 (no CVE-2018-0886 fix), Windows Server 2008 R2"
            }
            Fault::ClockSkew => {
                "NLA required; the NTLM timestamp is off by --skew (default 1 hour)"
            }
            Fault::ServerDenied => {
                "TLS only; after Client Info, Set Error Info ERRINFO_SERVER_DENIED_CONNECTION (mstsc 0x904/0x7) and disconnect"
            }
            Fault::LicensingError => {
                "TLS only; after Client Info, Set Error Info ERRINFO_LICENSE_NO_LICENSE_SERVER (0x101) and disconnect"
            }
            Fault::FipsRequired => {
                "Standard RDP Security only, encryption level and method FIPS; stops after the Security Exchange PDU"
            }
            Fault::Tls10Only => "TLS only, and only TLS 1.0 (OpenSSL, security level 0)",
            Fault::Tls13Only => "TLS only, and only TLS 1.3 (TLS 1.2 refused with alert 70)",
            Fault::SslCertNotOnServer => {
                "TLS configured without a certificate: RDP_NEG_FAILURE SSL_CERT_NOT_ON_SERVER to TLS and NLA requests"
            }
            Fault::AcceptThenClose => "accepts the TCP connection and closes it at once",
            Fault::Silent => "accepts the TCP connection and never answers",
            Fault::Slow => "like healthy-tls, with every reply delayed by --delay (default 2.5 s)",
            Fault::PasswordExpired => {
                "NLA required; the NTLM AUTHENTICATE is answered with errorCode STATUS_PASSWORD_EXPIRED (0xC0000071)"
            }
            Fault::PasswordMustChange => {
                "NLA required; the NTLM AUTHENTICATE is answered with errorCode STATUS_PASSWORD_MUST_CHANGE (0xC0000224)"
            }
            Fault::AccountRestriction => {
                "NLA required; the NTLM AUTHENTICATE is answered with errorCode STATUS_ACCOUNT_RESTRICTION (0xC000006E)"
            }
            Fault::AccountLockedOut => {
                "NLA required; the NTLM AUTHENTICATE is answered with errorCode STATUS_ACCOUNT_LOCKED_OUT (0xC0000234)"
            }
            Fault::AccountDisabled => {
                "NLA required; the NTLM AUTHENTICATE is answered with errorCode STATUS_ACCOUNT_DISABLED (0xC0000072)"
            }
            Fault::LogonTypeNotGranted => {
                "NLA required; the NTLM AUTHENTICATE is answered with errorCode STATUS_LOGON_TYPE_NOT_GRANTED (0xC000015B)"
            }
        }
    }

    /// The findings a probe of this listener must report (with the default
    /// probe timeouts). `server-denied` and `licensing-error` are only seen
    /// by a probe that goes past TLS to Client Info (the deep probe).
    pub fn expected_findings(self) -> &'static [FindingId] {
        use FindingId as F;
        match self {
            Fault::HealthyNla => &[F::NlaOptional],
            Fault::HealthyTls => &[F::NlaNotOffered],
            Fault::Slow => &[F::NlaNotOffered, F::SlowServer],
            Fault::ExpiredCert => &[F::CertExpired],
            Fault::NotYetValidCert => &[F::CertNotYetValid],
            Fault::WrongNameCert => &[F::CertNameMismatch],
            Fault::TlsRequired => &[F::TlsRequired],
            Fault::RdpSecurityOnly => &[F::RdpSecurityOnly],
            Fault::NlaRequired => &[F::NlaRequired],
            Fault::CredsspV2 => &[F::CredsspUnpatched],
            Fault::ClockSkew => &[F::ClockSkew],
            Fault::ServerDenied => &[F::ServerDeniedConnection],
            Fault::LicensingError => &[F::LicensingError],
            Fault::FipsRequired => &[F::FipsRequired],
            Fault::Tls10Only => &[F::TlsLegacyOnly, F::ClientTlsVersionUnsupported],
            Fault::Tls13Only => &[F::Tls13Only, F::ClientTlsVersionUnsupported],
            Fault::SslCertNotOnServer => &[F::SslCertNotOnServer],
            Fault::AcceptThenClose => &[F::ConnectionClosedByServer],
            Fault::Silent => &[F::ServerSilent],
            Fault::PasswordExpired | Fault::PasswordMustChange => {
                &[F::NlaRequired, F::PasswordExpired]
            }
            Fault::AccountRestriction => &[F::NlaRequired, F::AccountRestricted],
            Fault::AccountLockedOut => &[F::NlaRequired, F::AccountLocked],
            Fault::AccountDisabled => &[F::NlaRequired, F::AccountDisabled],
            Fault::LogonTypeNotGranted => &[F::NlaRequired, F::LogonTypeNotGranted],
        }
    }

    /// The cause (a knowledge-base id) a diagnosis should rank first for
    /// this fault; `None` for the healthy hosts, where no cause of failure
    /// should be found.
    pub fn expected_cause(self) -> Option<&'static str> {
        Some(match self {
            Fault::HealthyNla | Fault::HealthyTls => return None,
            Fault::ExpiredCert => "rdp-cert-expired",
            // A certificate from the future means a wrong clock somewhere.
            Fault::NotYetValidCert => "rdp-cert-not-yet-valid",
            Fault::WrongNameCert => "cert-untrusted-or-name-mismatch",
            Fault::TlsRequired => "server-requires-tls",
            Fault::RdpSecurityOnly => "server-forces-rdp-security",
            Fault::NlaRequired => "nla-required-client-lacks",
            Fault::CredsspV2 => "credssp-encryption-oracle",
            Fault::ClockSkew => "clock-skew",
            Fault::ServerDenied => "user-not-allowed",
            Fault::LicensingError => "rds-licensing",
            Fault::FipsRequired => "fips-required",
            Fault::Tls10Only | Fault::Tls13Only => "tls-version-or-cipher-mismatch",
            Fault::SslCertNotOnServer => "ssl-cert-not-on-server",
            // Accepted, then cut before any RDP answer: what endpoint
            // protection does; a saturated listener is the runner-up.
            Fault::AcceptThenClose => "endpoint-protection-interference",
            // Accepted and never served: a listener that has run out of
            // handshake slots (MaxOutstandingConnections) looks like this.
            Fault::Silent | Fault::Slow => "too-many-pending-connections",
            Fault::PasswordExpired
            | Fault::PasswordMustChange
            | Fault::AccountRestriction
            | Fault::AccountLockedOut
            | Fault::AccountDisabled => "account-restricted",
            Fault::LogonTypeNotGranted => "user-not-allowed",
        })
    }

    /// The NTSTATUS this host answers an NTLM AUTHENTICATE with; `None`
    /// for STATUS_LOGON_FAILURE (the emulator has no accounts).
    pub fn logon_status(self) -> Option<u32> {
        Some(match self {
            Fault::PasswordExpired => 0xC000_0071,
            Fault::PasswordMustChange => 0xC000_0224,
            Fault::AccountRestriction => 0xC000_006E,
            Fault::AccountLockedOut => 0xC000_0234,
            Fault::AccountDisabled => 0xC000_0072,
            Fault::LogonTypeNotGranted => 0xC000_015B,
            _ => return None,
        })
    }

    /// Whether a probe shows this fault only with credentials (`--user`):
    /// the server's answer to the AUTHENTICATE.
    pub fn needs_credentials(self) -> bool {
        self.logon_status().is_some()
    }

    /// Whether [`expected_findings`](Self::expected_findings) needs the
    /// deep probe (Client Info and licensing).
    pub fn needs_deep_probe(self) -> bool {
        matches!(self, Fault::ServerDenied | Fault::LicensingError)
    }

    pub(crate) fn layer(self) -> Layer {
        match self {
            Fault::HealthyNla => Layer::Negotiate { nla: true },
            Fault::HealthyTls | Fault::Slow => Layer::Negotiate { nla: false },
            Fault::ExpiredCert
            | Fault::NotYetValidCert
            | Fault::WrongNameCert
            | Fault::TlsRequired
            | Fault::ServerDenied
            | Fault::LicensingError
            | Fault::Tls10Only
            | Fault::Tls13Only => Layer::TlsOnly,
            Fault::NlaRequired
            | Fault::CredsspV2
            | Fault::ClockSkew
            | Fault::PasswordExpired
            | Fault::PasswordMustChange
            | Fault::AccountRestriction
            | Fault::AccountLockedOut
            | Fault::AccountDisabled
            | Fault::LogonTypeNotGranted => Layer::NlaOnly,
            Fault::RdpSecurityOnly | Fault::FipsRequired => Layer::RdpOnly,
            Fault::SslCertNotOnServer => Layer::CertMissing,
            Fault::AcceptThenClose | Fault::Silent => Layer::None,
        }
    }

    /// [MS-RDPBCGR 3.3.5.3.1] how this host answers `requestedProtocols`
    /// (`None` = a legacy request without RDP_NEG_REQ).
    pub(crate) fn answer(self, requested: Option<u32>) -> Answer {
        // Bits a Windows host without RDSTLS/RDSAAD support ignores.
        let req = requested.map(|r| r & (SSL | HYBRID | HYBRID_EX));
        let wants_hybrid = req.is_some_and(|r| r & (HYBRID | HYBRID_EX) != 0);
        let wants_ssl = req.is_some_and(|r| r & SSL != 0);
        let hybrid_pick = || match req {
            Some(r) if r & HYBRID_EX != 0 => Answer::Select(HYBRID_EX),
            _ => Answer::Select(HYBRID),
        };
        match self.layer() {
            Layer::Negotiate { nla } => {
                if nla && wants_hybrid {
                    hybrid_pick()
                } else if wants_ssl {
                    Answer::Select(SSL)
                } else if requested.is_none() {
                    Answer::NoNegotiationData
                } else {
                    // Like xrdp: a request for HYBRID alone gets Standard RDP Security.
                    Answer::Select(RDP)
                }
            }
            Layer::TlsOnly => {
                if wants_ssl {
                    Answer::Select(SSL)
                } else {
                    Answer::Fail(failure_code::SSL_REQUIRED_BY_SERVER)
                }
            }
            Layer::NlaOnly => {
                if wants_hybrid {
                    hybrid_pick()
                } else {
                    Answer::Fail(failure_code::HYBRID_REQUIRED_BY_SERVER)
                }
            }
            Layer::RdpOnly => {
                if requested.is_none() {
                    Answer::NoNegotiationData
                } else {
                    Answer::Select(RDP)
                }
            }
            Layer::CertMissing => {
                if wants_ssl || wants_hybrid {
                    Answer::Fail(failure_code::SSL_CERT_NOT_ON_SERVER)
                } else {
                    Answer::Fail(failure_code::SSL_REQUIRED_BY_SERVER)
                }
            }
            // Never asked: these faults do not read the request.
            Layer::None => Answer::Fail(failure_code::SSL_REQUIRED_BY_SERVER),
        }
    }
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Fault {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Fault::from_name(s).ok_or_else(|| {
            let names: Vec<&str> = Fault::ALL.iter().map(|f| f.name()).collect();
            format!("unknown fault {s:?}: use one of {}", names.join(", "))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        for f in Fault::ALL {
            assert_eq!(Fault::from_name(f.name()), Some(*f));
            assert_eq!(f.name().parse::<Fault>(), Ok(*f));
            assert!(!f.description().is_empty());
            assert!(!f.expected_findings().is_empty(), "{f}");
        }
        let err = "nope".parse::<Fault>().unwrap_err();
        assert!(err.contains("healthy-tls"), "{err}");
    }

    #[test]
    fn windows_answers() {
        use failure_code::*;
        assert_eq!(
            Fault::NlaRequired.answer(Some(SSL)),
            Answer::Fail(HYBRID_REQUIRED_BY_SERVER)
        );
        assert_eq!(
            Fault::NlaRequired.answer(None),
            Answer::Fail(HYBRID_REQUIRED_BY_SERVER)
        );
        assert_eq!(
            Fault::NlaRequired.answer(Some(SSL | HYBRID)),
            Answer::Select(HYBRID)
        );
        assert_eq!(
            Fault::NlaRequired.answer(Some(SSL | HYBRID | HYBRID_EX)),
            Answer::Select(HYBRID_EX)
        );
        assert_eq!(
            Fault::TlsRequired.answer(Some(RDP)),
            Answer::Fail(SSL_REQUIRED_BY_SERVER)
        );
        assert_eq!(
            Fault::TlsRequired.answer(Some(SSL | HYBRID)),
            Answer::Select(SSL)
        );
        assert_eq!(Fault::HealthyNla.answer(Some(SSL)), Answer::Select(SSL));
        assert_eq!(
            Fault::HealthyNla.answer(Some(HYBRID)),
            Answer::Select(HYBRID)
        );
        assert_eq!(Fault::HealthyTls.answer(Some(RDP)), Answer::Select(RDP));
        assert_eq!(Fault::HealthyTls.answer(None), Answer::NoNegotiationData);
        assert_eq!(
            Fault::RdpSecurityOnly.answer(Some(SSL)),
            Answer::Select(RDP)
        );
        assert_eq!(
            Fault::SslCertNotOnServer.answer(Some(SSL)),
            Answer::Fail(SSL_CERT_NOT_ON_SERVER)
        );
    }
}
