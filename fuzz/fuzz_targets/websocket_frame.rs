#![no_main]
//! The gateway's WebSocket frames: decoding never panics and a payload is
//! never larger than the limit or the input.

use libfuzzer_sys::fuzz_target;
use rdpdoctor_wire::websocket;

fuzz_target!(|data: &[u8]| {
    if let Ok(Some(n)) = websocket::frame_len(data) {
        assert!(n <= websocket::MAX_PAYLOAD + 14);
    }
    if let Ok(f) = websocket::decode_frame(data) {
        assert!(f.payload.len() <= data.len());
    }
});
