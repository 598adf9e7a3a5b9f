//! Framing server output: a slow-path PDU in a TPKT frame ([T.123 8],
//! [MS-RDPBCGR 2.2.8.1.1]) or a fast-path PDU ([2.2.9.1.2] output, [2.2.8.1.2]
//! input), whose first byte has the low two bits 0 and whose length is one
//! byte, or two with the top bit set.
//!
//! <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/68b5ee54-d0d5-4d65-8d81-e1c4025f7597>

use crate::error::WireError;
use crate::tpkt;

/// Upper bound of any frame [`frame_len`] accepts (TPKT's; a fast-path length is 15 bits).
pub const MAX_FRAME: usize = tpkt::MAX_FRAME;

/// The length a slow-path (TPKT, first byte 3) or fast-path ([2.2.9.1.2]
/// output, [2.2.8.1.2] input: first byte with the low two bits 0) PDU
/// announces, as soon as its length field is there: `Ok(None)` = header
/// incomplete. The framer for [`crate::frame::Accumulator`], so a length
/// over the reader's limit is refused before the body is awaited.
///
/// Errors: [`WireError::NotTpkt`] for any other first byte (a TLS record,
/// an HTTP answer …), [`WireError::Invalid`] for a length shorter than the
/// PDU's own header.
pub fn declared_len(buf: &[u8]) -> Result<Option<usize>, WireError> {
    let Some(&first) = buf.first() else {
        return Ok(None);
    };
    if first == tpkt::VERSION {
        return tpkt::declared_len(buf);
    }
    if first & 0x03 != 0 {
        return Err(WireError::NotTpkt { first_byte: first });
    }
    let Some(&len1) = buf.get(1) else {
        return Ok(None);
    };
    let (len, header) = if len1 & 0x80 == 0 {
        (usize::from(len1), 2)
    } else {
        let Some(&len2) = buf.get(2) else {
            return Ok(None);
        };
        (usize::from(u16::from_be_bytes([len1 & 0x7F, len2])), 3)
    };
    if len < header {
        return Err(WireError::invalid(
            "fast-path length",
            format!("{len} is shorter than its own header"),
        ));
    }
    Ok(Some(len))
}

/// Frames server output: `Ok(Some(n))` once a complete slow- or fast-path
/// PDU of `n` bytes starts `buf`, `Ok(None)` = need more bytes. Errors as
/// [`declared_len`].
pub fn frame_len(buf: &[u8]) -> Result<Option<usize>, WireError> {
    Ok(declared_len(buf)?.filter(|n| buf.len() >= *n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_and_fast_path_lengths() {
        assert_eq!(declared_len(&[]), Ok(None));
        assert_eq!(declared_len(&[3, 0, 0, 7]), Ok(Some(7)));
        assert_eq!(declared_len(&[0, 3]), Ok(Some(3)));
        assert_eq!(declared_len(&[0, 0x80]), Ok(None));
        assert_eq!(declared_len(&[0, 0x81, 4]), Ok(Some(0x104)));
        assert_eq!(
            declared_len(&[0x16, 3, 1]),
            Err(WireError::NotTpkt { first_byte: 0x16 })
        );
        assert!(declared_len(&[0, 1]).is_err());
        assert!(declared_len(&[0, 0x80, 2]).is_err());
        // Complete only once every announced byte is there.
        assert_eq!(frame_len(&[0, 3, 9]), Ok(Some(3)));
        assert_eq!(frame_len(&[0, 0x81, 4]), Ok(None));
        assert_eq!(frame_len(&[3, 0, 0, 7]), Ok(None));
    }
}
