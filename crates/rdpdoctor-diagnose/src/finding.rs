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
    ($($(#[$doc:meta])* $variant:ident = $name:literal => $section:ident,)*) => {
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

            /// The section of a report a finding belongs to: a probe
            /// stage, a part of the host's state, or a source's own.
            pub fn section(self) -> crate::section::Section {
                match self { $(FindingId::$variant => crate::section::Section::$section,)* }
            }
        }
    };
}

finding_ids! {
    /// The name did not resolve.
    DnsFailure = "dns-failure" => Dns,
    /// The port refused the connection (RST).
    PortClosed = "port-closed" => Tcp,
    /// Nothing answered the connection attempt before the deadline.
    PortFiltered = "port-filtered" => Tcp,
    /// An ICMP error came back: host or network unreachable, or administratively prohibited.
    HostUnreachable = "host-unreachable" => Tcp,
    /// The server accepted TCP, then closed without an RDP answer.
    ConnectionClosedByServer = "connection-closed-by-server" => Tcp,
    /// The server accepted TCP, then never answered.
    ServerSilent = "server-silent" => Tcp,
    /// Something other than an RDP server answers on the port.
    NotRdp = "not-rdp" => Negotiation,
    /// The server refuses Standard RDP Security: it requires TLS or CredSSP.
    TlsRequired = "tls-required" => Negotiation,
    /// The server only speaks Standard RDP Security: no TLS, no NLA.
    RdpSecurityOnly = "rdp-security-only" => Negotiation,
    /// The server requires Network Level Authentication (CredSSP).
    NlaRequired = "nla-required" => Negotiation,
    /// The server never selects CredSSP.
    NlaNotOffered = "nla-not-offered" => Negotiation,
    /// The server offers NLA but lets clients in without it.
    NlaOptional = "nla-optional" => Negotiation,
    /// RDP_NEG_FAILURE SSL_CERT_NOT_ON_SERVER: the server has no usable certificate.
    SslCertNotOnServer = "ssl-cert-not-on-server" => Negotiation,
    /// The modern-client TLS handshake failed although the server selected TLS.
    TlsHandshakeFailed = "tls-handshake-failed" => Tls,
    /// The certificate has expired.
    CertExpired = "cert-expired" => Certificate,
    /// The certificate is not valid yet.
    CertNotYetValid = "cert-not-yet-valid" => Certificate,
    /// The certificate expires within 30 days.
    CertExpiresSoon = "cert-expires-soon" => Certificate,
    /// The certificate does not name the host the user typed.
    CertNameMismatch = "cert-name-mismatch" => Certificate,
    /// The certificate is self-signed.
    CertSelfSigned = "cert-self-signed" => Certificate,
    /// The certificate is signed with MD5 or SHA-1.
    CertWeakSignature = "cert-weak-signature" => Certificate,
    /// The certificate's key is too small (RSA under 2048 bits).
    CertWeakKey = "cert-weak-key" => Certificate,
    /// The server only accepts TLS 1.0 or 1.1.
    TlsLegacyOnly = "tls-legacy-only" => Tls,
    /// The server still accepts TLS 1.0 or 1.1 beside newer versions.
    TlsLegacyEnabled = "tls-legacy-enabled" => Tls,
    /// The server accepts only TLS 1.3, which Windows 10 / Server 2019 and older cannot speak.
    Tls13Only = "tls13-only" => Tls,
    /// The server's CredSSP version predates the CVE-2018-0886 fix.
    CredsspUnpatched = "credssp-unpatched" => Credssp,
    /// The server's clock differs from ours by more than 5 minutes.
    ClockSkew = "clock-skew" => Credssp,
    /// Standard RDP Security with 40/56-bit or no encryption is accepted.
    RdpEncryptionWeak = "rdp-encryption-weak" => RdpSecurity,
    /// The server requires FIPS encryption for Standard RDP Security.
    FipsRequired = "fips-required" => RdpSecurity,
    /// Connection attempts fail or stall intermittently.
    UnstableNetwork = "unstable-network" => Tcp,
    /// TCP connects fast but the RDP service takes long to answer.
    SlowServer = "slow-server" => Tcp,
    /// The server sent ERRINFO_SERVER_DENIED_CONNECTION (mstsc 0x904 / extended 0x7).
    ServerDeniedConnection = "server-denied-connection" => LogonScreen,
    /// The server sent a licensing ERRINFO (0x100–0x10A) or licensing failed.
    LicensingError = "licensing-error" => LogonScreen,
    /// The server ended the connection sequence with another ERRINFO code.
    ServerErrorInfo = "server-error-info" => LogonScreen,
    /// The server refused every security protocol, NLA included.
    NoProtocolAccepted = "no-protocol-accepted" => Negotiation,
    /// The server's answers break the specification (undefined codes or
    /// protocols): no client can rely on them.
    RdpProtocolViolation = "rdp-protocol-violation" => Negotiation,
    /// The server's clock (from NTLM) agrees with ours within 5 minutes.
    ClockInSync = "clock-in-sync" => Credssp,
    /// A client you connect with offers no TLS version the server accepts.
    ClientTlsVersionUnsupported = "client-tls-version-unsupported" => Tls,
    /// The server selects a protocol, but the security exchange after it
    /// (MCS with Standard RDP Security, CredSSP) fails for every mode.
    SecurityExchangeFailed = "security-exchange-failed" => Negotiation,
    /// The server stops the connection sequence before the logon screen
    /// without saying why (no Set Error Info): silence, garbage or a disconnect.
    ConnectionSequenceFailed = "connection-sequence-failed" => LogonScreen,
    // Host evidence (`rdpdoctor inspect`, `probe --host-evidence`): what the
    // Windows machine's registry, certificate store and event logs say.
    /// `fDenyTSConnections` = 1: Remote Desktop is switched off.
    RdpDisabled = "rdp-disabled" => HostSettings,
    /// TermService (Remote Desktop Services) is disabled.
    RdpServiceDisabled = "rdp-service-disabled" => HostSettings,
    /// The listener is configured for another port than the one clients use.
    ListenerPortDiffers = "listener-port-differs" => HostSettings,
    /// The firewall is on for the profile of a network this machine is on,
    /// and no active rule lets RDP in on that profile.
    FirewallBlocksRdp = "firewall-blocks-rdp" => HostFirewall,
    /// A firewall profile that is on has no active rule letting RDP in (no
    /// network of that profile is known to be in use).
    FirewallRuleInactive = "firewall-rule-inactive" => HostFirewall,
    /// `SecurityLayer` = 0: the server forces Standard RDP Security.
    HostSecurityLayerRdp = "host-security-layer-rdp" => HostSettings,
    /// `UserAuthentication` = 0: Network Level Authentication is off.
    HostNlaOff = "host-nla-off" => HostSettings,
    /// FIPS is required (`MinEncryptionLevel` = 4 or `FIPSAlgorithmPolicy`).
    HostFipsRequired = "host-fips-required" => HostSettings,
    /// `MaxOutstandingConnections` is low enough for scans to fill it.
    MaxOutstandingLow = "max-outstanding-low" => HostSettings,
    /// W32Time does not synchronise the clock.
    TimeSyncOff = "time-sync-off" => HostPolicy,
    /// The certificate `SSLCertificateSHA1Hash` names is in no store read.
    ConfiguredCertMissing = "configured-cert-missing" => HostCertificate,
    /// The listener's certificate in the store has expired.
    StoredCertExpired = "stored-cert-expired" => HostCertificate,
    /// The certificate served on the wire is not the one configured.
    ServedCertNotConfigured = "served-cert-not-configured" => HostCertificate,
    /// The RDP self-signed certificate's key file is missing or empty.
    MachineKeysKeyMissing = "machinekeys-key-missing" => HostCertificate,
    /// SCHANNEL has TLS 1.2 switched off.
    SchannelTls12Disabled = "schannel-tls12-disabled" => HostPolicy,
    /// SCHANNEL has TLS 1.0 switched off (clients that speak only TLS 1.0 fail).
    SchannelTls10Disabled = "schannel-tls10-disabled" => HostPolicy,
    /// CredSSP `AllowEncryptionOracle` = 0 (Force Updated Clients).
    CredsspOracleForceUpdated = "credssp-oracle-force-updated" => HostPolicy,
    /// CredSSP `AllowEncryptionOracle` = 2 (Vulnerable).
    CredsspOracleVulnerable = "credssp-oracle-vulnerable" => HostPolicy,
    /// Events: the TLS server credential's private key could not be used
    /// (Schannel 36870, TermService 1057).
    EventCertPrivateKey = "event-cert-private-key" => HostEvents,
    /// Events: the expired self-signed certificate could not be replaced (1058).
    EventCertRenewalFailed = "event-cert-renewal-failed" => HostEvents,
    /// Events: the certificate configuration was invalid and was reset (1059).
    EventCertConfigReset = "event-cert-config-reset" => HostEvents,
    /// Events: TLS handshakes failed on protocol or cipher (Schannel 36871/36874/36888).
    EventTlsMismatch = "event-tls-mismatch" => HostEvents,
    /// Events: a user was denied Remote Desktop logon rights (4825, or 4625
    /// with 0xC000015B).
    EventNotAllowedRdp = "event-not-allowed-rdp" => HostEvents,
    /// Events: logons failed on user name or password (4625, RdpCoreTS 140).
    EventBadCredentials = "event-bad-credentials" => HostEvents,
    /// Events: logons failed on the account (locked, disabled, expired, restricted).
    EventAccountProblem = "event-account-problem" => HostEvents,
    /// Events: logons failed because the password expired or must change.
    EventPasswordExpired = "event-password-expired" => HostEvents,
    /// Events: the client logged disconnects with a reason (RDPClient 1026).
    EventClientDisconnect = "event-client-disconnect" => HostEvents,
    /// Events: the server's security layer dropped clients (RdpCoreTS 139).
    EventSecurityLayerError = "event-security-layer-error" => HostEvents,
    /// The host evidence disagrees with what the probe saw: another machine,
    /// or a state that has changed since.
    HostWireDisagree = "host-wire-disagree" => HostSettings,
    /// `--user`: the server accepted the user name and password.
    LogonSucceeded = "logon-succeeded" => Logon,
    /// `--user`: wrong user name or password (STATUS_LOGON_FAILURE and kin).
    BadCredentials = "bad-credentials" => Logon,
    /// `--user`: the server closed the connection right after the NTLM
    /// AUTHENTICATE, with no status (FreeRDP-based servers on a bad password).
    LogonRefusedWithoutStatus = "logon-refused-without-status" => Logon,
    /// `--user`: the password expired or must be changed at the next logon.
    PasswordExpired = "password-expired" => Logon,
    /// `--user`: the account is locked out.
    AccountLocked = "account-locked" => Logon,
    /// `--user`: the account is disabled.
    AccountDisabled = "account-disabled" => Logon,
    /// `--user`: the account expired.
    AccountExpired = "account-expired" => Logon,
    /// `--user`: an account restriction (logon hours, workstations, blank password).
    AccountRestricted = "account-restricted" => Logon,
    /// `--user`: the user may not log on through Remote Desktop
    /// (STATUS_LOGON_TYPE_NOT_GRANTED, or AUTHZ_ACCESS_DENIED under HYBRID_EX).
    LogonTypeNotGranted = "logon-type-not-granted" => Logon,
    /// `--user`: STATUS_TIME_DIFFERENCE_AT_DC, the clocks of the server and its DC disagree.
    DcTimeSkew = "dc-time-skew" => Logon,
    /// `--user`: no domain controller could check the logon, or a trust failed.
    LogonServerUnavailable = "logon-server-unavailable" => Logon,
    /// `--user`: the server refused the logon with a status not classified above.
    LogonFailedOther = "logon-failed-other" => Logon,
    /// `--user`: the credentials could not be checked (no path, no answer, an error).
    LogonNotChecked = "logon-not-checked" => Logon,
    /// Both ends (`--client-evidence`): this client refuses this server, or
    /// the server this client, over the CVE-2018-0886 CredSSP update.
    CredsspPairBlocked = "credssp-pair-blocked" => BothEnds,
    /// Both ends: the pair connects only because one side accepts peers
    /// without the CredSSP update (AllowEncryptionOracle = 2, CVE-2018-0886).
    CredsspPairExposed = "credssp-pair-exposed" => BothEnds,
    /// Both ends: both sides have the CredSSP update; every policy value works.
    CredsspPairAllowed = "credssp-pair-allowed" => BothEnds,
    /// `--realm`: the KDC answered over TCP and UDP ([RFC 4120 7.2]).
    KerberosKdcReachable = "kerberos-kdc-reachable" => Kerberos,
    /// `--realm`: the KDC answered on neither TCP nor UDP: Kerberos fails
    /// (SEC_E_NO_AUTHENTICATING_AUTHORITY) and Windows falls back to NTLM.
    KerberosKdcUnreachable = "kerberos-kdc-unreachable" => Kerberos,
    /// `--realm`: the KDC answered on one transport only.
    KerberosKdcPartlyReachable = "kerberos-kdc-partly-reachable" => Kerberos,
    /// `--realm`: the domain controller's clock is more than 5 minutes from
    /// this machine's ([RFC 4120 5.9.1] stime; KRB_AP_ERR_SKEW, SEC_E_TIME_SKEW).
    KerberosDcClockSkew = "kerberos-dc-clock-skew" => Kerberos,
    /// `--realm`: the domain controller's clock agrees with this machine's.
    KerberosDcClockInSync = "kerberos-dc-clock-in-sync" => Kerberos,
    /// The target is an IP address: no SPN names it, so mstsc authenticates
    /// NLA with NTLM, not Kerberos.
    KerberosTargetIsAddress = "kerberos-target-is-address" => Kerberos,
    /// `--realm --user`: the KDC does not know the user (KDC_ERR_C_PRINCIPAL_UNKNOWN, 6).
    KerberosUserUnknown = "kerberos-user-unknown" => Kerberos,
    /// `--realm --user`: the account may not get tickets: disabled or locked
    /// (KDC_ERR_CLIENT_REVOKED, 18).
    KerberosUserRevoked = "kerberos-user-revoked" => Kerberos,
    /// `--realm --user`: the account's password expired (KDC_ERR_KEY_EXPIRED, 23).
    KerberosPasswordExpired = "kerberos-password-expired" => Kerberos,
    /// `--realm`: the realm is not the KDC's (KDC_ERR_WRONG_REALM, 68).
    KerberosWrongRealm = "kerberos-wrong-realm" => Kerberos,
    /// `--realm --user`: no `TERMSRV/target` SPN (KDC_ERR_S_PRINCIPAL_UNKNOWN, 7):
    /// mstsc falls back to NTLM or fails with SEC_E_TARGET_UNKNOWN.
    KerberosSpnMissing = "kerberos-spn-missing" => Kerberos,
    /// `--realm`: the KDC refused with another error, or answered what is
    /// not a Kerberos message.
    KerberosKdcError = "kerberos-kdc-error" => Kerberos,
    /// Events: Kerberos refused tickets for clock skew (Security 4768/4769/4771
    /// or System Kerberos 3 with KRB_AP_ERR_SKEW, 0x25).
    EventKerberosClockSkew = "event-kerberos-clock-skew" => HostEvents,
    /// Events: the KDC refused the account (0x6 unknown, 0x12 disabled or
    /// locked, 0x17 password expired).
    EventKerberosAccount = "event-kerberos-account" => HostEvents,
    /// Events: Kerberos pre-authentication failed: a wrong password (0x18).
    EventKerberosBadPassword = "event-kerberos-bad-password" => HostEvents,
    /// Events: a service ticket was refused for an unknown SPN (4769 with 0x7).
    EventKerberosSpnUnknown = "event-kerberos-spn-unknown" => HostEvents,
    /// Events: KRB_AP_ERR_MODIFIED (System Kerberos 4, or 0x29): a ticket the
    /// service could not decrypt (duplicate SPN, stale machine password).
    EventKerberosModified = "event-kerberos-modified" => HostEvents,
    /// Events: NETLOGON 3210 / 5719: the secure channel to the domain failed.
    EventSecureChannel = "event-secure-channel" => HostEvents,
    /// The `.rdp` file turns CredSSP off (`enablecredsspsupport:i:0`): its
    /// client offers no NLA.
    RdpFileNlaOff = "rdp-file-nla-off" => ClientFile,
    /// The `.rdp` file turns the security negotiation off (`negotiate
    /// security layer:i:0`): its client uses Standard RDP Security only.
    RdpFileNegotiationOff = "rdp-file-negotiation-off" => ClientFile,
    /// The `.rdp` file sends the connection through an RD Gateway, which
    /// this run did not probe.
    RdpFileGatewayNotProbed = "rdp-file-gateway-not-probed" => ClientFile,
    /// Events: the RD Gateway refused users on its connection policy (CAP),
    /// health policy or authentication method (201, 204, 305).
    EventGatewayCapDenied = "event-gateway-cap-denied" => HostEvents,
    /// Events: the RD Gateway refused users a resource by its resource
    /// policy (RAP, 301).
    EventGatewayRapDenied = "event-gateway-rap-denied" => HostEvents,
    /// Events: the RD Gateway could not reach the resource (304).
    EventGatewayTargetUnreachable = "event-gateway-target-unreachable" => HostEvents,
    /// Events: the RD Gateway was at its connection limit (203).
    EventGatewayConnectionLimit = "event-gateway-connection-limit" => HostEvents,
    /// Events: the RD Gateway could not create the tunnel (306).
    EventGatewayTunnelFailed = "event-gateway-tunnel-failed" => HostEvents,
    /// A user's mstsc reaches RD Gateways over RPC over HTTP only
    /// (`RDGClientTransport = 1` in HKCU\Software\Microsoft\Terminal Server Client).
    ClientRdgRpcTransport = "client-rdg-rpc-transport" => HostSettings,
    /// Capture: the client's SYNs got no SYN+ACK.
    CaptureSynUnanswered = "capture-syn-unanswered" => Capture,
    /// Capture: an ICMP error came back about the connection.
    CaptureIcmpError = "capture-icmp-error" => Capture,
    /// Capture: the server reset the connection before its Connection Confirm.
    CaptureResetBeforeConfirm = "capture-reset-before-confirm" => Capture,
    /// Capture: the server answered RDP_NEG_FAILURE HYBRID_REQUIRED_BY_SERVER.
    CaptureNlaRequired = "capture-nla-required" => Capture,
    /// Capture: the server answered RDP_NEG_FAILURE SSL_REQUIRED_BY_SERVER.
    CaptureSslRequired = "capture-ssl-required" => Capture,
    /// Capture: the server answered SSL_NOT_ALLOWED_BY_SERVER (Standard RDP
    /// Security only) or another RDP_NEG_FAILURE.
    CaptureNegotiationRefused = "capture-negotiation-refused" => Capture,
    /// Capture: the connection was reset right after the client's ClientHello.
    CaptureResetAfterClientHello = "capture-reset-after-client-hello" => Capture,
    /// Capture: a TLS alert ended the handshake with no version in common.
    CaptureTlsVersionMismatch = "capture-tls-version-mismatch" => Capture,
    /// Capture: another fatal TLS alert ended the handshake.
    CaptureTlsAlert = "capture-tls-alert" => Capture,
    /// Capture: the server closed an NLA connection right after the CredSSP exchange.
    CaptureClosedAfterCredssp = "capture-closed-after-credssp" => Capture,
    /// Capture: many segments were retransmitted.
    CaptureRetransmissions = "capture-retransmissions" => Capture,
    /// Capture: the client's RDP-UDP SYNs got no SYN+ACK.
    CaptureUdpUnanswered = "capture-udp-unanswered" => Capture,
    /// Capture: the server chose legacy TLS (1.0/1.1) and the client refused it.
    CaptureServerTlsLegacy = "capture-server-tls-legacy" => Capture,
    /// `--gateway`: the gateway's name does not resolve, or TCP to it fails.
    GatewayUnreachable = "gateway-unreachable" => Gateway,
    /// `--gateway`: the gateway accepted the connection, then gave no answer in time.
    GatewayNoAnswer = "gateway-no-answer" => Gateway,
    /// `--gateway`: the TLS handshake with the gateway failed.
    GatewayTlsFailed = "gateway-tls-failed" => Gateway,
    /// `--gateway`: the gateway's certificate has expired (or is not valid yet).
    GatewayCertExpired = "gateway-cert-expired" => Gateway,
    /// `--gateway`: the gateway's certificate does not name the gateway.
    GatewayCertNameMismatch = "gateway-cert-name-mismatch" => Gateway,
    /// `--gateway`: the gateway's certificate is self-signed.
    GatewayCertSelfSigned = "gateway-cert-self-signed" => Gateway,
    /// `--gateway`: no HTTP transport (404/403/410 to RDG_OUT_DATA): RPC over HTTP only.
    GatewayHttpTransportAbsent = "gateway-http-transport-absent" => Gateway,
    /// `--gateway`: the gateway refuses the WebSocket transport (legacy HTTP
    /// only, which clients and the probe fall back to: a warning).
    GatewayWebsocketRefused = "gateway-websocket-refused" => Gateway,
    /// `--gateway`: the gateway refuses the user's credentials.
    GatewayAuthRefused = "gateway-auth-refused" => Gateway,
    /// `--gateway`: the connection authorization policy (CAP) denies the user (E_PROXY_NAP_ACCESSDENIED).
    GatewayCapDenied = "gateway-cap-denied" => Gateway,
    /// `--gateway`: the resource authorization policy (RAP) denies the target (E_PROXY_RAP_ACCESSDENIED).
    GatewayRapDenied = "gateway-rap-denied" => Gateway,
    /// `--gateway`: the gateway cannot connect to the target (E_PROXY_TS_CONNECTFAILED).
    GatewayTargetUnreachable = "gateway-target-unreachable" => Gateway,
    /// `--gateway`: the gateway reached its connection limit (E_PROXY_MAXCONNECTIONSREACHED).
    GatewayMaxConnections = "gateway-max-connections" => Gateway,
    /// `--gateway`: the gateway refused with another status.
    GatewayRefused = "gateway-refused" => Gateway,
    /// `--gateway`: the gateway opened a channel to the target.
    GatewayChannelOpened = "gateway-channel-opened" => Gateway,
    /// `--realm --user`: the KDC refused the password (KDC_ERR_PREAUTH_FAILED, 24).
    KerberosPasswordWrong = "kerberos-password-wrong" => Kerberos,
    /// `--realm --user`: the KDC accepted the password (an AS-REP).
    KerberosPasswordAccepted = "kerberos-password-accepted" => Kerberos,
    /// `--gateway`: the gateway opened a channel, and no RDP answer came
    /// back through it (silent, closed, or not RDP).
    GatewayTargetNoRdp = "gateway-target-no-rdp" => Gateway,
    /// Capture: the server answered SSL_CERT_NOT_ON_SERVER.
    CaptureSslCertNotOnServer = "capture-ssl-cert-not-on-server" => Capture,
    /// Capture: the server selected Standard RDP Security and the client, which asked for TLS or NLA, closed at once.
    CaptureClientRefusedRdpSecurity = "capture-client-refused-rdp-security" => Capture,
    /// Capture: the server selected TLS and the client, which asked for NLA, closed at once.
    CaptureClientInsistsOnNla = "capture-client-insists-on-nla" => Capture,
    /// Capture: the server sent nothing for seconds after the Connection Request.
    CaptureRequestUnanswered = "capture-request-unanswered" => Capture,
    /// Capture: the server took seconds to answer the Connection Request.
    CaptureSlowAnswer = "capture-slow-answer" => Capture,
    /// `--realm --user`: the server could not decrypt the KDC's ticket for
    /// `TERMSRV/target` (KRB_AP_ERR_MODIFIED, 41, in the AP exchange inside
    /// CredSSP): its key is not the KDC's (stale computer password, rotated
    /// keytab, duplicate SPN).
    KerberosApKeyMismatch = "kerberos-ap-key-mismatch" => Logon,
    /// `--realm --user`: the server refused the AP-REQ for clock skew
    /// (KRB_AP_ERR_SKEW, 37): its clock and this machine's differ by more
    /// than 5 minutes.
    KerberosApSkew = "kerberos-ap-skew" => Logon,
    /// Capture: the client's SYN was answered with a reset (nothing listens,
    /// or a firewall set to reject).
    CaptureSynRefused = "capture-syn-refused" => Capture,
    /// `--gateway`: the UDP side channel the gateway announced ([MS-TSGU
    /// 1.3.3]) gave no DTLS answer (refused, dropped, or not DTLS): sessions
    /// run over the TCP path only, slower on lossy links.
    GatewayUdpUnreachable = "gateway-udp-unreachable" => Gateway,
    /// `--gateway`: the UDP side channel the gateway announced answers DTLS.
    GatewayUdpReachable = "gateway-udp-reachable" => Gateway,
    /// `--gateway`: neither of an RD Gateway's transports answers: HTTP
    /// (404/403/410 to RDG_OUT_DATA) nor RPC over HTTP (RPC_IN_DATA).
    GatewayNoTransport = "gateway-no-transport" => Gateway,
    /// The RD Gateway's 401 offers `Negotiate` and not `NTLM`: clients that
    /// speak only NTLM to a gateway (FreeRDP 2.x) fail at its
    /// authentication; mstsc, which prefers Negotiate, gets through.
    GatewayNegotiateOnly = "gateway-negotiate-only" => Gateway,
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
