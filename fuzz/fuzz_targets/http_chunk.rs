#![no_main]
//! The legacy transport's chunked body: every chunk decoded from the input
//! is bounded and within it; the loop always makes progress.

use libfuzzer_sys::fuzz_target;
use rdpdoctor_wire::http;

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    while let Ok(Some(c)) = http::decode_chunk(rest) {
        assert!(c.consumed > 0 && c.consumed <= rest.len());
        assert!(c.data.len() <= http::MAX_CHUNK);
        if c.last {
            break;
        }
        rest = &rest[c.consumed..];
    }
});
