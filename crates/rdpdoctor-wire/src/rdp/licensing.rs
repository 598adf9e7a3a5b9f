//! [MS-RDPBCGR 2.2.1.12] the licensing PDUs as the connection sequence sees
//! them: what the server's licensing PDU says ([MS-RDPELE 2.2.2]), the
//! client's licensing PDU around a [`crate::license`] message, and the
//! License Error PDU a server sends (STATUS_VALID_CLIENT: no licensing).
//!
//! <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/7d941d0d-d482-41c5-b728-538faa3efb31>

use serde::Serialize;

use super::sec_flags;
use super::share::{push_u16, push_u32, secure};
use crate::error::WireError;
use crate::license::{LicenseRequest, decode_license_request};
use crate::mcs;
use crate::reader::Reader;
use crate::security::Session;

/// [MS-RDPELE 2.2.2] LICENSE_PREAMBLE `bMsgType`.
pub mod license_msg {
    /// SERVER_LICENSE_REQUEST: the server wants the client to obtain a license.
    pub const LICENSE_REQUEST: u8 = 0x01;
    /// SERVER_PLATFORM_CHALLENGE.
    pub const PLATFORM_CHALLENGE: u8 = 0x02;
    /// SERVER_NEW_LICENSE.
    pub const NEW_LICENSE: u8 = 0x03;
    /// SERVER_UPGRADE_LICENSE.
    pub const UPGRADE_LICENSE: u8 = 0x04;
    /// ERROR_ALERT (License Error Message, also STATUS_VALID_CLIENT).
    pub const ERROR_ALERT: u8 = 0xFF;
}

/// [MS-RDPBCGR 2.2.1.12.1.3] `dwErrorCode` STATUS_VALID_CLIENT: no licensing needed.
pub const STATUS_VALID_CLIENT: u32 = 0x0000_0007;
/// `dwStateTransition` ST_NO_TRANSITION.
pub const ST_NO_TRANSITION: u32 = 0x0000_0002;
/// `dwStateTransition` ST_TOTAL_ABORT.
pub const ST_TOTAL_ABORT: u32 = 0x0000_0001;

/// [MS-RDPELE 2.2.2.7.1] names of licensing `dwErrorCode` values.
pub fn license_error_name(code: u32) -> Option<&'static str> {
    Some(match code {
        0x01 => "ERR_INVALID_SERVER_CERTIFICATE",
        0x02 => "ERR_NO_LICENSE",
        0x03 => "ERR_INVALID_MAC",
        0x04 => "ERR_INVALID_SCOPE",
        0x06 => "ERR_NO_LICENSE_SERVER",
        0x07 => "STATUS_VALID_CLIENT",
        0x08 => "ERR_INVALID_CLIENT",
        0x0B => "ERR_INVALID_PRODUCTID",
        0x0C => "ERR_INVALID_MESSAGE_LEN",
        _ => return None,
    })
}

/// What the server's licensing PDU said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum LicenseSummary {
    /// License Error with STATUS_VALID_CLIENT: licensing is done.
    ValidClient,
    /// Any other License Error Message.
    Error {
        /// `dwErrorCode` ([`license_error_name`]).
        code: u32,
        /// `dwStateTransition`.
        state_transition: u32,
    },
    /// SERVER_LICENSE_REQUEST: the server runs the licensing protocol
    /// ([MS-RDPELE]); answer with [`crate::license::encode_new_license_request`].
    LicenseRequest(LicenseRequest),
    /// SERVER_PLATFORM_CHALLENGE; `body` (after the preamble) is for
    /// [`crate::license::decode_platform_challenge`].
    PlatformChallenge {
        /// The message after the LICENSE_PREAMBLE.
        #[serde(skip)]
        body: Vec<u8>,
    },
    /// SERVER_NEW_LICENSE or SERVER_UPGRADE_LICENSE: a license was issued.
    NewLicense,
    /// Another message type.
    Other {
        /// `bMsgType`.
        msg_type: u8,
    },
}

