//! The headers around every slow-path PDU after the channel joins: the Share
//! Control Header and Share Data Header ([MS-RDPBCGR 2.2.8.1.1.1]) and the
//! security header ([2.2.8.1.1.2]), plain or through a Standard RDP Security
//! session.
//!
//! <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/73d01865-2eae-407f-9b2c-87e31daac471>

use crate::security::Session;

/// [2.2.8.1.1.1.1] Share Control Header `pduType` (type in the low 4 bits).
pub mod pdu_type {
    /// Demand Active PDU.
    pub const DEMAND_ACTIVE: u16 = 0x1;
    /// Confirm Active PDU.
    pub const CONFIRM_ACTIVE: u16 = 0x3;
    /// Deactivate All PDU.
    pub const DEACTIVATE_ALL: u16 = 0x6;
    /// Data PDU (Share Data Header follows).
    pub const DATA: u16 = 0x7;
    /// Enhanced Security Server Redirection PDU.
    pub const SERVER_REDIR: u16 = 0xA;
    /// TS_PROTOCOL_VERSION in the high 12 bits.
    pub const VERSION: u16 = 0x10;
}

/// [2.2.8.1.1.1.2] `pduType2` values of the connection finalization phase ([1.3.1.1]).
pub mod pdu_type2 {
    /// Control PDU ([2.2.1.15], [2.2.1.20]).
    pub const CONTROL: u8 = 0x14;
    /// Synchronize PDU ([2.2.1.14], [2.2.1.19]).
    pub const SYNCHRONIZE: u8 = 0x1F;
    /// Shutdown Request PDU ([2.2.2.2]): the client logs off.
    pub const SHUTDOWN_REQUEST: u8 = 0x24;
    /// Font List PDU ([2.2.1.18]).
    pub const FONT_LIST: u8 = 0x27;
    /// Font Map PDU ([2.2.1.22]).
    pub const FONT_MAP: u8 = 0x28;
}

/// [2.2.8.1.1.1.2] Share Data Header `pduType2` of the Set Error Info PDU.
pub const PDUTYPE2_SET_ERROR_INFO_PDU: u8 = 0x2F;
/// [2.2.8.1.1.1.2] `pduType2` of the Status Info PDU ([2.2.5.2]).
pub const PDUTYPE2_STATUS_INFO_PDU: u8 = 0x36;
/// The `pduSource` and share id high half Windows uses: the server's MCS
/// user id 1002.
pub const SERVER_CHANNEL_ID: u16 = 0x03EA;

pub(super) fn push_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

pub(super) fn push_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Security header + data: encrypted by `session`, or a Basic Security
/// Header with `flags` in front of the plain data.
pub(super) fn secure(session: Option<&mut Session>, flags: u16, data: &[u8]) -> Vec<u8> {
    match session {
        Some(s) => s.encrypt(flags, data),
        None => {
            let mut out = Vec::with_capacity(data.len().saturating_add(4));
            push_u16(&mut out, flags);
            push_u16(&mut out, 0);
            out.extend_from_slice(data);
            out
        }
    }
}

/// A Share Control Header ([2.2.8.1.1.1.1]) and `body` (which starts with the shareId).
pub(super) fn share_control(ty: u16, source: u16, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len().saturating_add(6));
    push_u16(
        &mut out,
        u16::try_from(body.len().saturating_add(6)).unwrap_or(u16::MAX),
    );
    push_u16(&mut out, ty | pdu_type::VERSION);
    push_u16(&mut out, source);
    out.extend_from_slice(body);
    out
}

/// A Data PDU: Share Data Header ([2.2.8.1.1.1.2]) with `pdu_type2` and `payload`.
pub(super) fn share_data(share_id: u32, source: u16, pdu_type2: u8, payload: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(payload.len().saturating_add(12));
    push_u32(&mut body, share_id);
    body.push(0); // pad1
    body.push(0x01); // streamId: STREAM_LOW
    // uncompressedLength: from pduType2 on, as Windows counts it ([4.1.14]).
    push_u16(
        &mut body,
        u16::try_from(payload.len().saturating_add(4)).unwrap_or(u16::MAX),
    );
    body.push(pdu_type2);
    body.push(0); // compressedType
    push_u16(&mut body, 0); // compressedLength
    body.extend_from_slice(payload);
    share_control(pdu_type::DATA, source, &body)
}
