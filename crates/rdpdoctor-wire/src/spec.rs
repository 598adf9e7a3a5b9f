//! Numbers and names the specifications define that more than one module
//! needs: the security header flags, the encryption methods, the X.224 TPDU
//! codes, the T.125 disconnect reasons, the guess at a peer's protocol from
//! its first bytes, and the caps on a server's RSA key.
//!
//! This module is a leaf: it depends on nothing else in the crate, so the
//! message modules and [`crate::error::WireError`]'s messages can all use it
//! without importing one another. Each item is re-exported where callers
//! look for it (`rdp::sec_flags`, `mcs::encryption_method`,
//! `x224::tpdu_code`, `x224::tpdu_code_name`, `mcs::disconnect_reason_name`,
//! `tpkt::sniff`, `security::MAX_MODULUS_BITS`, `security::MAX_EXPONENT_BITS`).

/// [MS-RDPBCGR 2.2.8.1.1.2.1] TS_SECURITY_HEADER `flags`.
///
/// <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/e13405c5-668b-4716-94b2-1c2654ca1ad4>
pub mod sec_flags {
    /// Security Exchange PDU.
    pub const SEC_EXCHANGE_PKT: u16 = 0x0001;
    /// Initiate Multitransport Request PDU (server to client, message channel).
    pub const SEC_TRANSPORT_REQ: u16 = 0x0002;
    /// Initiate Multitransport Response PDU.
    pub const SEC_TRANSPORT_RSP: u16 = 0x0004;
    /// The data after the security header is encrypted.
    pub const SEC_ENCRYPT: u16 = 0x0008;
    /// Session key update.
    pub const SEC_RESET_SEQNO: u16 = 0x0010;
    /// Ignore the sequence number.
    pub const SEC_IGNORE_SEQNO: u16 = 0x0020;
    /// Client Info PDU.
    pub const SEC_INFO_PKT: u16 = 0x0040;
    /// Licensing PDU.
    pub const SEC_LICENSE_PKT: u16 = 0x0080;
    /// The client may encrypt licensing PDUs (client to server) / the server
    /// encrypts them (server to client, SEC_LICENSE_ENCRYPT_SC).
    pub const SEC_LICENSE_ENCRYPT: u16 = 0x0200;
    /// Server Redirection PDU.
    pub const SEC_REDIRECTION_PKT: u16 = 0x0400;
    /// The MAC is salted with the encryption count ([5.3.6.1.1]).
    pub const SEC_SECURE_CHECKSUM: u16 = 0x0800;
    /// Auto-Detect Request PDU.
    pub const SEC_AUTODETECT_REQ: u16 = 0x1000;
    /// Auto-Detect Response PDU.
    pub const SEC_AUTODETECT_RSP: u16 = 0x2000;
    /// Heartbeat PDU.
    pub const SEC_HEARTBEAT: u16 = 0x4000;
    /// flagsHi is valid.
    pub const SEC_FLAGSHI_VALID: u16 = 0x8000;
}

/// [MS-RDPBCGR 2.2.1.3.3] `encryptionMethods` / [2.2.1.4.3] `encryptionMethod` bits.
///
/// <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/6b58e11e-a32b-4903-b736-339f3cfe46ec>
pub mod encryption_method {
    /// No encryption (TLS/CredSSP, or Standard RDP Security at level NONE).
    pub const NONE: u32 = 0;
    /// 40-bit RC4 with 40-bit session keys.
    pub const BIT_40: u32 = 0x0000_0001;
    /// 128-bit RC4.
    pub const BIT_128: u32 = 0x0000_0002;
    /// 56-bit RC4.
    pub const BIT_56: u32 = 0x0000_0008;
    /// FIPS 140-1: 3DES and SHA-1.
    pub const FIPS: u32 = 0x0000_0010;
}

