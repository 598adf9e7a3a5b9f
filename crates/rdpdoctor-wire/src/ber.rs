//! Minimal ASN.1 BER/DER reading and writing, as used by MCS (T.125, BER) and
//! CredSSP (MS-CSSP, DER). Only definite lengths and single-byte tags are
//! accepted by [`read_tlv`]; MCS's two-byte application tags are matched by
//! the MCS code itself.

use crate::error::WireError;
use crate::reader::Reader;

/// Read a definite BER length (short form or long form of 1..=4 bytes).
pub(crate) fn read_length(r: &mut Reader<'_>, what: &'static str) -> Result<usize, WireError> {
    let first = r.u8(what)?;
    if first < 0x80 {
        return Ok(usize::from(first));
    }
    if first == 0x80 {
        return Err(WireError::invalid(
            what,
            "indefinite BER length (0x80) is not allowed here",
        ));
    }
    let n = usize::from(first & 0x7F);
    if n > 4 {
        return Err(WireError::invalid(
            what,
            format!("BER length of {n} bytes is not supported (at most 4)"),
        ));
    }
    let bytes = r.take(n, what)?;
    let mut len: usize = 0;
    for b in bytes {
        len = (len << 8) | usize::from(*b);
    }
    Ok(len)
}

/// Read one tag-length-value with a single-byte tag. The value is returned
/// borrowed; it is bounds-checked against the input, so a lying length is a
/// [`WireError::Truncated`], never an allocation.
pub(crate) fn read_tlv<'a>(
    r: &mut Reader<'a>,
    what: &'static str,
) -> Result<(u8, &'a [u8]), WireError> {
    let tag = r.u8(what)?;
    if tag & 0x1F == 0x1F {
        return Err(WireError::invalid(
            what,
            format!("multi-byte ASN.1 tag {tag:#04x}.. is not expected here"),
        ));
    }
    let len = read_length(r, what)?;
    let value = r.take(len, what)?;
    Ok((tag, value))
}

/// Read a TLV and insist on its tag.
pub(crate) fn expect_tlv<'a>(
    r: &mut Reader<'a>,
    tag: u8,
    what: &'static str,
) -> Result<&'a [u8], WireError> {
    match r.peek_u8() {
        Some(found) if found != tag => Err(WireError::UnexpectedTag {
            what,
            expected: tag,
            found,
        }),
        _ => read_tlv(r, what).map(|(_, v)| v),
    }
}

/// Interpret INTEGER or ENUMERATED content as a non-negative number.
/// Leading zero octets are allowed (BER); negative values are refused.
pub(crate) fn unsigned(content: &[u8], what: &'static str) -> Result<u64, WireError> {
    let Some(first) = content.first() else {
        return Err(WireError::invalid(what, "empty INTEGER"));
    };
    if first & 0x80 != 0 {
        return Err(WireError::invalid(what, "negative INTEGER"));
    }
    let significant: &[u8] = {
        let skip = content.iter().take_while(|b| **b == 0).count();
        content.get(skip..).unwrap_or(&[])
    };
    if significant.len() > 8 {
        return Err(WireError::invalid(
            what,
            format!("INTEGER of {} bytes does not fit 64 bits", content.len()),
        ));
    }
    Ok(significant
        .iter()
        .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
}

/// Interpret INTEGER content as the 32 low bits of its two's-complement value.
/// NTSTATUS values such as 0xC000006D appear on the wire both as a 5-byte
/// positive INTEGER (`00 C0 00 00 6D`) and as a 4-byte negative one
/// (`C0 00 00 6D`); both give 0xC000006D here.
pub(crate) fn low_u32(content: &[u8], what: &'static str) -> Result<u32, WireError> {
    let Some(first) = content.first() else {
        return Err(WireError::invalid(what, "empty INTEGER"));
    };
    // Sign-extension octets carry no information: drop them, then start the
    // fold from the sign fill so the value is unchanged.
    let (fill_byte, fill): (u8, u64) = if first & 0x80 != 0 {
        (0xFF, u64::MAX)
    } else {
        (0x00, 0)
    };
    let skip = content.iter().take_while(|b| **b == fill_byte).count();
    let significant = content.get(skip..).unwrap_or(&[]);
    if significant.len() > 8 {
        return Err(WireError::invalid(
            what,
            format!("INTEGER of {} bytes does not fit 64 bits", content.len()),
        ));
    }
    let v = significant
        .iter()
        .fold(fill, |acc, b| (acc << 8) | u64::from(*b));
    Ok((v & 0xFFFF_FFFF) as u32)
}

/// Append a definite length, shortest form.
pub(crate) fn write_length(out: &mut Vec<u8>, len: usize) {
    let bytes = (len as u64).to_be_bytes();
    if len < 0x80 {
        out.push(bytes[7]);
        return;
    }
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    let significant = bytes.get(skip..).unwrap_or(&[]);
    out.push(0x80 | significant.len() as u8);
    out.extend_from_slice(significant);
}

/// Append tag, length and value.
pub(crate) fn write_tlv(out: &mut Vec<u8>, tag: u8, value: &[u8]) {
    out.push(tag);
    write_length(out, value.len());
    out.extend_from_slice(value);
}

/// DER INTEGER content for a non-negative value (minimal, with a 0x00 sign
/// octet when the top bit would be set).
pub(crate) fn integer_content(v: u64) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count().min(7);
    let mut out = Vec::with_capacity(9);
    let significant = bytes.get(skip..).unwrap_or(&[0]);
    if significant.first().is_some_and(|b| b & 0x80 != 0) {
        out.push(0);
    }
    out.extend_from_slice(significant);
    out
}

