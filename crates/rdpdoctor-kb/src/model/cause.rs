//! A cause of the knowledge base (`kb/causes.toml`): where it lives, how far
//! a connection must get for it, the finding → cause relations, the steps
//! that confirm it and the fixes, each for the servers and clients it fits.

use super::CodeRef;
use crate::fix::{ConfirmStep, Fix};
use serde::{Deserialize, Serialize};

/// Where a cause lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    Server,
    Client,
    Network,
    Both,
}

/// The stage of rdpdoctor's probe that produces a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// Name resolution.
    Dns,
    /// TCP connect to the RDP port.
    Tcp,
    /// X.224 / RDP_NEG security negotiation.
    X224,
    /// TLS handshake (versions, ciphers, how the server ends it).
    Tls,
    /// The server certificate (dates, name, chain, key).
    Certificate,
    /// CredSSP / NLA.
    Nla,
    /// Clock comparison with the server.
    Clock,
    /// Loss and latency measurement.
    Network,
    /// The deeper probe that goes past the handshake (server denial, licensing).
    Deep,
}

/// A code that points at a cause (derived from the code tables at load time).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CauseCode {
    pub code: CodeRef,
    pub name: String,
    pub weight: f64,
}

/// One edge of the finding → cause relation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Relation {
    /// A finding id (kebab-case, as in the JSON).
    pub finding: String,
    /// Only when the finding carries this qualifier (e.g. `reset` for a TLS
    /// handshake the server reset; `fast` for an ICMP error that came at once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualifier: Option<String>,
    /// How much the finding says about the cause: 1.0 when the finding *is*
    /// the cause, less when it is one of several explanations.
    pub weight: f64,
    /// Why, in a few words a reader can check.
    pub why: String,
    /// The finding is observed, but that it stops a client rests on
    /// documented client behaviour that no test here measured: a cause
    /// resting on such relations alone is at most of medium confidence.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub documented: bool,
}

/// A stage of the connection sequence a cause needs to be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reach {
    /// The X.224 security negotiation must succeed (some protocol selected).
    Security,
    /// The security exchange (TLS, CredSSP or Standard RDP Security) must
    /// complete, so the server sees who connects.
    Logon,
}

/// A reason an RDP connection fails.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cause {
    /// Stable kebab-case id.
    pub id: String,
    pub title: String,
    pub summary: String,
    pub side: Side,
    /// The finding → cause relation: which findings point here, how strongly,
    /// and why. This is the one place the relation is written; the judgement
    /// engine (rdpdoctor-diagnose) reads it and adds nothing of its own.
    #[serde(default)]
    pub evidence: Vec<Relation>,
    /// How far a connection must get for this cause to be what stops it
    /// (e.g. a user not allowed to log on needs the security exchange to
    /// succeed first). When the evidence shows that no client gets that far,
    /// the cause is ruled out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reach: Option<Reach>,
    /// Probe findings that make this cause unlikely.
    #[serde(default)]
    pub ruled_out_by: Vec<String>,
    /// Causes this one explains when both are present: RDP switched off
    /// explains the closed port. The engine never ranks this cause below
    /// one it explains that it is surer of.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub explains: Vec<String>,
    pub symptoms: Vec<String>,
    pub confirm: Vec<ConfirmStep>,
    pub fixes: Vec<Fix>,
    /// Codes that point here (filled in from the code tables).
    #[serde(skip_deserializing)]
    pub codes: Vec<CauseCode>,
}
