#![no_main]
//! TPKT framing: never panics, and a complete frame is never longer than the input.

use libfuzzer_sys::fuzz_target;
use rdpdoctor_wire::tpkt;

fuzz_target!(|data: &[u8]| {
    if let Ok(Some(n)) = tpkt::frame_len(data) {
        assert!(n <= data.len());
        assert!((tpkt::MIN_FRAME..=tpkt::MAX_FRAME).contains(&n));
    }
    let _ = tpkt::declared_len(data);
    let _ = tpkt::sniff(data);
});
