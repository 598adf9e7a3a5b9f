#![no_main]
//! MS-TSGU HTTP transport packets, as the probe (gateway's packets) and the
//! emulated gateway (client's packets) decode them: never a panic, and a
//! decoded packet came from a whole one within the limit.

use libfuzzer_sys::fuzz_target;
use rdpdoctor_wire::tsgu;

fuzz_target!(|data: &[u8]| {
    if let Ok(Some(n)) = tsgu::packet_len(data) {
        assert!((tsgu::HEADER_LEN..=tsgu::MAX_PACKET).contains(&n));
    }
    if let Ok(p) = tsgu::decode_server_packet(data) {
        assert!(data.len() >= tsgu::HEADER_LEN);
        let _ = p.encode();
    }
    if let Ok(p) = tsgu::decode_client_packet(data) {
        let _ = p.encode();
    }
});
