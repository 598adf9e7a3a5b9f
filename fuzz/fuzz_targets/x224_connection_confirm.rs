#![no_main]
//! X.224 Connection Confirm (and Request) decoding; a decoded confirm must
//! survive a round trip through the encoder.

use libfuzzer_sys::fuzz_target;
use rdpdoctor_wire::x224;

fuzz_target!(|data: &[u8]| {
    if let Ok(cc) = x224::decode_connection_confirm(data) {
        let again = x224::decode_connection_confirm(&x224::encode_connection_confirm(&cc));
        assert_eq!(again, Ok(cc));
    }
    let _ = x224::decode_connection_request(data);
});
