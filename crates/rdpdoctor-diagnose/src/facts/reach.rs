//! Facts of the reach findings: name resolution, the TCP port, and the
//! path's quality.

use super::facts;
use rdpdoctor_evidence::{PortState, Stats};

facts! {
    /// The name that did not resolve (`dns-failure`).
    pub struct DnsFailureFacts<'a> for [DnsFailure] {
        /// The host name the user typed.
        pub host: &'a str,
        /// The resolver's error.
        pub error: &'a str,
    }

    /// The TCP port and what happened to it (`port-closed`,
    /// `port-filtered`, `host-unreachable`, `server-silent`).
    pub struct PortFacts<'a> for [PortClosed, PortFiltered, HostUnreachable, ServerSilent] {
        /// The IP address connected to (empty when none was used).
        pub address: &'a str,
        /// The TCP port.
        pub port: u16,
        /// The port's state (`tcp.state`).
        pub state: &'a PortState,
    }

    /// A connection the server accepted and closed without an RDP answer
    /// (`connection-closed-by-server`).
    pub struct ClosedWithoutAnswerFacts<'a> for [ConnectionClosedByServer] {
        /// The IP address connected to.
        pub address: &'a str,
        /// The TCP port.
        pub port: u16,
        /// What the server sent before closing, if anything (`tcp.first_response`).
        pub first_response: Option<&'a str>,
    }

    /// Another protocol recognised on the port (`not-rdp`, from TCP).
    pub struct OtherProtocolFacts<'a> for [NotRdp] {
        /// The IP address connected to.
        pub address: &'a str,
        /// The TCP port.
        pub port: u16,
        /// The protocol recognised (`tcp.other_protocol`).
        pub protocol: &'a str,
        /// The first bytes the server sent (`tcp.first_response`).
        pub first_response: Option<&'a str>,
    }

    /// Signs of loss or an unstable path (`unstable-network`).
    pub struct UnstableNetworkFacts<'a> for [UnstableNetwork] {
        /// Each sign as a sentence: failed connects, stalled exchanges, lost requests.
        pub signs: &'a [String],
        /// TCP connects that failed.
        pub failures: u32,
        /// The TCP connect times' statistics.
        pub rtt_ms: Option<&'a Stats>,
    }
}
