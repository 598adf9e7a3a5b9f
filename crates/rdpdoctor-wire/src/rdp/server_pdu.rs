//! Decoding what a server sends after the channel joins ([MS-RDPBCGR
//! 3.2.5.3.13–3.2.5.5]): licensing, Demand Active, Set Error Info,
//! Deactivate All, a Disconnect Provider Ultimatum, or anything else in a
//! few words — through a Standard RDP Security session when one is in
//! effect.

use serde::Serialize;

use super::licensing::{LicenseSummary, license_summary};
use super::sec_flags;
use super::session_info::{PDUTYPE2_SAVE_SESSION_INFO, SaveSessionInfo, decode_save_session_info};
use super::share::{PDUTYPE2_SET_ERROR_INFO_PDU, pdu_type};
use crate::error::WireError;
use crate::mcs;
use crate::reader::Reader;
use crate::security::Session;
use crate::tpkt;

/// What one server PDU after the channel joins was, as far as the probe
/// cares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ServerPdu {
    /// A licensing PDU ([2.2.1.12]).
    License(LicenseSummary),
    /// [2.2.1.13.1] Demand Active: the capabilities exchange starts, the
    /// logon screen follows.
    DemandActive {
        /// `shareId`.
        share_id: u32,
    },
    /// [2.2.5.1] Set Error Info: `errorInfo` ([`error_info_name`](super::error_info_name)).
    SetErrorInfo(u32),
    /// [2.2.10.1] Save Session Info: a logon notification or Logon Errors Info.
    SaveSessionInfo(SaveSessionInfo),
    /// [2.2.3.1] Deactivate All.
    DeactivateAll,
    /// MCS Disconnect Provider Ultimatum with its T.125 reason.
    DisconnectProviderUltimatum(u8),
    /// Anything else: fast-path output, other Share Data PDUs (status info …), auto-detect, multitransport, redirection.
    Other {
        /// The MCS channel (0 for fast-path).
        channel_id: u16,
        /// What it was, in a few words (`fast-path output`, `data pdu 0x36` …).
        summary: String,
    },
}

/// Decode one server frame (from [`frame_len`](super::frame_len)) when no Standard RDP
/// Security encryption is in effect (TLS/CredSSP, or level NONE).
/// An X.224 Disconnect Request is [`WireError::UnexpectedTpdu`] with code 0x80.
pub fn decode_server_pdu(frame: &[u8]) -> Result<ServerPdu, WireError> {
    decode_server_pdu_with(frame, None)
}

/// [`decode_server_pdu`] with a Standard RDP Security `session` to decrypt
/// (and check the MAC of) PDUs that carry SEC_ENCRYPT.
pub fn decode_server_pdu_with(
    frame: &[u8],
    session: Option<&mut Session>,
) -> Result<ServerPdu, WireError> {
    match frame.first() {
        Some(&b) if b != tpkt::VERSION && b & 0x03 == 0 => {
            return Ok(ServerPdu::Other {
                channel_id: 0,
                summary: "fast-path output".into(),
            });
        }
        _ => {}
    }
    let sd = match mcs::decode_send_data_indication(frame) {
        Ok(sd) => sd,
        Err(WireError::DisconnectProviderUltimatum { reason }) => {
            return Ok(ServerPdu::DisconnectProviderUltimatum(reason));
        }
        Err(e) => return Err(e),
    };
    decode_slow_path(sd.channel_id, sd.data, session)
}

/// Whether `data` starts with a plausible Share Control Header: a length that
/// fits, protocol version 1 and a known PDU type. Security headers never
/// look like one (their second word, flagsHi, has no version bits).
fn looks_like_share_control(data: &[u8]) -> bool {
    let mut r = Reader::new(data);
    let (Ok(total), Ok(ty)) = (r.u16_le("len"), r.u16_le("type")) else {
        return false;
    };
    let total = usize::from(total);
    (total == 0x8000 || (4..=data.len()).contains(&total))
        && ty & 0xFFF0 == pdu_type::VERSION
        && matches!(
            ty & 0x000F,
            pdu_type::DEMAND_ACTIVE
                | pdu_type::DEACTIVATE_ALL
                | pdu_type::DATA
                | pdu_type::SERVER_REDIR
        )
}

