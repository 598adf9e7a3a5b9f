#![no_main]
//! Serialized certificate store elements (a certificate's `Blob` value).

use libfuzzer_sys::fuzz_target;
use rdpdoctor_host::registry::certblob;

fuzz_target!(|data: &[u8]| {
    let _ = certblob::properties(data);
    let _ = certblob::key_link(data);
    if let Ok(der) = certblob::certificate(data) {
        let _ = rdpdoctor_wire::cert::analyze(der);
    }
});
