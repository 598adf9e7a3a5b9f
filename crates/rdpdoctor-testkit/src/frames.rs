//! The frame accumulator's promises, checked on any byte stream: by the
//! wire crate's no-panic test and by the `frame_accumulator` fuzz target.

use rdpdoctor_wire::frame::{Accumulator, Framer};

/// Feeds `input` to an [`Accumulator`] `step` bytes at a time and takes every
/// frame `framer` finds, at most `max` bytes each; panics unless every frame
/// is whole and within the limit, it never asks for bytes it has no room for,
/// and the frames and what is left are the bytes fed (nothing lost or
/// invented, after an error too: feeding stops there).
pub fn check_accumulator(input: &[u8], step: usize, framer: Framer, max: usize) {
    let mut acc = Accumulator::new();
    let mut out = Vec::new();
    let mut fed = 0;
    'feed: for piece in input.chunks(step.max(1)) {
        acc.feed(piece);
        fed += piece.len();
        loop {
            match acc.next_frame(framer, max) {
                Ok(Some(f)) => {
                    assert!(!f.is_empty() && f.len() <= max);
                    out.extend_from_slice(&f);
                }
                Ok(None) => {
                    assert!(acc.room(max) >= 1, "asks for more but has no room");
                    break;
                }
                Err(e) => {
                    let _ = e.to_string();
                    break 'feed;
                }
            }
        }
    }
    out.extend_from_slice(&acc.take());
    assert_eq!(out, input[..fed], "the frames and the rest are the input");
}
