//! A cause of the knowledge base (`kb/causes.toml`): where it lives, how far
//! a connection must get for it, the finding → cause relations, the steps
//! that confirm it and the fixes, each for the servers and clients it fits.

use super::CodeRef;
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

/// Which machine a step or fix is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AppliesTo {
    Server,
    Client,
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

/// Shell a command is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Shell {
    Powershell,
    Cmd,
    Sh,
}

/// How to confirm (or rule out) a cause.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfirmStep {
    /// What to do and what to look for.
    pub how: String,
    /// The rdpdoctor check that shows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<Check>,
    /// The finding id that confirms it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finding: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_on: Option<AppliesTo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shell: Option<Shell>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_log: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub event_ids: Vec<u32>,
}

/// RDP clients a fix can be specific to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Client {
    Mstsc,
    WindowsApp,
    Macos,
    Xfreerdp,
    Remmina,
}

/// How a fix is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FixKind {
    /// A console or settings page: see `path`.
    Gui,
    /// PowerShell: see `command`.
    Powershell,
    /// cmd.exe (REG ADD …): see `command`.
    Cmd,
    /// A Group Policy setting: see `path`.
    GroupPolicy,
    /// Azure CLI (Run Command, NSG …): see `command`.
    Azure,
    /// A client option, .rdp line or command line: see `command`.
    ClientSwitch,
}

/// One way to fix a cause.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fix {
    /// Stable id, unique across the knowledge base.
    pub id: String,
    pub title: String,
    pub applies_to: AppliesTo,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<Client>,
    pub kind: FixKind,
    /// Exact console / policy path (gui, group-policy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Pasteable command or option (powershell, cmd, azure, client-switch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<String>,
    /// True when the fix lowers security (then `undo` says how to revert).
    #[serde(default)]
    pub weakens_security: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undo: Option<String>,
    /// For server-side fixes: the server software it is written for
    /// (Windows when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// Only for this kind of certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert: Option<CertKind>,
    /// The findings (ids) this fix is written for, when a cause covers
    /// several cases (a locked account, an expired password …): with one of
    /// them present it goes first. Ordering data only, not in the JSON.
    #[serde(default, skip_serializing)]
    pub for_findings: Vec<String>,
}

impl Fix {
    /// The server software this fix is for; `None` for client-side fixes.
    pub fn server_platform(&self) -> Option<Platform> {
        match self.applies_to {
            AppliesTo::Client => None,
            AppliesTo::Server => Some(self.platform.unwrap_or(Platform::Windows)),
        }
    }
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

/// The server software a fix is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Platform {
    /// Windows (the default for server-side fixes).
    Windows,
    /// xrdp on Linux.
    Xrdp,
    /// FreeRDP's server (freerdp-shadow-cli).
    Freerdp,
}

/// Which kind of certificate a fix is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CertKind {
    /// The listener's self-signed certificate.
    SelfSigned,
    /// A certificate issued by a CA (an enterprise or public CA).
    CaIssued,
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
