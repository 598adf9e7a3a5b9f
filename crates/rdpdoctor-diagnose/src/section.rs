//! A section of a report: each probe stage, and each part of the host's
//! state, and which section each finding belongs to.

use crate::finding::FindingId;
use serde::Serialize;

/// A section of a report: each probe stage, and each part of the host's
/// state. Findings name theirs ([`FindingId::section`]); renderers lay
/// sections out by this type, never by their titles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Section {
    /// Name resolution.
    Dns,
    /// TCP connect.
    Tcp,
    /// The X.224 security negotiation ([MS-RDPBCGR 2.2.1.1–2.2.1.2]).
    Negotiation,
    /// TLS.
    Tls,
    /// The server's certificate.
    Certificate,
    /// CredSSP without credentials ([MS-CSSP]).
    Credssp,
    /// Standard RDP Security ([MS-RDPBCGR 5.3]).
    RdpSecurity,
    /// The connection sequence to the logon screen.
    LogonScreen,
    /// The logon with `--user`.
    Logon,
    /// The host's Terminal Server settings.
    HostSettings,
    /// The host's firewall.
    HostFirewall,
    /// The host's certificate store and MachineKeys.
    HostCertificate,
    /// The host's crypto and time policy.
    HostPolicy,
    /// The host's event logs.
    HostEvents,
    /// The user's client and the server, paired (`--client-evidence`).
    BothEnds,
    /// The domain's Kerberos: the KDC, its clock, the SPN (`probe --realm`).
    Kerberos,
    /// The client's connection file (`.rdp`).
    ClientFile,
    /// The user's own connection, from a packet capture.
    Capture,
    /// The RD Gateway on the way to the target ([MS-TSGU]).
    Gateway,
}

impl Section {
    /// The title text reports use.
    pub fn title(self) -> &'static str {
        match self {
            Section::Dns => "DNS",
            Section::Tcp => "TCP",
            Section::Negotiation => "Negotiation",
            Section::Tls => "TLS",
            Section::Certificate => "Certificate",
            Section::Credssp => "CredSSP",
            Section::RdpSecurity => "RDP security",
            Section::LogonScreen => "Logon screen",
            Section::Logon => "Logon",
            Section::HostSettings => "Host settings",
            Section::HostFirewall => "Host firewall",
            Section::HostCertificate => "Host certificate",
            Section::HostPolicy => "Host policy",
            Section::HostEvents => "Host events",
            Section::BothEnds => "Both ends",
            Section::Kerberos => "Kerberos",
            Section::ClientFile => "Client file",
            Section::Capture => "Capture",
            Section::Gateway => "RD Gateway",
        }
    }

    /// True for the parts of the host's state (read by `inspect`), false
    /// for what the probe measured on the wire.
    pub fn is_host(self) -> bool {
        matches!(
            self,
            Section::HostSettings
                | Section::HostFirewall
                | Section::HostCertificate
                | Section::HostPolicy
                | Section::HostEvents
        )
    }
}

