#![no_main]
//! The frame accumulator with every framer: never panics, every frame is
//! whole and within the limit, nothing is lost or invented, and it never
//! asks for bytes it has no room for. The first byte picks the piece size
//! and the limit, the rest is the stream.

use libfuzzer_sys::fuzz_target;
use rdpdoctor_wire::frame::{self, Accumulator, Framer};
use rdpdoctor_wire::{credssp, rdp, tpkt};

fuzz_target!(|data: &[u8]| {
    let Some((&knob, stream)) = data.split_first() else {
        return;
    };
    let step = usize::from(knob % 16) + 1;
    let max = [8, 64, 1024, tpkt::MAX_FRAME][usize::from(knob >> 6)];
    let framers: [Framer; 5] = [
        tpkt::declared_len,
        tpkt::frame_len,
        rdp::declared_len,
        credssp::ts_request_declared_len,
        frame::tls_record_len,
    ];
    for framer in framers {
        let mut acc = Accumulator::new();
        let mut out = Vec::new();
        let mut fed = 0;
        'feed: for piece in stream.chunks(step) {
            acc.feed(piece);
            fed += piece.len();
            loop {
                match acc.next_frame(framer, max) {
                    Ok(Some(f)) => {
                        assert!(!f.is_empty() && f.len() <= max);
                        out.extend_from_slice(&f);
                    }
                    Ok(None) => {
                        assert!(acc.room(max) >= 1);
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
        assert_eq!(out, stream[..fed]);
    }
});
