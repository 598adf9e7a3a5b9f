//! The skim's skipping path on a capture recorded by tcpdump: Zeek's
//! captures hold no other traffic worth skipping, so `read_seekable` could
//! skip wrongly (or not at all) without the other capture tests noticing.
//! Loopback only; needs tcpdump and root (the lab run).

use std::io::{Read, Seek, SeekFrom, Write};
use std::net::{TcpListener, TcpStream};

/// Counts the bytes read through it (a seek past costs nothing).
struct Counting<R> {
    inner: R,
    read: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

impl<R: Seek> Seek for Counting<R> {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// One connection to `port` on loopback that sends `bytes` and closes; the
/// listener reads it all.
fn send(listener: &TcpListener, bytes: &[u8]) {
    let port = listener.local_addr().unwrap().port();
    let mut client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let (mut server, _) = listener.accept().unwrap();
    // The reader runs beside the writer: 4 MiB do not fit in the sockets'
    // buffers.
    let reader = std::thread::spawn(move || {
        let mut sink = Vec::new();
        server.read_to_end(&mut sink).unwrap();
        sink.len()
    });
    client.write_all(bytes).unwrap();
    drop(client);
    assert_eq!(reader.join().unwrap(), bytes.len());
}

#[test]
#[ignore = "needs tcpdump and root: the lab run (lab/test.sh)"]
fn skimming_skips_other_traffic_and_reads_the_same() {
    let other = TcpListener::bind("127.0.0.1:0").unwrap();
    let rdp = TcpListener::bind("127.0.0.1:0").unwrap();
    let (p1, p2) = (
        other.local_addr().unwrap().port(),
        rdp.local_addr().unwrap().port(),
    );
    let dir = rdpdoctor_testkit::fixtures::scratch("capture_skim_lab");
    let file = dir.join("mixed.pcap");
    let filter = format!("tcp and host 127.0.0.1 and (port {p1} or port {p2})");
    rdpdoctor_testkit::tcpdump::record(&file, &filter, || {
        // 4 MiB of something else, then an RDP Connection Request on another
        // port (found by its content), then more of the other.
        let noise = vec![0x5a_u8; 4 << 20];
        send(&other, &noise);
        let request = rdpdoctor_wire::x224::encode_connection_request(Some(0x3), Some("skim"));
        send(&rdp, &request);
        send(&other, &noise);
    });

    let bytes = std::fs::read(&file).unwrap();
    let name = file.to_string_lossy().into_owned();
    let opts = rdpdoctor_capture::Options::default();
    let all = rdpdoctor_capture::read_with(&bytes[..], &name, &opts).unwrap();
    assert_eq!(all.connections.len(), 1, "{all:?}");
    assert_eq!(
        all.connections[0]
            .request
            .as_ref()
            .and_then(|r| r.mstshash.as_deref()),
        Some("skim"),
        "{:?}",
        all.connections[0].request
    );
    let mut counting = Counting {
        inner: std::io::Cursor::new(&bytes[..]),
        read: 0,
    };
    let skimmed = rdpdoctor_capture::read_seekable(&mut counting, &name, &opts).unwrap();
    assert_eq!(skimmed, all);
    // The other traffic's payloads were seeked past, not read.
    assert!(
        counting.read < bytes.len() as u64 / 4,
        "read {} of {} bytes",
        counting.read,
        bytes.len()
    );
}
