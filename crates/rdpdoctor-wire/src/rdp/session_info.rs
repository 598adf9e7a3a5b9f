//! [MS-RDPBCGR 2.2.10.1] Save Session Info PDU: how a server tells the
//! client that a user logged on ([2.2.10.1.1.1] INFOTYPE_LOGON,
//! [2.2.10.1.1.2] INFOTYPE_LOGON_LONG, [2.2.10.1.1.3] INFOTYPE_LOGON_PLAINNOTIFY)
//! or why the logon did not go through ([2.2.10.1.1.4] INFOTYPE_LOGON_EXTENDED_INFO
//! with [2.2.10.1.1.4.1.1] Logon Errors Info). Sent by the server over the
//! I/O channel after the client's Client Info asked for it (INFO_LOGONNOTIFY).
//!
//! Decoding keeps the raw codes; [`logon_error_type_name`] and
//! [`logon_error_data_name`] name them as the specification does.
//!
//! <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/0c4bd0d8-a0c1-4b04-a95b-c0a2d6b8a3e3>
//! <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/845eb789-6edf-453a-8b0e-c976823d1f72>

use serde::Serialize;

use super::share::{SERVER_CHANNEL_ID, push_u16, push_u32, share_data};
use crate::error::WireError;
use crate::mcs;
use crate::reader::Reader;

/// [2.2.8.1.1.1.2] `pduType2` of the Save Session Info PDU.
pub const PDUTYPE2_SAVE_SESSION_INFO: u8 = 0x26;

/// [2.2.10.1.1] `infoType`.
pub mod info_type {
    /// INFOTYPE_LOGON: a TS_LOGON_INFO (the user logged on).
    pub const LOGON: u32 = 0x0000_0000;
    /// INFOTYPE_LOGON_LONG: a TS_LOGON_INFO_VERSION_2 (the user logged on).
    pub const LOGON_LONG: u32 = 0x0000_0001;
    /// INFOTYPE_LOGON_PLAINNOTIFY: the user logged on, nothing more.
    pub const PLAIN_NOTIFY: u32 = 0x0000_0002;
    /// INFOTYPE_LOGON_EXTENDED_INFO: an auto-reconnect cookie or Logon Errors Info.
    pub const EXTENDED_INFO: u32 = 0x0000_0003;
}

/// [2.2.10.1.1.4] `FieldsPresent` of TS_LOGON_INFO_EXTENDED.
const LOGON_EX_AUTORECONNECTCOOKIE: u32 = 0x0000_0001;
const LOGON_EX_LOGONERRORS: u32 = 0x0000_0002;

/// [2.2.10.1.1.4.1.1] `ErrorNotificationData` values that are not a session id.
pub mod logon_failed {
    /// LOGON_FAILED_BAD_PASSWORD: the credentials are not valid.
    pub const BAD_PASSWORD: u32 = 0x0000_0000;
    /// LOGON_FAILED_UPDATE_PASSWORD: the password must be changed first.
    pub const UPDATE_PASSWORD: u32 = 0x0000_0001;
    /// LOGON_FAILED_OTHER: another logon error.
    pub const OTHER: u32 = 0x0000_0002;
    /// LOGON_WARNING: a warning was shown at the logon.
    pub const WARNING: u32 = 0x0000_0003;
}

/// [2.2.10.1.1.4.1.1] `ErrorNotificationType` ERROR_CODE_ACCESS_DENIED.
pub const ERROR_CODE_ACCESS_DENIED: u32 = 0xFFFF_FFFF;

/// [2.2.10.1.1.4.1.1] TS_LOGON_ERRORS_INFO, raw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LogonErrors {
    /// `ErrorNotificationType`: a LOGON_MSG_* code, ERROR_CODE_ACCESS_DENIED
    /// or an NTSTATUS.
    pub notification_type: u32,
    /// `ErrorNotificationData`: a LOGON_FAILED_* code or LOGON_WARNING for
    /// an error, a session id for a LOGON_MSG_* type.
    pub notification_data: u32,
}

