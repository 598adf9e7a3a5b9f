//! Which server implementation answers, from how it behaves on the wire.
//!
//! Client predictions and fixes depend on it: a Windows `reg add` is no fix
//! for xrdp, and FreeRDP 2.x cannot complete Standard RDP Security with xrdp.
//! Every conclusion lists the facts it rests on; none is a guess from one
//! weak sign alone.

use crate::posture::SecurityPosture;
use rdpdoctor_evidence::{NegotiationOutcome, ProbeReport, Protocol};
use serde::{Deserialize, Serialize};

/// A server implementation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Implementation {
    /// Microsoft Windows Remote Desktop Services.
    Windows,
    /// xrdp (Linux).
    Xrdp,
    /// FreeRDP's server library (winpr), e.g. freerdp-shadow-cli.
    Freerdp,
    /// IronRDP's server.
    Ironrdp,
    /// Not enough evidence.
    Unknown,
}

impl Implementation {
    /// For text reports.
    pub fn label(self) -> &'static str {
        match self {
            Self::Windows => "Windows",
            Self::Xrdp => "xrdp",
            Self::Freerdp => "FreeRDP (winpr)",
            Self::Ironrdp => "IronRDP",
            Self::Unknown => "unknown",
        }
    }
}

/// The implementation, with the facts it rests on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerIdentity {
    /// The implementation.
    pub implementation: Implementation,
    /// The version, where the evidence says it truthfully (the Windows build
    /// from NTLM; winpr always reports 6.1.7601, so not for FreeRDP).
    pub version: Option<String>,
    /// The facts the conclusion rests on.
    pub basis: Vec<String>,
}

/// RDP_NEG_RSP flags Windows sets and the open-source servers do not
/// (RESTRICTED_ADMIN_MODE_SUPPORTED 0x08, REDIRECTED_AUTHENTICATION_MODE_SUPPORTED
/// 0x10; [MS-RDPBCGR 2.2.1.2.1]).
const WINDOWS_ONLY_FLAGS: u8 = 0x08 | 0x10;

/// Infers the implementation.
pub fn identify(r: &ProbeReport, posture: Option<&SecurityPosture>) -> ServerIdentity {
    let (Some(neg), Some(posture)) = (&r.negotiation, posture) else {
        return unknown();
    };
    let flags: Vec<u8> = neg
        .attempts
        .iter()
        .filter_map(|a| match a.outcome {
            NegotiationOutcome::Selected { flags, .. } => Some(flags),
            _ => None,
        })
        .collect();
    let mut xrdp = Vec::new();
    let mut freerdp = Vec::new();
    let mut ironrdp = Vec::new();
    let mut windows = Vec::new();

    // xrdp answers a request for HYBRID only by selecting PROTOCOL_RDP
    // (Windows and FreeRDP refuse it with a failure code).
    let hybrid_only = neg.outcome_for(Some(2));
    if let Some(NegotiationOutcome::Selected { protocol, .. }) = hybrid_only
        && protocol.single() == Some(Protocol::Rdp)
    {
        xrdp.push("answers a HYBRID-only request by selecting PROTOCOL_RDP".to_owned());
    }
    if neg
        .attempts
        .iter()
        .any(|a| matches!(a.outcome, NegotiationOutcome::Disconnected { .. }))
    {
        xrdp.push(
            "answers an unsupported request with an MCS Disconnect Provider Ultimatum".into(),
        );
    }
    // IronRDP closes requests it does not support without RDP_NEG_FAILURE.
    let closed = neg
        .attempts
        .iter()
        .filter(|a| a.requested.bits.is_some() && a.outcome == NegotiationOutcome::Closed)
        .count();
    if closed > 0 && !posture.selectable.is_empty() && flags.iter().all(|f| *f == 0x01) {
        ironrdp.push(format!(
            "closes {closed} unsupported request(s) without an RDP_NEG_FAILURE"
        ));
    }
    if !flags.is_empty() && flags.iter().all(|f| *f == 0x03) {
        freerdp.push("RDP_NEG_RSP flags 0x03 (FreeRDP's server sets exactly these)".into());
    }
    if flags.iter().any(|f| f & WINDOWS_ONLY_FLAGS != 0) {
        windows.push("RDP_NEG_RSP announces restricted admin / redirected authentication".into());
    }
    let ntlm_version = r.ntlm.as_ref().and_then(|n| n.os_version.clone());
    if ntlm_version.as_deref() == Some("6.1.7601") && !freerdp.is_empty() {
        freerdp.push("NTLM reports 6.1.7601, winpr's fixed value".into());
    }
    let (implementation, basis) = [
        (Implementation::Xrdp, xrdp),
        (Implementation::Freerdp, freerdp),
        (Implementation::Ironrdp, ironrdp),
        (Implementation::Windows, windows),
    ]
    .into_iter()
    .filter(|(_, b)| !b.is_empty())
    .max_by_key(|(_, b)| b.len())
    .unwrap_or((Implementation::Unknown, Vec::new()));
    let version = match implementation {
        Implementation::Windows => ntlm_version,
        _ => None,
    };
    ServerIdentity {
        implementation,
        version,
        basis,
    }
}

fn unknown() -> ServerIdentity {
    ServerIdentity {
        implementation: Implementation::Unknown,
        version: None,
        basis: Vec::new(),
    }
}
