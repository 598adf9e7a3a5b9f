//! Zeek's recorded RDP captures (`shared/fixtures/pcap`, read in place, never
//! copied): each TCP connection to port 3389 as the two byte streams its
//! peers sent, reassembled by sequence number (the captures are small and in
//! order; a retransmitted segment is dropped, a gap ends the stream).
//! Shared by the wire decoder tests and the end-to-end replay tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The RDP port the recorded servers listen on.
const RDP_PORT: u16 = 3389;

/// `shared/fixtures/pcap`, found like the host tests find their fixtures:
/// `RDPDOCTOR_FIXTURES`, else the nearest `shared/fixtures` above the crate,
/// else `/work/shared/fixtures`.
pub fn dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("RDPDOCTOR_FIXTURES") {
        return PathBuf::from(dir).join("pcap");
    }
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.ancestors()
        .map(|a| a.join("shared/fixtures/pcap"))
        .chain([PathBuf::from("/work/shared/fixtures/pcap")])
        .find(|p| p.join("SOURCES.tsv").is_file())
        .unwrap_or_else(|| {
            panic!(
                "no shared/fixtures/pcap above {}: set RDPDOCTOR_FIXTURES",
                here.display()
            )
        })
}

/// One recorded TCP connection.
#[derive(Debug, Default)]
pub struct Connection {
    /// The client's port (connections are told apart by it).
    pub client_port: u16,
    /// What the client sent, in order.
    pub client: Vec<u8>,
    /// What the server sent, in order.
    pub server: Vec<u8>,
}

/// One direction being reassembled.
#[derive(Default)]
struct Stream {
    next_seq: Option<u32>,
    bytes: Vec<u8>,
    gap: bool,
}

impl Stream {
    fn add(&mut self, seq: u32, syn: bool, payload: &[u8]) {
        if syn {
            self.next_seq = Some(seq.wrapping_add(1));
            return;
        }
        if payload.is_empty() || self.gap {
            return;
        }
        let next = *self.next_seq.get_or_insert(seq);
        // How far this segment starts past the next byte expected (as a
        // signed distance, so a retransmission is negative).
        let ahead = seq.wrapping_sub(next) as i32;
        if ahead > 0 {
            self.gap = true;
            return;
        }
        let overlap = ahead.unsigned_abs() as usize;
        if overlap >= payload.len() {
            return;
        }
        self.bytes.extend_from_slice(&payload[overlap..]);
        self.next_seq = Some(seq.wrapping_add(payload.len() as u32));
    }
}

/// Every TCP connection to port 3389 in `shared/fixtures/pcap/<name>`, in the
/// order their first packet appears.
pub fn connections(name: &str) -> Vec<Connection> {
    let path = dir().join(name);
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = pcap_file::pcap::PcapReader::new(file).expect("a pcap file");
    let mut order: Vec<u16> = Vec::new();
    let mut streams: std::collections::BTreeMap<(u16, bool), Stream> = Default::default();
    while let Some(packet) = reader.next_packet() {
        let packet = packet.expect("a whole pcap record");
        let Ok(sliced) = etherparse::SlicedPacket::from_ethernet(&packet.data) else {
            continue;
        };
        let Some(etherparse::TransportSlice::Tcp(tcp)) = sliced.transport else {
            continue;
        };
        let (client_port, from_server) = if tcp.source_port() == RDP_PORT {
            (tcp.destination_port(), true)
        } else if tcp.destination_port() == RDP_PORT {
            (tcp.source_port(), false)
        } else {
            continue;
        };
        if !order.contains(&client_port) {
            order.push(client_port);
        }
        streams.entry((client_port, from_server)).or_default().add(
            tcp.sequence_number(),
            tcp.syn(),
            tcp.payload(),
        );
    }
    order
        .into_iter()
        .map(|client_port| {
            let mut take = |from_server| {
                streams
                    .remove(&(client_port, from_server))
                    .map(|s| s.bytes)
                    .unwrap_or_default()
            };
            Connection {
                client_port,
                client: take(false),
                server: take(true),
            }
        })
        .collect()
}

/// The whole TPKT frames at the start of `bytes`, in order, up to the first
/// byte that does not start one (a TLS record after the Connection Confirm).
pub fn tpkt_frames(mut bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut frames = Vec::new();
    while let Ok(Some(len)) = rdpdoctor_wire::tpkt::frame_len(bytes) {
        let (frame, rest) = bytes.split_at(len);
        frames.push(frame.to_vec());
        bytes = rest;
    }
    frames
}
