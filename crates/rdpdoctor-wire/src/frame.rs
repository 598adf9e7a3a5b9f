//! One frame accumulator for every reader, sans I/O: the probe's
//! `FramedStream::read_frame` and the emulator's framed reader both feed it
//! the bytes they read and take whole frames from it, so the framing rules
//! (and the limits) exist once.
//!
//! A [`Framer`] reads the length a frame announces from its first bytes:
//!
//! | framer | frame |
//! |---|---|
//! | [`crate::tpkt::declared_len`] | TPKT ([T.123 8]): every slow-path PDU |
//! | [`crate::rdp::declared_len`] | TPKT or fast-path ([MS-RDPBCGR 2.2.9.1.2], [2.2.8.1.2]) |
//! | [`crate::credssp::ts_request_declared_len`] | a DER SEQUENCE: the CredSSP TSRequest ([MS-CSSP 2.2.1]) |
//! | [`tls_record_len`] | a TLS record ([RFC 8446 5.1]) |
//!
//! The accumulator refuses a frame that announces more than the caller's
//! limit as soon as the length is known, before any of its body is awaited,
//! and never asks for more bytes than the limit allows. (A framer that only
//! answers once the whole frame is there, such as [`crate::tpkt::frame_len`],
//! works too; its frames are then bounded by the limit on buffered bytes.)

use crate::error::WireError;

/// Reads the total length (header included) a frame announces at the start
/// of `buf`: `Ok(None)` = not enough bytes to tell yet, `Ok(Some(n))` = the
/// frame is `n` bytes long (it may not all be there yet), `Err` = these bytes
/// are not such a frame.
pub type Framer = fn(&[u8]) -> Result<Option<usize>, WireError>;

/// Bytes received and not yet returned as a frame.
///
/// ```
/// use rdpdoctor_wire::{frame::Accumulator, tpkt};
/// let mut acc = Accumulator::new();
/// acc.feed(&[3, 0, 0, 7, 2]);
/// assert_eq!(acc.next_frame(tpkt::declared_len, 100), Ok(None));
/// assert_eq!(acc.room(100), 95);
/// acc.feed(&[0xF0, 0x80, 3]);
/// assert_eq!(acc.next_frame(tpkt::declared_len, 100), Ok(Some(vec![3, 0, 0, 7, 2, 0xF0, 0x80])));
/// assert_eq!(acc.buffered(), [3]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accumulator {
    buf: Vec<u8>,
}

impl Accumulator {
    /// An empty accumulator.
    pub fn new() -> Self {
        Accumulator::default()
    }

    /// Appends bytes just received.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes received but not yet returned in a frame.
    pub fn buffered(&self) -> &[u8] {
        &self.buf
    }

    /// Takes every buffered byte out (e.g. to report what arrived before an
    /// error), leaving the accumulator empty.
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }

    /// How many more bytes may be read before the buffer reaches `max`.
    /// After [`next_frame`](Self::next_frame) answered `Ok(None)` this is at
    /// least 1.
    pub fn room(&self, max: usize) -> usize {
        max.saturating_sub(self.buf.len())
    }

    /// The next complete frame, framed by `framer`, of at most `max` bytes:
    ///
    /// * `Ok(Some(frame))`: the frame, removed from the buffer (bytes after
    ///   it stay for the next call);
    /// * `Ok(None)`: feed more bytes (at most [`room`](Self::room));
    /// * `Err(WireError::FrameTooLarge)`: the frame announces more than `max`
    ///   bytes (refused before its body is read), or `max` bytes are buffered
    ///   without a complete frame;
    /// * `Err(WireError::Invalid)` for a frame announcing 0 bytes (it would
    ///   never consume anything), or the framer's own error.
    ///
    /// On an error the buffer is left as it was ([`take`](Self::take) it to
    /// report what arrived).
    pub fn next_frame(&mut self, framer: Framer, max: usize) -> Result<Option<Vec<u8>>, WireError> {
        match framer(&self.buf)? {
            Some(0) => Err(WireError::invalid(
                "frame length",
                "the header announces a frame of 0 bytes",
            )),
            Some(n) if n > max => Err(WireError::FrameTooLarge {
                len: n,
                max,
                announced: true,
            }),
            Some(n) if self.buf.len() >= n => {
                let rest = self.buf.split_off(n);
                Ok(Some(std::mem::replace(&mut self.buf, rest)))
            }
            _ if self.buf.len() >= max => Err(WireError::FrameTooLarge {
                len: self.buf.len(),
                max,
                announced: false,
            }),
            _ => Ok(None),
        }
    }

    /// Gives back the buffered bytes.
    pub fn into_inner(self) -> Vec<u8> {
        self.buf
    }
}

/// The largest TLS record body: 2^14 bytes plus 2048 of expansion, TLS
/// 1.2's TLSCiphertext bound ([RFC 5246 6.2.3]; TLS 1.3 allows 2^14 + 256,
/// [RFC 8446 5.2]).
pub const MAX_TLS_RECORD_BODY: usize = (1 << 14) + 2048;

/// The length of the TLS record ([RFC 8446 5.1], [RFC 5246 6.2.1]) at the
/// start of `buf`, its 5-byte header included, once the header is there. Errors: [`WireError::UnexpectedTag`]
/// for a content type other than change_cipher_spec (20) … heartbeat (24)
/// (a TPKT frame starts with 3), [`WireError::Invalid`] for a major version
/// other than 3, [`WireError::TooLarge`] beyond [`MAX_TLS_RECORD_BODY`].
pub fn tls_record_len(buf: &[u8]) -> Result<Option<usize>, WireError> {
    let Some(&content_type) = buf.first() else {
        return Ok(None);
    };
    if !(20..=24).contains(&content_type) {
        return Err(WireError::UnexpectedTag {
            what: "TLS record content type",
            expected: 22,
            found: content_type,
        });
    }
    let Some(&[_, major, _, hi, lo]) = buf.first_chunk::<5>() else {
        return Ok(None);
    };
    if major != 3 {
        return Err(WireError::invalid(
            "TLS record version",
            format!("major version {major}, expected 3"),
        ));
    }
    let body = usize::from(u16::from_be_bytes([hi, lo]));
    if body > MAX_TLS_RECORD_BODY {
        return Err(WireError::TooLarge {
            what: "TLS record",
            len: body,
            max: MAX_TLS_RECORD_BODY,
        });
    }
    Ok(Some(body.saturating_add(5)))
}

#[cfg(test)]
mod tests;
