//! Zeek's recorded RDP captures (`shared/fixtures/pcap`, read in place, never
//! copied): each RDP connection as the two byte streams its peers sent,
//! reassembled by `rdpdoctor-capture`.
//! Shared by the wire decoder tests and the end-to-end replay tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

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

/// Every RDP connection in `shared/fixtures/pcap/<name>`, in the order their
/// first packet appears, reassembled by `rdpdoctor-capture` (the reader
/// `inspect CAPTURE` uses).
pub fn connections(name: &str) -> Vec<Connection> {
    let path = dir().join(name);
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    rdpdoctor_capture::raw_connections(std::io::BufReader::new(file))
        .expect("a pcap file")
        .into_iter()
        .map(|c| Connection {
            client_port: c.client_port,
            client: c.client,
            server: c.server,
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

/// The rows of a Zeek log in `expected/`, each a map from the `#fields` names.
pub fn zeek_log(name: &str) -> Vec<std::collections::BTreeMap<String, String>> {
    let path = dir().join("expected").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let fields: Vec<&str> = text
        .lines()
        .find_map(|l| l.strip_prefix("#fields\t"))
        .expect("a #fields line")
        .split('\t')
        .collect();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            fields
                .iter()
                .zip(l.split('\t'))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// tshark's `fields` for the TLS handshake messages of `handshake_type`
/// (1 ClientHello, 2 ServerHello) in a capture, the TLS after RDP's
/// Connection Confirm read as TLS: one row per message, one column per field.
#[allow(dead_code)]
pub fn tshark_handshakes(name: &str, handshake_type: u8, fields: &[&str]) -> Vec<Vec<String>> {
    let mut cmd = std::process::Command::new("tshark");
    cmd.arg("-r").arg(dir().join(name));
    cmd.args(["-d", "tcp.port==3389,tls", "-Y"]);
    cmd.arg(format!("tls.handshake.type == {handshake_type}"));
    cmd.args(["-T", "fields"]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd
        .output()
        .expect("tshark runs (Debian package tshark, in lab/install.sh)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}
