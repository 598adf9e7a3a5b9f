//! The connection finalization PDUs a server sends ([MS-RDPBCGR 1.3.1.1]):
//! Synchronize ([2.2.1.19]), Control Cooperate / Granted Control
//! ([2.2.1.20], [2.2.1.21]) and Font Map ([2.2.1.22]), and the classifier of
//! what a client sends in that phase (Confirm Active, Synchronize, Control,
//! Font List).
//!
//! Server Synchronize: <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/5186005a-36f5-4f5d-8c06-968f28e2d992>

use super::share::{SERVER_CHANNEL_ID, pdu_type, pdu_type2, push_u16, push_u32, share_data};
use crate::mcs;
use crate::reader::Reader;

/// [2.2.1.15.1] Control PDU `action` values.
pub mod control_action {
    /// CTRLACTION_REQUEST_CONTROL
    pub const REQUEST_CONTROL: u16 = 0x0001;
    /// CTRLACTION_GRANTED_CONTROL
    pub const GRANTED_CONTROL: u16 = 0x0002;
    /// CTRLACTION_COOPERATE
    pub const COOPERATE: u16 = 0x0004;
}

/// [2.2.1.19] Server Synchronize PDU (targetUser: the server channel), in an
/// MCS Send Data Indication from `user_id` on `io_channel`.
pub fn encode_synchronize(user_id: u16, io_channel: u16, share_id: u32) -> Vec<u8> {
    let mut body = Vec::with_capacity(4);
    push_u16(&mut body, 1); // SYNCMSGTYPE_SYNC
    push_u16(&mut body, SERVER_CHANNEL_ID);
    let pdu = share_data(share_id, SERVER_CHANNEL_ID, pdu_type2::SYNCHRONIZE, &body);
    mcs::encode_send_data_indication(user_id, io_channel, &pdu)
}

/// [2.2.1.20] / [2.2.1.21] Server Control PDU: Cooperate, or Granted Control
/// to `grant_id` (the client's MCS user id).
pub fn encode_control(
    user_id: u16,
    io_channel: u16,
    share_id: u32,
    action: u16,
    grant_id: u16,
) -> Vec<u8> {
    let mut body = Vec::with_capacity(8);
    push_u16(&mut body, action);
    if action == control_action::GRANTED_CONTROL {
        push_u16(&mut body, grant_id);
        push_u32(&mut body, u32::from(SERVER_CHANNEL_ID)); // controlId
    } else {
        push_u16(&mut body, 0);
        push_u32(&mut body, 0);
    }
    let pdu = share_data(share_id, SERVER_CHANNEL_ID, pdu_type2::CONTROL, &body);
    mcs::encode_send_data_indication(user_id, io_channel, &pdu)
}

/// [2.2.1.22] Server Font Map PDU: empty, FONTMAP_FIRST | FONTMAP_LAST, 4-byte entries.
pub fn encode_font_map(user_id: u16, io_channel: u16, share_id: u32) -> Vec<u8> {
    let body = [0, 0, 0, 0, 0x03, 0, 0x04, 0];
    let pdu = share_data(share_id, SERVER_CHANNEL_ID, pdu_type2::FONT_MAP, &body);
    mcs::encode_send_data_indication(user_id, io_channel, &pdu)
}

/// What a client sent in a share control PDU (no RDP-level encryption).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientSharePdu {
    /// [2.2.1.13.2] Client Confirm Active.
    ConfirmActive,
    /// A Data PDU of this `pduType2`; for Control PDUs, also the action.
    Data {
        /// `pduType2`, see [`pdu_type2`].
        pdu_type2: u8,
        /// The Control PDU's `action`, see [`control_action`].
        action: Option<u16>,
    },
    /// Flow control or anything else.
    Other,
}

/// Classifies a client share control PDU (the user data of an MCS Send Data Request).
pub fn decode_client_share_pdu(data: &[u8]) -> ClientSharePdu {
    let mut r = Reader::new(data);
    let (Ok(_total), Ok(ty), Ok(_source)) = (
        r.u16_le("totalLength"),
        r.u16_le("pduType"),
        r.u16_le("pduSource"),
    ) else {
        return ClientSharePdu::Other;
    };
    match ty & 0x000F {
        pdu_type::CONFIRM_ACTIVE => ClientSharePdu::ConfirmActive,
        pdu_type::DATA => {
            if r.skip(8, "share data header").is_err() {
                return ClientSharePdu::Other;
            }
            let Ok(t2) = r.u8("pduType2") else {
                return ClientSharePdu::Other;
            };
            let action = if t2 == pdu_type2::CONTROL && r.skip(3, "compression").is_ok() {
                r.u16_le("action").ok()
            } else {
                None
            };
            ClientSharePdu::Data {
                pdu_type2: t2,
                action,
            }
        }
        _ => ClientSharePdu::Other,
    }
}
