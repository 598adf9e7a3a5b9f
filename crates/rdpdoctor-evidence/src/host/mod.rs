//! Host evidence: what a Windows machine's own state says — registry,
//! certificate store, firewall, event logs — read live or offline.
//!
//! Every source (hive files, `.reg` exports, `.evtx` files, a mounted
//! volume, the live registry) fills the same types, so the judgement engine
//! never knows where a value came from except through its [`Origin`]. A value
//! that was not found is `None`: "not set" and "not read" differ, and
//! [`HostSource::status`] says which sources could not be read.

mod events;
mod registry;
mod store_cert;

use serde::{Deserialize, Serialize};

pub use events::{EventCount, EventEvidence, EventGroup, EventMachine, EventRecord, EventWindow};
pub use registry::{
    CertificateStore, ClientServer, ClientSettings, CryptoPolicy, FirewallEvidence,
    FirewallProfile, FirewallProfileName, FirewallRule, MachineKeys, NetworkCategory,
    NetworkProfile, SchannelProtocol, SchannelSide, ServiceConfig, ServiceStart,
    TerminalServerSettings, TimeSettings, WindowsIdentity,
};
pub use store_cert::CertificateStoreEntry;

/// Everything `rdpdoctor inspect` read about one Windows machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct HostEvidence {
    /// Every source given (or found inside a volume), with what came of it.
    pub sources: Vec<HostSource>,
    /// Which parts of the machine the sources covered: a check whose part
    /// was not read says nothing (it is not "all clear").
    pub coverage: Coverage,
    /// The machine: name, Windows edition and build, MachineGuid.
    pub identity: WindowsIdentity,
    /// Remote Desktop settings, each with the Group Policy precedence applied.
    pub terminal_server: TerminalServerSettings,
    /// TermService, SessionEnv, UmRdpService.
    pub services: Vec<ServiceConfig>,
    /// Windows Firewall profiles, Remote Desktop rules and network categories;
    /// `None` when no SYSTEM hive (or live registry) was read.
    pub firewall: Option<FirewallEvidence>,
    /// Certificates in the "Remote Desktop" and Personal (`MY`) machine
    /// stores (`SOFTWARE\Microsoft\SystemCertificates\<store>`), each with its store.
    pub certificates: Vec<CertificateStoreEntry>,
    /// The MachineKeys folder, on a mounted volume.
    pub machine_keys: Option<MachineKeys>,
    /// SCHANNEL, FIPS, CredSSP and NTLM policy.
    pub crypto: CryptoPolicy,
    /// W32Time configuration.
    pub time: TimeSettings,
    /// Event log records that bear on RDP failures, grouped.
    pub events: EventEvidence,
    /// Remote Desktop client settings from a user's hive (NTUSER.DAT or an
    /// HKCU export); empty when none was read (see [`Coverage::user`]).
    #[serde(default)]
    pub client: ClientSettings,
    /// Who each registry source says the machine is (its own
    /// `ComputerName`, `MachineGuid`), so that sources of two machines are
    /// never merged: `inspect` refuses them. Event records carry their own
    /// `Computer` ([`EventEvidence::machines`]).
    #[serde(default)]
    pub source_machines: Vec<SourceMachine>,
}

/// Who one registry source says the machine is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceMachine {
    /// The source path, as in [`HostEvidence::sources`].
    pub source: String,
    /// `SYSTEM\…\Control\ComputerName\ComputerName\ComputerName`, when the
    /// source holds it.
    pub computer_name: Option<String>,
    /// `SOFTWARE\Microsoft\Cryptography\MachineGuid`, when the source holds it.
    pub machine_guid: Option<String>,
}

impl HostEvidence {
    /// True when an event record's `Computer` names a machine other than
    /// the one the registry sources name: known on both sides and
    /// different. `Computer` is the DNS name (`dc.windomain.local`),
    /// `ComputerName` the NetBIOS name (`DC`, at most 15 characters): their
    /// first labels are compared, ignoring case.
    pub fn is_other_machine(&self, computer: Option<&str>) -> bool {
        match (&self.identity.computer_name, computer) {
            (Some(name), Some(c)) => !same_machine(&name.value, c),
            _ => false,
        }
    }

    /// True when at least one source gave something usable.
    pub fn anything_read(&self) -> bool {
        self.sources
            .iter()
            .any(|s| !matches!(s.status, SourceStatus::Unusable { .. }))
    }
}

/// Whether a NetBIOS computer name and an event record's `Computer` (a DNS
/// name, or a NetBIOS one) name the same machine: the first DNS label,
/// ignoring case, also as NetBIOS cuts it to 15 characters.
pub fn same_machine(netbios: &str, computer: &str) -> bool {
    let name = netbios.trim();
    let label = computer.trim().split('.').next().unwrap_or_default();
    let cut: String = label.chars().take(15).collect();
    label.eq_ignore_ascii_case(name) || cut.eq_ignore_ascii_case(name)
}

/// Which parts of a machine were read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Coverage {
    /// `HKLM\SYSTEM` (a SYSTEM hive, an export of it, or live).
    pub system: bool,
    /// `HKLM\SOFTWARE` (policies, the certificate stores, NetworkList).
    pub software: bool,
    /// A user's `HKCU` (NTUSER.DAT).
    pub user: bool,
    /// At least one event log.
    pub events: bool,
}

/// One source and what came of reading it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostSource {
    /// The path as given (or found inside a volume), or `live`.
    pub path: String,
    /// What the source is.
    pub kind: SourceKind,
    /// Whether it was read whole, in part, or not at all.
    pub status: SourceStatus,
}

/// What a source is, recognised from its content (not its name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// A SYSTEM registry hive file.
    SystemHive,
    /// A SOFTWARE registry hive file.
    SoftwareHive,
    /// A user's NTUSER.DAT hive file.
    UserHive,
    /// A hive of a kind rdpdoctor does not read (SAM, SECURITY, …).
    OtherHive,
    /// A `reg export` file (REGEDIT5 UTF-16LE, or REGEDIT4).
    RegExport,
    /// A Windows event log file.
    Evtx,
    /// A folder of `.evtx` files (e.g. `winevt\Logs`).
    EvtxFolder,
    /// A mounted Windows volume (the folder holding `Windows\System32`).
    Volume,
    /// The running Windows machine (`inspect --local`).
    Live,
    /// Not recognised.
    Unknown,
}

/// What came of reading one source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum SourceStatus {
    /// Read whole.
    Read,
    /// Read in part: what was read is used, and this says what was not.
    Partial {
        /// One line: what could not be read.
        problem: String,
    },
    /// Nothing usable.
    Unusable {
        /// One line: why.
        problem: String,
    },
}

/// Where a value came from: the source, the registry key and the value name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    /// The source path, or `live`.
    pub source: String,
    /// The full key path as Windows names it, e.g.
    /// `HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp`
    /// (offline, `CurrentControlSet` is resolved through `Select\Current`
    /// and written as the control set read, e.g. `ControlSet001`).
    pub key: String,
    /// The value name; `None` for a key's presence.
    pub value: Option<String>,
}

/// A setting's effective value, where it came from, and what it shadowed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Setting<T> {
    /// The effective value.
    pub value: T,
    /// Where it came from.
    pub origin: Origin,
    /// Lower-precedence places that also set it, with their values (e.g. the
    /// listener's own value that a Group Policy value overrides).
    pub shadowed: Vec<Shadowed<T>>,
}

/// A value that a higher-precedence one overrides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shadowed<T> {
    /// The overridden value.
    pub value: T,
    /// Where it was.
    pub origin: Origin,
}
