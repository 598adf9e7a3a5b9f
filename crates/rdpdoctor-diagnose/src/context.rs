//! What the probe cannot see and the user can say: their client (`--client`)
//! and where the server runs (`--on`). The error they saw (`--error`) is
//! evidence: [`crate::Evidence::codes`].

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
    /// Every profile, in order.
    pub const ALL: [ClientId; 6] = [
        Self::MstscWin7,
        Self::MstscWin10,
        Self::MstscWin11,
        Self::Macos,
        Self::Xfreerdp2,
        Self::Xfreerdp3,
    ];

    /// Looks a profile up by its id.
    pub fn from_id(id: &str) -> Option<ClientId> {
        Self::ALL.into_iter().find(|c| c.id() == id)
    }

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

impl Environment {
    /// Every environment, in order.
    pub const ALL: [Environment; 5] = [
        Self::Azure,
        Self::HyperV,
        Self::Vmware,
        Self::DomainMember,
        Self::Workgroup,
    ];

    /// The kebab-case name, as `--on` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Azure => "azure",
            Self::HyperV => "hyper-v",
            Self::Vmware => "vmware",
            Self::DomainMember => "domain-member",
            Self::Workgroup => "workgroup",
        }
    }

    /// Looks an environment up by its name.
    pub fn from_name(name: &str) -> Option<Environment> {
        Self::ALL.into_iter().find(|e| e.name() == name)
    }
}

/// What the user told us.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The clients the user cares about (`--client`); empty = all profiles.
    pub clients: Vec<ClientId>,
    /// Where the server runs (`--on`).
    pub environment: Option<Environment>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_json_names() {
        for c in ClientId::ALL {
            assert_eq!(serde_json::to_value(c).unwrap(), c.id());
            assert_eq!(ClientId::from_id(c.id()), Some(c));
        }
        for e in Environment::ALL {
            assert_eq!(serde_json::to_value(e).unwrap(), e.name());
            assert_eq!(Environment::from_name(e.name()), Some(e));
        }
    }
}
