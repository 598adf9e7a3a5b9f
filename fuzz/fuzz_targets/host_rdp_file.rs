#![no_main]
//! `.rdp` connection files: decoding (UTF-16LE BOM, UTF-8) and the
//! `name:type:value` lines, then every accessor the probe and the judgement use.

use libfuzzer_sys::fuzz_target;
use rdpdoctor_host::rdp_file;

fuzz_target!(|data: &[u8]| {
    if let Ok(f) = rdp_file::parse(data) {
        let _ = f.full_address();
        let _ = f.server_port();
        let _ = f.gateway();
        let _ = f.credssp_disabled();
        let _ = f.authentication_level();
    }
});
