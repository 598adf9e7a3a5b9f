#![no_main]
//! A capture file (pcap or pcapng, a magic number prepended by the input's
//! first byte) read to evidence: framing, link and IP headers, TCP
//! reassembly and the RDP/TLS decoders over whatever the streams hold. Never
//! panics; a connection's kept bytes stay under the per-direction cap.

use libfuzzer_sys::fuzz_target;

/// The two formats' magic numbers, so most inputs get past the sniffing.
const MAGICS: [[u8; 4]; 2] = [[0xD4, 0xC3, 0xB2, 0xA1], [0x0A, 0x0D, 0x0D, 0x0A]];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let mut file = MAGICS[usize::from(pick & 1)].to_vec();
    file.extend_from_slice(rest);
    if let Ok(ev) = rdpdoctor_capture::read(&file[..], "fuzz.pcap") {
        assert!(ev.connections.len() <= rdpdoctor_capture::MAX_CONNECTIONS);
    }
    if let Ok(conns) = rdpdoctor_capture::raw_connections(&file[..]) {
        for c in conns {
            assert!(c.client.len() <= rdpdoctor_capture::MAX_STREAM);
            assert!(c.server.len() <= rdpdoctor_capture::MAX_STREAM);
        }
    }
});
