//! [RFC 6455 5.2] WebSocket framing, the minimum the RD Gateway's WebSocket
//! transport needs ([MS-TSGU 3.3.5.1]: a `101 Switching Protocols` answer
//! to `RDG_OUT_DATA`, then MS-TSGU packets in binary frames), sans I/O.
//!
//! Frames a client sends are masked ([RFC 6455 5.3]); frames a server
//! sends must not be. A payload is at most [`MAX_PAYLOAD`] bytes, refused
//! from its announced length before the payload arrives.

use base64::Engine as _;
use sha1::{Digest, Sha1};

use crate::error::WireError;

/// Largest frame payload accepted.
pub const MAX_PAYLOAD: usize = 1024 * 1024;

/// [RFC 6455 11.8] Opcodes.
pub mod opcode {
    /// Continuation frame.
    pub const CONTINUATION: u8 = 0x0;
    /// Text frame.
    pub const TEXT: u8 = 0x1;
    /// Binary frame: what MS-TSGU packets travel in.
    pub const BINARY: u8 = 0x2;
    /// Connection close.
    pub const CLOSE: u8 = 0x8;
    /// Ping.
    pub const PING: u8 = 0x9;
    /// Pong.
    pub const PONG: u8 = 0xA;
}

/// One decoded frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// FIN: the last fragment of a message.
    pub fin: bool,
    /// The opcode (see [`opcode`]).
    pub opcode: u8,
    /// Whether the frame was masked (a server's frame must not be).
    pub masked: bool,
    /// The payload, unmasked.
    pub payload: Vec<u8>,
}

/// [RFC 6455 4.2.2] The `Sec-WebSocket-Accept` a server must answer to the
/// client's `Sec-WebSocket-Key`.
pub fn accept_key(client_key: &str) -> String {
    let mut h = Sha1::new();
    h.update(client_key.trim().as_bytes());
    h.update(b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    base64::engine::general_purpose::STANDARD.encode(h.finalize())
}

/// The header length and payload length of the frame at the start of `buf`.
fn lengths(buf: &[u8]) -> Result<Option<(usize, usize)>, WireError> {
    let Some(&[b0, b1]) = buf.first_chunk::<2>() else {
        return Ok(None);
    };
    if b0 & 0x70 != 0 {
        return Err(WireError::invalid(
            "WebSocket frame",
            "reserved bits set without a negotiated extension",
        ));
    }
    let masked = b1 & 0x80 != 0;
    let mask_len = if masked { 4 } else { 0 };
    let (ext, payload) = match b1 & 0x7F {
        126 => {
            let Some(&[_, _, hi, lo]) = buf.first_chunk::<4>() else {
                return Ok(None);
            };
            (2usize, u64::from(u16::from_be_bytes([hi, lo])))
        }
        127 => {
            let Some(head) = buf.first_chunk::<10>() else {
                return Ok(None);
            };
            let mut len = [0u8; 8];
            len.copy_from_slice(head.get(2..10).unwrap_or(&[0; 8]));
            (8, u64::from_be_bytes(len))
        }
        n => (0, u64::from(n)),
    };
    let payload = usize::try_from(payload).unwrap_or(usize::MAX);
    if payload > MAX_PAYLOAD {
        return Err(WireError::TooLarge {
            what: "WebSocket frame payload",
            len: payload,
            max: MAX_PAYLOAD,
        });
    }
    Ok(Some((
        2usize.saturating_add(ext).saturating_add(mask_len),
        payload,
    )))
}

/// The whole length of the frame at the start of `buf`; `Ok(None)` until
/// its header is there. A [`crate::frame::Framer`].
pub fn frame_len(buf: &[u8]) -> Result<Option<usize>, WireError> {
    Ok(lengths(buf)?.map(|(h, p)| h.saturating_add(p)))
}

/// Decodes the frame at the start of `buf` (bytes after it are ignored).
pub fn decode_frame(buf: &[u8]) -> Result<Frame, WireError> {
    let (header, payload_len) = lengths(buf)?.ok_or(WireError::Truncated {
        needed: 2,
        available: buf.len(),
        what: "WebSocket frame header",
    })?;
    let end = header.saturating_add(payload_len);
    let payload = buf.get(header..end).ok_or(WireError::Truncated {
        needed: end,
        available: buf.len(),
        what: "WebSocket frame payload",
    })?;
    let b0 = buf.first().copied().unwrap_or(0);
    let masked = buf.get(1).is_some_and(|b| b & 0x80 != 0);
    let mut payload = payload.to_vec();
    if masked {
        let start = header.saturating_sub(4);
        let key = buf.get(start..header).unwrap_or(&[0; 4]).to_vec();
        for (b, k) in payload.iter_mut().zip(key.iter().cycle()) {
            *b ^= k;
        }
    }
    Ok(Frame {
        fin: b0 & 0x80 != 0,
        opcode: b0 & 0x0F,
        masked,
        payload,
    })
}

/// Encodes one final frame; with `mask` (a client's frame) the payload is
/// masked with that key, without it (a server's) it is sent as is.
pub fn encode_frame(opcode: u8, payload: &[u8], mask: Option<[u8; 4]>) -> Vec<u8> {
    let mut out = vec![0x80 | (opcode & 0x0F)];
    let m = if mask.is_some() { 0x80 } else { 0 };
    match payload.len() {
        n @ 0..=125 => out.push(m | u8::try_from(n).unwrap_or(125)),
        n @ 126..=0xFFFF => {
            out.push(m | 126);
            out.extend_from_slice(&u16::try_from(n).unwrap_or(u16::MAX).to_be_bytes());
        }
        n => {
            out.push(m | 127);
            out.extend_from_slice(&u64::try_from(n).unwrap_or(u64::MAX).to_be_bytes());
        }
    }
    match mask {
        Some(key) => {
            out.extend_from_slice(&key);
            out.extend(payload.iter().zip(key.iter().cycle()).map(|(b, k)| b ^ k));
        }
        None => out.extend_from_slice(payload),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6455_sample_accept_key() {
        // [RFC 6455 1.3]'s worked example.
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn masked_and_unmasked_frames_round_trip_and_truncations_wait() {
        for len in [0usize, 5, 125, 126, 300, 70_000] {
            let payload: Vec<u8> = (0..len).map(|i| i as u8).collect();
            for mask in [None, Some([1, 2, 3, 4])] {
                let f = encode_frame(opcode::BINARY, &payload, mask);
                assert_eq!(frame_len(&f), Ok(Some(f.len())));
                let d = decode_frame(&f).unwrap();
                assert_eq!(d.payload, payload);
                assert_eq!(d.masked, mask.is_some());
                assert!(d.fin);
                for n in [0, 1, f.len() / 2, f.len() - 1] {
                    if n < f.len() {
                        assert!(decode_frame(&f[..n]).is_err(), "len {len} prefix {n}");
                    }
                }
            }
        }
    }

    #[test]
    fn an_oversized_frame_is_refused_from_its_header() {
        let head = [0x82, 127, 0, 0, 0, 1, 0, 0, 0, 0];
        assert!(matches!(frame_len(&head), Err(WireError::TooLarge { .. })));
        // Not WebSocket at all (an MS-TSGU header sent raw after a 101).
        assert!(frame_len(&[0x02, 0x00, 0x00, 0x00]).is_ok());
        assert!(frame_len(&[0x72, 0x00]).is_err());
    }
}
