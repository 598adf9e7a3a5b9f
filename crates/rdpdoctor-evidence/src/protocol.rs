//! The protocol vocabulary: security protocols ([MS-RDPBCGR 2.2.1.1.1]) and
//! Standard RDP Security encryption ([MS-RDPBCGR 2.2.1.4.3]), typed, with one
//! kebab-case name each in the JSON.
//!
//! [MS-RDPBCGR 2.2.1.1.1]: https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/902b090b-9cb3-4efc-92bf-ee13373371e3
//! [MS-RDPBCGR 2.2.1.4.3]: https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/3e86b68d-3e2e-4433-b486-878875778f4b

use serde::{Deserialize, Serialize};

/// One security protocol of an RDP_NEG_REQ / RDP_NEG_RSP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Protocol {
    /// PROTOCOL_RDP (0): Standard RDP Security. Clients force it with `/sec:rdp`.
    Rdp,
    /// PROTOCOL_SSL (1): TLS. Clients force it with `/sec:tls`.
    Ssl,
    /// PROTOCOL_HYBRID (2): CredSSP, i.e. NLA. Clients force it with `/sec:nla`.
    Hybrid,
    /// PROTOCOL_RDSTLS (4).
    Rdstls,
    /// PROTOCOL_HYBRID_EX (8): CredSSP with the Early User Authorization Result.
    HybridEx,
    /// PROTOCOL_RDSAAD (16).
    Rdsaad,
}

impl Protocol {
    /// Every protocol with a bit, in bit order.
    pub const FLAGS: [(u32, Protocol); 5] = [
        (1, Protocol::Ssl),
        (2, Protocol::Hybrid),
        (4, Protocol::Rdstls),
        (8, Protocol::HybridEx),
        (16, Protocol::Rdsaad),
    ];

    /// The JSON name, e.g. `hybrid-ex`.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Rdp => "rdp",
            Protocol::Ssl => "ssl",
            Protocol::Hybrid => "hybrid",
            Protocol::Rdstls => "rdstls",
            Protocol::HybridEx => "hybrid-ex",
            Protocol::Rdsaad => "rdsaad",
        }
    }

    /// The specification's name, e.g. `PROTOCOL_HYBRID_EX`, for text reports.
    pub fn spec_name(self) -> &'static str {
        match self {
            Protocol::Rdp => "PROTOCOL_RDP",
            Protocol::Ssl => "PROTOCOL_SSL",
            Protocol::Hybrid => "PROTOCOL_HYBRID",
            Protocol::Rdstls => "PROTOCOL_RDSTLS",
            Protocol::HybridEx => "PROTOCOL_HYBRID_EX",
            Protocol::Rdsaad => "PROTOCOL_RDSAAD",
        }
    }

    /// True for the two CredSSP protocols (NLA).
    pub fn is_nla(self) -> bool {
        matches!(self, Protocol::Hybrid | Protocol::HybridEx)
    }
}

/// A `requestedProtocols` or `selectedProtocol` value: the raw bits and the
/// protocols they name. `bits: None` is a request without RDP_NEG_REQ (what
/// very old clients send), named `legacy`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtocolSet {
    /// The raw 32-bit value; `None` for a legacy request.
    pub bits: Option<u32>,
    /// The protocols named by the bits (`["rdp"]` for 0).
    pub protocols: Vec<Protocol>,
    /// Bits the specification does not define, when any are set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unknown_bits: Option<u32>,
}

impl ProtocolSet {
    /// The set for raw bits (`None` = legacy request).
    pub fn from_bits(bits: Option<u32>) -> ProtocolSet {
        let Some(b) = bits else {
            return ProtocolSet {
                bits: None,
                protocols: Vec::new(),
                unknown_bits: None,
            };
        };
        let known = Protocol::FLAGS.iter().fold(0, |acc, (bit, _)| acc | bit);
        let protocols = if b == 0 {
            vec![Protocol::Rdp]
        } else {
            Protocol::FLAGS
                .iter()
                .filter(|(bit, _)| b & bit != 0)
                .map(|(_, p)| *p)
                .collect()
        };
        ProtocolSet {
            bits: Some(b),
            protocols,
            unknown_bits: Some(b & !known).filter(|u| *u != 0),
        }
    }

    /// The one protocol a *selected* value names; `None` when it names none,
    /// several, or undefined bits (a server that violates the specification:
    /// `selectedProtocol` is a single value).
    pub fn single(&self) -> Option<Protocol> {
        match (self.protocols.as_slice(), self.unknown_bits) {
            ([p], None) => Some(*p),
            _ => None,
        }
    }

    /// True when the set contains `p`.
    pub fn contains(&self, p: Protocol) -> bool {
        self.protocols.contains(&p)
    }

    /// For text reports: `SSL|HYBRID`, `RDP`, `legacy`.
    pub fn label(&self) -> String {
        if self.bits.is_none() {
            return "legacy".into();
        }
        let mut parts: Vec<String> = self
            .protocols
            .iter()
            .map(|p| p.spec_name().trim_start_matches("PROTOCOL_").to_owned())
            .collect();
        if let Some(u) = self.unknown_bits {
            parts.push(format!("0x{u:X}"));
        }
        parts.join("|")
    }
}

