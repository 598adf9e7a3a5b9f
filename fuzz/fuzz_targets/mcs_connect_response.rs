#![no_main]
//! MCS Connect Response (GCC, server data blocks, server certificate) and
//! Disconnect Provider Ultimatum decoding.

use libfuzzer_sys::fuzz_target;
use rdpdoctor_wire::mcs;

fuzz_target!(|data: &[u8]| {
    match mcs::decode_connect_response(data) {
        Ok(r) => {
            let _ = mcs::rdp_version_name(r.server_core.map_or(0, |c| c.version));
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
    let _ = mcs::decode_disconnect_provider_ultimatum(data);
});
