//! Facts of the security exchanges without credentials: CredSSP and NTLM
//! ([MS-CSSP 2.2.1], [MS-NLMP 2.2.1.2]) and Standard RDP Security
//! ([MS-RDPBCGR 5.3]).

use super::facts;
use rdpdoctor_evidence::EncryptionLevel;

facts! {
    /// The server's clock from its NTLM CHALLENGE's MsvAvTimestamp
    /// ([MS-NLMP 2.2.2.1]) (`clock-skew`, `clock-in-sync`).
    pub struct ServerClockFacts<'a> for [ClockSkew, ClockInSync] {
        /// The server's time.
        pub server_time: Option<&'a str>,
        /// The server's clock minus ours, in seconds.
        pub clock_skew_seconds: i64,
    }

    /// The server's CredSSP version ([MS-CSSP 2.2.1] TSRequest.version)
    /// (`credssp-unpatched`).
    pub struct CredsspVersionFacts for [CredsspUnpatched] {
        /// The version the server speaks.
        pub server_version: u32,
        /// The first version with the CVE-2018-0886 fix: 5.
        pub patched_version: u32,
    }

    /// The server's encryption level ([MS-RDPBCGR 2.2.1.4.3]
    /// encryptionLevel) (`fips-required`).
    pub struct EncryptionLevelFacts for [FipsRequired] {
        /// The level the server announced.
        pub encryption_level: Option<EncryptionLevel>,
    }

    /// Weak Standard RDP Security ([MS-RDPBCGR 2.2.1.4.3]) (`rdp-encryption-weak`).
    pub struct WeakEncryptionFacts<'a> for [RdpEncryptionWeak] {
        /// The level the server announced.
        pub encryption_level: Option<EncryptionLevel>,
        /// The weak encryption methods it accepted.
        pub weak_methods: Vec<&'a str>,
    }
}