impl FindingId {
    /// The section of a report a finding belongs to: a probe stage, or a
    /// part of the host's state.
    pub fn section(self) -> Section {
        use FindingId::*;
        match self {
            DnsFailure => Section::Dns,
            PortClosed
            | PortFiltered
            | HostUnreachable
            | ConnectionClosedByServer
            | ServerSilent
            | NotRdp
            | UnstableNetwork
            | SlowServer => Section::Tcp,
            TlsRequired | RdpSecurityOnly | NlaRequired | NlaNotOffered | NlaOptional
            | SslCertNotOnServer => Section::Negotiation,
            TlsHandshakeFailed | TlsLegacyOnly | TlsLegacyEnabled | Tls13Only => Section::Tls,
            CertExpired | CertNotYetValid | CertExpiresSoon | CertNameMismatch | CertSelfSigned
            | CertWeakSignature | CertWeakKey => Section::Certificate,
            CredsspUnpatched | ClockSkew => Section::Credssp,
            RdpEncryptionWeak | FipsRequired => Section::RdpSecurity,
            ServerDeniedConnection | LicensingError | ServerErrorInfo => Section::LogonScreen,
            NoProtocolAccepted | RdpProtocolViolation => Section::Negotiation,
            ClockInSync => Section::Credssp,
            ClientTlsVersionUnsupported => Section::Tls,
            SecurityExchangeFailed => Section::Negotiation,
            ConnectionSequenceFailed => Section::LogonScreen,
            RdpDisabled | RdpServiceDisabled | ListenerPortDiffers | HostSecurityLayerRdp
            | HostNlaOff | HostFipsRequired | MaxOutstandingLow => Section::HostSettings,
            FirewallBlocksRdp | FirewallRuleInactive => Section::HostFirewall,
            ConfiguredCertMissing
            | StoredCertExpired
            | ServedCertNotConfigured
            | MachineKeysKeyMissing => Section::HostCertificate,
            SchannelTls12Disabled
            | SchannelTls10Disabled
            | CredsspOracleForceUpdated
            | CredsspOracleVulnerable
            | TimeSyncOff => Section::HostPolicy,
            EventCertPrivateKey
            | EventCertRenewalFailed
            | EventCertConfigReset
            | EventTlsMismatch
            | EventNotAllowedRdp
            | EventBadCredentials
            | EventAccountProblem
            | EventPasswordExpired
            | EventClientDisconnect
            | EventSecurityLayerError => Section::HostEvents,
            HostWireDisagree => Section::HostSettings,
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
            | LogonNotChecked => Section::Logon,
            CredsspPairBlocked | CredsspPairExposed | CredsspPairAllowed => Section::BothEnds,
            KerberosKdcReachable
            | KerberosKdcUnreachable
            | KerberosKdcPartlyReachable
            | KerberosDcClockSkew
            | KerberosDcClockInSync
            | KerberosTargetIsAddress
            | KerberosUserUnknown
            | KerberosUserRevoked
            | KerberosPasswordExpired
            | KerberosWrongRealm
            | KerberosSpnMissing
            | KerberosKdcError => Section::Kerberos,
            EventKerberosClockSkew
            | EventKerberosAccount
            | EventKerberosBadPassword
            | EventKerberosSpnUnknown
            | EventKerberosModified
            | EventSecureChannel => Section::HostEvents,
            RdpFileNlaOff | RdpFileNegotiationOff | RdpFileGatewayNotProbed => Section::ClientFile,
            EventGatewayCapDenied
            | EventGatewayRapDenied
            | EventGatewayTargetUnreachable
            | EventGatewayConnectionLimit
            | EventGatewayTunnelFailed => Section::HostEvents,
            ClientRdgRpcTransport => Section::HostSettings,
            CaptureSynUnanswered
            | CaptureIcmpError
            | CaptureResetBeforeConfirm
            | CaptureNlaRequired
            | CaptureSslRequired
            | CaptureNegotiationRefused
            | CaptureResetAfterClientHello
            | CaptureTlsVersionMismatch
            | CaptureTlsAlert
            | CaptureClosedAfterCredssp
            | CaptureRetransmissions
            | CaptureUdpUnanswered
            | CaptureServerTlsLegacy => Section::Capture,
            GatewayUnreachable
            | GatewayNoAnswer
            | GatewayTlsFailed
            | GatewayCertExpired
            | GatewayCertNameMismatch
            | GatewayCertSelfSigned
            | GatewayHttpTransportAbsent
            | GatewayWebsocketRefused
            | GatewayAuthRefused
            | GatewayCapDenied
            | GatewayRapDenied
            | GatewayTargetUnreachable
            | GatewayMaxConnections
            | GatewayRefused
            | GatewayChannelOpened
            | GatewayTargetNoRdp => Section::Gateway,
        }
    }

    /// The section's title, as text reports name it (`TLS`, `Host settings`).
    pub fn stage(self) -> &'static str {
        self.section().title()
    }
}
