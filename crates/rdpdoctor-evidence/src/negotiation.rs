//! The X.224 security negotiation matrix ([MS-RDPBCGR 2.2.1.1–2.2.1.2]):
//! what the server did with each Connection Request.

use crate::{Protocol, ProtocolSet, StepFailure};
use serde::{Deserialize, Serialize};

/// What the server did with one X.224 Connection Request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum NegotiationOutcome {
    /// RDP_NEG_RSP: the server selected a protocol.
    Selected {
        /// The selected protocol.
        protocol: ProtocolSet,
        /// RDP_NEG_RSP flags byte.
        flags: u8,
        /// The names of the flags that are set.
        flag_names: Vec<String>,
    },
    /// RDP_NEG_FAILURE with its `failureCode`.
    Failure {
        /// The failure code (1–6 are defined).
        code: u32,
        /// Its name, e.g. `HYBRID_REQUIRED_BY_SERVER`.
        name: Option<String>,
    },
    /// A Connection Confirm with no negotiation data: a legacy server that
    /// only speaks Standard RDP Security.
    NoNegotiationData,
    /// The server closed the connection without answering.
    Closed,
    /// The server answered with an MCS Disconnect Provider Ultimatum instead
    /// of a Connection Confirm (xrdp does this for requests it cannot serve).
    Disconnected {
        /// The ultimatum's reason, named.
        reason: String,
    },
    /// The server did not answer before the deadline.
    Silent,
    /// The server answered with something that is not an X.224 Connection Confirm.
    Garbage {
        /// Why it did not decode.
        error: String,
        /// The first bytes received, hex.
        first_bytes: String,
        /// How the read ended: `invalid` for an answer that does not decode,
        /// `timeout` for an answer cut short by the deadline; absent in
        /// older reports ([`StepFailure`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        failure_kind: Option<StepFailure>,
    },
    /// The TCP connection itself failed.
    ConnectFailed {
        /// The error class.
        error: String,
        /// The same, typed: `timeout`, `refused`, `unreachable` or `other`;
        /// absent in older reports ([`StepFailure`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        failure_kind: Option<StepFailure>,
    },
}

/// For sentences (the probe's error texts say why an X.224 exchange did not
/// open a connection). A timeout reads "no answer before the deadline", as
/// every step's does.
impl std::fmt::Display for NegotiationOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Selected { protocol, .. } => {
                write!(f, "the server selected {}", protocol.label())
            }
            Self::Failure { code, name } => match name {
                Some(n) => write!(f, "RDP_NEG_FAILURE {n}"),
                None => write!(f, "RDP_NEG_FAILURE 0x{code:X}"),
            },
            Self::NoNegotiationData => f.write_str("a Connection Confirm without negotiation data"),
            Self::Closed => f.write_str("the server closed the connection without an answer"),
            Self::Disconnected { reason } => {
                write!(f, "an MCS Disconnect Provider Ultimatum ({reason})")
            }
            Self::Silent => f.write_str("no answer to the X.224 request before the deadline"),
            Self::Garbage { error, .. } => write!(f, "not an X.224 Connection Confirm ({error})"),
            Self::ConnectFailed {
                failure_kind: Some(StepFailure::Timeout),
                ..
            } => f.write_str("no answer to the TCP connect before the deadline"),
            Self::ConnectFailed { error, .. } => write!(f, "the TCP connect failed ({error})"),
        }
    }
}

impl NegotiationOutcome {
    /// How the exchange failed, when it got no answer a server gives on
    /// purpose: `timeout` for [`Self::Silent`], `closed` for
    /// [`Self::Closed`], the connect's or the read's own kind for
    /// [`Self::ConnectFailed`] and [`Self::Garbage`] (`invalid` when an
    /// older report did not say). `None` for an answer (a selection, a
    /// failure code, a Connection Confirm, an MCS disconnect).
    pub fn failure_kind(&self) -> Option<StepFailure> {
        match self {
            Self::Silent => Some(StepFailure::Timeout),
            Self::Closed => Some(StepFailure::Closed),
            Self::ConnectFailed { failure_kind, .. } => *failure_kind,
            Self::Garbage { failure_kind, .. } => {
                Some(failure_kind.unwrap_or(StepFailure::Invalid))
            }
            Self::Selected { .. }
            | Self::Failure { .. }
            | Self::NoNegotiationData
            | Self::Disconnected { .. } => None,
        }
    }

    /// Something came back, RDP or not (not silent, closed or unconnected).
    pub fn answered(&self) -> bool {
        !matches!(
            self,
            Self::Silent | Self::Closed | Self::ConnectFailed { .. }
        )
    }

    /// An answer an RDP server gives on purpose: a selection, a failure
    /// code, a Connection Confirm without negotiation data, an MCS
    /// disconnect.
    pub fn is_rdp_answer(&self) -> bool {
        matches!(
            self,
            Self::Selected { .. }
                | Self::Failure { .. }
                | Self::NoNegotiationData
                | Self::Disconnected { .. }
        )
    }
}

/// One row of the negotiation matrix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NegotiationAttempt {
    /// What was requested.
    pub requested: ProtocolSet,
    /// What came back.
    pub outcome: NegotiationOutcome,
    /// Time to establish the TCP connection, in milliseconds (includes any
    /// queueing behind the probe's own other connections and SYN retransmits).
    pub connect_ms: f64,
    /// Time from sending the Connection Request on the established connection
    /// to the answer (or to giving up), in milliseconds: the server's own
    /// response time, not inflated by connection set-up.
    pub answer_ms: f64,
}

/// The X.224 security negotiation matrix, as observed. What it implies (the
/// security layer, whether NLA is required) is judgement, made by
/// `rdpdoctor-diagnose`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NegotiationEvidence {
    /// One row per request, in a fixed order.
    pub attempts: Vec<NegotiationAttempt>,
}

impl NegotiationEvidence {
    /// The outcome for the request with exactly these bits (`None` = legacy request).
    pub fn outcome_for(&self, bits: Option<u32>) -> Option<&NegotiationOutcome> {
        self.attempts
            .iter()
            .find(|a| a.requested.bits == bits)
            .map(|a| &a.outcome)
    }

    /// The protocol a request got selected, when it got one: `Rdp` for a
    /// Connection Confirm without negotiation data.
    pub fn selected(a: &NegotiationAttempt) -> Option<Protocol> {
        match &a.outcome {
            NegotiationOutcome::Selected { protocol, .. } => protocol.single(),
            NegotiationOutcome::NoNegotiationData => Some(Protocol::Rdp),
            _ => None,
        }
    }

    /// True when some request got `protocol` selected (a fact the probe uses
    /// to decide which stages to run; not a judgement on the server).
    pub fn can_select(&self, protocol: Protocol) -> bool {
        self.attempts
            .iter()
            .any(|a| Self::selected(a) == Some(protocol))
    }

    /// The RDP_NEG_FAILURE codes seen, deduplicated, in order.
    pub fn failure_codes(&self) -> Vec<u32> {
        let mut codes = Vec::new();
        for a in &self.attempts {
            if let NegotiationOutcome::Failure { code, .. } = a.outcome
                && !codes.contains(&code)
            {
                codes.push(code);
            }
        }
        codes
    }
}
