//! The host as the probe found it before any RDP: the target as typed and
//! understood, its addresses (DNS), and the TCP connect samples with their
//! statistics.

use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// What the user typed, and how it was understood.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// The argument as given, e.g. `rdp.example.com:3390` or `[::1]`.
    pub input: String,
    /// The host part: a DNS name or an IP address literal.
    pub host: String,
    /// The TCP port (3389 unless given).
    pub port: u16,
    /// True when `host` is an IP address literal (no DNS involved).
    pub host_is_ip: bool,
}

/// Name resolution results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Addresses {
    /// Every address the name resolved to (A and AAAA), in resolver order.
    pub resolved: Vec<IpAddr>,
    /// The address the rest of the probe used.
    pub used: Option<IpAddr>,
    /// The reverse (PTR) name of `used`, when there is one.
    pub reverse_name: Option<String>,
    /// The resolver's error, when the name did not resolve.
    pub error: Option<String>,
    /// Time spent resolving, in milliseconds.
    pub elapsed_ms: f64,
}

/// How the TCP port behaved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PortState {
    /// The handshake completed and the server answered an X.224 request.
    Open,
    /// The host answered the SYN with a RST: nothing listens, or a firewall rejects.
    Refused,
    /// No answer before the deadline: a firewall drops the packets, or the host is down.
    Filtered,
    /// An ICMP error came back (host or network unreachable, administratively prohibited).
    Unreachable,
    /// The handshake completed, then the server closed (FIN or RST) before or
    /// right after the first request.
    AcceptedThenClosed,
    /// The handshake completed, then the server gave no answer before the
    /// deadline.
    AcceptedAndSilent,
}

/// One TCP connect attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectSample {
    /// True when the three-way handshake completed.
    pub connected: bool,
    /// Time to connect or to fail, in milliseconds.
    pub elapsed_ms: f64,
    /// The error class when it failed: `refused`, `timeout`, `unreachable`, or the OS message.
    pub error: Option<String>,
    /// The same, typed (`timeout`, `refused`, `unreachable`, `other`); absent
    /// when it connected, or in an older report ([`crate::StepFailure`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_kind: Option<crate::StepFailure>,
}

/// Summary statistics over samples, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Smallest value.
    pub min: f64,
    /// Median value.
    pub median: f64,
    /// Largest value.
    pub max: f64,
}

impl Stats {
    /// Statistics of a non-empty slice; `None` when it is empty.
    pub fn of(values: &[f64]) -> Option<Stats> {
        if values.is_empty() {
            return None;
        }
        let mut v = values.to_vec();
        v.sort_by(|a, b| a.total_cmp(b));
        let mid = v.len() / 2;
        let median = if v.len().is_multiple_of(2) {
            (v[mid - 1] + v[mid]) / 2.0
        } else {
            v[mid]
        };
        Some(Stats {
            min: v[0],
            median,
            max: v[v.len() - 1],
        })
    }
}

/// TCP reachability of the port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TcpEvidence {
    /// The verdict for the port.
    pub state: PortState,
    /// Every connect attempt, in order.
    pub samples: Vec<ConnectSample>,
    /// Connect round-trip statistics over the successful samples.
    pub rtt_ms: Option<Stats>,
    /// How many samples failed.
    pub failures: u32,
    /// For `accepted-then-closed`, `accepted-and-silent` or a non-RDP answer:
    /// what the server did after the first request (`closed`, `reset`, `silent`,
    /// or the first bytes it sent, hex).
    pub first_response: Option<String>,
    /// When something other than RDP answered: a guess at what it is (`http`, `tls`, `ssh`, …).
    pub other_protocol: Option<String>,
}

impl TcpEvidence {
    /// The first bytes another protocol answered with, decoded from
    /// `first_response`'s hex; `None` when it holds a word (`closed`,
    /// `silent`) or nothing.
    pub fn first_bytes(&self) -> Option<Vec<u8>> {
        let hex = self.first_response.as_deref()?;
        if hex.is_empty() || !hex.len().is_multiple_of(2) {
            return None;
        }
        (0..hex.len() / 2)
            .map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
            .collect()
    }
}
