//! `probe --rdp-file`: the connection file read (bounded), parsed by
//! `rdpdoctor_host::rdp_file`, and the target it names.

use rdpdoctor_evidence::{RdpFile, Target};
use rdpdoctor_host::rdp_file::{MAX_FILE_BYTES, parse};
use rdpdoctor_render::safe::quote;
use std::io::Read;
use std::path::Path;

/// Reads and parses the file; every failure is one line for the user.
pub fn read(path: &Path) -> Result<RdpFile, String> {
    let shown = quote(&path.display().to_string());
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot open the .rdp file {shown}: {e}"))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read the .rdp file {shown}: {e}"))?;
    parse(&bytes).map_err(|e| format!("the .rdp file {shown} {e}"))
}

/// The target: TARGET when given, else the file's `full address` (with
/// its `server port` when the address names none).
pub fn target(file: &RdpFile, explicit: Option<&str>) -> Result<Target, String> {
    if let Some(t) = explicit {
        return rdpdoctor_probe::parse_target(t).map_err(|e| e.to_string());
    }
    let Some(addr) = file.full_address() else {
        return Err(
            "the .rdp file names no computer (no full address:s: line): give the target too, e.g. rdpdoctor probe HOST --rdp-file FILE"
                .to_owned(),
        );
    };
    let mut target = rdpdoctor_probe::parse_target(addr)
        .map_err(|e| format!("the .rdp file's full address {}: {e}", quote(addr)))?;
    let explicit_port = {
        let a = addr.trim();
        // `host:port` or `[v6]:port`; a bare IPv6 address has several colons
        a.rsplit_once(':').is_some_and(|(h, p)| {
            (h.ends_with(']') || !h.contains(':')) && p.bytes().all(|b| b.is_ascii_digit())
        })
    };
    if let Some(port) = file.server_port().filter(|_| !explicit_port) {
        target.port = port;
    }
    Ok(target)
}

/// The gateway as `inspect --gateway` takes it: its name, with `:PORT` only
/// when the port is not 443 (an IPv6 address in brackets then).
pub fn gateway_name(g: &rdpdoctor_evidence::GatewayTarget) -> String {
    match (g.port, g.host.contains(':')) {
        (443, _) => g.host.clone(),
        (port, true) => format!("[{}]:{port}", g.host),
        (port, false) => format!("{}:{port}", g.host),
    }
}
