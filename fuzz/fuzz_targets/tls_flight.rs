#![no_main]
//! One side's TLS records as a capture holds them (ClientHello, Certificate
//! chain, clear alerts): reading never panics, and a decoded ClientHello
//! came from a whole handshake message.

use libfuzzer_sys::fuzz_target;
use rdpdoctor_wire::tls_flight;

fuzz_target!(|data: &[u8]| {
    let flight = tls_flight::read_flight(data);
    assert!(flight.records <= data.len() / 5);
    if let Ok(h) = tls_flight::decode_client_hello(data) {
        // Record header, handshake header, version, random, session id
        // length, suites length, compression length at least.
        assert!(data.len() >= 5 + 4 + 2 + 32 + 1 + 2 + 1);
        let _ = h.offered_versions();
    }
});
