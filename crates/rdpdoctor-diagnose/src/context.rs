//! What the probe cannot see and the user can say: their client (`--client`)
//! and where the server runs (`--on`), plus the error they saw (`--error`).

use serde::{Deserialize, Serialize};

/// A client profile (see [`crate::clients::PROFILES`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientId {
    /// mstsc on Windows 7 SP1 without the 2016–2018 updates.
    MstscWin7,
    /// mstsc on Windows 10 / Server 2016–2019.
    MstscWin10,
    /// mstsc or Windows App on Windows 11 / Server 2022+.
    MstscWin11,
    /// Windows App / Microsoft Remote Desktop on macOS.
    Macos,
    /// xfreerdp 2.x.
    Xfreerdp2,
    /// xfreerdp 3.x.
    Xfreerdp3,
}

impl ClientId {
    /// The profile id, e.g. `mstsc-win10`.
    pub fn id(self) -> &'static str {
        match self {
            Self::MstscWin7 => "mstsc-win7",
            Self::MstscWin10 => "mstsc-win10",
            Self::MstscWin11 => "mstsc-win11",
            Self::Macos => "macos",
            Self::Xfreerdp2 => "xfreerdp2",
            Self::Xfreerdp3 => "xfreerdp3",
        }
    }
}

/// Where the server runs, which decides how it can be reached to fix it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Environment {
    /// An Azure VM: Run Command works when RDP does not.
    Azure,
    /// A Hyper-V guest: the VM console (vmconnect) works when RDP does not.
    HyperV,
    /// A VMware guest: the VM console works when RDP does not.
    Vmware,
    /// A domain member: Group Policy is how settings are made to stick.
    DomainMember,
    /// A workgroup machine: local settings, no domain policy.
    Workgroup,
}

/// What the user told us.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The error the client showed (`--error`), verbatim.
    pub error: Option<String>,
    /// The clients the user cares about (`--client`); empty = all profiles.
    pub clients: Vec<ClientId>,
    /// Where the server runs (`--on`).
    pub environment: Option<Environment>,
}
