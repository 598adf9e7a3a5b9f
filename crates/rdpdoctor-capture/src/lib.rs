//! Packet captures as an evidence source: `rdpdoctor inspect CAPTURE`.
//!
//! Sans-I/O: the caller hands a `Read` (a file, a byte slice); the result is
//! plain [`CaptureEvidence`], one record per client→server RDP connection.
//! The layers: `file` (pcap, pcapng through `pcap-file`), `packet` (link,
//! IP and transport headers through `etherparse`), `stream` (TCP reassembly
//! per direction, bounded), `table` (the connections, bounded), `rdp` (the
//! streams read with `rdpdoctor-wire`'s decoders), `udp` (RDP-UDP SYNs).
//! Only collects: never judges.

#![forbid(unsafe_code)]

mod file;
mod gateway;
mod packet;
mod rdp;
mod stream;
mod table;
mod udp;

use std::io::Read;

pub use file::{Format, sniff};
use rdpdoctor_evidence::CaptureEvidence;
pub use stream::MAX_STREAM;
pub use table::{MAX_CONNECTIONS, MAX_LIVE};

/// One TCP connection's two reassembled byte streams (for tests and tools
/// that read the bytes themselves).
#[derive(Debug, Clone, Default)]
pub struct RawConnection {
    /// The client's port.
    pub client_port: u16,
    /// The server's port.
    pub server_port: u16,
    /// What the client sent, in order (at most [`MAX_STREAM`] bytes).
    pub client: Vec<u8>,
    /// What the server sent.
    pub server: Vec<u8>,
}

/// Why a file is not read at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotACapture;

/// What the reader is told besides the file.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The RD Gateway's name (`inspect --gateway`): TLS connections whose SNI
    /// or server certificate names it are read as the gateway hop.
    pub gateway: Option<String>,
}

/// Reads a capture named `file` (the name goes into the evidence and the
/// note): every RDP connection in it. A file that is not pcap or pcapng is
/// `Err`; a damaged or cut one keeps what was read, with a note.
pub fn read<R: Read>(reader: R, file: &str) -> Result<CaptureEvidence, NotACapture> {
    read_with(reader, file, &Options::default())
}

/// [`read`], with the hop to the RD Gateway named in `opts` read too.
pub fn read_with<R: Read>(
    mut reader: R,
    file: &str,
    opts: &Options,
) -> Result<CaptureEvidence, NotACapture> {
    let mut head = [0u8; 4];
    reader.read_exact(&mut head).map_err(|_| NotACapture)?;
    let format = sniff(&head).ok_or(NotACapture)?;
    let mut table = table::Table::new(false);
    table.gateway = opts.gateway.clone();
    let mut udp = udp::Flows::default();
    let mut packets = 0u64;
    let stop = file::for_each_frame(head.chain(reader), format, |frame| {
        packets += 1;
        if let Some(p) = packet::decode(frame.link, frame.data) {
            if let packet::Packet::Udp { src, dst, payload } = &p {
                udp.add(*src, *dst, payload);
            }
            table.add(&p, frame.ts_us);
        }
    });
    let other_tls_server_names = table.other_tls_server_names();
    let (connections, not_tracked) = table.finish();
    Ok(CaptureEvidence {
        file: file.to_string(),
        format: format.name().into(),
        packets,
        note: stop.map(|why| format!("{file}: {why}; what came before it was read")),
        connections,
        connections_not_tracked: not_tracked,
        udp: udp.finish(),
        gateway: opts.gateway.clone(),
        other_tls_server_names,
    })
}

/// Every RDP connection's two byte streams, in the order they appear.
pub fn raw_connections<R: Read>(mut reader: R) -> Result<Vec<RawConnection>, NotACapture> {
    let mut head = [0u8; 4];
    reader.read_exact(&mut head).map_err(|_| NotACapture)?;
    let format = sniff(&head).ok_or(NotACapture)?;
    let mut table = table::Table::new(true);
    file::for_each_frame(head.chain(reader), format, |frame| {
        if let Some(p) = packet::decode(frame.link, frame.data) {
            table.add(&p, frame.ts_us);
        }
    });
    Ok(table.raw())
}