/// What one Save Session Info PDU said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum SaveSessionInfo {
    /// INFOTYPE_LOGON, INFOTYPE_LOGON_LONG or INFOTYPE_LOGON_PLAINNOTIFY: the
    /// user logged on.
    LoggedOn {
        /// `infoType`.
        info_type: u32,
        /// `SessionId`, where the structure has one.
        session_id: Option<u32>,
    },
    /// INFOTYPE_LOGON_EXTENDED_INFO.
    Extended {
        /// The Logon Errors Info field, when present.
        logon_errors: Option<LogonErrors>,
        /// Whether an auto-reconnect cookie was present (its content is not kept).
        auto_reconnect_cookie: bool,
    },
    /// An `infoType` the specification does not define.
    Unknown {
        /// `infoType`.
        info_type: u32,
    },
}

/// [2.2.10.1.1] decode a Save Session Info PDU's data (after the Share Data
/// Header): `infoType` and what it announces.
pub fn decode_save_session_info(data: &[u8]) -> Result<SaveSessionInfo, WireError> {
    let mut r = Reader::new(data);
    let info_type = r.u32_le("TS_SAVE_SESSION_INFO_PDU_DATA infoType")?;
    match info_type {
        info_type::LOGON => {
            // [2.2.10.1.1.1] cbDomain, Domain (52), cbUserName, UserName (512), SessionId.
            r.skip(4 + 52 + 4 + 512, "TS_LOGON_INFO Domain and UserName")?;
            let session_id = r.u32_le("TS_LOGON_INFO SessionId")?;
            Ok(SaveSessionInfo::LoggedOn {
                info_type,
                session_id: Some(session_id),
            })
        }
        info_type::LOGON_LONG => {
            // [2.2.10.1.1.2] Version (2), Size (4), SessionId.
            r.skip(2 + 4, "TS_LOGON_INFO_VERSION_2 Version and Size")?;
            let session_id = r.u32_le("TS_LOGON_INFO_VERSION_2 SessionId")?;
            Ok(SaveSessionInfo::LoggedOn {
                info_type,
                session_id: Some(session_id),
            })
        }
        // [2.2.10.1.1.3] 576 bytes of padding; nothing to read.
        info_type::PLAIN_NOTIFY => Ok(SaveSessionInfo::LoggedOn {
            info_type,
            session_id: None,
        }),
        info_type::EXTENDED_INFO => decode_extended(&mut r),
        other => Ok(SaveSessionInfo::Unknown { info_type: other }),
    }
}

/// [2.2.10.1.1.4] TS_LOGON_INFO_EXTENDED: `Length`, `FieldsPresent`, then one
/// [2.2.10.1.1.4.1] TS_LOGON_INFO_FIELD (`cbFieldData`, `FieldData`) per flag
/// set, in flag order.
fn decode_extended(r: &mut Reader<'_>) -> Result<SaveSessionInfo, WireError> {
    let _length = r.u16_le("TS_LOGON_INFO_EXTENDED Length")?;
    let fields = r.u32_le("TS_LOGON_INFO_EXTENDED FieldsPresent")?;
    let mut auto_reconnect_cookie = false;
    let mut logon_errors = None;
    if fields & LOGON_EX_AUTORECONNECTCOOKIE != 0 {
        let cb = crate::reader::len_from_u32(r.u32_le("TS_LOGON_INFO_FIELD cbFieldData")?);
        r.skip(cb, "ARC_SC_PRIVATE_PACKET")?;
        auto_reconnect_cookie = true;
    }
    if fields & LOGON_EX_LOGONERRORS != 0 {
        let cb = crate::reader::len_from_u32(r.u32_le("TS_LOGON_INFO_FIELD cbFieldData")?);
        let field = r.take(cb, "TS_LOGON_ERRORS_INFO")?;
        let mut f = Reader::new(field);
        logon_errors = Some(LogonErrors {
            notification_type: f.u32_le("TS_LOGON_ERRORS_INFO ErrorNotificationType")?,
            notification_data: f.u32_le("TS_LOGON_ERRORS_INFO ErrorNotificationData")?,
        });
    }
    Ok(SaveSessionInfo::Extended {
        logon_errors,
        auto_reconnect_cookie,
    })
}

