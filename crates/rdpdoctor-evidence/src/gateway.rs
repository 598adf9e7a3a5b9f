//! The RD Gateway path (`probe TARGET --gateway GW`): what each hop from the
//! client to the target through a Remote Desktop Gateway answered
//! ([MS-TSGU 3.3.5.1] the HTTP transport, [MS-TSGU 2.2.10] its packets).
//! Plain data: which hop fails is judged by `rdpdoctor-diagnose`.

use crate::{CertificateFacts, LogonMechanism};
use serde::{Deserialize, Serialize};

/// The gateway hop by hop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GatewayEvidence {
    /// The gateway's name or address as the user gave it.
    pub host: String,
    /// The gateway's port (443 by default).
    pub port: u16,
    /// The address connected to.
    pub address: Option<String>,
    /// Every hop tried, in order; the last one is where the path stopped
    /// unless every hop is `ok`.
    pub hops: Vec<GatewayHop>,
    /// The TLS version of the gateway's handshake.
    pub tls_version: Option<String>,
    /// The gateway's own certificate (not the target's).
    pub certificate: Option<CertificateFacts>,
    /// The HTTP status of `RDG_OUT_DATA` without credentials.
    pub http_status: Option<u16>,
    /// The authentication schemes the gateway's 401 offers (`NTLM`, `Negotiate`, `Basic`).
    pub auth_schemes: Vec<String>,
    /// Whether the gateway accepted the WebSocket transport (101), `None` when not asked.
    pub websocket: Option<bool>,
    /// The gateway's `Server` header field (gateway-controlled text).
    pub server_header: Option<String>,
    /// The gateway opened a channel to the target.
    pub channel_opened: bool,
    /// The target's own stages ran through the channel. False: the report
    /// holds no evidence of the target itself.
    pub target_probed: bool,
    /// The UDP side channel's port, when the gateway announced one.
    pub udp_port: Option<u16>,
    /// Why the gateway ended a channel to the target before the target's
    /// stages were done with it (closed it, sent what is not MS-TSGU, no
    /// answer within the deadline), when it did. Gateway-controlled text.
    #[serde(default)]
    pub channel_end: Option<String>,
    /// The check of the UDP side channel at `udp_port` ([MS-TSGU 1.3.3]),
    /// when one was announced and checked. Apart from `hops`: the session
    /// works over the TCP path without it, so it never ends the path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub udp: Option<UdpSideChannel>,
    /// RPC over HTTP asked without credentials, when the HTTP transport is
    /// absent (404/403/410 to `RDG_OUT_DATA`): whether the transport
    /// clients fall back to answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpc_over_http: Option<RpcOverHttp>,
    /// How the probe authenticated to the gateway over HTTP: the scheme and
    /// the mechanism inside it (schema 2 addition; absent without `--user`
    /// or when the gateway offered no scheme the probe speaks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<GatewayAuth>,
}

/// [MS-RPCH 2.1.2.1.1] `RPC_IN_DATA /rpc/rpcproxy.dll` without
/// credentials: the RPC over HTTP transport of the gateway ([MS-TSGU 1.3.1])
/// answers 401 with its schemes where it is installed, 404 where it is not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RpcOverHttp {
    /// The HTTP status, `None` when no answer came.
    pub status: Option<u16>,
    /// The schemes its 401 offers.
    pub auth_schemes: Vec<String>,
    /// Why there was no status (no answer within N s, closed).
    pub detail: Option<String>,
}

impl RpcOverHttp {
    /// The RPC proxy is there: it asked for credentials, or let the request
    /// through.
    pub fn answers(&self) -> bool {
        matches!(self.status, Some(200 | 401))
    }
}

/// [MS-TSGU 1.3.3.1.1] The UDP side channel's first step: the client's
/// DTLS ClientHello to the gateway's `udpPort`, resent until the gateway
/// answers or the step deadline passes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UdpSideChannel {
    /// The UDP port the gateway announced (3391 by default on Windows).
    pub port: u16,
    /// What the ClientHello came to.
    pub outcome: UdpOutcome,
    /// The DTLS version of a completed handshake (`DTLSv1.2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dtls_version: Option<String>,
    /// Datagrams that came back (counted up to the probe's bound).
    pub datagrams: u32,
    /// What happened, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Wall time of the check, milliseconds.
    pub elapsed_ms: f64,
}

/// What the UDP side channel's ClientHello came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UdpOutcome {
    /// A DTLS answer came back (a completed handshake, or a DTLS record).
    Reachable,
    /// ICMP port unreachable: nothing listens on the port.
    Refused,
    /// Nothing came back within the step deadline (dropped on the way, or
    /// by the gateway's firewall).
    NoAnswer,
    /// Datagrams came back, none of them DTLS.
    NotDtls,
    /// The check could not be made here (no OpenSSL in this build, a local
    /// socket error).
    NotChecked,
}

impl UdpOutcome {
    /// The kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Reachable => "reachable",
            Self::Refused => "refused",
            Self::NoAnswer => "no-answer",
            Self::NotDtls => "not-dtls",
            Self::NotChecked => "not-checked",
        }
    }
}

