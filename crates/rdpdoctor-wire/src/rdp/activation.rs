//! The capabilities exchange as a server starts and ends it: [MS-RDPBCGR
//! 2.2.1.13.1] Server Demand Active PDU with a minimal but complete set of
//! capability sets ([2.2.7]), and [2.2.3.1] Deactivate All PDU.
//!
//! <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/a07abad1-38bb-4a1a-96c9-253e3d5440df>

use super::share::{SERVER_CHANNEL_ID, pdu_type, push_u16, push_u32, share_control};
use crate::mcs;

/// A capability set: [2.2.1.13.1.1.1] TS_CAPS_SET header and body.
fn push_caps(out: &mut Vec<u8>, ty: u16, body: &[u8]) {
    push_u16(out, ty);
    push_u16(
        out,
        u16::try_from(body.len().saturating_add(4)).unwrap_or(u16::MAX),
    );
    out.extend_from_slice(body);
}

/// The capability sets of [`encode_demand_active`], as a server advertises them.
fn server_capability_sets() -> (u16, Vec<u8>) {
    let mut caps = Vec::with_capacity(320);
    // [2.2.7.1.1] General: OSMAJORTYPE_WINDOWS, OSMINORTYPE_WINDOWS_NT,
    // TS_CAPS_PROTOCOLVERSION, extraFlags FASTPATH_OUTPUT_SUPPORTED |
    // LONG_CREDENTIALS_SUPPORTED | NO_BITMAP_COMPRESSION_HDR, refreshRect and
    // suppressOutput supported.
    let mut g = Vec::new();
    for v in [1u16, 3, 0x0200, 0, 0, 0x0001 | 0x0004 | 0x0400, 0, 0, 0] {
        push_u16(&mut g, v);
    }
    g.extend_from_slice(&[1, 1]);
    push_caps(&mut caps, 0x0001, &g);
    // [2.2.7.1.2] Bitmap: 24 bpp, 1024x768, resize allowed, compression.
    let mut b = Vec::new();
    for v in [24u16, 1, 1, 1, 1024, 768, 0, 1, 1] {
        push_u16(&mut b, v);
    }
    b.extend_from_slice(&[0, 0]); // highColorFlags, drawingFlags
    push_u16(&mut b, 1); // multipleRectangleSupport
    push_u16(&mut b, 0);
    push_caps(&mut caps, 0x0002, &b);
    // [2.2.7.1.3] Order: no orders supported (bitmaps only).
    let mut o = vec![0u8; 16]; // terminalDescriptor
    push_u32(&mut o, 0);
    for v in [1u16, 20, 0, 1, 0, 0x0002 | 0x0020] {
        push_u16(&mut o, v); // granularities, maximumOrderLevel, numberFonts, orderFlags
    }
    o.extend_from_slice(&[0; 32]); // orderSupport
    push_u16(&mut o, 0); // textFlags
    push_u16(&mut o, 0); // orderSupportExFlags
    push_u32(&mut o, 0);
    push_u32(&mut o, 480 * 480); // desktopSaveSize
    for v in [0u16, 0, 0, 0] {
        push_u16(&mut o, v);
    }
    push_caps(&mut caps, 0x0003, &o);
    // [2.2.7.1.5] Pointer: color pointers, 25 entries.
    let mut p = Vec::new();
    for v in [1u16, 25, 25] {
        push_u16(&mut p, v);
    }
    push_caps(&mut caps, 0x0008, &p);
    // [2.2.7.1.6] Input: scancodes, mouse extended, Unicode, fast-path input.
    let mut i = Vec::new();
    push_u16(&mut i, 0x0001 | 0x0004 | 0x0010 | 0x0020);
    push_u16(&mut i, 0);
    for v in [0x0409u32, 4, 0, 12] {
        push_u32(&mut i, v);
    }
    i.extend_from_slice(&[0; 64]);
    push_caps(&mut caps, 0x000D, &i);
    // [2.2.7.1.10] Virtual Channel: no compression, 1600-byte chunks.
    let mut vc = Vec::new();
    push_u32(&mut vc, 0);
    push_u32(&mut vc, 1600);
    push_caps(&mut caps, 0x0014, &vc);
    // [2.2.7.2.3] Share: the server's node id; [2.2.7.2.5] Font.
    let mut s = Vec::new();
    push_u16(&mut s, SERVER_CHANNEL_ID);
    push_u16(&mut s, 0);
    push_caps(&mut caps, 0x0009, &s);
    push_caps(&mut caps, 0x000E, &[1, 0, 0, 0]);
    (8, caps)
}

/// [2.2.1.13.1] Server Demand Active PDU, minimal but complete: General,
/// Bitmap, Order, Pointer, Input, Virtual Channel, Share and Font capability
/// sets, source descriptor "RDP", sessionId 0 — the logon screen is next.
///
/// <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/a07abad1-38bb-4a1a-96c9-253e3d5440df>
pub fn encode_demand_active(user_id: u16, io_channel: u16, share_id: u32) -> Vec<u8> {
    let (count, caps) = server_capability_sets();
    let descriptor = b"RDP\0";
    let mut body = Vec::with_capacity(caps.len().saturating_add(24));
    push_u32(&mut body, share_id);
    push_u16(&mut body, 4); // lengthSourceDescriptor
    push_u16(
        &mut body,
        u16::try_from(caps.len().saturating_add(4)).unwrap_or(u16::MAX),
    ); // lengthCombinedCapabilities
    body.extend_from_slice(descriptor);
    push_u16(&mut body, count); // numberCapabilities
    push_u16(&mut body, 0); // pad2Octets
    body.extend_from_slice(&caps);
    push_u32(&mut body, 0); // sessionId
    let pdu = share_control(pdu_type::DEMAND_ACTIVE, SERVER_CHANNEL_ID, &body);
    mcs::encode_send_data_indication(user_id, io_channel, &pdu)
}

/// [2.2.3.1] Deactivate All PDU.
pub fn encode_deactivate_all(user_id: u16, io_channel: u16, share_id: u32) -> Vec<u8> {
    let mut body = Vec::with_capacity(8);
    push_u32(&mut body, share_id);
    push_u16(&mut body, 1); // lengthSourceDescriptor
    body.push(0);
    let pdu = share_control(pdu_type::DEACTIVATE_ALL, SERVER_CHANNEL_ID, &body);
    mcs::encode_send_data_indication(user_id, io_channel, &pdu)
}