/// DER INTEGER content for a signed 32-bit value (minimal two's complement).
///
/// MS-CSSP's `errorCode` is an NTSTATUS; Windows writes 0xC000006D as the
/// 4-byte negative INTEGER `C0 00 00 6D`. Writing it as the 5-byte positive
/// INTEGER `00 C0 00 00 6D` is also valid DER, but FreeRDP 2 refuses integers
/// longer than 4 bytes, so the server-side encoder follows Windows.
pub(crate) fn i32_integer_content(v: i32) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let mut start = 0;
    // Drop a leading 0x00 (0xFF) while the next byte keeps the same sign.
    while start < 3 {
        let (Some(&b), Some(&next)) = (bytes.get(start), bytes.get(start.saturating_add(1))) else {
            break;
        };
        let redundant = (b == 0x00 && next & 0x80 == 0) || (b == 0xFF && next & 0x80 != 0);
        if !redundant {
            break;
        }
        start = start.saturating_add(1);
    }
    bytes.get(start..).unwrap_or(&bytes).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn i32_integer_content_is_minimal_twos_complement() {
        assert_eq!(i32_integer_content(0), vec![0]);
        assert_eq!(i32_integer_content(5), vec![5]);
        assert_eq!(i32_integer_content(0x80), vec![0, 0x80]);
        assert_eq!(i32_integer_content(-1), vec![0xFF]);
        assert_eq!(
            i32_integer_content(0xC000_006Du32 as i32),
            vec![0xC0, 0, 0, 0x6D]
        );
    }

    #[test]
    fn lengths_round_trip_in_every_form() {
        for len in [
            0usize, 1, 0x7F, 0x80, 0xFF, 0x100, 0xFFFF, 0x10000, 0x123456,
        ] {
            let mut out = Vec::new();
            write_length(&mut out, len);
            let mut r = Reader::new(&out);
            assert_eq!(read_length(&mut r, "len").unwrap(), len, "{out:02x?}");
            assert!(r.is_empty());
        }
    }

    #[test]
    fn indefinite_and_oversized_lengths_are_refused() {
        assert!(matches!(
            read_length(&mut Reader::new(&[0x80]), "len"),
            Err(WireError::Invalid { .. })
        ));
        assert!(matches!(
            read_length(&mut Reader::new(&[0x85, 1, 1, 1, 1, 1]), "len"),
            Err(WireError::Invalid { .. })
        ));
        assert!(matches!(
            read_length(&mut Reader::new(&[0x82, 0x01]), "len"),
            Err(WireError::Truncated {
                needed: 2,
                available: 1,
                ..
            })
        ));
    }

    #[test]
    fn ntstatus_integers_in_both_encodings() {
        assert_eq!(
            low_u32(&[0x00, 0xC0, 0x00, 0x00, 0x6D], "e").unwrap(),
            0xC000_006D
        );
        assert_eq!(
            low_u32(&[0xC0, 0x00, 0x00, 0x6D], "e").unwrap(),
            0xC000_006D
        );
        assert_eq!(low_u32(&[0x05], "e").unwrap(), 5);
        assert_eq!(
            low_u32(&[0x00, 0xFF, 0xFF, 0x01], "e").unwrap(),
            0x00FF_FF01
        );
        assert_eq!(low_u32(&[0xFF], "e").unwrap(), 0xFFFF_FFFF);
        assert_eq!(
            low_u32(&[0xFF, 0xFF, 0xFF, 0xFF, 0xC0, 0x00, 0x00, 0x6D], "e").unwrap(),
            0xC000_006D
        );
    }

    #[test]
    fn integer_content_is_minimal_der() {
        assert_eq!(integer_content(0), [0]);
        assert_eq!(integer_content(6), [6]);
        assert_eq!(integer_content(0x80), [0, 0x80]);
        assert_eq!(integer_content(0xC000_006D), [0, 0xC0, 0, 0, 0x6D]);
        assert_eq!(
            unsigned(&integer_content(0xC000_006D), "i").unwrap(),
            0xC000_006D
        );
    }
}
