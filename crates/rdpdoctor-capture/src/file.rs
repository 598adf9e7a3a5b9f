//! The file formats: pcap ([draft-ietf-opsawg-pcap]) and pcapng
//! ([draft-ietf-opsawg-pcapng]) records through `pcap-file`'s readers, as
//! (time, link type, bytes). The readers keep a fixed buffer: a record
//! larger than it ends the reading with a note, never a large allocation.

use std::io::Read;

use pcap_file::DataLink;
use pcap_file::pcap::PcapReader;
use pcap_file::pcapng::{Block, PcapNgReader};

/// What a capture cut inside a record says.
pub(crate) const CUT: &str = "the file ends inside a record (a cut capture)";

/// The file's format, from its first four bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Classic pcap (either byte order, micro- or nanosecond timestamps).
    Pcap,
    /// pcapng (a Section Header Block first).
    PcapNg,
}

impl Format {
    /// `pcap` or `pcapng`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Pcap => "pcap",
            Format::PcapNg => "pcapng",
        }
    }
}

/// The format of a file starting with `head`, if it is a capture.
pub fn sniff(head: &[u8]) -> Option<Format> {
    match head.first_chunk::<4>()? {
        [0xD4, 0xC3, 0xB2, 0xA1]
        | [0xA1, 0xB2, 0xC3, 0xD4]
        | [0x4D, 0x3C, 0xB2, 0xA1]
        | [0xA1, 0xB2, 0x3C, 0x4D] => Some(Format::Pcap),
        [0x0A, 0x0D, 0x0D, 0x0A] => Some(Format::PcapNg),
        _ => None,
    }
}

/// One captured frame.
pub struct Frame<'a> {
    /// Capture time, microseconds since the Unix epoch.
    pub ts_us: u64,
    /// The link type of the interface it was captured on.
    pub link: DataLink,
    /// The captured bytes (link-layer header included).
    pub data: &'a [u8],
}

/// Calls `each` with every frame of a capture in `format`; returns why the
/// reading stopped early, if it did.
pub fn for_each_frame<R: Read>(
    reader: R,
    format: Format,
    mut each: impl FnMut(Frame<'_>),
) -> Option<String> {
    match format {
        Format::Pcap => {
            let mut r = match PcapReader::new(reader) {
                Ok(r) => r,
                Err(e) => return Some(describe(&e)),
            };
            let link = r.header().datalink;
            while let Some(packet) = r.next_packet() {
                match packet {
                    Ok(p) => each(Frame {
                        ts_us: micros(p.timestamp),
                        link,
                        data: &p.data,
                    }),
                    Err(e) => return Some(describe(&e)),
                }
            }
            None
        }
        Format::PcapNg => {
            let mut r = match PcapNgReader::new(reader) {
                Ok(r) => r,
                Err(e) => return Some(describe(&e)),
            };
            // The interfaces of the current section, by id.
            let mut links: Vec<DataLink> = r.interfaces().iter().map(|i| i.linktype).collect();
            while let Some(block) = r.next_block() {
                match block {
                    Ok(Block::SectionHeader(_)) => links.clear(),
                    Ok(Block::InterfaceDescription(idb)) => {
                        if links.len() < 256 {
                            links.push(idb.linktype);
                        }
                    }
                    Ok(Block::EnhancedPacket(epb)) => {
                        let link = usize::try_from(epb.interface_id)
                            .ok()
                            .and_then(|i| links.get(i).copied());
                        if let Some(link) = link {
                            each(Frame {
                                ts_us: micros(epb.timestamp),
                                link,
                                data: &epb.data,
                            });
                        }
                    }
                    Ok(Block::SimplePacket(spb)) => {
                        if let Some(&link) = links.first() {
                            each(Frame {
                                ts_us: 0,
                                link,
                                data: &spb.data,
                            });
                        }
                    }
                    Ok(_) => {}
                    Err(e) => return Some(describe(&e)),
                }
            }
            None
        }
    }
}

fn micros(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

fn describe(e: &pcap_file::PcapError) -> String {
    match e {
        pcap_file::PcapError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            CUT.into()
        }
        pcap_file::PcapError::IncompleteBuffer => CUT.into(),
        other => format!("a damaged record: {other}"),
    }
}