/// The specification's name of an `ErrorNotificationType` that is not an
/// NTSTATUS (an NTSTATUS is named by the knowledge base).
pub fn logon_error_type_name(notification_type: u32) -> Option<&'static str> {
    Some(match notification_type {
        0xFFFF_FFF8 => "LOGON_MSG_SESSION_BUSY_OPTIONS",
        0xFFFF_FFF9 => "LOGON_MSG_DISCONNECT_REFUSED",
        0xFFFF_FFFA => "LOGON_MSG_NO_PERMISSION",
        0xFFFF_FFFB => "LOGON_MSG_BUMP_OPTIONS",
        0xFFFF_FFFC => "LOGON_MSG_RECONNECT_OPTIONS",
        0xFFFF_FFFD => "LOGON_MSG_SESSION_TERMINATE",
        0xFFFF_FFFE => "LOGON_MSG_SESSION_CONTINUE",
        ERROR_CODE_ACCESS_DENIED => "ERROR_CODE_ACCESS_DENIED",
        _ => return None,
    })
}

/// Whether `notification_type` is a LOGON_MSG_* code, whose
/// `ErrorNotificationData` is a session id rather than a LOGON_FAILED_* code.
pub fn is_logon_msg(notification_type: u32) -> bool {
    (0xFFFF_FFF8..=0xFFFF_FFFE).contains(&notification_type)
}

/// The specification's name of an `ErrorNotificationData` (`None` when it is
/// a session id: under a LOGON_MSG_* type, or any other value).
pub fn logon_error_data_name(notification_type: u32, data: u32) -> Option<&'static str> {
    if is_logon_msg(notification_type) {
        return None;
    }
    Some(match data {
        logon_failed::BAD_PASSWORD => "LOGON_FAILED_BAD_PASSWORD",
        logon_failed::UPDATE_PASSWORD => "LOGON_FAILED_UPDATE_PASSWORD",
        logon_failed::OTHER => "LOGON_FAILED_OTHER",
        logon_failed::WARNING => "LOGON_WARNING",
        _ => return None,
    })
}

/// Server side: a Save Session Info PDU ([2.2.10.1]) with
/// INFOTYPE_LOGON_EXTENDED_INFO carrying only Logon Errors Info, in an MCS
/// Send Data Indication on `io_channel` (TLS, or Standard RDP Security at
/// level NONE: no security header is added; see [`super::encode_set_error_info`]).
pub fn encode_save_session_info_logon_errors(
    user_id: u16,
    io_channel: u16,
    share_id: u32,
    errors: LogonErrors,
) -> Vec<u8> {
    let mut payload = Vec::with_capacity(4 + 2 + 4 + 4 + 8 + 570);
    push_u32(&mut payload, info_type::EXTENDED_INFO);
    // Length: the Length field, FieldsPresent and the fields (not the padding).
    push_u16(&mut payload, 2 + 4 + 4 + 8);
    push_u32(&mut payload, LOGON_EX_LOGONERRORS);
    push_u32(&mut payload, 8); // cbFieldData
    push_u32(&mut payload, errors.notification_type);
    push_u32(&mut payload, errors.notification_data);
    payload.extend_from_slice(&[0; 570]); // Pad
    frame(user_id, io_channel, share_id, &payload)
}

/// Server side: a Save Session Info PDU with INFOTYPE_LOGON_PLAINNOTIFY
/// ([2.2.10.1.1.3]): the user logged on.
pub fn encode_save_session_info_plain_notify(
    user_id: u16,
    io_channel: u16,
    share_id: u32,
) -> Vec<u8> {
    let mut payload = Vec::with_capacity(4 + 576);
    push_u32(&mut payload, info_type::PLAIN_NOTIFY);
    payload.extend_from_slice(&[0; 576]);
    frame(user_id, io_channel, share_id, &payload)
}

