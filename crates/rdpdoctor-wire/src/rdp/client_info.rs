//! [MS-RDPBCGR 2.2.1.11] Client Info PDU: the client's TS_INFO_PACKET
//! ([2.2.1.11.1.1]) with its extended info ([2.2.1.11.1.1.1]). rdpdoctor
//! never sends a credential in it; the server side decodes one without
//! keeping the password.
//!
//! <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/772d618e-b7d6-4cd0-b735-fa08af558f9d>

use serde::Serialize;

use super::sec_flags;
use super::share::{push_u16, push_u32, secure};
use crate::error::WireError;
use crate::mcs;
use crate::reader::Reader;
use crate::security::Session;
use zeroize::Zeroizing;

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
/// the password goes only through [`encode_client_info_logon`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientInfoOptions {
    /// `Domain` (empty for rdpdoctor's probe).
    pub domain: String,
    /// `UserName` (empty for rdpdoctor's probe).
    pub user_name: String,
    /// `clientAddress` of the extended info (e.g. `127.0.0.1`; may be empty).
    pub client_address: String,
}

/// NUL-terminated UTF-16LE, at most 255 code units. Allocated once (a UTF-8
/// string has at least as many bytes as UTF-16 code units), so that a
/// password is never left behind by a reallocation.
fn utf16z(s: &str) -> Vec<u8> {
    let mut v = Vec::with_capacity(s.len().saturating_mul(2).saturating_add(2));
    for unit in s.encode_utf16().take(MAX_INFO_STRING_UNITS) {
        v.extend_from_slice(&unit.to_le_bytes());
    }
    v.extend_from_slice(&[0, 0]);
    v
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
    std::mem::take(&mut *packet(opts, None))
}

/// The longest Domain, UserName or Password a TS_INFO_PACKET carries, in
/// UTF-16 code units without the terminator ([2.2.1.11.1.1]: 512 bytes with it).
pub const MAX_INFO_STRING_UNITS: usize = 255;

/// [`client_info_packet`], with a password and INFO_AUTOLOGON when `password` is given.
fn packet(opts: &ClientInfoOptions, password: Option<&str>) -> Zeroizing<Vec<u8>> {
    let domain = utf16z(&opts.domain);
    let user = utf16z(&opts.user_name);
    let empty = utf16z("");
    let secret = Zeroizing::new(utf16z(password.unwrap_or("")));
    // Sized once, so that no reallocation leaves a copy of the password behind.
    let mut p = Zeroizing::new(Vec::with_capacity(
        512usize
            .saturating_add(domain.len())
            .saturating_add(user.len())
            .saturating_add(secret.len()),
    ));
    push_u32(&mut p, 0x0409); // CodePage: the keyboard layout (en-US) with INFO_UNICODE
    let autologon = if password.is_some() {
        info_flags::AUTOLOGON
    } else {
        0
    };
    push_u32(
        &mut p,
        info_flags::MOUSE
            | info_flags::DISABLECTRLALTDEL
            | autologon
            | info_flags::UNICODE
            | info_flags::MAXIMIZESHELL
            | info_flags::LOGONNOTIFY
            | info_flags::ENABLEWINDOWSKEY
            | info_flags::NOAUDIOPLAYBACK,
    );
    push_u16(&mut p, cb(&domain));
    push_u16(&mut p, cb(&user));
    push_u16(&mut p, cb(&secret)); // cbPassword
    push_u16(&mut p, 0); // cbAlternateShell
    push_u16(&mut p, 0); // cbWorkingDir
    p.extend_from_slice(&domain);
    p.extend_from_slice(&user);
    p.extend_from_slice(&secret); // Password
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

/// [2.2.1.11] Client Info PDU with the user's credentials and INFO_AUTOLOGON
/// (the server logs the user on with them) and INFO_LOGONNOTIFY (the server
/// answers with a Save Session Info PDU, [2.2.10.1]), encrypted by `session`
/// under Standard RDP Security. Every buffer that holds the password is
/// wiped when dropped. A user name, domain or password longer than the
/// packet carries is an error, never truncated (a truncated password would
/// read as a wrong one).
///
/// <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/732394f5-e2b5-4ac5-8a0a-35345386b0d1>
pub fn encode_client_info_logon(
    user_id: u16,
    io_channel: u16,
    opts: &ClientInfoOptions,
    password: &str,
    session: Option<&mut Session>,
) -> Result<Zeroizing<Vec<u8>>, WireError> {
    for (what, s) in [
        ("Client Info Domain", opts.domain.as_str()),
        ("Client Info UserName", opts.user_name.as_str()),
        ("Client Info Password", password),
    ] {
        if s.encode_utf16().count() > MAX_INFO_STRING_UNITS {
            return Err(WireError::invalid(
                what,
                format!("longer than {MAX_INFO_STRING_UNITS} UTF-16 code units"),
            ));
        }
    }
    let packet = packet(opts, Some(password));
    let data = Zeroizing::new(secure(session, sec_flags::SEC_INFO_PKT, &packet));
    Ok(Zeroizing::new(mcs::encode_send_data_request(
        user_id, io_channel, &data,
    )))
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
