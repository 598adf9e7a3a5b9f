//! Facts of a packet capture's findings (`inspect CAPTURE`): one
//! connection's endpoints, and what crossed the wire in the clear (TCP,
//! X.224 [MS-RDPBCGR 2.2.1.1–2.2.1.2], TLS records, RDP-UDP [MS-RDPEUDP 3.1.5.1]).

use super::facts;
use rdpdoctor_evidence::capture::{CaptureClose, CaptureConnection, Side};

facts! {
    /// The connection's endpoints, and the event its finding is about: each
    /// capture finding carries the endpoints and its own facts.
    pub struct CaptureFacts<'a> for [
        CaptureSynUnanswered,
        CaptureIcmpError,
        CaptureResetBeforeConfirm,
        CaptureNlaRequired,
        CaptureSslRequired,
        CaptureNegotiationRefused,
        CaptureResetAfterClientHello,
        CaptureTlsVersionMismatch,
        CaptureTlsAlert,
        CaptureClosedAfterCredssp,
        CaptureRetransmissions,
        CaptureUdpUnanswered,
        CaptureServerTlsLegacy,
    ] {
        /// The client's `address:port`.
        pub client: &'a str,
        /// The server's `address:port`.
        pub server: &'a str,
        /// SYNs the client sent (`capture-syn-unanswered`).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub syns: Option<u32>,
        /// The ICMP errors about the connection (`capture-icmp-error`).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub icmp: Option<&'a [String]>,
        /// The close, as in `tcp.closes` (`capture-reset-before-confirm`,
        /// `capture-reset-after-client-hello`).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub close: Option<&'a CaptureClose>,
        /// The requested protocols' label (RDP_NEG_REQ requestedProtocols).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub requested: Option<String>,
        /// The RDP_NEG_FAILURE failureCode's name ([MS-RDPBCGR 2.2.1.2.2]).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub failure: Option<String>,
        /// The TLS versions the client's ClientHello offered.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub client_versions: Option<&'a [String]>,
        /// The fatal TLS alert's description (RFC 8446 6).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub alert: Option<&'a str>,
        /// Who sent it.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub alert_from: Option<Side>,
        /// Encrypted records the client sent, or null (`capture-closed-after-credssp`).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub client_records: Option<Option<u64>>,
        /// Encrypted records the server sent, or null.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub server_records: Option<Option<u64>>,
        /// Segments sent again (`capture-retransmissions`).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub retransmissions: Option<u64>,
        /// Segments in all.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub segments: Option<u64>,
    }
}

impl<'a> CaptureFacts<'a> {
    /// A connection's endpoints alone.
    pub fn of(c: &'a CaptureConnection) -> Self {
        Self::between(&c.client, &c.server)
    }

    /// The endpoints alone.
    pub fn between(client: &'a str, server: &'a str) -> Self {
        CaptureFacts {
            client,
            server,
            syns: None,
            icmp: None,
            close: None,
            requested: None,
            failure: None,
            client_versions: None,
            alert: None,
            alert_from: None,
            client_records: None,
            server_records: None,
            retransmissions: None,
            segments: None,
        }
    }
}
