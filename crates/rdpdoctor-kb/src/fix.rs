//! Fixes and confirm steps: which side a fix changes, for which server
//! software and client, and how it is applied.

use serde::{Deserialize, Serialize};

use crate::model::Check;
/// Which side a step runs on or a fix changes: the RDP server, the client,
/// an RD Gateway between them, or the network (a firewall, a router, a cloud
/// network rule). An unknown value fails when the KB loads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AppliesTo {
    #[default]
    Server,
    Client,
    Gateway,
    Network,
}

impl AppliesTo {
    /// The kebab-case name, as in the KB and the JSON.
    pub fn name(self) -> &'static str {
        match self {
            AppliesTo::Server => "server",
            AppliesTo::Client => "client",
            AppliesTo::Gateway => "gateway",
            AppliesTo::Network => "network",
        }
    }
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
    /// For steps run on the server: the server software it is written for
    /// (Windows when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
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
    /// The side the fix changes (the KB's key).
    pub applies_to: AppliesTo,
    /// The same side under the name the JSON reports give it (filled from
    /// `applies_to` when the KB loads; not a KB key).
    #[serde(skip_deserializing)]
    pub side: AppliesTo,
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
    /// Only where the server runs on this (the user's `--on`): a way in
    /// that works when RDP does not (Hyper-V's PowerShell Direct, VMware's
    /// guest operations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on: Option<VmHost>,
    /// The findings (ids) this fix is written for, when a cause covers
    /// several cases (a locked account, an expired password …): with one of
    /// them present it goes first. Ordering data only, not in the JSON.
    #[serde(default, skip_serializing)]
    pub for_findings: Vec<String>,
    /// For a client switch that forces one security protocol (`/sec:rdp`,
    /// `/sec:tls`, `/sec:nla`): that protocol (`rdp`, `ssl`, `hybrid`). The
    /// fix is no fix where the client predictions say the client fails in
    /// that mode. Ordering data only, not in the JSON.
    #[serde(default, skip_serializing)]
    pub forces_protocol: Option<String>,
    /// The findings (ids) that show the other side is the one to change
    /// (enabling TLS 1.2 on a client does nothing for a server that refuses
    /// it): with one present the fix is not offered first. Ordering data
    /// only, not in the JSON.
    #[serde(default, skip_serializing)]
    pub not_for_findings: Vec<String>,
}

impl Fix {
    /// The server software this fix is for; `None` for client-side fixes.
    pub fn server_platform(&self) -> Option<Platform> {
        match self.applies_to {
            AppliesTo::Server => Some(self.platform.unwrap_or(Platform::Windows)),
            AppliesTo::Client | AppliesTo::Gateway | AppliesTo::Network => None,
        }
    }
}

impl ConfirmStep {
    /// The server software this step is for; `None` for steps not run on
    /// the server (rdpdoctor's own checks, the client, the network).
    pub fn server_platform(&self) -> Option<Platform> {
        match self.run_on {
            Some(AppliesTo::Server) => Some(self.platform.unwrap_or(Platform::Windows)),
            _ => None,
        }
    }
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
    /// IronRDP's server (a Rust program built on the `ironrdp-server` crate).
    Ironrdp,
}

impl Platform {
    /// For sentences ("no fix known for xrdp").
    pub fn label(self) -> &'static str {
        match self {
            Platform::Windows => "Windows",
            Platform::Xrdp => "xrdp",
            Platform::Freerdp => "FreeRDP's server",
            Platform::Ironrdp => "IronRDP's server",
        }
    }
}

/// Where a server runs, for fixes that reach it another way than RDP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VmHost {
    /// An Azure VM (use `kind = "azure"` for Run Command).
    Azure,
    /// A Hyper-V guest.
    HyperV,
    /// A VMware guest.
    Vmware,
}

impl VmHost {
    /// The kebab-case name, as `--on` takes it.
    pub fn name(self) -> &'static str {
        match self {
            VmHost::Azure => "azure",
            VmHost::HyperV => "hyper-v",
            VmHost::Vmware => "vmware",
        }
    }
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
