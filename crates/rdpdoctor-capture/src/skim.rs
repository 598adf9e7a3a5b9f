//! Classic pcap read from a seekable source, skimming: of each record only
//! the first [`HEAD`] bytes (the link, IP and TCP headers) are read, and the
//! rest is read only when the packet's flow may be RDP; a packet of a flow
//! already known not to be RDP is skipped with a seek, its payload never
//! copied. In a large capture that is mostly other traffic this is most of
//! the bytes. `pcap-file`'s readers (used for the file header here, and for
//! pcapng and unseekable input in `file`) read every record whole, which is
//! why the record loop is ours: the record header is four 32-bit fields
//! ([draft-ietf-opsawg-pcap 5]: seconds, micro- or nanoseconds, captured
//! length, original length) in the file header's byte order.

use std::io::{Read, Seek, SeekFrom};

use pcap_file::pcap::PcapHeader;
use pcap_file::{DataLink, Endianness, TsResolution};

use crate::file::CUT;
use crate::file::Frame;

/// The file header's length ([draft-ietf-opsawg-pcap 4]).
const FILE_HEADER: usize = 24;
/// Bytes read of every record before deciding: Ethernet with two VLAN tags
/// (22), IPv6 with extension headers, TCP with options (60).
pub const HEAD: usize = 256;
/// The longest record accepted: tcpdump's default snapshot length.
pub const MAX_RECORD: usize = 262_144;

/// What the record loop asks of its caller.
pub trait Sink {
    /// From the first bytes of a record: is the whole record needed?
    fn wants(&self, link: DataLink, head: &[u8]) -> bool;
    /// A whole record.
    fn frame(&mut self, frame: Frame<'_>);
    /// A record skipped (counted).
    fn skipped(&mut self);
}

/// Reads every record of a classic pcap from its start; `None` when the
/// source is not a classic pcap (the caller reads it otherwise). Returns
/// why the reading stopped early, if it did.
pub fn for_each_record<R: Read + Seek>(
    mut r: R,
    sink: &mut impl Sink,
) -> std::io::Result<Option<Option<String>>> {
    let len = r.seek(SeekFrom::End(0))?;
    r.seek(SeekFrom::Start(0))?;
    let mut header = [0u8; FILE_HEADER];
    if r.read_exact(&mut header).is_err() {
        return Ok(None);
    }
    let Ok((_, h)) = PcapHeader::from_slice(&header) else {
        return Ok(None);
    };
    let link = h.datalink;
    let u32_at = |b: &[u8], i: usize| -> u32 {
        let mut w = [0u8; 4];
        w.copy_from_slice(b.get(i..i + 4).unwrap_or(&[0; 4]));
        match h.endianness {
            Endianness::Big => u32::from_be_bytes(w),
            Endianness::Little => u32::from_le_bytes(w),
        }
    };
    let mut pos = FILE_HEADER as u64;
    // One buffer for the whole file, of the longest record accepted.
    let mut buf = vec![0u8; MAX_RECORD];
    loop {
        let mut rec = [0u8; 16];
        let got = read_full(&mut r, &mut rec)?;
        if got == 0 {
            return Ok(Some(None));
        }
        if got < rec.len() {
            return Ok(Some(Some(CUT.into())));
        }
        pos += 16;
        let incl = u32_at(&rec, 8) as usize;
        if incl > MAX_RECORD {
            return Ok(Some(Some(format!(
                "a damaged record: {incl} bytes, over the {MAX_RECORD}-byte limit"
            ))));
        }
        if pos + incl as u64 > len {
            return Ok(Some(Some(CUT.into())));
        }
        let frac = u64::from(u32_at(&rec, 4));
        let ts_us = u64::from(u32_at(&rec, 0)) * 1_000_000
            + match h.ts_resolution {
                TsResolution::MicroSecond => frac,
                TsResolution::NanoSecond => frac / 1000,
            };
        let first = incl.min(HEAD);
        let (head, rest) = buf.split_at_mut(first);
        r.read_exact(head)?;
        if incl > first && !sink.wants(link, head) {
            r.seek_relative((incl - first) as i64)?;
            sink.skipped();
        } else {
            r.read_exact(rest.get_mut(..incl - first).unwrap_or_default())?;
            sink.frame(Frame {
                ts_us,
                link,
                data: buf.get(..incl).unwrap_or_default(),
            });
        }
        pos += incl as u64;
    }
}

/// Reads until `buf` is full or the end; how many bytes came.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(buf.get_mut(n..).unwrap_or_default()) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}
