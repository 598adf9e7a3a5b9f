#![no_main]
//! Client Core Data (TS_UD_CS_CORE) as a capture reader reads it.

use libfuzzer_sys::fuzz_target;
use rdpdoctor_wire::mcs;

fuzz_target!(|data: &[u8]| {
    if let Some(core) = mcs::decode_client_core(data) {
        // Two fixed-size UTF-16 fields: never longer than their units.
        assert!(core.client_name.map_or(0, |n| n.chars().count()) <= 16);
        assert!(core.client_dig_product_id.map_or(0, |n| n.chars().count()) <= 32);
        let _ = core.client_build.and_then(mcs::client_build_release);
    }
});
