//! The deep probe: how far the connection sequence after the negotiation
//! got ([MS-RDPBCGR 1.3.1.1]), and how it ended.

use crate::Protocol;
use serde::{Deserialize, Serialize};

/// The phases of the connection sequence after the security negotiation
/// ([MS-RDPBCGR 1.3.1.1](https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/023f1e69-cfe8-4ee6-9ee0-7e759fb4e4ee)), in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeepPhase {
    /// TLS (or nothing, for Standard RDP Security) after the X.224 exchange.
    Security,
    /// MCS Connect Initial / Connect Response (basic settings exchange).
    McsConnect,
    /// MCS Erect Domain Request and Attach User Request / Confirm.
    AttachUser,
    /// MCS Channel Join Request / Confirm for the user, I/O and static channels.
    ChannelJoin,
    /// Security Exchange PDU (Standard RDP Security only).
    SecurityExchange,
    /// Client Info PDU (no credentials are sent).
    ClientInfo,
    /// Licensing (server license error / valid client, or a license request).
    Licensing,
    /// The server sent Demand Active: a client would get the logon screen.
    DemandActive,
}

/// How the deep probe ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum DeepOutcome {
    /// Demand Active arrived: a client would see the logon screen.
    LogonScreen,
    /// The server sent a Set Error Info PDU ([MS-RDPBCGR 2.2.5.1.1]) and then usually disconnected.
    ErrorInfo {
        /// The raw 32-bit errorInfo (same numbers as mstsc's "extended error code").
        code: u32,
        /// Its name, e.g. `ERRINFO_SERVER_DENIED_CONNECTION`.
        name: Option<String>,
    },
    /// The server disconnected (MCS Disconnect Provider Ultimatum, X.224 disconnect, close or reset).
    Disconnected {
        /// What happened, in one phrase.
        detail: String,
    },
    /// No answer before the deadline.
    Timeout,
    /// The probe could not go on (decode error, unsupported step).
    Failed {
        /// Why.
        detail: String,
        /// How the step that stopped it failed, typed (`timeout` for a TLS
        /// handshake or a read that got no answer in time); absent for a
        /// failure on our side, or in an older report ([`crate::StepFailure`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        failure_kind: Option<crate::StepFailure>,
    },
}

/// The deep probe, as far as it got.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeepEvidence {
    /// The security protocol used: `ssl` or `rdp`.
    pub via: Protocol,
    /// The last phase completed.
    pub phase_reached: DeepPhase,
    /// How it ended.
    pub outcome: DeepOutcome,
    /// The licensing result, when that phase was reached
    /// (`valid-client`, `license-request`, or the licensing error).
    pub licensing: Option<String>,
    /// The static channels the server joined.
    pub channels: Vec<String>,
    /// Wall time, in milliseconds.
    pub elapsed_ms: f64,
}
