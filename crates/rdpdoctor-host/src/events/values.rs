//! A record's outer template instance, read straight from the chunk bytes:
//! the definition it uses and its substitution values, without building
//! anything.
//!
//! The `evtx` crate reads these values while it iterates a chunk's records
//! (it needs them to build each record), but keeps them private; its public
//! [`evtx::EvtxRecord::template_instances`] walks the record a second time
//! and allocates a vector of every value, which cost about a tenth of a
//! scan. So the few values a record is tested on are read here, from the
//! bytes of a record the crate has already read and validated, by their
//! place in the substitution array
//! ([MS-EVEN6 2.2.16 and 2.2.17](https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-even6/)):
//!
//! ```text
//! record BinXML: 0x0F 01 01 00            fragment header
//!                0x0C xx id:u32 def:u32   TemplateInstance (def: chunk offset)
//!                [next:u32 guid:16 size:u32 definition]   only where def is here
//!                n:u32  n × (size:u16 type:u8 0)  values, back to back
//! ```
//!
//! Every read is checked; a record of any other shape gives `None` and is
//! rendered instead.

use evtx::Utf16LeSlice;
use evtx::binxml::value_variant::BinXmlValue;

/// Value types (MS-EVEN6 2.2.18).
pub const NULL: u8 = 0x00;
pub const STRING: u8 = 0x01;
pub const UINT16: u8 = 0x06;
const BINXML: u8 = 0x21;

/// The other value types this module reads.
mod ty {
    pub use super::{NULL, STRING, UINT16};
    pub const INT8: u8 = 0x03;
    pub const UINT8: u8 = 0x04;
    pub const INT16: u8 = 0x05;
    pub const INT32: u8 = 0x07;
    pub const UINT32: u8 = 0x08;
    pub const INT64: u8 = 0x09;
    pub const UINT64: u8 = 0x0A;
    pub const HEX32: u8 = 0x14;
    pub const HEX64: u8 = 0x15;
}

/// A template definition's GUID, as the key of what is known about it.
pub type Guid = [u8; 16];

/// A record's outer template instance.
#[derive(Debug, Clone, Copy)]
pub struct Instance<'a> {
    /// The definition's GUID.
    pub guid: Guid,
    /// The same, borrowed from the chunk.
    pub guid_bytes: &'a [u8],
    chunk: &'a [u8],
    /// The descriptors, 4 bytes each.
    descriptors: &'a [u8],
    /// Where the values start in the chunk, back to back, and where the
    /// record ends.
    values_at: usize,
    end: usize,
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    let bytes = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(bytes.try_into().ok()?))
}

/// The outer template instance of the record whose BinXML is
/// `chunk[offset..offset + size]`.
pub fn instance(chunk: &[u8], offset: u64, size: u32) -> Option<Instance<'_>> {
    let start = usize::try_from(offset).ok()?;
    let end = start.checked_add(usize::try_from(size).ok()?)?;
    let record = chunk.get(start..end)?;
    // Fragment header (nested values may go without), then the instance
    // token.
    let token = match record {
        [0x0F, _, _, _, 0x0C, ..] => 4,
        [0x0C, ..] => 0,
        _ => return None,
    };
    // Token, 1 byte, template id, definition offset.
    let def_offset = u32_at(record, token + 6)?;
    // Chunk offset just past the instance header.
    let mut at = start.checked_add(token + 10)?;
    if usize::try_from(def_offset).ok()? == at {
        // The definition is inline: skip it.
        let def_size = usize::try_from(u32_at(chunk, at.checked_add(20)?)?).ok()?;
        at = at.checked_add(24)?.checked_add(def_size)?;
    }
    let guid_at = usize::try_from(def_offset).ok()?.checked_add(4)?;
    let guid_bytes = chunk.get(guid_at..guid_at.checked_add(16)?)?;
    let guid: Guid = guid_bytes.try_into().ok()?;
    let count = usize::try_from(u32_at(chunk, at)?).ok()?;
    let desc_start = at.checked_add(4)?;
    let desc_end = desc_start.checked_add(count.checked_mul(4)?)?;
    if desc_end > end {
        return None;
    }
    let descriptors = chunk.get(desc_start..desc_end)?;
    Some(Instance {
        guid,
        guid_bytes,
        chunk,
        descriptors,
        values_at: desc_end,
        end,
    })
}

/// UTF-16 bytes up to the first NUL code unit (as the crate reads strings).
pub fn until_nul(b: &[u8]) -> &[u8] {
    let n = b
        .chunks_exact(2)
        .position(|u| u == [0, 0])
        .unwrap_or(b.len() / 2);
    b.get(..n * 2).unwrap_or(b)
}

impl<'a> Instance<'a> {
    /// How many values.
    pub fn len(&self) -> usize {
        self.descriptors.len() / 4
    }

    /// Value `i`'s type and bytes.
    pub fn raw(&self, i: usize) -> Option<(u8, &'a [u8])> {
        let (t, start, size) = self.place(i)?;
        Some((t, self.chunk.get(start..start.checked_add(size)?)?))
    }

