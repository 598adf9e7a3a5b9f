//! Which client security modes get through to the logon stage on this server.
//!
//! A client that forces a mode (`xfreerdp /sec:rdp|tls|nla`, an .rdp file with
//! `authentication level` and `enablecredsspsupport`) either gets through the
//! connection sequence or fails in a way the evidence predicts. "Gets through"
//! ignores certificate trust (as `/cert:ignore` does) and credentials: it is
//! about the protocol, and the certificate findings speak about trust.

use crate::{NegotiationOutcome, ProbeReport, RdpSecurityOutcome};
use serde::{Deserialize, Serialize};

/// A security mode a client can force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientSecurity {
    /// Standard RDP Security (`/sec:rdp`).
    Rdp,
    /// TLS without NLA (`/sec:tls`).
    Tls,
    /// CredSSP / NLA (`/sec:nla`).
    Nla,
}

/// The prediction for one mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityPath {
    /// The mode.
    pub security: ClientSecurity,
    /// `Some(true)`: a client forcing this mode gets through; `Some(false)`: it
    /// fails; `None`: the evidence does not say.
    pub gets_through: Option<bool>,
    /// Why, in one phrase.
    pub reason: String,
}

fn path(
    security: ClientSecurity,
    gets_through: Option<bool>,
    reason: impl Into<String>,
) -> SecurityPath {
    SecurityPath {
        security,
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
            format!("the server selects {} instead", protocol.names.join("|"))
        }
        Some(NegotiationOutcome::Closed) => "the server closes the connection".into(),
        Some(NegotiationOutcome::Silent) => "the server does not answer".into(),
        Some(NegotiationOutcome::NoNegotiationData) => {
            "the server answers without negotiation data (Standard RDP Security only)".into()
        }
        Some(NegotiationOutcome::Garbage { error, .. }) => {
            format!("the server answers with something else: {error}")
        }
        Some(NegotiationOutcome::ConnectFailed { error }) => {
            format!("the connection fails: {error}")
        }
        None => "not tested".into(),
    }
}

/// Predicts the three modes from a report.
pub fn predict(r: &ProbeReport) -> Vec<SecurityPath> {
    let Some(neg) = &r.negotiation else {
        let why = "the connection does not get as far as the security negotiation";
        return vec![
            path(ClientSecurity::Rdp, Some(false), why),
            path(ClientSecurity::Tls, Some(false), why),
            path(ClientSecurity::Nla, Some(false), why),
        ];
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
                RdpSecurityOutcome::Refused { detail } => Some(detail.clone()),
                _ => None,
            })
        });
        if offers_ok {
            path(
                ClientSecurity::Rdp,
                Some(true),
                "the server accepts Standard RDP Security",
            )
        } else if let Some(detail) = refused {
            path(
                ClientSecurity::Rdp,
                Some(false),
                format!("the MCS connection is refused: {detail}"),
            )
        } else {
            let o = neg.outcome_for(None).or(neg.outcome_for(Some(0)));
            path(ClientSecurity::Rdp, Some(false), outcome_text(o))
        }
    };

    let tls = if !neg.can_select("SSL") {
        path(
            ClientSecurity::Tls,
            Some(false),
            outcome_text(neg.outcome_for(Some(1))),
        )
    } else if tls_ok {
        path(
            ClientSecurity::Tls,
            Some(true),
            "the server selects TLS and completes the handshake",
        )
    } else if tls_lax_only {
        path(
            ClientSecurity::Tls,
            Some(true),
            format!(
                "the server selects TLS; the handshake completes only for TLS stacks that accept what it offers (a strict client failed: {tls_err})"
            ),
        )
    } else {
        path(
            ClientSecurity::Tls,
            Some(false),
            format!("the TLS handshake fails: {tls_err}"),
        )
    };

    let hybrid = neg.can_select("HYBRID") || neg.can_select("HYBRID_EX");
    let nla = if !hybrid {
        path(
            ClientSecurity::Nla,
            Some(false),
            outcome_text(neg.outcome_for(Some(3)).or(neg.outcome_for(Some(2)))),
        )
    } else {
        match &r.credssp {
            Some(c) if c.ntlm_challenge => path(
                ClientSecurity::Nla,
                Some(true),
                "the server selects CredSSP and answers NTLM",
            ),
            Some(c) => path(
                ClientSecurity::Nla,
                Some(false),
                format!(
                    "CredSSP fails: {}",
                    c.error.as_deref().unwrap_or("no NTLM challenge")
                ),
            ),
            None => path(ClientSecurity::Nla, None, "CredSSP was not tested"),
        }
    };
    vec![rdp, tls, nla]
}