/// A Save Session Info PDU with `payload` (infoType and infoData), in an
/// MCS Send Data Indication on `io_channel`.
fn frame(user_id: u16, io_channel: u16, share_id: u32, payload: &[u8]) -> Vec<u8> {
    let pdu = share_data(
        share_id,
        SERVER_CHANNEL_ID,
        PDUTYPE2_SAVE_SESSION_INFO,
        payload,
    );
    mcs::encode_send_data_indication(user_id, io_channel, &pdu)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ironrdp_pdu::rdp::session_info as ir;

    fn ironrdp_encoded(pdu: &ir::SaveSessionInfoPdu) -> Vec<u8> {
        ironrdp_core::encode_vec(pdu).expect("ironrdp encodes it")
    }

    #[test]
    fn reads_ironrdp_logon_errors() {
        let pdu = ir::SaveSessionInfoPdu {
            info_type: ir::InfoType::LogonExtended,
            info_data: ir::InfoData::LogonExtended(ir::LogonInfoExtended {
                present_fields_flags: ir::LogonExFlags::LOGON_ERRORS,
                auto_reconnect: None,
                errors_info: Some(ir::LogonErrorsInfo {
                    error_type: ir::LogonErrorNotificationType::NtStatus(0xC000_006D),
                    error_data: ir::LogonErrorNotificationData::ErrorCode(
                        ir::LogonErrorNotificationDataErrorCode::FailedBadPassword,
                    ),
                }),
            }),
        };
        let got = decode_save_session_info(&ironrdp_encoded(&pdu)).unwrap();
        assert_eq!(
            got,
            SaveSessionInfo::Extended {
                logon_errors: Some(LogonErrors {
                    notification_type: 0xC000_006D,
                    notification_data: 0,
                }),
                auto_reconnect_cookie: false,
            }
        );
        assert_eq!(
            logon_error_data_name(0xC000_006D, 0),
            Some("LOGON_FAILED_BAD_PASSWORD")
        );
        assert_eq!(logon_error_type_name(0xC000_006D), None);
        // Under a LOGON_MSG_* type the data is a session id, never a failure.
        assert_eq!(logon_error_data_name(0xFFFF_FFFE, 1), None);
    }

    #[test]
    fn reads_ironrdp_plain_notify() {
        let pdu = ir::SaveSessionInfoPdu {
            info_type: ir::InfoType::PlainNotify,
            info_data: ir::InfoData::PlainNotify,
        };
        assert_eq!(
            decode_save_session_info(&ironrdp_encoded(&pdu)).unwrap(),
            SaveSessionInfo::LoggedOn {
                info_type: info_type::PLAIN_NOTIFY,
                session_id: None
            }
        );
    }

    #[test]
    fn ironrdp_reads_ours() {
        let frame = encode_save_session_info_logon_errors(
            1002,
            1003,
            0x1_03EA,
            LogonErrors {
                notification_type: 0xC000_006D,
                notification_data: logon_failed::BAD_PASSWORD,
            },
        );
        let sd = mcs::decode_send_data_indication(&frame).unwrap();
        let hdr: ironrdp_pdu::rdp::headers::ShareControlHeader =
            ironrdp_core::decode(sd.data).expect("ironrdp decodes the share headers");
        let ironrdp_pdu::rdp::headers::ShareControlPdu::Data(data) = hdr.share_control_pdu else {
            panic!("not a data pdu");
        };
        let ironrdp_pdu::rdp::headers::ShareDataPdu::SaveSessionInfo(info) = data.share_data_pdu
        else {
            panic!("not a Save Session Info PDU");
        };
        let ir::InfoData::LogonExtended(ext) = info.info_data else {
            panic!("not extended info");
        };
        let errors = ext.errors_info.expect("logon errors");
        assert_eq!(errors.error_type.as_u32(), 0xC000_006D);
    }

    #[test]
    fn truncated_is_an_error() {
        for len in 0..4 + 2 + 4 + 4 + 8 {
            let mut full = Vec::new();
            push_u32(&mut full, info_type::EXTENDED_INFO);
            push_u16(&mut full, 18);
            push_u32(&mut full, LOGON_EX_LOGONERRORS);
            push_u32(&mut full, 8);
            push_u32(&mut full, 0xC000_006D);
            push_u32(&mut full, 0);
            assert!(decode_save_session_info(&full[..len]).is_err(), "{len}");
        }
        // A field length beyond the data is refused, not allocated.
        let mut huge = Vec::new();
        push_u32(&mut huge, info_type::EXTENDED_INFO);
        push_u16(&mut huge, 18);
        push_u32(&mut huge, LOGON_EX_LOGONERRORS);
        push_u32(&mut huge, u32::MAX);
        assert!(decode_save_session_info(&huge).is_err());
    }
}
