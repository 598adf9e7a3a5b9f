//! The one error type every decoder in this crate returns.

use serde::Serialize;

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
    #[error("unexpected X.224 TPDU {code:#04x} ({}) where {expected} was expected", crate::x224::tpdu_code_name(*code))]
    UnexpectedTpdu {
        /// The TPDU code byte with the credit nibble masked off (e.g. 0x80 DR).
        code: u8,
        /// What the decoder was expecting.
        expected: &'static str,
    },

    /// [T.125 7, part 11] The server sent an MCS Disconnect Provider Ultimatum
    /// instead of the expected MCS PDU: it is ending the connection. `reason`
    /// is the T.125 Reason (see [`crate::mcs::disconnect_reason_name`]).
    #[error("server sent MCS Disconnect Provider Ultimatum, reason {reason} ({})", crate::mcs::disconnect_reason_name(*reason))]
    DisconnectProviderUltimatum {
        /// T.125 Reason: 0 rn-domain-disconnected … 4 rn-channel-purged.
        reason: u8,
    },
}

/// Only the guesses one byte makes certain enough to print in an error.
fn sniff_suffix(first_byte: u8) -> String {
    match first_byte {
        0x16 | 0x15 => crate::tpkt::sniff(&[first_byte])
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
