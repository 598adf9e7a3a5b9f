//! Registry-derived host evidence: Remote Desktop settings, services,
//! firewall, the "Remote Desktop" certificate store, crypto policy, time.

use super::{Origin, Setting};
use serde::{Deserialize, Serialize};

/// Who the machine is (`SOFTWARE\Microsoft\Windows NT\CurrentVersion`,
/// `SYSTEM\…\Control\ComputerName`, `SOFTWARE\Microsoft\Cryptography`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct WindowsIdentity {
    /// `ComputerName\ComputerName\ComputerName`.
    pub computer_name: Option<Setting<String>>,
    /// `ProductName`, e.g. `Windows Server 2019 Datacenter`.
    pub product_name: Option<Setting<String>>,
    /// `CurrentBuild` (or `CurrentBuildNumber`), e.g. `17763`.
    pub build: Option<Setting<String>>,
    /// `DisplayVersion` or `ReleaseId`, e.g. `21H2`.
    pub display_version: Option<Setting<String>>,
    /// `MachineGuid`: names the RDP self-signed certificate's key file.
    pub machine_guid: Option<Setting<String>>,
    /// The control set `Select\Current` names, offline (e.g. 1).
    pub current_control_set: Option<u32>,
}

/// Remote Desktop settings with Group Policy precedence applied: a value
/// under `SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services` wins over
/// `SYSTEM\…\Control\Terminal Server` and `…\WinStations\RDP-Tcp`; what it
/// overrides is kept in [`Setting::shadowed`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TerminalServerSettings {
    /// `fDenyTSConnections`: 1 = Remote Desktop connections refused.
    pub deny_ts_connections: Option<Setting<u32>>,
    /// `PortNumber` of the RDP-Tcp listener.
    pub port_number: Option<Setting<u32>>,
    /// `SecurityLayer`: 0 = RDP, 1 = Negotiate, 2 = TLS (SSL).
    pub security_layer: Option<Setting<u32>>,
    /// `UserAuthentication`: 1 = NLA required.
    pub user_authentication: Option<Setting<u32>>,
    /// `MinEncryptionLevel`: 1 low, 2 client compatible, 3 high, 4 FIPS.
    pub min_encryption_level: Option<Setting<u32>>,
    /// `MaxInstanceCount` of RDP-Tcp.
    pub max_instance_count: Option<Setting<u32>>,
    /// `MaxOutstandingConnections` (`Control\Terminal Server`).
    pub max_outstanding_connections: Option<Setting<u32>>,
    /// `SSLCertificateSHA1Hash` of RDP-Tcp, upper-case hex; absent = the self-signed certificate.
    pub ssl_certificate_sha1_hash: Option<Setting<String>>,
    /// `fSingleSessionPerUser`.
    pub single_session_per_user: Option<Setting<u32>>,
}

/// A service's start type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceStart {
    /// 0.
    Boot,
    /// 1.
    System,
    /// 2.
    Automatic,
    /// 3: started on demand (normal for TermService on client editions).
    Manual,
    /// 4: cannot start.
    Disabled,
    /// Anything else, raw.
    Other(u32),
}

impl ServiceStart {
    /// The start type from the `Start` value.
    pub fn from_raw(v: u32) -> ServiceStart {
        match v {
            0 => ServiceStart::Boot,
            1 => ServiceStart::System,
            2 => ServiceStart::Automatic,
            3 => ServiceStart::Manual,
            4 => ServiceStart::Disabled,
            n => ServiceStart::Other(n),
        }
    }
}

/// One service's configuration (`SYSTEM\…\Services\<name>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceConfig {
    /// The service name, e.g. `TermService`.
    pub name: String,
    /// The start type; `None` when the service key is absent.
    pub start: Option<Setting<ServiceStart>>,
}

/// A firewall profile's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FirewallProfileName {
    /// `DomainProfile`.
    Domain,
    /// `StandardProfile` (shown as Private).
    Private,
    /// `PublicProfile`.
    Public,
}

/// One firewall profile (`SharedAccess\Parameters\FirewallPolicy\<Profile>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirewallProfile {
    /// Which profile.
    pub name: FirewallProfileName,
    /// `EnableFirewall` (Group Policy's `WindowsFirewall\<Profile>` wins).
    pub enabled: Option<Setting<u32>>,
}

/// One firewall rule that bears on Remote Desktop (its group or name says
/// Remote Desktop, or it names the configured port), parsed from the
/// `v2.x|Action=…|Active=…|…` string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirewallRule {
    /// The value name (the rule id), e.g. `RemoteDesktop-UserMode-In-TCP`.
    pub id: String,
    /// `Name=` (often an `@FirewallAPI.dll,-…` resource reference).
    pub name: Option<String>,
    /// `Action=`: `Allow` or `Block`.
    pub action: Option<String>,
    /// `Active=TRUE`.
    pub active: bool,
    /// `Dir=`: `In` or `Out`.
    pub direction: Option<String>,
    /// `Protocol=`: 6 = TCP, 17 = UDP.
    pub protocol: Option<u32>,
    /// `Profile=` values; empty = all profiles.
    pub profiles: Vec<FirewallProfileName>,
    /// `LPort=` values (numbers, ranges or keywords).
    pub local_ports: Vec<String>,
    /// Where the rule is.
    pub origin: Origin,
}

