#![no_main]
//! The TLS ServerHello the legacy-version check reads renegotiation_info
//! from: decoding never panics, and what decodes came from whole records.

use libfuzzer_sys::fuzz_target;
use rdpdoctor_wire::tls;

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = tls::decode_server_hello(data) {
        // Record header, handshake header, version, random, session id
        // length, suite and compression at least.
        assert!(data.len() >= 5 + 4 + 2 + 32 + 1 + 2 + 1);
        let _ = h.secure_renegotiation();
    }
});
