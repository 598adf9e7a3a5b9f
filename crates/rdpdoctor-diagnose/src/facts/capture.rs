//! Facts of a packet capture's findings (`inspect CAPTURE`): one
//! connection's endpoints, and what crossed the wire in the clear (TCP,
//! X.224 [MS-RDPBCGR 2.2.1.1–2.2.1.2], TLS records, RDP-UDP [MS-RDPEUDP 3.1.5.1]).

use super::{facts, shared_facts};
use rdpdoctor_evidence::capture::{CaptureClose, CaptureConnection, Side};

shared_facts! {
    /// The connection a capture finding is about.
    pub struct ConnectionEndpoints<'a> {
        /// The client's `address:port`.
        pub client: &'a str,
        /// The server's `address:port`.
        pub server: &'a str,
    }
}

impl<'a> ConnectionEndpoints<'a> {
    /// A connection's endpoints.
    pub fn of(c: &'a CaptureConnection) -> Self {
        ConnectionEndpoints {
            client: &c.client,
            server: &c.server,
        }
    }
}

facts! {
    /// SYNs with no SYN+ACK (`capture-syn-unanswered`).
    pub struct SynUnansweredFacts<'a> for [CaptureSynUnanswered]
        + ConnectionEndpoints<'a> as connection {
        /// SYNs the client sent.
        pub syns: u32,
    }

    /// SYNs answered with a reset, no SYN+ACK (`capture-syn-refused`).
    pub struct SynRefusedFacts<'a> for [CaptureSynRefused]
        + ConnectionEndpoints<'a> as connection {
        /// SYNs the client sent.
        pub syns: u32,
    }

    /// ICMP errors about the connection (`capture-icmp-error`).
    pub struct IcmpErrorFacts<'a> for [CaptureIcmpError]
        + ConnectionEndpoints<'a> as connection {
        /// Each ICMP error, in words.
        pub icmp: &'a [String],
    }

    /// The server's close (`capture-reset-before-confirm`,
    /// `capture-reset-after-client-hello`).
    pub struct CaptureCloseFacts<'a> for [CaptureResetBeforeConfirm, CaptureResetAfterClientHello]
        + ConnectionEndpoints<'a> as connection {
        /// The close, as in `tcp.closes`.
        pub close: &'a CaptureClose,
    }

    /// RDP_NEG_FAILURE ([MS-RDPBCGR 2.2.1.2.2]) to the client's request
    /// (`capture-nla-required`, `capture-ssl-required`,
    /// `capture-negotiation-refused`, `capture-ssl-cert-not-on-server`).
    pub struct NegotiationRefusalFacts<'a> for [
        CaptureNlaRequired,
        CaptureSslRequired,
        CaptureNegotiationRefused,
        CaptureSslCertNotOnServer,
    ] + ConnectionEndpoints<'a> as connection {
        /// The requested protocols' label (RDP_NEG_REQ requestedProtocols,
        /// [MS-RDPBCGR 2.2.1.1.1]).
        pub requested: String,
        /// The failureCode's name.
        pub failure: String,
    }

    /// A TLS handshake ended for its versions (`capture-tls-version-mismatch`,
    /// `capture-server-tls-legacy`).
    pub struct TlsVersionRefusalFacts<'a> for [CaptureTlsVersionMismatch, CaptureServerTlsLegacy]
        + ConnectionEndpoints<'a> as connection {
        /// The TLS versions the client's ClientHello offered.
        pub client_versions: &'a [String],
        /// The fatal alert's description (RFC 8446 6.2).
        pub alert: &'a str,
        /// Who sent it.
        pub alert_from: Side,
    }

    /// Another fatal TLS alert (`capture-tls-alert`).
    pub struct TlsAlertFacts<'a> for [CaptureTlsAlert]
        + ConnectionEndpoints<'a> as connection {
        /// The alert's description (RFC 8446 6).
        pub alert: &'a str,
        /// Who sent it.
        pub alert_from: Side,
    }

    /// The encrypted records before the server closed
    /// (`capture-closed-after-credssp`).
    pub struct ClosedAfterCredsspFacts<'a> for [CaptureClosedAfterCredssp]
        + ConnectionEndpoints<'a> as connection {
        /// TLS application records the client sent, or null.
        pub client_records: Option<u64>,
        /// TLS application records the server sent, or null.
        pub server_records: Option<u64>,
    }

    /// The client's close right after the Connection Confirm, refusing the
    /// protocol the server selected (`capture-client-refused-rdp-security`,
    /// `capture-client-insists-on-nla`).
    pub struct ClientRefusalFacts<'a> for [CaptureClientRefusedRdpSecurity, CaptureClientInsistsOnNla]
        + ConnectionEndpoints<'a> as connection {
        /// The requested protocols' label ([MS-RDPBCGR 2.2.1.1.1]).
        pub requested: String,
        /// The selected protocol's label ([MS-RDPBCGR 2.2.1.2.1]).
        pub selected: String,
        /// The client's close, as in `tcp.closes`.
        pub close: &'a CaptureClose,
    }

    /// A Connection Request left unanswered (`capture-request-unanswered`).
    pub struct RequestUnansweredFacts<'a> for [CaptureRequestUnanswered]
        + ConnectionEndpoints<'a> as connection {
        /// Milliseconds from the request to the first close.
        pub waited_ms: f64,
        /// That close, as in `tcp.closes`.
        pub close: Option<&'a CaptureClose>,
    }

    /// The Connection Confirm's delay (`capture-slow-answer`).
    pub struct SlowAnswerFacts<'a> for [CaptureSlowAnswer]
        + ConnectionEndpoints<'a> as connection {
        /// Milliseconds from the Connection Request to the Confirm.
        pub answer_ms: f64,
        /// The connection's SYN to SYN+ACK time, or null.
        pub rtt_ms: Option<f64>,
    }

    /// Retransmitted segments (`capture-retransmissions`).
    pub struct RetransmissionFacts<'a> for [CaptureRetransmissions]
        + ConnectionEndpoints<'a> as connection {
        /// Segments sent again.
        pub retransmissions: u64,
        /// Segments in all.
        pub segments: u64,
    }

    /// RDP-UDP SYNs with no SYN+ACK ([MS-RDPEUDP 3.1.5.1.1])
    /// (`capture-udp-unanswered`): the flow's endpoints.
    pub struct UdpUnansweredFacts<'a> for [CaptureUdpUnanswered]
        + ConnectionEndpoints<'a> as connection {
    }
}
