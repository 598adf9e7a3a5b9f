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
mod skim;
mod stream;
mod table;
mod udp;

use std::io::{Read, Seek, SeekFrom};

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
    let (head, format) = magic(&mut reader)?;
    let mut c = Collect::new(opts);
    let stop = file::for_each_frame(head.chain(reader), format, |frame| {
        skim::Sink::frame(&mut c, frame)
    });
    Ok(c.evidence(file, format, stop, opts))
}

/// [`read_with`] for a seekable source (a file): a classic pcap is
/// skimmed ([`skim`]: the packets of flows that are not RDP are skipped
/// after their headers, their payload never read), pcapng read as by
/// [`read_with`].
pub fn read_seekable<R: Read + Seek>(
    mut reader: R,
    file: &str,
    opts: &Options,
) -> Result<CaptureEvidence, NotACapture> {
    let (_, format) = magic(&mut reader)?;
    if format == Format::Pcap {
        let mut c = Collect::new(opts);
        if let Ok(Some(stop)) = skim::for_each_record(&mut reader, &mut c) {
            return Ok(c.evidence(file, format, stop, opts));
        }
    }
    reader.seek(SeekFrom::Start(0)).map_err(|_| NotACapture)?;
    read_with(reader, file, opts)
}

/// The first four bytes and the format they name.
fn magic(reader: &mut impl Read) -> Result<([u8; 4], Format), NotACapture> {
    let mut head = [0u8; 4];
    reader.read_exact(&mut head).map_err(|_| NotACapture)?;
    Ok((head, sniff(&head).ok_or(NotACapture)?))
}

/// What reading gathers, frame by frame.
struct Collect {
    table: table::Table,
    udp: udp::Flows,
    packets: u64,
}

impl Collect {
    fn new(opts: &Options) -> Self {
        let mut table = table::Table::new(false);
        table.gateway = opts.gateway.clone();
        Collect {
            table,
            udp: udp::Flows::default(),
            packets: 0,
        }
    }

    fn evidence(
        self,
        file: &str,
        format: Format,
        stop: Option<String>,
        opts: &Options,
    ) -> CaptureEvidence {
        let other_tls_server_names = self.table.other_tls_server_names();
        let (connections, not_tracked) = self.table.finish();
        CaptureEvidence {
            file: file.to_string(),
            format: format.name().into(),
            packets: self.packets,
            note: stop.map(|why| format!("{file}: {why}; what came before it was read")),
            connections,
            connections_not_tracked: not_tracked,
            udp: self.udp.finish(),
            gateway: opts.gateway.clone(),
            other_tls_server_names,
        }
    }
}

impl skim::Sink for Collect {
    fn wants(&self, link: pcap_file::DataLink, head: &[u8]) -> bool {
        // Only TCP of a flow known not to be RDP is skipped.
        !packet::tcp_flow(link, head).is_some_and(|(a, b)| self.table.is_ignored(a, b))
    }

    fn frame(&mut self, frame: file::Frame<'_>) {
        self.packets += 1;
        if let Some(p) = packet::decode(frame.link, frame.data) {
            if let packet::Packet::Udp { src, dst, payload } = &p {
                self.udp.add(*src, *dst, payload);
            }
            self.table.add(&p, frame.ts_us);
        }
    }

    fn skipped(&mut self) {
        self.packets += 1;
    }
}

/// Every RDP connection's two byte streams, in the order they appear.
pub fn raw_connections<R: Read>(mut reader: R) -> Result<Vec<RawConnection>, NotACapture> {
    let (head, format) = magic(&mut reader)?;
    let mut table = table::Table::new(true);
    file::for_each_frame(head.chain(reader), format, |frame| {
        if let Some(p) = packet::decode(frame.link, frame.data) {
            table.add(&p, frame.ts_us);
        }
    });
    Ok(table.raw())
}
