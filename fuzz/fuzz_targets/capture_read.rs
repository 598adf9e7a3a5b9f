#![no_main]
//! A capture file (pcap or pcapng, a magic number prepended by the input's
//! first byte) read to evidence: framing, link and IP headers, TCP
//! reassembly and the RDP/TLS decoders over whatever the streams hold, read
//! whole and skimming (`read_seekable`). Never panics; a connection's kept
//! bytes stay under the per-direction cap.

use libfuzzer_sys::fuzz_target;

/// The two formats' magic numbers, so most inputs get past the sniffing.
const MAGICS: [[u8; 4]; 2] = [[0xD4, 0xC3, 0xB2, 0xA1], [0x0A, 0x0D, 0x0D, 0x0A]];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let mut file = MAGICS[usize::from(pick & 1)].to_vec();
    file.extend_from_slice(rest);
    let whole = rdpdoctor_capture::read(&file[..], "fuzz.pcap");
    if let Ok(ev) = &whole {
        assert!(ev.connections.len() <= rdpdoctor_capture::MAX_CONNECTIONS);
    }
    // The skimming reader (what `inspect` uses on a file) reads the same:
    // skipped records are only those of flows already known not to be RDP.
    let opts = rdpdoctor_capture::Options::default();
    let skimmed =
        rdpdoctor_capture::read_seekable(std::io::Cursor::new(&file[..]), "fuzz.pcap", &opts);
    assert_eq!(skimmed.is_ok(), whole.is_ok());
    if let Ok(conns) = rdpdoctor_capture::raw_connections(&file[..]) {
        for c in conns {
            assert!(c.client.len() <= rdpdoctor_capture::MAX_STREAM);
            assert!(c.server.len() <= rdpdoctor_capture::MAX_STREAM);
        }
    }
});
