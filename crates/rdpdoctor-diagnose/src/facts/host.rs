//! Facts of the host findings: the Windows machine's registry settings
//! (each with where it came from and what it overrode), certificate store,
//! MachineKeys, SCHANNEL, event logs, and where they disagree with the wire.
//! A setting's key is the registry value's name.

#![allow(non_snake_case)]

use super::facts;
use rdpdoctor_evidence::host::{
    EventGroup, FirewallProfileName, NetworkCategory, Origin, ServiceStart, Setting,
};
use serde::Serialize;
use std::collections::BTreeMap;

/// A registry setting as a finding shows it: the effective value, where it
/// came from, and the values it overrode.
#[derive(Debug, Clone, Serialize)]
pub struct SettingFacts<'a, T> {
    /// The effective value.
    pub value: &'a T,
    /// `KEY\Value`, as `reg query` names it.
    pub from: String,
    /// The file or export it was read from.
    pub source: &'a str,
    /// The values it overrode (Group Policy over local settings), each with where it was.
    pub overrides: Vec<OverriddenFacts<'a, T>>,
}

/// A value a setting overrode.
#[derive(Debug, Clone, Serialize)]
pub struct OverriddenFacts<'a, T> {
    /// The overridden value.
    pub value: &'a T,
    /// `KEY\Value`.
    pub from: String,
}

/// `KEY\Value` as `reg query` would name it.
pub fn origin_text(o: &Origin) -> String {
    match &o.value {
        Some(v) => format!("{}\\{v}", o.key),
        None => o.key.clone(),
    }
}

impl<'a, T> SettingFacts<'a, T> {
    /// A setting's value, origin and what it overrode.
    pub fn of(s: &'a Setting<T>) -> Self {
        SettingFacts {
            value: &s.value,
            from: origin_text(&s.origin),
            source: &s.origin.source,
            overrides: s
                .shadowed
                .iter()
                .map(|x| OverriddenFacts {
                    value: &x.value,
                    from: origin_text(&x.origin),
                })
                .collect(),
        }
    }
}

/// A known network on a firewall profile that blocks RDP.
#[derive(Debug, Clone, Serialize)]
pub struct NetworkFacts<'a> {
    /// The network's name (its profile's `ProfileName`).
    pub name: &'a str,
    /// Its category, as in `host.firewall.networks`.
    pub category: NetworkCategory,
    /// `KEY\Value` it was read from.
    pub from: String,
}

/// One group of event records behind an event finding: the newest record's
/// identity and the group's count.
#[derive(Debug, Clone, Serialize)]
pub struct EventGroupFacts<'a> {
    /// The channel, e.g. `Security`.
    pub channel: &'a str,
    /// The event id.
    pub event_id: u32,
    /// The fields that make the group (e.g. the status).
    pub key: &'a BTreeMap<String, String>,
    /// Records in the group.
    pub count: u64,
    /// Time of the first record.
    pub first: &'a str,
    /// Time of the newest record.
    pub newest: &'a str,
    /// The newest record's EventRecordID.
    pub record_id: u64,
    /// The file it was read from.
    pub source: &'a str,
    /// The computer that logged it, as logged.
    pub computer: Option<&'a str>,
}

impl<'a> EventGroupFacts<'a> {
    /// The facts of a group.
    pub fn of(g: &'a EventGroup) -> Self {
        EventGroupFacts {
            channel: &g.channel,
            event_id: g.event_id,
            key: &g.key,
            count: g.count,
            first: &g.first,
            newest: &g.newest.time,
            record_id: g.newest.record_id,
            source: &g.newest.source,
            computer: g.computer.as_deref(),
        }
    }
}

