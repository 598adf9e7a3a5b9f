//! Standard RDP Security ([MS-RDPBCGR 5.3]): each encryption offer and what
//! the server answered.

use crate::{EncryptionLevel, EncryptionMethod};
use serde::{Deserialize, Serialize};

/// Standard RDP Security ([MS-RDPBCGR 5.3]): one MCS Connect Initial per offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RdpSecurityOffer {
    /// The encryption methods offered, e.g. `["128-bit"]`.
    pub offered: Vec<EncryptionMethod>,
    /// The offered bits, raw.
    pub offered_bits: u32,
    /// The server's choice, or why there was none.
    pub outcome: RdpSecurityOutcome,
}

/// The server's answer to one Standard RDP Security offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum RdpSecurityOutcome {
    /// An MCS Connect Response with server security data.
    Accepted {
        /// The chosen encryption method.
        encryption_method: EncryptionMethod,
        /// The encryption level.
        encryption_level: EncryptionLevel,
    },
    /// The server refused (MCS result, disconnect or close).
    Refused {
        /// What happened.
        detail: String,
        /// How, typed: `invalid` for an MCS refusal or a message that does
        /// not decode, `timeout`, `closed`, `reset`; absent in an older
        /// report ([`crate::StepFailure`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        failure_kind: Option<crate::StepFailure>,
    },
}

/// What Standard RDP Security looks like on this server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RdpSecurityEvidence {
    /// One row per offer.
    pub offers: Vec<RdpSecurityOffer>,
    /// The server's encryption level.
    pub encryption_level: Option<EncryptionLevel>,
    /// TS_UD_SC_CORE version, raw.
    pub server_rdp_version: Option<u32>,
    /// TS_UD_SC_CORE version, named (e.g. `RDP 5.0+`).
    pub server_rdp_version_name: Option<String>,
    /// `proprietary` or `x509`.
    pub server_certificate: Option<String>,
    /// Size in bits of the server's RSA key, the one the client random is
    /// sent under: the proprietary certificate's, or the X.509 chain's leaf
    /// (the server's own certificate, [MS-RDPBCGR 5.3.3.2]).
    pub server_key_bits: Option<u32>,
    /// [MS-RDPBCGR 2.2.1.4.3.1] whether the server certificate was
    /// permanently issued (`dwVersion`'s `t` bit is 0) or temporarily (1).
    #[serde(default)]
    pub server_certificate_permanent: Option<bool>,
}
