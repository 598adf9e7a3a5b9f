//! The one error type every decoder in this crate returns.
//!
//! It depends on no message module: the names its messages print come from
//! the leaf module `spec` (re-exported by the message modules).

use serde::Serialize;

use crate::spec;

/// Why a decoder refused its input.
///
/// Every variant names *what* was being read, so a diagnosis can say more
/// than "bad packet". Decoders never panic; any input yields either a value
/// or one of these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum WireError {
    /// The input ended before `what` was complete.
    #[error("truncated {what}: needed {needed} bytes, only {available} available")]
    Truncated {
        /// Bytes the field needed (from the current position).
        needed: usize,
        /// Bytes that were left.
        available: usize,
        /// The field or structure being read.
        what: &'static str,
    },

    /// The first byte is not the TPKT version 3, so the peer is not speaking
    /// RDP's TPKT framing (see [`crate::tpkt::sniff`] for a guess at what it is).
    #[error("not a TPKT frame (first byte {first_byte:#04x}{})", sniff_suffix(*first_byte))]
    NotTpkt {
        /// The byte found where TPKT's version 3 was expected.
        first_byte: u8,
    },

    /// A field holds a value the specification does not allow.
    #[error("invalid {what}: {detail}")]
    Invalid {
        /// The field or structure being read.
        what: &'static str,
        /// What was wrong with it.
        detail: String,
    },

    /// A length field claims more than this crate accepts.
    #[error("{what} too large: {len} bytes, at most {max} accepted")]
    TooLarge {
        /// The field or structure being read.
        what: &'static str,
        /// The length that was claimed.
        len: usize,
        /// The largest accepted.
        max: usize,
    },

    /// An ASN.1 (BER/DER) or PER tag other than the expected one was found.
    #[error("unexpected tag in {what}: expected {expected:#04x}, found {found:#04x}")]
    UnexpectedTag {
        /// The field or structure being read.
        what: &'static str,
        /// The tag the specification requires here.
        expected: u8,
        /// The tag that was found.
        found: u8,
    },

    /// The X.224 TPDU is of another type than the one expected: for example an
    /// X.224 Disconnect Request (0x80) where a Connection Confirm (0xD0) was due.
    #[error("unexpected X.224 TPDU {code:#04x} ({}) where {expected} was expected", spec::tpdu_code_name(*code))]
    UnexpectedTpdu {
        /// The TPDU code byte with the credit nibble masked off (e.g. 0x80 DR).
        code: u8,
        /// What the decoder was expecting.
        expected: &'static str,
    },

    /// [T.125 7, part 11] The server sent an MCS Disconnect Provider Ultimatum
    /// instead of the expected MCS PDU: it is ending the connection. `reason`
    /// is the T.125 Reason (see [`crate::mcs::disconnect_reason_name`]).
    #[error("server sent MCS Disconnect Provider Ultimatum, reason {reason} ({})", spec::disconnect_reason_name(*reason))]
    DisconnectProviderUltimatum {
        /// T.125 Reason: 0 rn-domain-disconnected … 4 rn-channel-purged.
        reason: u8,
    },

    /// A frame announced (or, with no length yet, grew to) more bytes than
    /// the reader accepts; see [`crate::frame::Accumulator`]. An announced
    /// length is refused before any of the body is read.
    #[error("{} {len} bytes, at most {max} accepted", if *announced { "frame announces" } else { "no complete frame header in" })]
    FrameTooLarge {
        /// The announced length, or the bytes buffered when none was announced.
        len: usize,
        /// The limit.
        max: usize,
        /// Whether `len` was announced by the frame header.
        announced: bool,
    },

    /// A server's RSA key is larger than any real RDP server uses, so the
    /// raw RSA operation of Standard RDP Security ([MS-RDPBCGR 5.3.4.1]) is
    /// refused rather than left to run for seconds; see
    /// [`crate::security::MAX_MODULUS_BITS`] and
    /// [`crate::security::MAX_EXPONENT_BITS`] for why these limits.
    #[error(
        "server RSA key too large: {modulus_bits}-bit modulus, {exponent_bits}-bit public exponent \
         (at most {}-bit moduli and {}-bit exponents accepted)",
        spec::MAX_RSA_MODULUS_BITS,
        spec::MAX_RSA_EXPONENT_BITS
    )]
    RsaKeyTooLarge {
        /// Significant bits of the modulus.
        modulus_bits: u64,
        /// Significant bits of the public exponent.
        exponent_bits: u64,
    },
}

/// Only the guesses one byte makes certain enough to print in an error.
fn sniff_suffix(first_byte: u8) -> String {
    match first_byte {
        0x16 | 0x15 => spec::sniff(&[first_byte])
            .map(|guess| format!(", looks like {guess}"))
            .unwrap_or_default(),
        _ => String::new(),
    }
}

impl WireError {
    pub(crate) fn invalid(what: &'static str, detail: impl Into<String>) -> Self {
        WireError::Invalid {
            what,
            detail: detail.into(),
        }
    }
}
