#![no_main]
//! MCS Connect Initial as a server reads it (client data blocks).

use libfuzzer_sys::fuzz_target;
use rdpdoctor_wire::mcs;

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = mcs::decode_connect_initial(data) {
        assert!(c.channels.len() <= mcs::MAX_CHANNELS);
    }
});
