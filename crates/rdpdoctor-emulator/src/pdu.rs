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

/// [MS-RDPBCGR 2.2.8.1.1.1.1] a share control header around `body`.
fn share_control(pdu_type: u16, body: &[u8]) -> Vec<u8> {
    let total = u16::try_from(body.len().saturating_add(6)).unwrap_or(u16::MAX);
    let mut out = Vec::with_capacity(body.len().saturating_add(6));
    out.extend_from_slice(&total.to_le_bytes());
    out.extend_from_slice(&(0x0010 | pdu_type).to_le_bytes()); // TS_PROTOCOL_VERSION | type
    out.extend_from_slice(&SERVER_CHANNEL_ID.to_le_bytes());
    out.extend_from_slice(body);
    out
}

/// [MS-RDPBCGR 2.2.8.1.1.1.2] a share data PDU (PDUTYPE_DATAPDU) of type `pdu_type2`.
fn share_data(pdu_type2: u8, body: &[u8]) -> Vec<u8> {
    let mut d = Vec::with_capacity(body.len().saturating_add(12));
    d.extend_from_slice(&SHARE_ID.to_le_bytes());
    d.push(0); // pad1
    d.push(1); // streamId: STREAM_LOW
    let uncompressed = u16::try_from(body.len().saturating_add(4)).unwrap_or(u16::MAX);
    d.extend_from_slice(&uncompressed.to_le_bytes());
    d.push(pdu_type2);
    d.push(0); // compressedType
    d.extend_from_slice(&[0, 0]); // compressedLength
    d.extend_from_slice(body);
    share_control(0x7, &d)
}

/// Wraps an I/O-channel PDU for the wire.
pub(crate) fn io(data: &[u8]) -> Vec<u8> {
    mcs::encode_send_data_indication(SERVER_CHANNEL_ID, IO_CHANNEL_ID, data)
}

/// [MS-RDPBCGR 2.2.1.19] Server Synchronize PDU.
pub(crate) fn synchronize() -> Vec<u8> {
    let mut b = 1u16.to_le_bytes().to_vec(); // SYNCMSGTYPE_SYNC
    b.extend_from_slice(&SERVER_CHANNEL_ID.to_le_bytes());
    share_data(0x1F, &b)
}

/// [MS-RDPBCGR 2.2.1.20/21] Server Control PDU: Cooperate (4) or Granted Control (2).
pub(crate) fn control(action: u16) -> Vec<u8> {
    let mut b = action.to_le_bytes().to_vec();
    if action == 2 {
        b.extend_from_slice(&USER_ID.to_le_bytes()); // grantId
        b.extend_from_slice(&u32::from(SERVER_CHANNEL_ID).to_le_bytes()); // controlId
    } else {
        b.extend_from_slice(&[0; 6]);
    }
    share_data(0x14, &b)
}

/// [MS-RDPBCGR 2.2.1.22] Server Font Map PDU (empty, FONTMAP_FIRST | FONTMAP_LAST).
pub(crate) fn font_map() -> Vec<u8> {
    share_data(0x28, &[0, 0, 0, 0, 3, 0, 4, 0])
}

/// What a client sent on the I/O channel after the Client Info PDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClientPdu {
    /// Client Confirm Active.
    ConfirmActive,
    /// A data PDU of this pduType2; for Control PDUs, also the action.
    Data { pdu_type2: u8, action: Option<u16> },
    /// Anything else (flow PDUs, unknown types).
    Other,
}

/// Classifies a share control PDU sent by the client over TLS.
pub(crate) fn client_pdu(data: &[u8]) -> ClientPdu {
    let Some(pdu_type) = u16_le(data, 2) else {
        return ClientPdu::Other;
    };
    match pdu_type & 0x000F {
        0x3 => ClientPdu::ConfirmActive,
        0x7 => match data.get(14) {
            Some(&t2) => ClientPdu::Data {
                pdu_type2: t2,
                action: if t2 == 0x14 { u16_le(data, 18) } else { None },
            },
            None => ClientPdu::Other,
        },
        _ => ClientPdu::Other,
    }
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

    #[test]
    fn share_pdus_have_the_lengths_they_announce() {
        for pdu in [synchronize(), control(4), control(2), font_map()] {
            assert_eq!(usize::from(u16::from_le_bytes([pdu[0], pdu[1]])), pdu.len());
        }
        // [MS-RDPBCGR 4.1.20] Server Synchronize PDU, share control part.
        assert_eq!(
            synchronize(),
            [
                0x16, 0, 0x17, 0, 0xEA, 3, 0xEA, 3, 1, 0, 0, 1, 8, 0, 0x1F, 0, 0, 0, 1, 0, 0xEA, 3
            ]
        );
        assert_eq!(
            client_pdu(&control(1)),
            ClientPdu::Data {
                pdu_type2: 0x14,
                action: Some(1)
            }
        );
        assert_eq!(client_pdu(&[1]), ClientPdu::Other);
    }
}
