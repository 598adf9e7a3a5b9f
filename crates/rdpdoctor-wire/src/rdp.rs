//! The RDP PDUs after the MCS channel joins, up to the logon screen:
//! [MS-RDPBCGR 2.2.1.11] Client Info, [2.2.1.12] licensing (the server's
//! summary only), [2.2.1.13.1] Demand Active, [2.2.5.1] Set Error Info,
//! [2.2.3.1] Deactivate All, with the Share Control / Share Data headers
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
//! | [`crate::mcs::encode_disconnect_provider_ultimatum`]`(reason)` | MCS Disconnect Provider Ultimatum |
//! | [`decode_client_info`]`(frame)` | the client's Client Info PDU (TLS path), without the password |
//!
//! Client side: [`encode_client_info`] (no credentials are ever sent by
//! rdpdoctor), [`decode_server_pdu`] / [`decode_server_pdu_with`] (what the
//! server sent: licensing, Demand Active, Set Error Info, …), and
//! [`frame_len`], which frames slow-path (TPKT) and fast-path PDUs alike.

use serde::Serialize;

use crate::error::WireError;
use crate::mcs;
use crate::reader::Reader;
use crate::security::Session;
use crate::tpkt;

mod errinfo;
pub use errinfo::error_info_name;

/// [2.2.8.1.1.2.1] TS_SECURITY_HEADER `flags`.
pub mod sec_flags {
    /// Security Exchange PDU.
    pub const SEC_EXCHANGE_PKT: u16 = 0x0001;
    /// Initiate Multitransport Request PDU (server to client, message channel).
    pub const SEC_TRANSPORT_REQ: u16 = 0x0002;
    /// Initiate Multitransport Response PDU.
    pub const SEC_TRANSPORT_RSP: u16 = 0x0004;
    /// The data after the security header is encrypted.
    pub const SEC_ENCRYPT: u16 = 0x0008;
    /// Session key update.
    pub const SEC_RESET_SEQNO: u16 = 0x0010;
    /// Ignore the sequence number.
    pub const SEC_IGNORE_SEQNO: u16 = 0x0020;
    /// Client Info PDU.
    pub const SEC_INFO_PKT: u16 = 0x0040;
    /// Licensing PDU.
    pub const SEC_LICENSE_PKT: u16 = 0x0080;
    /// The client may encrypt licensing PDUs (client to server) / the server
    /// encrypts them (server to client, SEC_LICENSE_ENCRYPT_SC).
    pub const SEC_LICENSE_ENCRYPT: u16 = 0x0200;
    /// Server Redirection PDU.
    pub const SEC_REDIRECTION_PKT: u16 = 0x0400;
    /// The MAC is salted with the encryption count ([5.3.6.1.1]).
    pub const SEC_SECURE_CHECKSUM: u16 = 0x0800;
    /// Auto-Detect Request PDU.
    pub const SEC_AUTODETECT_REQ: u16 = 0x1000;
    /// Auto-Detect Response PDU.
    pub const SEC_AUTODETECT_RSP: u16 = 0x2000;
    /// Heartbeat PDU.
    pub const SEC_HEARTBEAT: u16 = 0x4000;
    /// flagsHi is valid.
    pub const SEC_FLAGSHI_VALID: u16 = 0x8000;
}

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

/// [2.2.8.1.1.1.2] Share Data Header `pduType2` of the Set Error Info PDU.
pub const PDUTYPE2_SET_ERROR_INFO_PDU: u8 = 0x2F;
/// [2.2.8.1.1.1.2] `pduType2` of the Status Info PDU ([2.2.5.2]).
pub const PDUTYPE2_STATUS_INFO_PDU: u8 = 0x36;
/// The `pduSource` and share id high half Windows uses: the server's MCS
/// user id 1002.
pub const SERVER_CHANNEL_ID: u16 = 0x03EA;

/// Upper bound of any frame [`frame_len`] accepts (TPKT's; a fast-path length is 15 bits).
pub const MAX_FRAME: usize = tpkt::MAX_FRAME;

