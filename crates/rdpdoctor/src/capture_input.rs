//! `inspect`'s packet captures: a source whose first bytes are a pcap or
//! pcapng magic number is read by `rdpdoctor-capture`; the others go to the
//! host reading. One capture per run (a report is about one client's
//! connections).

use std::io::Read;
use std::path::PathBuf;

use rdpdoctor_evidence::CaptureEvidence;
use rdpdoctor_render::safe::quote;

/// The capture among `sources` (read), and the other sources.
pub fn split(
    sources: &[PathBuf],
    opts: &rdpdoctor_capture::Options,
) -> Result<(Option<CaptureEvidence>, Vec<PathBuf>), String> {
    let mut capture: Option<(PathBuf, CaptureEvidence)> = None;
    let mut rest = Vec::new();
    for path in sources {
        if !is_capture(path) {
            rest.push(path.clone());
            continue;
        }
        let shown = path.display().to_string();
        if let Some((first, _)) = &capture {
            return Err(format!(
                "two packet captures ({} and {}): give one capture per run",
                quote(&first.display().to_string()),
                quote(&shown)
            ));
        }
        let file =
            std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", quote(&shown)))?;
        // A small buffer: the reader seeks past the packets of other traffic,
        // and a refill after each seek reads the buffer's size.
        let file = std::io::BufReader::with_capacity(4096, file);
        let ev = rdpdoctor_capture::read_seekable(file, &shown, opts).map_err(|_| {
            format!(
                "{} is not a pcap or pcapng capture: give a file written by tcpdump, Wireshark or pktmon",
                quote(&shown)
            )
        })?;
        if let Some(note) = &ev.note {
            eprintln!("rdpdoctor: {}", rdpdoctor_render::safe::line(note, 300));
        }
        capture = Some((path.clone(), ev));
    }
    if opts.gateway.is_some() && capture.is_none() {
        return Err(
            "--gateway names the RD Gateway in a packet capture: give a capture (pcap, pcapng) too"
                .into(),
        );
    }
    Ok((capture.map(|(_, ev)| ev), rest))
}

/// A regular file starting with a capture's magic number.
pub fn is_capture(path: &std::path::Path) -> bool {
    if !path.is_file() {
        return false;
    }
    let mut head = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && rdpdoctor_capture::sniff(&head).is_some()
}
