//! A bounds-checked cursor over untrusted bytes. Every read either succeeds or
//! returns [`WireError::Truncated`]; nothing here can panic.

use crate::error::WireError;

#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    /// Bytes not yet consumed.
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    /// The unconsumed bytes, without consuming them.
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or(&[])
    }

    /// Consume exactly `n` bytes.
    pub(crate) fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], WireError> {
        let available = self.remaining();
        if n > available {
            return Err(WireError::Truncated {
                needed: n,
                available,
                what,
            });
        }
        let end = self.pos.saturating_add(n);
        let out = self.buf.get(self.pos..end).ok_or(WireError::Truncated {
            needed: n,
            available,
            what,
        })?;
        self.pos = end;
        Ok(out)
    }

    /// Consume everything that is left.
    pub(crate) fn take_rest(&mut self) -> &'a [u8] {
        let out = self.rest();
        self.pos = self.buf.len();
        out
    }

    pub(crate) fn skip(&mut self, n: usize, what: &'static str) -> Result<(), WireError> {
        self.take(n, what).map(|_| ())
    }

    pub(crate) fn array<const N: usize>(
        &mut self,
        what: &'static str,
    ) -> Result<[u8; N], WireError> {
        let bytes = self.take(N, what)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8, WireError> {
        Ok(u8::from_le_bytes(self.array::<1>(what)?))
    }

    pub(crate) fn peek_u8(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    pub(crate) fn u16_le(&mut self, what: &'static str) -> Result<u16, WireError> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }

    pub(crate) fn u16_be(&mut self, what: &'static str) -> Result<u16, WireError> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }

    pub(crate) fn u32_le(&mut self, what: &'static str) -> Result<u32, WireError> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }
}

/// `u32` length from the wire to `usize` (lossless on every target this
/// crate builds for; saturates elsewhere so bounds checks still fail cleanly).
pub(crate) fn len_from_u32(v: u32) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

/// UTF-16LE to String; unpaired surrogates and an odd trailing byte become
/// U+FFFD rather than an error, so a slightly odd name is still shown.
pub(crate) fn utf16le(bytes: &[u8]) -> String {
    let units = bytes.chunks(2).map(|c| match c {
        [lo, hi] => u16::from_le_bytes([*lo, *hi]),
        _ => 0xFFFD,
    });
    char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_past_end_is_truncated_not_panic() {
        let mut r = Reader::new(&[1, 2, 3]);
        assert_eq!(r.u16_le("x").unwrap(), 0x0201);
        assert_eq!(
            r.u16_le("field"),
            Err(WireError::Truncated {
                needed: 2,
                available: 1,
                what: "field"
            })
        );
        assert_eq!(
            r.take(usize::MAX, "huge").unwrap_err().to_string(),
            format!(
                "truncated huge: needed {} bytes, only 1 available",
                usize::MAX
            )
        );
        assert_eq!(r.u8("x").unwrap(), 3);
        assert!(r.is_empty());
    }
}