/// Frames server output: a slow-path PDU (TPKT, first byte 3) or a
/// fast-path update PDU ([2.2.9.1.2], first byte with the low two bits 0).
/// `Ok(None)` = need more bytes. Anything else is [`WireError::NotTpkt`].
pub fn frame_len(buf: &[u8]) -> Result<Option<usize>, WireError> {
    let Some(&first) = buf.first() else {
        return Ok(None);
    };
    if first == tpkt::VERSION {
        return tpkt::frame_len(buf);
    }
    if first & 0x03 != 0 {
        return Err(WireError::NotTpkt { first_byte: first });
    }
    let Some(&len1) = buf.get(1) else {
        return Ok(None);
    };
    let len = if len1 & 0x80 == 0 {
        usize::from(len1)
    } else {
        let Some(&len2) = buf.get(2) else {
            return Ok(None);
        };
        usize::from(u16::from_be_bytes([len1 & 0x7F, len2]))
    };
    let header = if len1 & 0x80 == 0 { 2 } else { 3 };
    if len < header {
        return Err(WireError::invalid(
            "fast-path length",
            format!("{len} is shorter than its own header"),
        ));
    }
    Ok((buf.len() >= len).then_some(len))
}

// ---------------------------------------------------------------- Client Info

/// [2.2.1.11.1.1] TS_INFO_PACKET `flags`.
pub mod info_flags {
    /// INFO_MOUSE.
    pub const MOUSE: u32 = 0x0000_0001;
    /// INFO_DISABLECTRLALTDEL: no Ctrl+Alt+Del needed at the logon screen.
    pub const DISABLECTRLALTDEL: u32 = 0x0000_0002;
    /// INFO_AUTOLOGON: the credentials in the packet are to be used.
    pub const AUTOLOGON: u32 = 0x0000_0008;
    /// INFO_UNICODE: strings are UTF-16LE.
    pub const UNICODE: u32 = 0x0000_0010;
    /// INFO_MAXIMIZESHELL.
    pub const MAXIMIZESHELL: u32 = 0x0000_0020;
    /// INFO_LOGONNOTIFY: the client wants the Save Session Info PDU.
    pub const LOGONNOTIFY: u32 = 0x0000_0040;
    /// INFO_ENABLEWINDOWSKEY.
    pub const ENABLEWINDOWSKEY: u32 = 0x0000_0100;
    /// INFO_NOAUDIOPLAYBACK.
    pub const NOAUDIOPLAYBACK: u32 = 0x0008_0000;
}

/// What to put in a Client Info PDU. There is deliberately no password field:
/// rdpdoctor never sends a credential this way.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientInfoOptions {
    /// `Domain` (empty for rdpdoctor's probe).
    pub domain: String,
    /// `UserName` (empty for rdpdoctor's probe).
    pub user_name: String,
    /// `clientAddress` of the extended info (e.g. `127.0.0.1`; may be empty).
    pub client_address: String,
}

fn utf16z(s: &str) -> Vec<u8> {
    let mut v: Vec<u8> = s
        .encode_utf16()
        .take(255)
        .flat_map(u16::to_le_bytes)
        .collect();
    v.extend_from_slice(&[0, 0]);
    v
}

fn push_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn push_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// The byte count of a NUL-terminated UTF-16 string without its terminator.
fn cb(z: &[u8]) -> u16 {
    u16::try_from(z.len().saturating_sub(2)).unwrap_or(0)
}

