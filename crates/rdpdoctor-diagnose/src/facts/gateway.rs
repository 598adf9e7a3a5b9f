//! Facts of the RD Gateway path's findings (`probe --gateway`): the hop
//! where the path stopped ([MS-TSGU 3.3.5]), the HRESULT the gateway gave
//! ([MS-TSGU 2.2.6]), and the gateway's certificate.

use super::facts;
use rdpdoctor_evidence::{HopOutcome, UdpOutcome};

facts! {
    /// The hop where the path stopped (`gateway-unreachable`,
    /// `gateway-no-answer`, `gateway-tls-failed`,
    /// `gateway-http-transport-absent`, `gateway-no-transport`,
    /// `gateway-auth-refused`,
    /// `gateway-cap-denied`, `gateway-rap-denied`,
    /// `gateway-target-unreachable`, `gateway-max-connections`,
    /// `gateway-refused`).
    pub struct GatewayHopFacts for [
        GatewayUnreachable,
        GatewayNoAnswer,
        GatewayTlsFailed,
        GatewayHttpTransportAbsent,
        GatewayNoTransport,
        GatewayAuthRefused,
        GatewayCapDenied,
        GatewayRapDenied,
        GatewayTargetUnreachable,
        GatewayMaxConnections,
        GatewayRefused,
    ] {
        /// The hop, as in `gateway.hops`.
        pub hop: &'static str,
        /// How it ended.
        pub outcome: HopOutcome,
        /// The gateway's status as hexadecimal text, where it answered one.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub status: Option<String>,
        /// Its name ([MS-TSGU 2.2.6] `E_PROXY_*`), empty when unknown.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub status_name: Option<String>,
    }

    /// The gateway's certificate (`gateway-cert-expired`,
    /// `gateway-cert-name-mismatch`, `gateway-cert-self-signed`).
    pub struct GatewayCertificateFacts<'a> for [
        GatewayCertExpired,
        GatewayCertNameMismatch,
        GatewayCertSelfSigned,
    ] {
        /// The subject's distinguished name.
        pub subject: &'a str,
        /// notAfter.
        pub not_after: &'a str,
        /// The SHA-256 fingerprint.
        pub sha256_fingerprint: &'a str,
    }

    /// The WebSocket transport refused (`gateway-websocket-refused`).
    pub struct WebsocketRefusedFacts for [GatewayWebsocketRefused] {
        /// Whether the gateway took the WebSocket upgrade: false.
        pub websocket: bool,
    }

    /// The 401 offers Negotiate without NTLM (`gateway-negotiate-only`).
    pub struct NegotiateOnlyFacts<'a> for [GatewayNegotiateOnly] {
        /// The schemes the 401 offers, as in `gateway.auth_schemes`.
        pub auth_schemes: &'a [String],
        /// The scheme the probe authenticated with (`negotiate`), when it did.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub scheme: Option<rdpdoctor_evidence::HttpAuthScheme>,
    }

    /// A channel opened (`gateway-channel-opened`).
    pub struct ChannelOpenedFacts for [GatewayChannelOpened] {
        /// Whether the target itself was probed through the gateway.
        pub target_probed: bool,
    }

    /// A channel opened and no RDP answer came back through it
    /// (`gateway-target-no-rdp`).
    pub struct TargetNoRdpFacts<'a> for [GatewayTargetNoRdp] {
        /// Whether the target itself was probed through the gateway (true).
        pub target_probed: bool,
        /// Why the gateway ended the channel, when it said.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub channel_end: Option<&'a str>,
    }

    /// The UDP side channel's check ([MS-TSGU 1.3.3.1.1], the DTLS
    /// ClientHello to the announced `udpPort`): `gateway-udp-unreachable`,
    /// `gateway-udp-reachable`.
    pub struct UdpSideChannelFacts<'a> for [GatewayUdpUnreachable, GatewayUdpReachable] {
        /// The UDP port the gateway announced.
        pub port: u16,
        /// What the ClientHello came to, as in `gateway.udp.outcome`.
        pub outcome: UdpOutcome,
        /// Datagrams that came back.
        pub datagrams: u32,
        /// The DTLS version of a completed handshake.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub dtls_version: Option<&'a str>,
    }
}
