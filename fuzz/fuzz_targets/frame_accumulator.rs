#![no_main]
//! The frame accumulator with every framer: never panics, every frame is
//! whole and within the limit, nothing is lost or invented, and it never
//! asks for bytes it has no room for. The first byte picks the piece size
//! and the limit, the rest is the stream.

use libfuzzer_sys::fuzz_target;
use rdpdoctor_testkit::frames::check_accumulator;
use rdpdoctor_wire::frame::{self, Framer};
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
        check_accumulator(stream, step, framer, max);
    }
});