/// [2.2.1.11.1.1] TS_INFO_PACKET with the extended info of RDP 5.0+
/// ([2.2.1.11.1.1.1]): Unicode strings, an empty password, alternate shell
/// and working directory, the client's time zone as UTC.
///
/// <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/732394f5-e2b5-4ac5-8a0a-35345386b0d1>
pub fn client_info_packet(opts: &ClientInfoOptions) -> Vec<u8> {
    let domain = utf16z(&opts.domain);
    let user = utf16z(&opts.user_name);
    let empty = utf16z("");
    let mut p = Vec::with_capacity(512);
    push_u32(&mut p, 0x0409); // CodePage: the keyboard layout (en-US) with INFO_UNICODE
    push_u32(
        &mut p,
        info_flags::MOUSE
            | info_flags::DISABLECTRLALTDEL
            | info_flags::UNICODE
            | info_flags::MAXIMIZESHELL
            | info_flags::LOGONNOTIFY
            | info_flags::ENABLEWINDOWSKEY
            | info_flags::NOAUDIOPLAYBACK,
    );
    push_u16(&mut p, cb(&domain));
    push_u16(&mut p, cb(&user));
    push_u16(&mut p, 0); // cbPassword
    push_u16(&mut p, 0); // cbAlternateShell
    push_u16(&mut p, 0); // cbWorkingDir
    p.extend_from_slice(&domain);
    p.extend_from_slice(&user);
    p.extend_from_slice(&empty); // Password
    p.extend_from_slice(&empty); // AlternateShell
    p.extend_from_slice(&empty); // WorkingDir
    // TS_EXTENDED_INFO_PACKET
    let address = utf16z(&opts.client_address);
    push_u16(&mut p, 0x0002); // clientAddressFamily: AF_INET
    push_u16(&mut p, u16::try_from(address.len()).unwrap_or(0)); // cbClientAddress, with the NUL
    p.extend_from_slice(&address);
    let dir = utf16z("rdpdoctor");
    push_u16(&mut p, u16::try_from(dir.len()).unwrap_or(0)); // cbClientDir, with the NUL
    p.extend_from_slice(&dir);
    p.extend_from_slice(&[0; 172]); // clientTimeZone: UTC, no daylight saving
    push_u32(&mut p, 0); // clientSessionId
    // performanceFlags: no wallpaper, full-window drag, menu animations, themes.
    push_u32(
        &mut p,
        0x0000_0001 | 0x0000_0002 | 0x0000_0004 | 0x0000_0008,
    );
    push_u16(&mut p, 0); // cbAutoReconnectCookie
    p
}

/// [2.2.1.11] Client Info PDU for the TLS/CredSSP path (and Standard RDP
/// Security at level NONE): a Basic Security Header with SEC_INFO_PKT and
/// the [`client_info_packet`], in an MCS Send Data Request on the I/O channel.
///
/// <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/772d618e-b7d6-4cd0-b735-fa08af558f9d>
pub fn encode_client_info(user_id: u16, io_channel: u16, opts: &ClientInfoOptions) -> Vec<u8> {
    encode_client_info_with(user_id, io_channel, opts, None)
}

/// [`encode_client_info`], encrypted and signed with `session` when
/// Standard RDP Security encrypts client traffic.
pub fn encode_client_info_with(
    user_id: u16,
    io_channel: u16,
    opts: &ClientInfoOptions,
    session: Option<&mut Session>,
) -> Vec<u8> {
    let packet = client_info_packet(opts);
    let data = secure(session, sec_flags::SEC_INFO_PKT, &packet);
    mcs::encode_send_data_request(user_id, io_channel, &data)
}

/// Security header + data: encrypted by `session`, or a Basic Security
/// Header with `flags` in front of the plain data.
fn secure(session: Option<&mut Session>, flags: u16, data: &[u8]) -> Vec<u8> {
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

/// What a server learns from a Client Info PDU. The password is never kept:
/// only whether one was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClientInfo {
    /// `CodePage`.
    pub code_page: u32,
    /// `flags` ([`info_flags`]).
    pub flags: u32,
    /// `Domain`.
    pub domain: String,
    /// `UserName`.
    pub user_name: String,
    /// True when `cbPassword` was not 0.
    pub has_password: bool,
    /// `AlternateShell`.
    pub alternate_shell: String,
    /// `WorkingDir`.
    pub working_dir: String,
    /// `clientAddress` of the extended info, when present.
    pub client_address: Option<String>,
    /// `performanceFlags` of the extended info, when present.
    pub performance_flags: Option<u32>,
}

