//! The server side of the RDP PDUs the wire crate does not encode or
//! decode: reading the client's Connect Initial leniently, and the share
//! control/data PDUs of the finalization over TLS (no RDP-level encryption,
//! so no security header on data PDUs). Licensing, Set Error Info and
//! Demand Active come from `rdpdoctor_wire::rdp`.
//!
//! Decoders here read untrusted bytes: no indexing, no panics, every length
//! checked against the bytes present.

use rdpdoctor_wire::mcs;

/// [MS-RDPBCGR 2.2.1.4] the MCS channel of the server ("pduSource" of its
/// share control PDUs and initiator of its Send Data Indications).
pub(crate) const SERVER_CHANNEL_ID: u16 = 1002;
/// The I/O channel (MCSChannelId of SC_NET), as Windows numbers it.
pub(crate) const IO_CHANNEL_ID: u16 = 1003;
/// The user id given to the (only) client of a connection.
pub(crate) const USER_ID: u16 = 1007;
/// The share id of the Demand Active PDU, as Windows forms it (0x10000 + server channel).
pub(crate) const SHARE_ID: u32 = 0x0001_0000 | SERVER_CHANNEL_ID as u32;

/// What the emulator needs from the Client MCS Connect Initial ([MS-RDPBCGR 2.2.1.3]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ClientSettings {
    /// CS_SECURITY `encryptionMethods` (or `extEncryptionMethods` for French-locale clients).
    pub encryption_methods: u32,
    /// CS_NET channel names.
    pub channels: Vec<String>,
    /// CS_CORE `desktopWidth` / `desktopHeight`.
    pub desktop: (u16, u16),
}

fn u16_le(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes([
        *b.get(at)?,
        *b.get(at.checked_add(1)?)?,
    ]))
}

fn u32_le(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([
        *s.first()?,
        *s.get(1)?,
        *s.get(2)?,
        *s.get(3)?,
    ]))
}

/// The client data blocks of a Connect Initial frame, found after the
/// `Duca` H.221 key of the GCC Conference Create Request. Lenient on
/// purpose: the BER/PER layers around them carry nothing the emulator
/// needs, and every client lays them out as [4.1.3] does.
pub(crate) fn parse_connect_initial(frame: &[u8]) -> Result<ClientSettings, String> {
    // TPKT (4) + X.224 Data (3), then BER application tag 101.
    if frame.get(5).map(|c| c & 0xF0) != Some(0xF0) || frame.get(7..9) != Some(&[0x7F, 0x65]) {
        return Err("not an MCS Connect Initial".into());
    }
    let at = frame
        .windows(4)
        .position(|w| w == b"Duca")
        .ok_or("no client data (Duca) in the Connect Initial")?;
    let mut pos = at.saturating_add(4);
    let first = *frame.get(pos).ok_or("truncated GCC user data")?;
    let len = if first & 0x80 == 0 {
        pos = pos.saturating_add(1);
        usize::from(first)
    } else {
        let second = *frame
            .get(pos.saturating_add(1))
            .ok_or("truncated GCC user data")?;
        pos = pos.saturating_add(2);
        usize::from(u16::from_be_bytes([first & 0x3F, second]))
    };
    let blocks = frame
        .get(pos..pos.saturating_add(len))
        .ok_or("truncated client data blocks")?;
    let mut out = ClientSettings {
        desktop: (1024, 768),
        ..ClientSettings::default()
    };
    let mut off = 0usize;
    while off < blocks.len() {
        let ty = u16_le(blocks, off).ok_or("truncated TS_UD_HEADER")?;
        let blen =
            usize::from(u16_le(blocks, off.saturating_add(2)).ok_or("truncated TS_UD_HEADER")?);
        if blen < 4 {
            return Err(format!("client data block {ty:#06x} of length {blen}"));
        }
        let body = blocks
            .get(off.saturating_add(4)..off.saturating_add(blen))
            .ok_or("truncated client data block")?;
        match ty {
            0xC001 => {
                if let (Some(w), Some(h)) = (u16_le(body, 4), u16_le(body, 6)) {
                    out.desktop = (w.clamp(200, 8192), h.clamp(200, 8192));
                }
            }
            0xC002 => {
                let methods = u32_le(body, 0).unwrap_or(0);
                let ext = u32_le(body, 4).unwrap_or(0);
                out.encryption_methods = if methods == 0 { ext } else { methods };
            }
            0xC003 => {
                let n = usize::try_from(u32_le(body, 0).unwrap_or(0)).unwrap_or(0);
                for i in 0..n.min(mcs::MAX_CHANNELS) {
                    let start = 4usize.saturating_add(i.saturating_mul(12));
                    let Some(def) = body.get(start..start.saturating_add(8)) else {
                        break;
                    };
                    let name: String = def
                        .iter()
                        .take_while(|b| **b != 0)
                        .map(|b| char::from(*b))
                        .collect();
                    out.channels.push(name);
                }
            }
            _ => {}
        }
        off = off.saturating_add(blen);
    }
    Ok(out)
}

/// [MS-RDPBCGR 2.2.8.1.1.2.1] the `flags` of a basic security header.
pub(crate) fn security_flags(data: &[u8]) -> Option<u16> {
    u16_le(data, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rdpdoctor_wire::mcs::{ConnectInitialOptions, encode_connect_initial, encryption_method};

    #[test]
    fn reads_the_probes_connect_initial() {
        let frame = encode_connect_initial(&ConnectInitialOptions {
            encryption_methods: encryption_method::FIPS | encryption_method::BIT_128,
            selected_protocol: 0,
            client_name: "x".into(),
            desktop_width: 1280,
            desktop_height: 800,
            channels: vec!["rdpdr".into(), "cliprdr".into()],
        });
        let s = parse_connect_initial(&frame).unwrap();
        assert_eq!(s.encryption_methods, 0x12);
        assert_eq!(s.channels, ["rdpdr", "cliprdr"]);
        assert_eq!(s.desktop, (1280, 800));
        for cut in 0..frame.len() {
            let _ = parse_connect_initial(&frame[..cut]);
        }
        assert!(parse_connect_initial(b"garbage").is_err());
    }
}