facts! {
    /// `fDenyTSConnections` = 1 (`rdp-disabled`).
    pub struct RdpDisabledFacts<'a> for [RdpDisabled] {
        /// The setting.
        pub fDenyTSConnections: SettingFacts<'a, u32>,
    }

    /// TermService's start type (`rdp-service-disabled`).
    pub struct RdpServiceDisabledFacts<'a> for [RdpServiceDisabled] {
        /// The service's `Start` setting.
        pub TermService: SettingFacts<'a, ServiceStart>,
    }

    /// The listener's port (`listener-port-differs`).
    pub struct ListenerPortFacts<'a> for [ListenerPortDiffers] {
        /// The `PortNumber` setting.
        pub PortNumber: SettingFacts<'a, u32>,
        /// The port probed, with a wire probe.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub probed_port: Option<u16>,
    }

    /// Firewall profiles with no active rule letting RDP in
    /// (`firewall-blocks-rdp`, `firewall-rule-inactive`).
    pub struct FirewallFacts<'a> for [FirewallBlocksRdp, FirewallRuleInactive] {
        /// The profiles that are on with no active rule letting the port in.
        pub blocked_profiles: Vec<FirewallProfileName>,
        /// The listener's port (3389 when not read).
        pub port: u32,
        /// The ids of the inactive rules read.
        pub inactive_rules: Vec<&'a str>,
        /// The known networks on a blocked profile.
        pub networks: Vec<NetworkFacts<'a>>,
    }

    /// `SecurityLayer` = 0 (`host-security-layer-rdp`).
    pub struct SecurityLayerFacts<'a> for [HostSecurityLayerRdp] {
        /// The setting.
        pub SecurityLayer: SettingFacts<'a, u32>,
    }

    /// `UserAuthentication` = 0 (`host-nla-off`).
    pub struct HostNlaOffFacts<'a> for [HostNlaOff] {
        /// The setting.
        pub UserAuthentication: SettingFacts<'a, u32>,
    }

    /// FIPS required (`host-fips-required`): at least one of the two.
    pub struct HostFipsFacts<'a> for [HostFipsRequired] {
        /// `MinEncryptionLevel` = 4.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub MinEncryptionLevel: Option<SettingFacts<'a, u32>>,
        /// `FIPSAlgorithmPolicy` = 1.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub FIPSAlgorithmPolicy: Option<SettingFacts<'a, u32>>,
    }

    /// A low `MaxOutstandingConnections` (`max-outstanding-low`).
    pub struct MaxOutstandingFacts<'a> for [MaxOutstandingLow] {
        /// The setting.
        pub MaxOutstandingConnections: SettingFacts<'a, u32>,
    }

    /// Windows Time off (`time-sync-off`): at least one of the two.
    pub struct TimeSyncFacts<'a> for [TimeSyncOff] {
        /// W32Time's `Type`, when `NoSync`.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub Type: Option<SettingFacts<'a, String>>,
        /// W32Time's start type, when disabled.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub W32Time: Option<SettingFacts<'a, ServiceStart>>,
    }

    /// A configured certificate no store holds (`configured-cert-missing`).
    pub struct ConfiguredCertMissingFacts<'a> for [ConfiguredCertMissing] {
        /// The setting naming it.
        pub SSLCertificateSHA1Hash: SettingFacts<'a, String>,
        /// The thumbprints in the stores read.
        pub stored: Vec<&'a str>,
    }

    /// The listener's expired certificate in the store (`stored-cert-expired`).
    pub struct StoredCertExpiredFacts<'a> for [StoredCertExpired] {
        /// Its SHA-1 thumbprint.
        pub thumbprint: &'a str,
        /// notAfter, or null.
        pub not_after: Option<&'a str>,
        /// Its subject, or null.
        pub subject: Option<&'a str>,
        /// The certificate's `KEY\Value`.
        pub from: String,
    }

    /// The certificate served against the one configured
    /// (`served-cert-not-configured`).
    pub struct ServedCertNotConfiguredFacts<'a> for [ServedCertNotConfigured] {
        /// The thumbprint served on the wire.
        pub served: &'a str,
        /// The setting naming the configured one.
        pub SSLCertificateSHA1Hash: SettingFacts<'a, String>,
    }

    /// The RDP key's file in MachineKeys (`machinekeys-key-missing`).
    pub struct MachineKeysFacts<'a> for [MachineKeysKeyMissing] {
        /// The MachineKeys folder.
        pub path: &'a str,
        /// The RDP key's file name, or null when the MachineGuid is unknown.
        pub key_file: Option<&'a str>,
        /// Key files in the folder.
        pub files: u64,
    }

    /// A SCHANNEL protocol switched off (`schannel-tls12-disabled`,
    /// `schannel-tls10-disabled`).
    pub struct SchannelFacts<'a> for [SchannelTls12Disabled, SchannelTls10Disabled] {
        /// The protocol, e.g. `tls1.2`.
        pub protocol: &'a str,
        /// `server` or `client`.
        pub side: &'a str,
        /// `Enabled`, as read.
        pub enabled: Option<u32>,
        /// `DisabledByDefault`, as read.
        pub disabled_by_default: Option<u32>,
        /// The key.
        pub from: String,
    }

    /// CredSSP's `AllowEncryptionOracle` (`credssp-oracle-force-updated`,
    /// `credssp-oracle-vulnerable`).
    pub struct OracleFacts<'a> for [CredsspOracleForceUpdated, CredsspOracleVulnerable] {
        /// The setting.
        pub AllowEncryptionOracle: SettingFacts<'a, u32>,
    }

    /// Event records behind a finding (the `event-*` findings).
    pub struct EventFacts<'a> for [
        EventCertPrivateKey,
        EventCertRenewalFailed,
        EventCertConfigReset,
        EventTlsMismatch,
        EventNotAllowedRdp,
        EventBadCredentials,
        EventAccountProblem,
        EventPasswordExpired,
        EventClientDisconnect,
        EventSecurityLayerError,
        EventKerberosClockSkew,
        EventKerberosAccount,
        EventKerberosBadPassword,
        EventKerberosSpnUnknown,
        EventKerberosModified,
        EventSecureChannel,
        EventGatewayCapDenied,
        EventGatewayRapDenied,
        EventGatewayTargetUnreachable,
        EventGatewayConnectionLimit,
        EventGatewayTunnelFailed,
    ] {
        /// Records, all groups.
        pub count: u64,
        /// Time of the newest.
        pub newest: String,
        /// The computers that logged them, as logged.
        pub computers: Vec<&'a str>,
        /// One per event group behind it.
        pub events: Vec<EventGroupFacts<'a>>,
    }

    /// The host evidence against the wire (`host-wire-disagree`).
    pub struct HostWireDisagreeFacts for [HostWireDisagree] {
        /// Each disagreement as a sentence.
        pub why: Vec<String>,
    }

    /// A user's `RDGClientTransport` = 1 (`client-rdg-rpc-transport`).
    pub struct RdgClientTransportFacts<'a> for [ClientRdgRpcTransport] {
        /// The setting, from the user's HKCU.
        pub RDGClientTransport: SettingFacts<'a, u32>,
    }
}