/// Server side of [`encode_client_info`] (a frame that is not encrypted:
/// TLS/CredSSP, or Standard RDP Security at level NONE). An encrypted Client
/// Info is refused; decrypt it with [`Session::decrypt`] and use
/// [`decode_info_packet`].
pub fn decode_client_info(frame: &[u8]) -> Result<ClientInfo, WireError> {
    let sd = mcs::decode_send_data_request(frame)?;
    let mut r = Reader::new(sd.data);
    let flags = r.u16_le("TS_SECURITY_HEADER flags")?;
    let _flags_hi = r.u16_le("TS_SECURITY_HEADER flagsHi")?;
    if flags & sec_flags::SEC_INFO_PKT == 0 {
        return Err(WireError::invalid(
            "Client Info PDU security header",
            format!("flags {flags:#06x} lack SEC_INFO_PKT (0x0040)"),
        ));
    }
    if flags & sec_flags::SEC_ENCRYPT != 0 {
        return Err(WireError::invalid(
            "Client Info PDU security header",
            "the packet is encrypted (Standard RDP Security)",
        ));
    }
    decode_info_packet(r.rest())
}

fn read_string(
    r: &mut Reader<'_>,
    cb: usize,
    unicode: bool,
    what: &'static str,
) -> Result<String, WireError> {
    let bytes = r.take(cb, what)?;
    let text = if unicode {
        crate::reader::utf16le(bytes)
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    };
    // The terminator: two bytes (Unicode) or one (ANSI), always present.
    r.skip(if unicode { 2 } else { 1 }, what)?;
    Ok(text.trim_end_matches('\0').to_owned())
}

/// [2.2.1.11.1.1] decode a TS_INFO_PACKET (after the security header).
pub fn decode_info_packet(packet: &[u8]) -> Result<ClientInfo, WireError> {
    let mut r = Reader::new(packet);
    let code_page = r.u32_le("TS_INFO_PACKET CodePage")?;
    let flags = r.u32_le("TS_INFO_PACKET flags")?;
    let unicode = flags & info_flags::UNICODE != 0;
    let cb_domain = usize::from(r.u16_le("TS_INFO_PACKET cbDomain")?);
    let cb_user = usize::from(r.u16_le("TS_INFO_PACKET cbUserName")?);
    let cb_password = usize::from(r.u16_le("TS_INFO_PACKET cbPassword")?);
    let cb_shell = usize::from(r.u16_le("TS_INFO_PACKET cbAlternateShell")?);
    let cb_dir = usize::from(r.u16_le("TS_INFO_PACKET cbWorkingDir")?);
    let domain = read_string(&mut r, cb_domain, unicode, "TS_INFO_PACKET Domain")?;
    let user_name = read_string(&mut r, cb_user, unicode, "TS_INFO_PACKET UserName")?;
    // The password is skipped unread.
    r.skip(cb_password, "TS_INFO_PACKET Password")?;
    r.skip(if unicode { 2 } else { 1 }, "TS_INFO_PACKET Password")?;
    let alternate_shell = read_string(&mut r, cb_shell, unicode, "TS_INFO_PACKET AlternateShell")?;
    let working_dir = read_string(&mut r, cb_dir, unicode, "TS_INFO_PACKET WorkingDir")?;
    let mut info = ClientInfo {
        code_page,
        flags,
        domain,
        user_name,
        has_password: cb_password > 0,
        alternate_shell,
        working_dir,
        client_address: None,
        performance_flags: None,
    };
    if r.is_empty() {
        return Ok(info);
    }
    // [2.2.1.11.1.1.1] TS_EXTENDED_INFO_PACKET: counts include the terminator.
    let _family = r.u16_le("TS_EXTENDED_INFO_PACKET clientAddressFamily")?;
    let cb_address = usize::from(r.u16_le("TS_EXTENDED_INFO_PACKET cbClientAddress")?);
    let address = r.take(cb_address, "TS_EXTENDED_INFO_PACKET clientAddress")?;
    info.client_address = Some(utf16_text(address));
    let cb_client_dir = usize::from(r.u16_le("TS_EXTENDED_INFO_PACKET cbClientDir")?);
    r.skip(cb_client_dir, "TS_EXTENDED_INFO_PACKET clientDir")?;
    if r.remaining() >= 172 + 8 {
        r.skip(172, "TS_EXTENDED_INFO_PACKET clientTimeZone")?;
        let _session = r.u32_le("TS_EXTENDED_INFO_PACKET clientSessionId")?;
        info.performance_flags = Some(r.u32_le("TS_EXTENDED_INFO_PACKET performanceFlags")?);
    }
    Ok(info)
}