    /// The event's data: the instance in the first nested BinXML value
    /// (type 0x21), where Windows writes EventData and UserData.
    pub fn data(&self) -> Option<Instance<'a>> {
        let i = self
            .descriptors
            .as_chunks::<4>()
            .0
            .iter()
            .position(|[_, _, t, _]| *t == BINXML)?;
        let (_, start, size) = self.place(i)?;
        instance(self.chunk, start as u64, u32::try_from(size).ok()?)
    }

    /// Value `i`'s type, chunk offset and size, within the record.
    fn place(&self, i: usize) -> Option<(u8, usize, usize)> {
        let mut at = self.values_at;
        let mut found = None;
        for (n, [lo, hi, t, _]) in self
            .descriptors
            .as_chunks::<4>()
            .0
            .iter()
            .enumerate()
            .take(i + 1)
        {
            let size = usize::from(u16::from_le_bytes([*lo, *hi]));
            if n == i {
                found = Some((*t, at, size));
            }
            at = at.checked_add(size)?;
        }
        let (t, start, size) = found?;
        (start.checked_add(size)? <= self.end).then_some((t, start, size))
    }

    /// Value `i` as the crate reads it, for the types read here (strings,
    /// integers, hex integers, null); `None` for others.
    pub fn value(&self, i: usize) -> Option<BinXmlValue<'a>> {
        let (t, b) = self.raw(i)?;
        fn n<const N: usize>(b: &[u8]) -> Option<[u8; N]> {
            b.get(..N)?.try_into().ok()
        }
        Some(match t {
            ty::NULL => BinXmlValue::NullType,
            ty::STRING => {
                if b.len() % 2 != 0 {
                    return None;
                }
                let s = until_nul(b);
                BinXmlValue::StringType(Utf16LeSlice::new(s, s.len() / 2))
            }
            ty::INT8 => BinXmlValue::Int8Type(i8::from_le_bytes(n(b)?)),
            ty::UINT8 => BinXmlValue::UInt8Type(u8::from_le_bytes(n(b)?)),
            ty::INT16 => BinXmlValue::Int16Type(i16::from_le_bytes(n(b)?)),
            ty::UINT16 => BinXmlValue::UInt16Type(u16::from_le_bytes(n(b)?)),
            ty::INT32 => BinXmlValue::Int32Type(i32::from_le_bytes(n(b)?)),
            ty::UINT32 => BinXmlValue::UInt32Type(u32::from_le_bytes(n(b)?)),
            ty::INT64 => BinXmlValue::Int64Type(i64::from_le_bytes(n(b)?)),
            ty::UINT64 => BinXmlValue::UInt64Type(u64::from_le_bytes(n(b)?)),
            ty::HEX32 => BinXmlValue::HexInt32Type(u32::from_le_bytes(n(b)?)),
            ty::HEX64 => BinXmlValue::HexInt64Type(u64::from_le_bytes(n(b)?)),
            _ => return None,
        })
    }

    /// Value `i` as text, as a rendering writes it (strings decoded, numbers
    /// in decimal, hex numbers `0x…`); `None` for other types.
    pub fn text(&self, i: usize) -> Option<String> {
        match self.value(i)? {
            BinXmlValue::StringType(s) => s.to_string().ok(),
            BinXmlValue::NullType => Some(String::new()),
            // Integers: the crate's own text form, as it renders them.
            v => Some(v.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(values: &[(u8, &[u8])]) -> Vec<u8> {
        // A chunk of 16 bytes of padding, then a record whose definition is
        // elsewhere (offset 0, GUID at 4..20).
        let mut chunk = vec![0u8; 32];
        chunk[4..20].copy_from_slice(&[7; 16]);
        chunk.extend_from_slice(&[0x0F, 1, 1, 0, 0x0C, 1]);
        chunk.extend_from_slice(&9u32.to_le_bytes());
        chunk.extend_from_slice(&0u32.to_le_bytes());
        chunk.extend_from_slice(&(values.len() as u32).to_le_bytes());
        for (t, b) in values {
            chunk.extend_from_slice(&(b.len() as u16).to_le_bytes());
            chunk.extend_from_slice(&[*t, 0]);
        }
        for (_, b) in values {
            chunk.extend_from_slice(b);
        }
        chunk
    }

    #[test]
    fn values_are_read_by_place() {
        let chunk = record(&[
            (ty::UINT16, &4625u16.to_le_bytes()),
            (ty::STRING, b"S\0e\0c\0\0\0"),
            (ty::HEX32, &0xC000_006Eu32.to_le_bytes()),
            (0x13, &[1, 2]),
        ]);
        let size = (chunk.len() - 32) as u32;
        let i = instance(&chunk, 32, size).unwrap();
        assert_eq!(i.guid, [7; 16]);
        assert_eq!(i.len(), 4);
        assert_eq!(i.text(0).as_deref(), Some("4625"));
        assert_eq!(i.text(1).as_deref(), Some("Sec"));
        assert_eq!(
            i.text(2).map(|t| t.to_ascii_lowercase()).as_deref(),
            Some("0xc000006e")
        );
        assert_eq!(i.text(3), None);
        assert_eq!(i.raw(4), None);
    }

    #[test]
    fn short_or_odd_records_give_none() {
        let chunk = record(&[(ty::UINT32, &[1, 2])]);
        let size = (chunk.len() - 32) as u32;
        let i = instance(&chunk, 32, size).unwrap();
        assert_eq!(i.value(0), None);
        for cut in 0..size {
            if let Some(i) = instance(&chunk[..32 + cut as usize], 32, cut) {
                let _ = i.text(0);
            }
        }
        assert!(instance(&chunk, 32, size + 100).is_none());
        assert!(instance(&chunk, u64::MAX, size).is_none());
    }
}
