//! [T.125 7, part 11] MCS Disconnect Provider Ultimatum: the server ending
//! the connection at the MCS layer, with a T.125 reason
//! ([`disconnect_reason_name`]). The Connect Response and domain PDU
//! decoders recognise it in place of the PDU they expect.

use crate::error::WireError;
use crate::reader::Reader;
use crate::x224;

pub use crate::spec::disconnect_reason_name;

/// T.125 DomainMCSPDU choice of DisconnectProviderUltimatum.
pub(super) const DPUM_CHOICE: u8 = 8;
/// The reason of a Disconnect Provider Ultimatum, given the first two bytes
/// of an MCS domain PDU known to be one.
pub(super) fn dpum_reason(r: &mut Reader<'_>) -> Result<u8, WireError> {
    let b = r.array::<2>("MCS Disconnect Provider Ultimatum")?;
    // PER: 6 bits of choice, then the 3-bit reason straddling the bytes.
    Ok(((b[0] & 0x03) << 1) | (b[1] >> 7))
}

/// [T.125 7, part 11] Decode an MCS Disconnect Provider Ultimatum (a server
/// ending the connection) from one complete TPKT frame; returns its reason
/// ([`disconnect_reason_name`]). [`decode_connect_response`](super::decode_connect_response) reports the
/// same PDU as [`WireError::DisconnectProviderUltimatum`].
pub fn decode_disconnect_provider_ultimatum(frame: &[u8]) -> Result<u8, WireError> {
    let data = x224::data_payload(frame, "X.224 Data (MCS Disconnect Provider Ultimatum)")?;
    let mut r = Reader::new(data);
    match r.peek_u8() {
        Some(b) if b >> 2 == DPUM_CHOICE => dpum_reason(&mut r),
        Some(found) => Err(WireError::UnexpectedTag {
            what: "MCS Disconnect Provider Ultimatum",
            expected: DPUM_CHOICE << 2,
            found,
        }),
        None => Err(WireError::Truncated {
            needed: 2,
            available: 0,
            what: "MCS Disconnect Provider Ultimatum",
        }),
    }
}

/// Encode an MCS Disconnect Provider Ultimatum (T.125 reason 0..=4) as a
/// whole TPKT frame — for test doubles playing a server.
pub fn encode_disconnect_provider_ultimatum(reason: u8) -> Vec<u8> {
    let reason = reason & 0x07;
    x224::wrap_data(&[(DPUM_CHOICE << 2) | (reason >> 1), (reason & 1) << 7])
}