impl LicenseSummary {
    /// A short label: `valid-client`, `license-request`, `platform-challenge`,
    /// `new-license`, the error name (e.g. `ERR_NO_LICENSE_SERVER`), or `message-0x..`.
    pub fn label(&self) -> String {
        match self {
            LicenseSummary::ValidClient => "valid-client".into(),
            LicenseSummary::Error { code, .. } => license_error_name(*code)
                .map_or_else(|| format!("license-error-0x{code:x}"), str::to_owned),
            LicenseSummary::LicenseRequest(_) => "license-request".into(),
            LicenseSummary::PlatformChallenge { .. } => "platform-challenge".into(),
            LicenseSummary::NewLicense => "new-license".into(),
            LicenseSummary::Other { msg_type } => format!("message-0x{msg_type:02x}"),
        }
    }
}

pub(super) fn license_summary(data: &[u8]) -> Result<LicenseSummary, WireError> {
    let mut r = Reader::new(data);
    let msg_type = r.u8("LICENSE_PREAMBLE bMsgType")?;
    let _flags = r.u8("LICENSE_PREAMBLE flags")?;
    let _size = r.u16_le("LICENSE_PREAMBLE wMsgSize")?;
    Ok(match msg_type {
        license_msg::ERROR_ALERT => {
            let code = r.u32_le("LICENSE_ERROR_MESSAGE dwErrorCode")?;
            let state_transition = r.u32_le("LICENSE_ERROR_MESSAGE dwStateTransition")?;
            if code == STATUS_VALID_CLIENT {
                LicenseSummary::ValidClient
            } else {
                LicenseSummary::Error {
                    code,
                    state_transition,
                }
            }
        }
        license_msg::LICENSE_REQUEST => {
            LicenseSummary::LicenseRequest(decode_license_request(r.rest())?)
        }
        license_msg::PLATFORM_CHALLENGE => LicenseSummary::PlatformChallenge {
            body: r.rest().to_vec(),
        },
        license_msg::NEW_LICENSE | license_msg::UPGRADE_LICENSE => LicenseSummary::NewLicense,
        other => LicenseSummary::Other { msg_type: other },
    })
}

/// [2.2.1.12] a client licensing PDU carrying `message` (a
/// [`crate::license`] message with its preamble): SEC_LICENSE_PKT, encrypted
/// with `session` when the server asked for encrypted licensing replies.
pub fn encode_license_pdu(
    user_id: u16,
    io_channel: u16,
    message: &[u8],
    session: Option<&mut Session>,
) -> Vec<u8> {
    let session = session.filter(|s| s.license_encrypt());
    let data = secure(session, sec_flags::SEC_LICENSE_PKT, message);
    mcs::encode_send_data_request(user_id, io_channel, &data)
}

/// [2.2.1.12] a Server License Error PDU with `code` and `state_transition`
/// (and an empty error blob), Basic Security Header SEC_LICENSE_PKT.
pub fn encode_license_error(
    user_id: u16,
    io_channel: u16,
    code: u32,
    state_transition: u32,
) -> Vec<u8> {
    let mut d = Vec::with_capacity(20);
    push_u16(&mut d, sec_flags::SEC_LICENSE_PKT);
    push_u16(&mut d, 0);
    d.push(license_msg::ERROR_ALERT);
    d.push(0x03); // PREAMBLE_VERSION_3_0 (RDP 5.0+)
    push_u16(&mut d, 16); // wMsgSize: preamble, code, transition, blob header
    push_u32(&mut d, code);
    push_u32(&mut d, state_transition);
    push_u16(&mut d, 0x0004); // BB_ERROR_BLOB
    push_u16(&mut d, 0);
    mcs::encode_send_data_indication(user_id, io_channel, &d)
}

/// [2.2.1.12.1.3] / [4.1.12] the License Error PDU a server without
/// licensing sends: STATUS_VALID_CLIENT, ST_NO_TRANSITION.
///
/// <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/7d941d0d-d482-41c5-b728-538faa3efb31>
pub fn encode_license_error_valid_client(user_id: u16, io_channel: u16) -> Vec<u8> {
    encode_license_error(user_id, io_channel, STATUS_VALID_CLIENT, ST_NO_TRANSITION)
}