/// The server's encryption level for Standard RDP Security
/// ([MS-RDPBCGR 2.2.1.4.3] `encryptionLevel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EncryptionLevel {
    /// ENCRYPTION_LEVEL_NONE (0).
    None,
    /// ENCRYPTION_LEVEL_LOW (1): only client-to-server traffic is encrypted.
    Low,
    /// ENCRYPTION_LEVEL_CLIENT_COMPATIBLE (2).
    ClientCompatible,
    /// ENCRYPTION_LEVEL_HIGH (3).
    High,
    /// ENCRYPTION_LEVEL_FIPS (4).
    Fips,
    /// A value the specification does not define.
    Unknown,
}

impl EncryptionLevel {
    /// From the wire value.
    pub fn from_wire(v: u32) -> EncryptionLevel {
        match v {
            0 => Self::None,
            1 => Self::Low,
            2 => Self::ClientCompatible,
            3 => Self::High,
            4 => Self::Fips,
            _ => Self::Unknown,
        }
    }

    /// For text reports: `HIGH`, `FIPS`, … (the names mstsc and xrdp.ini use).
    pub fn label(self) -> &'static str {
        match self {
            Self::None => "NONE",
            Self::Low => "LOW",
            Self::ClientCompatible => "CLIENT_COMPATIBLE",
            Self::High => "HIGH",
            Self::Fips => "FIPS",
            Self::Unknown => "UNKNOWN",
        }
    }
}

/// One encryption method of Standard RDP Security
/// ([MS-RDPBCGR 2.2.1.3.3] `encryptionMethods`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EncryptionMethod {
    /// ENCRYPTION_METHOD_NONE (0).
    None,
    /// ENCRYPTION_METHOD_40BIT (0x01).
    #[serde(rename = "40-bit")]
    Bits40,
    /// ENCRYPTION_METHOD_128BIT (0x02).
    #[serde(rename = "128-bit")]
    Bits128,
    /// ENCRYPTION_METHOD_56BIT (0x08).
    #[serde(rename = "56-bit")]
    Bits56,
    /// ENCRYPTION_METHOD_FIPS (0x10).
    Fips,
    /// A value the specification does not define.
    Unknown,
}

impl EncryptionMethod {
    const FLAGS: [(u32, EncryptionMethod); 4] = [
        (0x01, EncryptionMethod::Bits40),
        (0x02, EncryptionMethod::Bits128),
        (0x08, EncryptionMethod::Bits56),
        (0x10, EncryptionMethod::Fips),
    ];

    /// The methods named by a bit mask (`[None]` for 0; `Unknown` for undefined bits).
    pub fn from_bits(bits: u32) -> Vec<EncryptionMethod> {
        if bits == 0 {
            return vec![Self::None];
        }
        let mut v: Vec<_> = Self::FLAGS
            .iter()
            .filter(|(b, _)| bits & b != 0)
            .map(|(_, m)| *m)
            .collect();
        if bits & !0x1B != 0 {
            v.push(Self::Unknown);
        }
        v
    }

    /// The single method a server chose (`Unknown` when it is not one method).
    pub fn from_choice(bits: u32) -> EncryptionMethod {
        match Self::from_bits(bits).as_slice() {
            [m] => *m,
            _ => Self::Unknown,
        }
    }

    /// For text reports: `128-bit`, `FIPS`, …
    pub fn label(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Bits40 => "40-bit",
            Self::Bits128 => "128-bit",
            Self::Bits56 => "56-bit",
            Self::Fips => "FIPS",
            Self::Unknown => "unknown",
        }
    }

    /// 40/56-bit or none: weak.
    pub fn is_weak(self) -> bool {
        matches!(self, Self::None | Self::Bits40 | Self::Bits56)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_sets_name_bits_and_keep_unknown_ones() {
        let s = ProtocolSet::from_bits(Some(3));
        assert_eq!(s.protocols, vec![Protocol::Ssl, Protocol::Hybrid]);
        assert_eq!(s.single(), None);
        assert_eq!(s.label(), "SSL|HYBRID");
        let all = ProtocolSet::from_bits(Some(0xFFFF_FFFF));
        assert_eq!(all.unknown_bits, Some(0xFFFF_FFE0));
        assert_eq!(
            all.single(),
            None,
            "a selection of every bit is no protocol"
        );
        assert_eq!(
            ProtocolSet::from_bits(Some(0)).single(),
            Some(Protocol::Rdp)
        );
        assert_eq!(ProtocolSet::from_bits(None).label(), "legacy");
        let json = serde_json::to_string(&ProtocolSet::from_bits(Some(8))).unwrap();
        assert_eq!(json, r#"{"bits":8,"protocols":["hybrid-ex"]}"#);
    }

    #[test]
    fn encryption_names_are_kebab_case() {
        assert_eq!(
            serde_json::to_string(&EncryptionMethod::from_bits(0x0B)).unwrap(),
            r#"["40-bit","128-bit","56-bit"]"#
        );
        // A selected method is exactly one defined method: a hostile
        // 0xFFFFFFFF is no method, least of all "40-bit accepted".
        assert_eq!(
            EncryptionMethod::from_choice(0x01),
            EncryptionMethod::Bits40
        );
        assert_eq!(EncryptionMethod::from_choice(0), EncryptionMethod::None);
        assert_eq!(
            EncryptionMethod::from_choice(u32::MAX),
            EncryptionMethod::Unknown
        );
        assert_eq!(
            EncryptionMethod::from_choice(0x03),
            EncryptionMethod::Unknown
        );
        assert_eq!(
            serde_json::to_string(&EncryptionLevel::ClientCompatible).unwrap(),
            r#""client-compatible""#
        );
    }
}