/// The HTTP authentication to the gateway ([MS-TSGU 3.3.5.1]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GatewayAuth {
    /// The scheme of the `Authorization` field.
    pub scheme: HttpAuthScheme,
    /// The mechanism, and why, as the logon's `mechanism` (the SPN is
    /// `HTTP/<gateway>`). Under `ntlm` the package is always NTLM.
    pub mechanism: LogonMechanism,
}

/// An HTTP authentication scheme the probe speaks to a gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HttpAuthScheme {
    /// `Authorization: NTLM <token>`: raw NTLM messages ([MS-NLMP]), as
    /// FreeRDP 2 speaks to a gateway.
    Ntlm,
    /// `Authorization: Negotiate <token>`: SPNEGO ([RFC 4559], [RFC 4178]),
    /// carrying Kerberos or NTLM.
    Negotiate,
}

impl HttpAuthScheme {
    /// The scheme's name as it appears in the header field.
    pub fn header_name(self) -> &'static str {
        match self {
            Self::Ntlm => "NTLM",
            Self::Negotiate => "Negotiate",
        }
    }
}

/// One hop of the gateway path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GatewayHop {
    /// Which hop.
    pub hop: GatewayHopKind,
    /// What it came to.
    pub outcome: HopOutcome,
    /// The HTTP status (HTTP hops) or the gateway's HRESULT (MS-TSGU hops).
    pub status: Option<u32>,
    /// The status's name (`E_PROXY_RAP_ACCESSDENIED`, `401 Unauthorized`).
    pub status_name: Option<String>,
    /// What happened, in words (may hold gateway-controlled text).
    pub detail: Option<String>,
    /// Wall time of the hop, milliseconds.
    pub elapsed_ms: f64,
}

/// The hops, in the order a client makes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GatewayHopKind {
    /// The gateway's name.
    Dns,
    /// TCP to the gateway.
    Tcp,
    /// TLS with the gateway.
    Tls,
    /// `RDG_OUT_DATA` without credentials: the transport and the schemes.
    Http,
    /// `RDG_OUT_DATA` authenticated (NTLM over HTTP).
    HttpAuth,
    /// [MS-TSGU 2.2.10.10] Handshake request / response.
    Handshake,
    /// [MS-TSGU 2.2.10.18] Tunnel create / response (the CAP).
    TunnelCreate,
    /// [MS-TSGU 2.2.10.14] Tunnel auth / response.
    TunnelAuth,
    /// [MS-TSGU 2.2.10.2] Channel create / response (the RAP, the target's reach).
    ChannelCreate,
}

impl GatewayHopKind {
    /// Every hop, in the order the probe takes them.
    pub const ALL: [GatewayHopKind; 9] = [
        Self::Dns,
        Self::Tcp,
        Self::Tls,
        Self::Http,
        Self::HttpAuth,
        Self::Handshake,
        Self::TunnelCreate,
        Self::TunnelAuth,
        Self::ChannelCreate,
    ];

    /// The kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Dns => "dns",
            Self::Tcp => "tcp",
            Self::Tls => "tls",
            Self::Http => "http",
            Self::HttpAuth => "http-auth",
            Self::Handshake => "handshake",
            Self::TunnelCreate => "tunnel-create",
            Self::TunnelAuth => "tunnel-auth",
            Self::ChannelCreate => "channel-create",
        }
    }

    /// How a person names the hop.
    pub fn title(self) -> &'static str {
        match self {
            Self::Dns => "the gateway's name",
            Self::Tcp => "TCP to the gateway",
            Self::Tls => "TLS with the gateway",
            Self::Http => "the gateway's HTTP transport",
            Self::HttpAuth => "authentication at the gateway",
            Self::Handshake => "the MS-TSGU handshake",
            Self::TunnelCreate => "the gateway's tunnel (connection policy, CAP)",
            Self::TunnelAuth => "the gateway's tunnel authorisation",
            Self::ChannelCreate => "the gateway's channel to the target (resource policy, RAP)",
        }
    }
}

/// What one hop came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HopOutcome {
    /// It went through.
    Ok,
    /// The gateway said no (an HTTP status or an HRESULT).
    Refused,
    /// No answer within the step's deadline.
    NoAnswer,
    /// The gateway closed or reset the connection.
    Closed,
    /// Anything else (an error connecting, a reply that made no sense).
    Failed,
}

impl GatewayEvidence {
    /// The first hop that did not go through, if any.
    pub fn failed_hop(&self) -> Option<&GatewayHop> {
        self.hops.iter().find(|h| h.outcome != HopOutcome::Ok)
    }

    /// The hop of this kind, if it was tried.
    pub fn hop(&self, kind: GatewayHopKind) -> Option<&GatewayHop> {
        self.hops.iter().find(|h| h.hop == kind)
    }

    /// The gateway refused the credentials: HTTP 401 after NTLM at the
    /// authenticated request (a failed logon for the account).
    pub fn credentials_refused(&self) -> bool {
        self.hop(GatewayHopKind::HttpAuth)
            .is_some_and(|h| h.outcome == HopOutcome::Refused && h.status == Some(401))
    }
}
