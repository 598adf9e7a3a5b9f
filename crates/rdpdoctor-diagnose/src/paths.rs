//! Which client security modes get through to the logon stage on this server.
//!
//! A client that forces a mode (`xfreerdp /sec:rdp|tls|nla`, an .rdp file with
//! `authentication level` and `enablecredsspsupport`) either gets through the
//! connection sequence or fails in a way the evidence predicts. "Gets through"
//! ignores certificate trust (as `/cert:ignore` does) and credentials: it is
//! about the protocol, and the certificate findings speak about trust.

use crate::posture::SecurityPosture;
use rdpdoctor_evidence::{NegotiationOutcome, ProbeReport, Protocol, RdpSecurityOutcome, Stage};
use serde::{Deserialize, Serialize};

/// The security protocols a client can force: `rdp` (`/sec:rdp`), `ssl`
/// (`/sec:tls`) and `hybrid` (`/sec:nla`).
pub type ClientSecurity = Protocol;

/// The three modes a client can force, in order.
pub const MODES: [Protocol; 3] = [Protocol::Rdp, Protocol::Ssl, Protocol::Hybrid];

/// The FreeRDP switch that forces a mode.
pub fn client_switch(p: Protocol) -> &'static str {
    match p {
        Protocol::Rdp => "/sec:rdp",
        Protocol::Ssl => "/sec:tls",
        Protocol::Hybrid | Protocol::HybridEx => "/sec:nla",
        Protocol::Rdstls => "/sec:rdstls",
        Protocol::Rdsaad => "/sec:aad",
    }
}

/// The prediction for one mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityPath {
    /// The mode (`rdp`, `ssl` or `hybrid`).
    pub protocol: Protocol,
    /// `Some(true)`: a client forcing this mode gets through; `Some(false)`: it
    /// fails; `None`: the evidence does not say.
    pub gets_through: Option<bool>,
    /// Why, in one phrase.
    pub reason: String,
}

fn path(security: Protocol, gets_through: Option<bool>, reason: impl Into<String>) -> SecurityPath {
    SecurityPath {
        protocol: security,
        gets_through,
        reason: reason.into(),
    }
}

fn outcome_text(o: Option<&NegotiationOutcome>) -> String {
    match o {
        Some(NegotiationOutcome::Failure { code, name }) => {
            format!(
                "the server refuses it: {} ({code})",
                name.as_deref().unwrap_or("unknown code")
            )
        }
        Some(NegotiationOutcome::Selected { protocol, .. }) => {
            format!("the server selects {} instead", protocol.label())
        }
        Some(NegotiationOutcome::Closed) => "the server closes the connection".into(),
        Some(NegotiationOutcome::Silent) => "the server sent no answer in time".into(),
        Some(NegotiationOutcome::Disconnected { reason }) => {
            format!("the server disconnects (MCS Disconnect Provider Ultimatum, {reason})")
        }
        Some(NegotiationOutcome::NoNegotiationData) => {
            "the server answers without negotiation data (Standard RDP Security only)".into()
        }
        Some(NegotiationOutcome::Garbage { error, .. }) => {
            format!("the server answers with something else: {error}")
        }
        Some(NegotiationOutcome::ConnectFailed { error, .. }) => {
            format!("the connection fails: {error}")
        }
        None => "not tested".into(),
    }
}

/// Predicts the three modes from a report.
pub fn predict(r: &ProbeReport, posture: Option<&SecurityPosture>) -> Vec<SecurityPath> {
    let (Some(neg), Some(posture)) = (&r.negotiation, posture) else {
        // A probe cut short by its ceiling knows nothing; an unreachable port
        // lets nobody through.
        let (gets, why) = if r.timings.ceiling_hit {
            (
                None,
                "the probe ran out of time (--ceiling) before the security negotiation",
            )
        } else {
            (
                Some(false),
                "the connection does not get as far as the security negotiation",
            )
        };
        return MODES.iter().map(|m| path(*m, gets, why)).collect();
    };
    let tls_ok = r.tls.as_ref().is_some_and(|t| t.version.is_some());
    // A handshake only an older or laxer TLS stack completes (OpenSSL at
    // security level 0 in the version matrix) still lets such clients through.
    let tls_lax_only = !tls_ok
        && r.tls
            .as_ref()
            .is_some_and(|t| !t.accepted_versions().is_empty());
    let tls_err = r
        .tls
        .as_ref()
        .and_then(|t| t.error.clone())
        .unwrap_or_else(|| "no TLS handshake".into());

    // Standard RDP Security: FreeRDP and old mstsc send no RDP_NEG_REQ for it,
    // and the MCS exchange must then succeed.
    let rdp = {
        let offers_ok = r.rdp_security.as_ref().is_some_and(|s| {
            s.offers
                .iter()
                .any(|o| matches!(o.outcome, RdpSecurityOutcome::Accepted { .. }))
        });
        let refused = r.rdp_security.as_ref().and_then(|s| {
            s.offers.iter().find_map(|o| match &o.outcome {
                RdpSecurityOutcome::Refused { detail, .. } => Some(detail.clone()),
                _ => None,
            })
        });
        if r.rdp_security.is_none() && r.not_checked.contains(&Stage::RdpSecurity) {
            // The fast profile skips the offers when TLS got through: the
            // path is unknown, not closed.
            path(
                Protocol::Rdp,
                None,
                "not checked (fast profile: the Standard RDP Security offers were not tried)",
            )
        } else if offers_ok {
            path(
                Protocol::Rdp,
                Some(true),
                "the server accepts Standard RDP Security",
            )
        } else if let Some(detail) = refused {
            path(
                Protocol::Rdp,
                Some(false),
                format!("the MCS connection is refused: {detail}"),
            )
        } else {
            let o = neg.outcome_for(None).or(neg.outcome_for(Some(0)));
            path(Protocol::Rdp, Some(false), outcome_text(o))
        }
    };

    let tls = if !posture.can_select(Protocol::Ssl) {
        path(
            Protocol::Ssl,
            Some(false),
            outcome_text(neg.outcome_for(Some(1))),
        )
    } else if tls_ok {
        path(
            Protocol::Ssl,
            Some(true),
            "the server selects TLS and completes the handshake",
        )
    } else if tls_lax_only {
        path(
            Protocol::Ssl,
            Some(true),
            format!(
                "the server selects TLS; the handshake completes only for TLS stacks that accept what it offers (a strict client failed: {tls_err})"
            ),
        )
    } else {
        path(
            Protocol::Ssl,
            Some(false),
            format!("the TLS handshake fails: {tls_err}"),
        )
    };

    let nla = if !posture.nla_selectable() {
        // A client forcing NLA asks for HYBRID alone (xfreerdp /sec:nla sends
        // requestedProtocols = 2): its row says what that client meets.
        path(
            Protocol::Hybrid,
            Some(false),
            outcome_text(neg.outcome_for(Some(2)).or(neg.outcome_for(Some(3)))),
        )
    } else {
        match &r.credssp {
            Some(c) if c.ntlm_challenge => path(
                Protocol::Hybrid,
                Some(true),
                "the server selects CredSSP and answers NTLM",
            ),
            Some(c) => path(
                Protocol::Hybrid,
                Some(false),
                format!(
                    "CredSSP fails: {}",
                    c.error.as_deref().unwrap_or("no NTLM challenge")
                ),
            ),
            None => path(Protocol::Hybrid, None, "CredSSP was not tested"),
        }
    };
    vec![rdp, tls, nla]
}