/// [X.224 13] TPDU codes (high nibble of the second header byte).
pub mod tpdu_code {
    /// Connection Request.
    pub const CR: u8 = 0xE0;
    /// Connection Confirm.
    pub const CC: u8 = 0xD0;
    /// Disconnect Request.
    pub const DR: u8 = 0x80;
    /// Data.
    pub const DT: u8 = 0xF0;
    /// TPDU Error.
    pub const ER: u8 = 0x70;
}

/// Name of an X.224 TPDU code (credit nibble ignored).
pub fn tpdu_code_name(code: u8) -> &'static str {
    match code & 0xF0 {
        tpdu_code::CR => "Connection Request",
        tpdu_code::CC => "Connection Confirm",
        tpdu_code::DR => "Disconnect Request",
        tpdu_code::DT => "Data",
        tpdu_code::ER => "TPDU Error",
        _ => "unknown TPDU",
    }
}

/// [T.125 7, part 11] name of a Disconnect Provider Ultimatum `reason`.
pub fn disconnect_reason_name(reason: u8) -> &'static str {
    match reason {
        0 => "rn-domain-disconnected",
        1 => "rn-provider-initiated",
        2 => "rn-token-purged",
        3 => "rn-user-requested",
        4 => "rn-channel-purged",
        _ => "unknown reason",
    }
}

/// [T.123 8] the TPKT version byte, the first byte of every slow-path frame.
pub const TPKT_VERSION: u8 = 3;

/// A best guess at what a non-TPKT peer is, from the first bytes it sent:
/// `Some("a TLS handshake record")`, `Some("an HTTP response")`… or `None`.
/// Meant for messages such as "port 3389 answered like a web server".
pub fn sniff(buf: &[u8]) -> Option<&'static str> {
    let starts = |p: &[u8]| {
        buf.starts_with(p) || (buf.len() < p.len() && p.starts_with(buf) && !buf.is_empty())
    };
    match *buf.first()? {
        TPKT_VERSION => Some("a TPKT frame (RDP)"),
        0x16 => Some("a TLS handshake record"),
        0x15 => Some("a TLS alert record"),
        0x30 => Some("a DER SEQUENCE (e.g. a CredSSP TSRequest)"),
        b'S' if starts(b"SSH-") => Some("an SSH banner"),
        b'H' if starts(b"HTTP/") => Some("an HTTP response"),
        b'<' => Some("HTML or XML text"),
        b'R' if starts(b"RFB ") => Some("a VNC (RFB) banner"),
        b'2' | b'4' | b'5' => Some("a text banner (SMTP/FTP style status line?)"),
        _ => None,
    }
}

/// The largest RSA modulus, in bits, accepted from a server for Standard
/// RDP Security's raw RSA operation ([MS-RDPBCGR 5.3.4.1]).
///
/// Real servers stay below it: Windows' proprietary certificate carries a
/// 512-bit key ([MS-RDPBCGR 2.2.1.4.3.1.1.1]), and the X.509 certificates
/// RDP servers present carry 2048- or at most 4096-bit keys (Windows' own
/// self-signed RDP certificate is 2048-bit); 8192 leaves room for the rare
/// larger one. Without a cap a hostile server chooses the cost of the
/// client's modular exponentiation: a 16,384-bit modulus with a 112,000-bit
/// exponent took 12–27 s of CPU per connection (release build).
pub const MAX_RSA_MODULUS_BITS: u64 = 8192;

/// The largest RSA public exponent, in bits, accepted from a server.
///
/// The proprietary certificate's `pubExp` is a 32-bit field
/// ([MS-RDPBCGR 2.2.1.4.3.1.1.1]), and Windows' CryptoAPI keeps a public
/// exponent in a 32-bit `pubexp` (RSAPUBKEY) too, so no key that Windows
/// itself can use is larger; real keys use 65537 (17 bits) or 3. With both
/// caps the exponentiation costs at most 32 squarings and multiplications
/// modulo an 8192-bit number: milliseconds.
pub const MAX_RSA_EXPONENT_BITS: u64 = 32;
