//! Findings: judgements on the evidence, each with a stable id.
//!
//! A finding says one thing a user would act on ("the certificate expired
//! 41 days ago") and carries the evidence it rests on. Finding ids are a
//! public interface: users grep and alert on them, so an id is never renamed
//! or reused for another meaning (append new ids at the end).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

pub use crate::section::Section;

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
    // Host evidence (`rdpdoctor inspect`, `probe --host-evidence`): what the
    // Windows machine's registry, certificate store and event logs say.
    /// `fDenyTSConnections` = 1: Remote Desktop is switched off.
    RdpDisabled = "rdp-disabled",
    /// TermService (Remote Desktop Services) is disabled.
    RdpServiceDisabled = "rdp-service-disabled",
    /// The listener is configured for another port than the one clients use.
    ListenerPortDiffers = "listener-port-differs",
    /// The firewall is on for the profile of a network this machine is on,
    /// and no active rule lets RDP in on that profile.
    FirewallBlocksRdp = "firewall-blocks-rdp",
    /// A firewall profile that is on has no active rule letting RDP in (no
    /// network of that profile is known to be in use).
    FirewallRuleInactive = "firewall-rule-inactive",
    /// `SecurityLayer` = 0: the server forces Standard RDP Security.
    HostSecurityLayerRdp = "host-security-layer-rdp",
    /// `UserAuthentication` = 0: Network Level Authentication is off.
    HostNlaOff = "host-nla-off",
    /// FIPS is required (`MinEncryptionLevel` = 4 or `FIPSAlgorithmPolicy`).
    HostFipsRequired = "host-fips-required",
    /// `MaxOutstandingConnections` is low enough for scans to fill it.
    MaxOutstandingLow = "max-outstanding-low",
    /// W32Time does not synchronise the clock.
    TimeSyncOff = "time-sync-off",
    /// The certificate `SSLCertificateSHA1Hash` names is in no store read.
    ConfiguredCertMissing = "configured-cert-missing",
    /// The listener's certificate in the store has expired.
    StoredCertExpired = "stored-cert-expired",
    /// The certificate served on the wire is not the one configured.
    ServedCertNotConfigured = "served-cert-not-configured",
    /// The RDP self-signed certificate's key file is missing or empty.
    MachineKeysKeyMissing = "machinekeys-key-missing",
    /// SCHANNEL has TLS 1.2 switched off.
    SchannelTls12Disabled = "schannel-tls12-disabled",
    /// SCHANNEL has TLS 1.0 switched off (clients that speak only TLS 1.0 fail).
    SchannelTls10Disabled = "schannel-tls10-disabled",
    /// CredSSP `AllowEncryptionOracle` = 0 (Force Updated Clients).
    CredsspOracleForceUpdated = "credssp-oracle-force-updated",
    /// CredSSP `AllowEncryptionOracle` = 2 (Vulnerable).
    CredsspOracleVulnerable = "credssp-oracle-vulnerable",
    /// Events: the TLS server credential's private key could not be used
    /// (Schannel 36870, TermService 1057).
    EventCertPrivateKey = "event-cert-private-key",
    /// Events: the expired self-signed certificate could not be replaced (1058).
    EventCertRenewalFailed = "event-cert-renewal-failed",
    /// Events: the certificate configuration was invalid and was reset (1059).
    EventCertConfigReset = "event-cert-config-reset",
    /// Events: TLS handshakes failed on protocol or cipher (Schannel 36871/36874/36888).
    EventTlsMismatch = "event-tls-mismatch",
    /// Events: a user was denied Remote Desktop logon rights (4825, or 4625
    /// with 0xC000015B).
    EventNotAllowedRdp = "event-not-allowed-rdp",
    /// Events: logons failed on user name or password (4625, RdpCoreTS 140).
    EventBadCredentials = "event-bad-credentials",
    /// Events: logons failed on the account (locked, disabled, expired, restricted).
    EventAccountProblem = "event-account-problem",
    /// Events: logons failed because the password expired or must change.
    EventPasswordExpired = "event-password-expired",
    /// Events: the client logged disconnects with a reason (RDPClient 1026).
    EventClientDisconnect = "event-client-disconnect",
    /// Events: the server's security layer dropped clients (RdpCoreTS 139).
    EventSecurityLayerError = "event-security-layer-error",
    /// The host evidence disagrees with what the probe saw: another machine,
    /// or a state that has changed since.
    HostWireDisagree = "host-wire-disagree",
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
    /// Both ends (`--client-evidence`): this client refuses this server, or
    /// the server this client, over the CVE-2018-0886 CredSSP update.
    CredsspPairBlocked = "credssp-pair-blocked",
    /// Both ends: the pair connects only because one side accepts peers
    /// without the CredSSP update (AllowEncryptionOracle = 2, CVE-2018-0886).
    CredsspPairExposed = "credssp-pair-exposed",
    /// Both ends: both sides have the CredSSP update; every policy value works.
    CredsspPairAllowed = "credssp-pair-allowed",
    /// `--realm`: the KDC answered over TCP and UDP ([RFC 4120 7.2]).
    KerberosKdcReachable = "kerberos-kdc-reachable",
    /// `--realm`: the KDC answered on neither TCP nor UDP: Kerberos fails
    /// (SEC_E_NO_AUTHENTICATING_AUTHORITY) and Windows falls back to NTLM.
    KerberosKdcUnreachable = "kerberos-kdc-unreachable",
    /// `--realm`: the KDC answered on one transport only.
    KerberosKdcPartlyReachable = "kerberos-kdc-partly-reachable",
    /// `--realm`: the domain controller's clock is more than 5 minutes from
    /// this machine's ([RFC 4120 5.9.1] stime; KRB_AP_ERR_SKEW, SEC_E_TIME_SKEW).
    KerberosDcClockSkew = "kerberos-dc-clock-skew",
    /// `--realm`: the domain controller's clock agrees with this machine's.
    KerberosDcClockInSync = "kerberos-dc-clock-in-sync",
    /// The target is an IP address: no SPN names it, so mstsc authenticates
    /// NLA with NTLM, not Kerberos.
    KerberosTargetIsAddress = "kerberos-target-is-address",
    /// `--realm --user`: the KDC does not know the user (KDC_ERR_C_PRINCIPAL_UNKNOWN, 6).
    KerberosUserUnknown = "kerberos-user-unknown",
    /// `--realm --user`: the account may not get tickets: disabled or locked
    /// (KDC_ERR_CLIENT_REVOKED, 18).
    KerberosUserRevoked = "kerberos-user-revoked",
    /// `--realm --user`: the account's password expired (KDC_ERR_KEY_EXPIRED, 23).
    KerberosPasswordExpired = "kerberos-password-expired",
    /// `--realm`: the realm is not the KDC's (KDC_ERR_WRONG_REALM, 68).
    KerberosWrongRealm = "kerberos-wrong-realm",
    /// `--realm --user`: no `TERMSRV/target` SPN (KDC_ERR_S_PRINCIPAL_UNKNOWN, 7):
    /// mstsc falls back to NTLM or fails with SEC_E_TARGET_UNKNOWN.
    KerberosSpnMissing = "kerberos-spn-missing",
    /// `--realm`: the KDC refused with another error, or answered what is
    /// not a Kerberos message.
    KerberosKdcError = "kerberos-kdc-error",
    /// Events: Kerberos refused tickets for clock skew (Security 4768/4769/4771
    /// or System Kerberos 3 with KRB_AP_ERR_SKEW, 0x25).
    EventKerberosClockSkew = "event-kerberos-clock-skew",
    /// Events: the KDC refused the account (0x6 unknown, 0x12 disabled or
    /// locked, 0x17 password expired).
    EventKerberosAccount = "event-kerberos-account",
    /// Events: Kerberos pre-authentication failed: a wrong password (0x18).
    EventKerberosBadPassword = "event-kerberos-bad-password",
    /// Events: a service ticket was refused for an unknown SPN (4769 with 0x7).
    EventKerberosSpnUnknown = "event-kerberos-spn-unknown",
    /// Events: KRB_AP_ERR_MODIFIED (System Kerberos 4, or 0x29): a ticket the
    /// service could not decrypt (duplicate SPN, stale machine password).
    EventKerberosModified = "event-kerberos-modified",
    /// Events: NETLOGON 3210 / 5719: the secure channel to the domain failed.
    EventSecureChannel = "event-secure-channel",
    /// The `.rdp` file turns CredSSP off (`enablecredsspsupport:i:0`): its
    /// client offers no NLA.
    RdpFileNlaOff = "rdp-file-nla-off",
    /// The `.rdp` file turns the security negotiation off (`negotiate
    /// security layer:i:0`): its client uses Standard RDP Security only.
    RdpFileNegotiationOff = "rdp-file-negotiation-off",
    /// The `.rdp` file sends the connection through an RD Gateway, which
    /// this run did not probe.
    RdpFileGatewayNotProbed = "rdp-file-gateway-not-probed",
    /// Events: the RD Gateway refused users on its connection policy (CAP),
    /// health policy or authentication method (201, 204, 305).
    EventGatewayCapDenied = "event-gateway-cap-denied",
    /// Events: the RD Gateway refused users a resource by its resource
    /// policy (RAP, 301).
    EventGatewayRapDenied = "event-gateway-rap-denied",
    /// Events: the RD Gateway could not reach the resource (304).
    EventGatewayTargetUnreachable = "event-gateway-target-unreachable",
    /// Events: the RD Gateway was at its connection limit (203).
    EventGatewayConnectionLimit = "event-gateway-connection-limit",
    /// Events: the RD Gateway could not create the tunnel (306).
    EventGatewayTunnelFailed = "event-gateway-tunnel-failed",
    /// A user's mstsc reaches RD Gateways over RPC over HTTP only
    /// (`RDGClientTransport = 1` in HKCU\Software\Microsoft\Terminal Server Client).
    ClientRdgRpcTransport = "client-rdg-rpc-transport",
    /// Capture: the client's SYNs got no SYN+ACK.
    CaptureSynUnanswered = "capture-syn-unanswered",
    /// Capture: an ICMP error came back about the connection.
    CaptureIcmpError = "capture-icmp-error",
    /// Capture: the server reset the connection before its Connection Confirm.
    CaptureResetBeforeConfirm = "capture-reset-before-confirm",
    /// Capture: the server answered RDP_NEG_FAILURE HYBRID_REQUIRED_BY_SERVER.
    CaptureNlaRequired = "capture-nla-required",
    /// Capture: the server answered RDP_NEG_FAILURE SSL_REQUIRED_BY_SERVER.
    CaptureSslRequired = "capture-ssl-required",
    /// Capture: the server answered SSL_NOT_ALLOWED_BY_SERVER (Standard RDP
    /// Security only) or another RDP_NEG_FAILURE.
    CaptureNegotiationRefused = "capture-negotiation-refused",
    /// Capture: the connection was reset right after the client's ClientHello.
    CaptureResetAfterClientHello = "capture-reset-after-client-hello",
    /// Capture: a TLS alert ended the handshake with no version in common.
    CaptureTlsVersionMismatch = "capture-tls-version-mismatch",
    /// Capture: another fatal TLS alert ended the handshake.
    CaptureTlsAlert = "capture-tls-alert",
    /// Capture: the server closed an NLA connection right after the CredSSP exchange.
    CaptureClosedAfterCredssp = "capture-closed-after-credssp",
    /// Capture: many segments were retransmitted.
    CaptureRetransmissions = "capture-retransmissions",
    /// Capture: the client's RDP-UDP SYNs got no SYN+ACK.
    CaptureUdpUnanswered = "capture-udp-unanswered",
    /// Capture: the server chose legacy TLS (1.0/1.1) and the client refused it.
    CaptureServerTlsLegacy = "capture-server-tls-legacy",
    /// `--gateway`: the gateway's name does not resolve, or TCP to it fails.
    GatewayUnreachable = "gateway-unreachable",
    /// `--gateway`: the gateway accepted the connection, then gave no answer in time.
    GatewayNoAnswer = "gateway-no-answer",
    /// `--gateway`: the TLS handshake with the gateway failed.
    GatewayTlsFailed = "gateway-tls-failed",
    /// `--gateway`: the gateway's certificate has expired (or is not valid yet).
    GatewayCertExpired = "gateway-cert-expired",
    /// `--gateway`: the gateway's certificate does not name the gateway.
    GatewayCertNameMismatch = "gateway-cert-name-mismatch",
    /// `--gateway`: the gateway's certificate is self-signed.
    GatewayCertSelfSigned = "gateway-cert-self-signed",
    /// `--gateway`: no HTTP transport (404/403/410 to RDG_OUT_DATA): RPC over HTTP only.
    GatewayHttpTransportAbsent = "gateway-http-transport-absent",
    /// `--gateway`: the gateway refuses the WebSocket transport (legacy HTTP only).
    GatewayWebsocketRefused = "gateway-websocket-refused",
    /// `--gateway`: the gateway refuses the user's credentials.
    GatewayAuthRefused = "gateway-auth-refused",
    /// `--gateway`: the connection authorization policy (CAP) denies the user (E_PROXY_NAP_ACCESSDENIED).
    GatewayCapDenied = "gateway-cap-denied",
    /// `--gateway`: the resource authorization policy (RAP) denies the target (E_PROXY_RAP_ACCESSDENIED).
    GatewayRapDenied = "gateway-rap-denied",
    /// `--gateway`: the gateway cannot connect to the target (E_PROXY_TS_CONNECTFAILED).
    GatewayTargetUnreachable = "gateway-target-unreachable",
    /// `--gateway`: the gateway reached its connection limit (E_PROXY_MAXCONNECTIONSREACHED).
    GatewayMaxConnections = "gateway-max-connections",
    /// `--gateway`: the gateway refused with another status.
    GatewayRefused = "gateway-refused",
    /// `--gateway`: the gateway opened a channel to the target.
    GatewayChannelOpened = "gateway-channel-opened",
    /// `--gateway`: the gateway opened a channel, and no RDP answer came
    /// back through it (silent, closed, or not RDP).
    GatewayTargetNoRdp = "gateway-target-no-rdp",
}

impl FindingId {
    /// True for a finding read from the host's state, not measured on the wire.
    pub fn is_host(self) -> bool {
        self.section().is_host()
    }

    /// The server refused the credentials of `--user` (every client fails
    /// with them, whatever the security layer).
    pub fn is_logon_refusal(self) -> bool {
        self.section() == Section::Logon
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