fn utf16_text(bytes: &[u8]) -> String {
    crate::reader::utf16le(bytes)
        .trim_end_matches('\0')
        .to_owned()
}

// ------------------------------------------------------------------ Licensing

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
    LicenseRequest(crate::license::LicenseRequest),
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

fn license_summary(data: &[u8]) -> Result<LicenseSummary, WireError> {
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
            LicenseSummary::LicenseRequest(crate::license::decode_license_request(r.rest())?)
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

// --------------------------------------------------- Share Control / Share Data

/// A Share Control Header ([2.2.8.1.1.1.1]) and `body` (which starts with the shareId).
fn share_control(ty: u16, source: u16, body: &[u8]) -> Vec<u8> {
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
fn share_data(share_id: u32, source: u16, pdu_type2: u8, payload: &[u8]) -> Vec<u8> {
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

/// [2.2.5.1] Set Error Info PDU with `errorInfo` = `code` (e.g. 7,
/// ERRINFO_SERVER_DENIED_CONNECTION), share id 0x000103EA, no security header
/// (TLS/CredSSP path).
///
/// <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/a21a1bd9-2303-49c1-90ec-3932435c248c>
pub fn encode_set_error_info(user_id: u16, io_channel: u16, code: u32) -> Vec<u8> {
    // [2.2.5.1.1] pduSource MUST be 0 in this PDU.
    let pdu = share_data(
        0x0001_0000 | u32::from(SERVER_CHANNEL_ID),
        0,
        PDUTYPE2_SET_ERROR_INFO_PDU,
        &code.to_le_bytes(),
    );
    mcs::encode_send_data_indication(user_id, io_channel, &pdu)
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

/// [2.2.3.1] Deactivate All PDU.
pub fn encode_deactivate_all(user_id: u16, io_channel: u16, share_id: u32) -> Vec<u8> {
    let mut body = Vec::with_capacity(8);
    push_u32(&mut body, share_id);
    push_u16(&mut body, 1); // lengthSourceDescriptor
    body.push(0);
    let pdu = share_control(pdu_type::DEACTIVATE_ALL, SERVER_CHANNEL_ID, &body);
    mcs::encode_send_data_indication(user_id, io_channel, &pdu)
}

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

// --------------------------------------------------------------- server PDUs

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
    /// [2.2.5.1] Set Error Info: `errorInfo` ([`error_info_name`]).
    SetErrorInfo(u32),
    /// [2.2.3.1] Deactivate All.
    DeactivateAll,
    /// MCS Disconnect Provider Ultimatum with its T.125 reason.
    DisconnectProviderUltimatum(u8),
    /// Anything else: fast-path output, other Share Data PDUs (status info,
    /// save session info …), auto-detect, multitransport, redirection.
    Other {
        /// The MCS channel (0 for fast-path).
        channel_id: u16,
        /// What it was, in a few words (`fast-path output`, `data pdu 0x36` …).
        summary: String,
    },
}

/// Decode one server frame (from [`frame_len`]) when no Standard RDP
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

#[cfg(test)]
mod tests;
