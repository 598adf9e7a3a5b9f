//! Names of the values the Basic Settings Exchange carries, for reports:
//! encryption levels and methods ([MS-RDPBCGR 2.2.1.4.3]), RDP versions and
//! early capabilities ([2.2.1.4.2]), multitransport flags ([2.2.1.4.6]) and
//! the T.125 Connect-Response result.

use crate::spec::encryption_method;

use super::encryption_level;

/// [MS-RDPBCGR 2.2.1.4.3] name of an `encryptionLevel`: `NONE`, `LOW`,
/// `CLIENT_COMPATIBLE`, `HIGH`, `FIPS`, or `UNKNOWN`.
pub fn encryption_level_name(level: u32) -> &'static str {
    match level {
        encryption_level::NONE => "NONE",
        encryption_level::LOW => "LOW",
        encryption_level::CLIENT_COMPATIBLE => "CLIENT_COMPATIBLE",
        encryption_level::HIGH => "HIGH",
        encryption_level::FIPS => "FIPS",
        _ => "UNKNOWN",
    }
}

/// Names of the [`encryption_method`] bits: `["NONE"]` for 0, else some of
/// `40BIT`, `128BIT`, `56BIT`, `FIPS`, plus `UNKNOWN` for other bits.
pub fn encryption_method_names(bits: u32) -> Vec<&'static str> {
    const NAMES: [(u32, &str); 4] = [
        (encryption_method::BIT_40, "40BIT"),
        (encryption_method::BIT_128, "128BIT"),
        (encryption_method::BIT_56, "56BIT"),
        (encryption_method::FIPS, "FIPS"),
    ];
    if bits == 0 {
        return vec!["NONE"];
    }
    let mut out: Vec<&'static str> = NAMES
        .iter()
        .filter(|(b, _)| bits & b != 0)
        .map(|(_, n)| *n)
        .collect();
    if bits & !0x1B != 0 {
        out.push("UNKNOWN");
    }
    out
}

/// [MS-RDPBCGR 2.2.1.4.2] the RDP version a SC_CORE (or CS_CORE) `version` names.
pub fn rdp_version_name(version: u32) -> Option<&'static str> {
    Some(match version {
        0x0008_0001 => "RDP 4.0",
        0x0008_0004 => "RDP 5.0, 5.1, 5.2, 6.0, 6.1, 7.0, 7.1, 8.0 or 8.1",
        0x0008_0005 => "RDP 10.0",
        0x0008_0006 => "RDP 10.1",
        0x0008_0007 => "RDP 10.2",
        0x0008_0008 => "RDP 10.3",
        0x0008_0009 => "RDP 10.4",
        0x0008_000A => "RDP 10.5",
        0x0008_000B => "RDP 10.6",
        0x0008_000C => "RDP 10.7",
        0x0008_000D => "RDP 10.8",
        0x0008_000E => "RDP 10.9",
        0x0008_000F => "RDP 10.10",
        0x0008_0010 => "RDP 10.11",
        0x0008_0011 => "RDP 10.12",
        _ => return None,
    })
}

/// [T.125 7, part 2] name of a Connect-Response `result`.
pub fn result_name(result: u32) -> Option<&'static str> {
    Some(match result {
        0 => "rt-successful",
        1 => "rt-domain-merging",
        2 => "rt-domain-not-hierarchical",
        3 => "rt-no-such-channel",
        4 => "rt-no-such-domain",
        5 => "rt-no-such-user",
        6 => "rt-not-admitted",
        7 => "rt-other-user-id",
        8 => "rt-parameters-unacceptable",
        9 => "rt-token-not-available",
        10 => "rt-token-not-possessed",
        11 => "rt-too-many-channels",
        12 => "rt-too-many-tokens",
        13 => "rt-too-many-users",
        14 => "rt-unspecified-failure",
        15 => "rt-user-rejected",
        _ => return None,
    })
}

/// [MS-RDPBCGR 2.2.1.4.2] names of SC_CORE `earlyCapabilityFlags` bits.
pub fn server_early_capability_names(flags: u32) -> Vec<&'static str> {
    const NAMES: [(u32, &str); 4] = [
        (0x1, "RNS_UD_SC_EDGE_ACTIONS_SUPPORTED_V1"),
        (0x2, "RNS_UD_SC_DYNAMIC_DST_SUPPORTED"),
        (0x4, "RNS_UD_SC_EDGE_ACTIONS_SUPPORTED_V2"),
        (0x8, "RNS_UD_SC_SKIP_CHANNELJOIN_SUPPORTED"),
    ];
    NAMES
        .iter()
        .filter(|(b, _)| flags & b != 0)
        .map(|(_, n)| *n)
        .collect()
}

/// [MS-RDPBCGR 2.2.1.4.6] names of SC_MULTITRANSPORT `flags` bits.
pub fn multitransport_flag_names(flags: u32) -> Vec<&'static str> {
    const NAMES: [(u32, &str); 4] = [
        (0x001, "TRANSPORTTYPE_UDPFECR"),
        (0x004, "TRANSPORTTYPE_UDPFECL"),
        (0x100, "TRANSPORTTYPE_UDP_PREFERRED"),
        (0x200, "SOFTSYNC_TCP_TO_UDP"),
    ];
    NAMES
        .iter()
        .filter(|(b, _)| flags & b != 0)
        .map(|(_, n)| *n)
        .collect()
}
