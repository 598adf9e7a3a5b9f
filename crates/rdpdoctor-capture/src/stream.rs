//! One direction of a TCP connection reassembled by sequence number:
//! retransmissions dropped and counted, segments that arrive early held
//! (bounded) until the hole before them fills, overlaps trimmed, a hole that
//! never fills marked as a gap. Only the first [`MAX_STREAM`] bytes are kept
//! (RDP's clear part is the first few KB); the rest is counted.

use std::collections::BTreeMap;

/// Bytes kept per direction.
pub const MAX_STREAM: usize = 256 * 1024;
/// Early segments held per direction.
const MAX_PENDING: usize = 64;

/// One direction.
#[derive(Debug, Default)]
pub struct Stream {
    /// Sequence number of stream offset 0 (ISN + 1 after a SYN, else the
    /// first segment's).
    base: Option<u32>,
    /// Bytes delivered in order (past the cap: counted, not kept).
    delivered: u64,
    /// The kept bytes.
    pub bytes: Vec<u8>,
    /// For each delivered segment: the offset of its end and its time (µs).
    pub marks: Vec<(u64, u64)>,
    /// Early segments by stream offset.
    pending: BTreeMap<u64, (Vec<u8>, u64)>,
    /// Segments with payload.
    pub segments: u64,
    /// Segments already seen whole.
    pub retransmissions: u64,
    /// Holes that never filled.
    pub gaps: u32,
    /// Bytes past the cap were dropped.
    pub truncated: bool,
    /// Payload bytes seen in order or not (for the totals).
    pub seen: u64,
    /// When the last segment with payload was captured (µs).
    pub last_payload_us: u64,
}

impl Stream {
    /// A SYN from this direction: offset 0 is the next sequence number.
    pub fn syn(&mut self, seq: u32) {
        if self.base.is_none() {
            self.base = Some(seq.wrapping_add(1));
        }
    }

    /// A segment with payload, captured at `ts`.
    pub fn add(&mut self, seq: u32, payload: &[u8], ts: u64) {
        if payload.is_empty() {
            return;
        }
        self.segments += 1;
        self.last_payload_us = self.last_payload_us.max(ts);
        let base = *self.base.get_or_insert(seq);
        let rel = seq.wrapping_sub(base);
        // A segment starting "before" the base by the wrapping distance is a
        // retransmission of the SYN's neighbourhood: nothing new.
        if rel > u32::MAX / 2 {
            self.retransmissions += 1;
            return;
        }
        // Offsets grow past 4 GiB on long connections: unwrap relative to
        // what was delivered.
        let window = self.delivered & !u64::from(u32::MAX);
        let mut off = window | u64::from(rel);
        if off + (1 << 31) < self.delivered {
            off += 1 << 32;
        }
        let len = payload.len() as u64;
        let end = off.saturating_add(len);
        if end <= self.delivered {
            self.retransmissions += 1;
            return;
        }
        self.seen = self.seen.saturating_add(len);
        if off > self.delivered {
            if self.pending.len() < MAX_PENDING && !self.pending.contains_key(&off) {
                self.pending.insert(off, (payload.to_vec(), ts));
            } else {
                // No room to hold it: the hole before it will not fill.
                self.gaps += 1;
                self.jump(off);
                self.deliver(off, payload, ts);
            }
            return;
        }
        self.deliver(off, payload, ts);
        self.drain();
    }

    /// Appends the part of a segment at `off` after what was delivered.
    fn deliver(&mut self, off: u64, payload: &[u8], ts: u64) {
        let skip = usize::try_from(self.delivered.saturating_sub(off)).unwrap_or(usize::MAX);
        let Some(new) = payload.get(skip..) else {
            return;
        };
        let room = MAX_STREAM.saturating_sub(self.bytes.len());
        if !self.truncated && self.gaps == 0 {
            let kept = new.get(..room.min(new.len())).unwrap_or(&[]);
            self.bytes.extend_from_slice(kept);
            if !kept.is_empty() && self.marks.len() < MAX_STREAM {
                self.marks.push((self.bytes.len() as u64, ts));
            }
            if kept.len() < new.len() {
                self.truncated = true;
            }
        }
        self.delivered = self.delivered.saturating_add(new.len() as u64);
    }

    /// Delivers held segments that now follow on.
    fn drain(&mut self) {
        while let Some(entry) = self.pending.first_entry() {
            if *entry.key() > self.delivered {
                break;
            }
            let (off, (bytes, ts)) = entry.remove_entry();
            self.deliver(off, &bytes, ts);
        }
    }

    /// Skips a hole: what follows is not kept (the kept bytes stay the
    /// contiguous start of the stream).
    fn jump(&mut self, off: u64) {
        self.delivered = off;
    }

    /// The end of the capture: a hole still open is a gap.
    pub fn finish(&mut self) {
        if let Some((&off, _)) = self.pending.first_key_value() {
            self.gaps += 1;
            self.jump(off);
            let held = std::mem::take(&mut self.pending);
            for (off, (bytes, ts)) in held {
                if off + bytes.len() as u64 > self.delivered {
                    self.deliver(off.max(self.delivered), &bytes, ts);
                }
            }
        }
    }

    /// When the byte at stream offset `end - 1` was captured.
    pub fn time_of(&self, end: usize) -> Option<u64> {
        let end = end as u64;
        let i = self.marks.partition_point(|(e, _)| *e < end);
        self.marks.get(i).map(|(_, ts)| *ts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reordered_retransmitted_and_overlapping_segments_come_out_in_order() {
        let mut s = Stream::default();
        s.syn(99);
        s.add(106, b"world", 3);
        s.add(100, b"hello,", 1);
        s.add(100, b"hello,", 2);
        s.add(104, b"o,wor", 4);
        s.finish();
        assert_eq!(s.bytes, b"hello,world");
        assert_eq!(s.retransmissions, 2);
        assert_eq!(s.gaps, 0);
        assert_eq!(s.time_of(11), Some(3));
    }

    #[test]
    fn a_hole_that_never_fills_is_a_gap_and_what_follows_is_not_kept() {
        let mut s = Stream::default();
        s.syn(0);
        s.add(1, b"abc", 1);
        s.add(10, b"xyz", 2);
        s.finish();
        assert_eq!(s.bytes, b"abc");
        assert_eq!(s.gaps, 1);
    }

    #[test]
    fn a_stream_past_the_cap_is_kept_in_part_and_marked() {
        let mut s = Stream::default();
        s.syn(0);
        let chunk = vec![0u8; 60_000];
        let mut seq = 1u32;
        for i in 0..6 {
            s.add(seq, &chunk, i);
            seq = seq.wrapping_add(60_000);
        }
        assert_eq!(s.bytes.len(), MAX_STREAM);
        assert!(s.truncated);
    }
}
