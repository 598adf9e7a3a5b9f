#![no_main]
//! The RD Gateway's HTTP response head: decoding never panics, a head is
//! bounded, and what decodes came from a whole head.

use libfuzzer_sys::fuzz_target;
use rdpdoctor_wire::http;

fuzz_target!(|data: &[u8]| {
    if let Ok(Some(n)) = http::head_len(data) {
        assert!(n <= data.len() && n <= http::MAX_HEAD);
    }
    if let Ok(r) = http::decode_request_head(data) {
        assert!(r.headers.len() <= http::MAX_HEADERS);
    }
    if let Ok(h) = http::decode_response_head(data) {
        assert!(h.headers.len() <= http::MAX_HEADERS);
        let _ = h.auth_schemes();
        let _ = h.auth_token("NTLM");
        let _ = h.is_chunked();
        let _ = h.content_length();
    }
});
