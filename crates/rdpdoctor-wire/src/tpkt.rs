//! [T.123 8] / [RFC 1006] TPKT framing: every slow-path RDP PDU in the
//! connection sequence travels in a TPKT frame `03 00 LL LL` whose big-endian
//! length includes the 4-byte header.
//!
//! See [MS-RDPBCGR 2.2.1.1](https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/18a27ef9-6f9a-4501-b000-94b1fe3c2c10),
//! field `tpktHeader`.

use crate::error::WireError;

/// TPKT version byte; the first byte of every frame.
pub const VERSION: u8 = crate::spec::TPKT_VERSION;
/// Length of the TPKT header.
pub const HEADER_LEN: usize = 4;
/// TPKT's own maximum: the length field is 16 bits and counts the header.
pub const MAX_FRAME: usize = 65535;
/// The smallest frame that can carry an X.224 TPDU: the header plus the
/// 3-byte X.224 Data TPDU header. Anything shorter is refused.
pub const MIN_FRAME: usize = HEADER_LEN + 3;

/// The frame length announced by a TPKT header, once the 4 header bytes are
/// there: `Ok(None)` = fewer than 4 bytes yet. Useful to read exactly one
/// frame from a stream.
pub fn declared_len(buf: &[u8]) -> Result<Option<usize>, WireError> {
    let Some(&first_byte) = buf.first() else {
        return Ok(None);
    };
    if first_byte != VERSION {
        return Err(WireError::NotTpkt { first_byte });
    }
    let Some(&[_, _, hi, lo]) = buf.first_chunk::<HEADER_LEN>() else {
        return Ok(None);
    };
    let len = usize::from(u16::from_be_bytes([hi, lo]));
    if len < MIN_FRAME {
        return Err(WireError::invalid(
            "TPKT length",
            format!("{len} is shorter than the smallest X.224 frame ({MIN_FRAME})"),
        ));
    }
    Ok(Some(len))
}

/// Given the bytes received so far: `Ok(None)` = need more bytes,
/// `Ok(Some(n))` = a complete TPKT frame of `n` bytes is at the start of
/// `buf` (bytes after it belong to the next frame).
///
/// Errors: [`WireError::NotTpkt`] if the first byte is not 3 (an HTTP, TLS or
/// SSH server answers with something else; [`sniff`] tells which), and
/// [`WireError::Invalid`] if the announced length is below [`MIN_FRAME`].
/// A length above [`MAX_FRAME`] cannot be expressed in TPKT.
pub fn frame_len(buf: &[u8]) -> Result<Option<usize>, WireError> {
    match declared_len(buf)? {
        Some(n) if buf.len() >= n => Ok(Some(n)),
        _ => Ok(None),
    }
}

/// Split off the payload of one complete TPKT frame: checks the header and
/// that `frame` holds at least the announced length, and returns the bytes
/// after the header up to that length (anything beyond is ignored).
pub(crate) fn payload(frame: &[u8]) -> Result<&[u8], WireError> {
    let Some(len) = declared_len(frame)? else {
        return Err(WireError::Truncated {
            needed: HEADER_LEN,
            available: frame.len(),
            what: "TPKT header",
        });
    };
    frame.get(HEADER_LEN..len).ok_or(WireError::Truncated {
        needed: len,
        available: frame.len(),
        what: "TPKT frame",
    })
}

/// Wrap a payload (X.224 TPDU) into a TPKT frame.
///
/// Callers in this crate only build payloads far below [`MAX_FRAME`]; a longer
/// payload would be a bug here, so the length saturates rather than wraps.
pub(crate) fn wrap(payload: &[u8]) -> Vec<u8> {
    let len = payload.len().saturating_add(HEADER_LEN);
    let len16 = u16::try_from(len).unwrap_or(u16::MAX);
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(&[VERSION, 0]);
    out.extend_from_slice(&len16.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

pub use crate::spec::sniff;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn need_more_until_the_whole_frame_is_there() {
        let frame = [3, 0, 0, 11, 6, 0xD0, 0, 0, 0x12, 0x34, 0];
        for cut in 0..frame.len() {
            assert_eq!(frame_len(&frame[..cut]), Ok(None), "prefix {cut}");
        }
        assert_eq!(frame_len(&frame), Ok(Some(11)));
        let mut two = frame.to_vec();
        two.extend_from_slice(&frame);
        assert_eq!(frame_len(&two), Ok(Some(11)));
        assert_eq!(declared_len(&frame[..4]), Ok(Some(11)));
    }

    #[test]
    fn non_tpkt_peers_are_named() {
        let tls = [0x16, 0x03, 0x01, 0x00, 0x2a];
        assert_eq!(
            frame_len(&tls),
            Err(WireError::NotTpkt { first_byte: 0x16 })
        );
        assert_eq!(sniff(&tls), Some("a TLS handshake record"));
        let http = b"HTTP/1.1 400 Bad Request\r\n";
        assert_eq!(
            frame_len(http),
            Err(WireError::NotTpkt { first_byte: b'H' })
        );
        assert_eq!(sniff(http), Some("an HTTP response"));
        assert_eq!(sniff(b"SSH-2.0-OpenSSH_9.2"), Some("an SSH banner"));
        let msg = frame_len(b"SSH-2.0").unwrap_err().to_string();
        assert_eq!(msg, "not a TPKT frame (first byte 0x53)");
        let msg = frame_len(&tls).unwrap_err().to_string();
        assert_eq!(
            msg,
            "not a TPKT frame (first byte 0x16, looks like a TLS handshake record)"
        );
    }

    #[test]
    fn lengths_below_an_x224_header_are_refused() {
        for len in 0u16..7 {
            let hdr = [3, 0, (len >> 8) as u8, len as u8];
            assert!(
                matches!(
                    frame_len(&hdr),
                    Err(WireError::Invalid {
                        what: "TPKT length",
                        ..
                    })
                ),
                "{len}"
            );
        }
        assert_eq!(frame_len(&[3, 0, 0, 7, 2, 0xF0, 0x80]), Ok(Some(7)));
        assert_eq!(declared_len(&[3, 0, 0xFF, 0xFF]), Ok(Some(MAX_FRAME)));
    }

    #[test]
    fn wrap_and_payload_round_trip() {
        let f = wrap(&[2, 0xF0, 0x80, 1, 2]);
        assert_eq!(f, [3, 0, 0, 9, 2, 0xF0, 0x80, 1, 2]);
        assert_eq!(payload(&f).unwrap(), &[2, 0xF0, 0x80, 1, 2]);
        assert!(matches!(
            payload(&f[..8]),
            Err(WireError::Truncated {
                needed: 9,
                available: 8,
                ..
            })
        ));
    }
}