fn decode_slow_path(
    channel_id: u16,
    data: &[u8],
    session: Option<&mut Session>,
) -> Result<ServerPdu, WireError> {
    if looks_like_share_control(data) {
        return decode_share_control(channel_id, data);
    }
    let mut r = Reader::new(data);
    let flags = r.u16_le("TS_SECURITY_HEADER flags")?;
    let _flags_hi = r.u16_le("TS_SECURITY_HEADER flagsHi")?;
    let mut session = session;
    let plain: Vec<u8>;
    let body: &[u8] = if flags & sec_flags::SEC_ENCRYPT != 0 {
        let Some(session) = session.as_deref_mut() else {
            return Err(WireError::invalid(
                "security header",
                "the server encrypted a PDU but no Standard RDP Security session is in effect",
            ));
        };
        plain = session.decrypt(flags, r.rest())?;
        &plain
    } else {
        r.rest()
    };
    if flags & sec_flags::SEC_LICENSE_PKT != 0 {
        if let Some(s) = session {
            s.set_license_encrypt(flags & sec_flags::SEC_LICENSE_ENCRYPT != 0);
        }
        return Ok(ServerPdu::License(license_summary(body)?));
    }
    let other = |summary: &str| {
        Ok(ServerPdu::Other {
            channel_id,
            summary: summary.into(),
        })
    };
    if flags & sec_flags::SEC_AUTODETECT_REQ != 0 {
        return other("auto-detect request");
    }
    if flags & sec_flags::SEC_TRANSPORT_REQ != 0 {
        return other("initiate multitransport request");
    }
    if flags & sec_flags::SEC_HEARTBEAT != 0 {
        return other("heartbeat");
    }
    if flags & sec_flags::SEC_REDIRECTION_PKT != 0 {
        return other("server redirection");
    }
    decode_share_control(channel_id, body)
}

fn decode_share_control(channel_id: u16, data: &[u8]) -> Result<ServerPdu, WireError> {
    let mut r = Reader::new(data);
    let total = r.u16_le("TS_SHARECONTROLHEADER totalLength")?;
    if total == 0x8000 {
        return Ok(ServerPdu::Other {
            channel_id,
            summary: "flow control pdu".into(),
        });
    }
    let ty = r.u16_le("TS_SHARECONTROLHEADER pduType")?;
    if r.is_empty() && ty & 0x000F == pdu_type::DEACTIVATE_ALL {
        return Ok(ServerPdu::DeactivateAll);
    }
    let _source = r.u16_le("TS_SHARECONTROLHEADER pduSource")?;
    match ty & 0x000F {
        pdu_type::DEMAND_ACTIVE => {
            let share_id = r.u32_le("TS_DEMAND_ACTIVE_PDU shareId")?;
            let len_source = usize::from(r.u16_le("TS_DEMAND_ACTIVE_PDU lengthSourceDescriptor")?);
            let _len_caps = r.u16_le("TS_DEMAND_ACTIVE_PDU lengthCombinedCapabilities")?;
            r.skip(len_source, "TS_DEMAND_ACTIVE_PDU sourceDescriptor")?;
            let _count = r.u16_le("TS_DEMAND_ACTIVE_PDU numberCapabilities")?;
            Ok(ServerPdu::DemandActive { share_id })
        }
        pdu_type::DEACTIVATE_ALL => Ok(ServerPdu::DeactivateAll),
        pdu_type::DATA => {
            let _share_id = r.u32_le("TS_SHAREDATAHEADER shareId")?;
            r.skip(4, "TS_SHAREDATAHEADER pad1, streamId, uncompressedLength")?;
            let pdu_type2 = r.u8("TS_SHAREDATAHEADER pduType2")?;
            let compressed = r.u8("TS_SHAREDATAHEADER compressedType")?;
            let _compressed_len = r.u16_le("TS_SHAREDATAHEADER compressedLength")?;
            if pdu_type2 == PDUTYPE2_SET_ERROR_INFO_PDU && compressed & 0x20 == 0 {
                return Ok(ServerPdu::SetErrorInfo(
                    r.u32_le("TS_SET_ERROR_INFO_PDU errorInfo")?,
                ));
            }
            if pdu_type2 == PDUTYPE2_SAVE_SESSION_INFO && compressed & 0x20 == 0 {
                return Ok(ServerPdu::SaveSessionInfo(decode_save_session_info(
                    r.rest(),
                )?));
            }
            Ok(ServerPdu::Other {
                channel_id,
                summary: format!("data pdu 0x{pdu_type2:02x}"),
            })
        }
        pdu_type::SERVER_REDIR => Ok(ServerPdu::Other {
            channel_id,
            summary: "server redirection".into(),
        }),
        other => Ok(ServerPdu::Other {
            channel_id,
            summary: format!("share control pdu 0x{other:x}"),
        }),
    }
}
