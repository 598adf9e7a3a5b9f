//! The RDP PDUs after the MCS channel joins, up to the logon screen:
//! [MS-RDPBCGR 2.2.1.11] Client Info, [2.2.1.12] licensing (the server's
//! summary only), [2.2.1.13.1] Demand Active, [2.2.5.1] Set Error Info,
//! [2.2.3.1] Deactivate All, [2.2.10.1] Save Session Info, with the Share Control / Share Data headers
//! ([2.2.8.1.1.1]) and the security headers ([2.2.8.1.1.2]) around them.
//!
//! Server-side encoders, for test doubles and the emulator (each returns one
//! whole TPKT frame; `user_id` is the `initiator` written in the MCS Send
//! Data Indication — Windows writes its own id 1002, FreeRDP the client's):
//!
//! | function | PDU |
//! |---|---|
//! | [`encode_license_error_valid_client`]`(user_id, io_channel)` | License Error PDU, STATUS_VALID_CLIENT (no licensing needed) |
//! | [`encode_license_error`]`(user_id, io_channel, code, transition)` | any licensing error |
//! | [`encode_set_error_info`]`(user_id, io_channel, code)` | Set Error Info PDU, e.g. ERRINFO_SERVER_DENIED_CONNECTION |
//! | [`encode_demand_active`]`(user_id, io_channel, share_id)` | a minimal Demand Active that FreeRDP and mstsc accept |
//! | [`encode_deactivate_all`]`(user_id, io_channel, share_id)` | Deactivate All |
//! | [`encode_save_session_info_logon_errors`]`(user_id, io_channel, share_id, errors)` | Save Session Info with Logon Errors Info, e.g. LOGON_FAILED_BAD_PASSWORD |
//! | [`encode_save_session_info_plain_notify`]`(user_id, io_channel, share_id)` | Save Session Info: the user logged on |
//! | [`crate::mcs::encode_disconnect_provider_ultimatum`]`(reason)` | MCS Disconnect Provider Ultimatum |
//! | [`decode_client_info`]`(frame)` | the client's Client Info PDU (TLS path), without the password |
//!
//! Client side: [`encode_client_info`] (no credentials), [`encode_client_info_logon`]
//! (the one logon attempt of `probe --user`), [`decode_server_pdu`] / [`decode_server_pdu_with`] (what the
//! server sent: licensing, Demand Active, Set Error Info, …), and
//! [`frame_len`], which frames slow-path (TPKT) and fast-path PDUs alike.
//!
//! | submodule | specification | what |
//! |---|---|---|
//! | `framing` | T.123 8, MS-RDPBCGR 2.2.9.1.2 | slow- and fast-path frame lengths |
//! | `share` | MS-RDPBCGR 2.2.8.1.1 | Share Control / Share Data and security headers |
//! | `client_info` | MS-RDPBCGR 2.2.1.11 | Client Info PDU |
//! | `licensing` | MS-RDPBCGR 2.2.1.12 | licensing PDUs, License Error |
//! | `activation` | MS-RDPBCGR 2.2.1.13.1, 2.2.3.1 | Demand Active, Deactivate All |
//! | `finalization` | MS-RDPBCGR 2.2.1.14–2.2.1.22 | Synchronize, Control, Font Map; the client's share PDUs |
//! | `errinfo` | MS-RDPBCGR 2.2.5.1 | Set Error Info and the ERRINFO names |
//! | `session_info` | MS-RDPBCGR 2.2.10.1 | Save Session Info, Logon Errors Info and their names |
//! | `server_pdu` | MS-RDPBCGR 2.2.1.12–2.2.5.1 | what a server PDU is |
//!
//! Every item is re-exported here: callers use `rdp::decode_server_pdu`,
//! `rdp::sec_flags` and so on.

mod activation;
mod client_info;
mod errinfo;
mod finalization;
mod framing;
mod licensing;
mod server_pdu;
mod session_info;
mod share;

pub use activation::{encode_deactivate_all, encode_demand_active};
pub use client_info::{
    ClientInfo, ClientInfoOptions, MAX_INFO_STRING_UNITS, client_info_packet, decode_client_info,
    decode_info_packet, encode_client_info, encode_client_info_logon, encode_client_info_with,
    info_flags,
};
pub use errinfo::{encode_set_error_info, error_info_name};
pub use finalization::{
    ClientSharePdu, control_action, decode_client_share_pdu, encode_control, encode_font_map,
    encode_synchronize,
};
pub use framing::{MAX_FRAME, declared_len, frame_len};
pub use licensing::{
    LicenseSummary, ST_NO_TRANSITION, ST_TOTAL_ABORT, STATUS_VALID_CLIENT, encode_license_error,
    encode_license_error_valid_client, encode_license_pdu, license_error_name, license_msg,
};
pub use server_pdu::{ServerPdu, decode_server_pdu, decode_server_pdu_with};
pub use session_info::{
    ERROR_CODE_ACCESS_DENIED, LogonErrors, PDUTYPE2_SAVE_SESSION_INFO, SaveSessionInfo,
    decode_save_session_info, encode_save_session_info_logon_errors,
    encode_save_session_info_plain_notify, info_type, is_logon_msg, logon_error_data_name,
    logon_error_type_name, logon_failed,
};
pub use share::{
    PDUTYPE2_SET_ERROR_INFO_PDU, PDUTYPE2_STATUS_INFO_PDU, SERVER_CHANNEL_ID, pdu_type, pdu_type2,
};

pub use crate::spec::sec_flags;

#[cfg(test)]
use share::share_data;

#[cfg(test)]
mod tests;