/// A network's category (`NetworkList\Profiles\<guid>\Category`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NetworkCategory {
    /// 0.
    Public,
    /// 1.
    Private,
    /// 2.
    Domain,
    /// Anything else, raw.
    Other(u32),
}

/// One known network (`SOFTWARE\Microsoft\Windows NT\CurrentVersion\NetworkList\Profiles`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkProfile {
    /// `ProfileName`.
    pub name: String,
    /// `Category`.
    pub category: NetworkCategory,
    /// Where it is.
    pub origin: Origin,
}

/// Windows Firewall as the registry holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct FirewallEvidence {
    /// Domain, Private, Public.
    pub profiles: Vec<FirewallProfile>,
    /// The Remote Desktop rules (and any rule naming the configured port).
    pub rules: Vec<FirewallRule>,
    /// Known networks and their categories.
    pub networks: Vec<NetworkProfile>,
}

impl FirewallEvidence {
    /// True when some source held the firewall's policy (a profile's
    /// `EnableFirewall` or a rule): a partial export without the
    /// FirewallPolicy key says nothing about the firewall.
    pub fn holds_policy(&self) -> bool {
        !self.rules.is_empty() || self.profiles.iter().any(|p| p.enabled.is_some())
    }
}

/// Which machine certificate store a certificate is in
/// (`SOFTWARE\Microsoft\SystemCertificates\<store>\Certificates`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum CertificateStore {
    /// `Remote Desktop`: where Remote Desktop Services keeps its self-signed
    /// listener certificate.
    #[default]
    RemoteDesktop,
    /// `MY` (Personal, `certlm.msc`): where a certificate that
    /// `SSLCertificateSHA1Hash` names usually is (one from a CA, or deployed
    /// by Group Policy).
    My,
}

/// The MachineKeys folder on a mounted volume
/// (`ProgramData\Microsoft\Crypto\RSA\MachineKeys`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MachineKeys {
    /// The folder's path.
    pub path: String,
    /// The RDP self-signed certificate's key file name,
    /// `f686aace6942fb7f7ceb231212eef4a4_<MachineGuid>`, when the MachineGuid is known.
    pub rdp_key_file: Option<String>,
    /// Whether that file exists.
    pub rdp_key_present: Option<bool>,
    /// Its size in bytes (0 = damaged).
    pub rdp_key_bytes: Option<u64>,
    /// How many key files the folder holds.
    pub files: u64,
}

/// Which side of SCHANNEL a protocol setting applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SchannelSide {
    /// `…\Server`: what this machine accepts as an RDP server.
    Server,
    /// `…\Client`: what this machine offers as an RDP client.
    Client,
}

/// One `SCHANNEL\Protocols\<protocol>\<side>` key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchannelProtocol {
    /// `ssl3.0`, `tls1.0`, `tls1.1`, `tls1.2`, `tls1.3`.
    pub protocol: String,
    /// Server or client.
    pub side: SchannelSide,
    /// `Enabled` (0 = off; absent = the OS default).
    pub enabled: Option<u32>,
    /// `DisabledByDefault`.
    pub disabled_by_default: Option<u32>,
    /// Where it is.
    pub origin: Origin,
}

/// SCHANNEL, FIPS, CredSSP and NTLM policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CryptoPolicy {
    /// Every SCHANNEL protocol key present.
    pub schannel: Vec<SchannelProtocol>,
    /// `Lsa\FIPSAlgorithmPolicy\Enabled`.
    pub fips_algorithm_policy: Option<Setting<u32>>,
    /// CredSSP `AllowEncryptionOracle` (0 = Force Updated Clients,
    /// 1 = Mitigated, 2 = Vulnerable) under
    /// `SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System\CredSSP\Parameters`.
    pub allow_encryption_oracle: Option<Setting<u32>>,
    /// `Lsa\LmCompatibilityLevel`.
    pub lm_compatibility_level: Option<Setting<u32>>,
}

/// W32Time configuration (`SYSTEM\…\Services\W32Time`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TimeSettings {
    /// `Parameters\Type`: `NT5DS`, `NTP`, `AllSync`, `NoSync`.
    pub sync_type: Option<Setting<String>>,
    /// `Parameters\NtpServer`.
    pub ntp_server: Option<Setting<String>>,
    /// The W32Time service's start type.
    pub service_start: Option<Setting<ServiceStart>>,
}

/// Remote Desktop client settings of one user (`HKCU\Software\Microsoft\Terminal Server Client`,
/// from NTUSER.DAT or an HKCU export): what this machine's mstsc does as a client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ClientSettings {
    /// `AuthenticationLevelOverride`: 0 = connect without warning when the
    /// server cannot be authenticated, 1 = do not connect, 2 = warn.
    pub authentication_level_override: Option<Setting<u32>>,
    /// `RDGClientTransport`: 1 = the RD Gateway is reached over RPC-over-HTTP
    /// only (no HTTP/UDP transport).
    pub rdg_client_transport: Option<Setting<u32>>,
    /// The servers the user has connected to (`Servers\<name>`).
    pub servers: Vec<ClientServer>,
}

/// One server the client remembers (`…\Terminal Server Client\Servers\<name>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientServer {
    /// The key name: the server as the user typed it (name, address, `:port`).
    pub name: String,
    /// `UsernameHint`: the user name last used for it.
    pub username_hint: Option<Setting<String>>,
    /// `CertHash`: SHA-1 thumbprint of the certificate the user accepted,
    /// upper-case hex.
    pub cert_hash: Option<Setting<String>>,
}
