//! What a server test double decodes from a client: Client Info, Security
//! Exchange; and the licensing messages a client decodes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rdpdoctor_wire::{license, rdp, security};

fuzz_target!(|data: &[u8]| {
    let _ = rdp::decode_client_info(data);
    let _ = rdp::decode_info_packet(data);
    let _ = security::decode_security_exchange(data);
    let _ = license::decode_license_request(data);
    let keys = license::LicenseKeys::derive(&[1; 32], &[2; 32], &[3; 48]);
    let _ = license::decode_platform_challenge(data, &keys);
});
