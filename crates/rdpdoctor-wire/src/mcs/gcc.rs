//! The envelope of the Basic Settings Exchange ([MS-RDPBCGR 2.2.1.3–2.2.1.4]):
//! the T.125 Connect-Initial/-Response application tags (BER), the T.124
//! GCC ConnectData and Conference Create Response (PER), and the settings
//! data blocks with their [MS-RDPBCGR 2.2.1.3.1] User Data Header.

use crate::error::WireError;
use crate::reader::Reader;

/// [MS-RDPBCGR 2.2.1.3.1] User Data Header types.
pub(super) mod block_type {
    pub const CS_CORE: u16 = 0xC001;
    pub const CS_SECURITY: u16 = 0xC002;
    pub const CS_NET: u16 = 0xC003;
    pub const CS_CLUSTER: u16 = 0xC004;
    pub const SC_CORE: u16 = 0x0C01;
    pub const SC_SECURITY: u16 = 0x0C02;
    pub const SC_NET: u16 = 0x0C03;
    pub const SC_MCS_MSGCHANNEL: u16 = 0x0C04;
    pub const SC_MULTITRANSPORT: u16 = 0x0C08;
}

/// T.124 object identifier 0.0.20.124.0.1, PER-encoded (the key of ConnectData).
pub(super) const T124_OID: [u8; 5] = [0x00, 0x14, 0x7C, 0x00, 0x01];
/// H.221 non-standard key of the client's GCC user data.
pub(super) const H221_CLIENT_KEY: &[u8; 4] = b"Duca";
/// H.221 non-standard key of the server's GCC user data.
pub(super) const H221_SERVER_KEY: &[u8; 4] = b"McDn";
/// BER application tags of T.125 Connect-Initial (101) and Connect-Response (102).
pub(super) const TAG_CONNECT_INITIAL: [u8; 2] = [0x7F, 0x65];
pub(super) const TAG_CONNECT_RESPONSE: [u8; 2] = [0x7F, 0x66];

pub(super) fn push_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

pub(super) fn push_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Append a settings data block: TS_UD_HEADER (type, length) and body.
pub(super) fn push_block(out: &mut Vec<u8>, ty: u16, body: &[u8]) {
    push_u16(out, ty);
    push_u16(
        out,
        u16::try_from(body.len().saturating_add(4)).unwrap_or(u16::MAX),
    );
    out.extend_from_slice(body);
}

/// PER length determinant (X.691 10.9): one byte below 128, else two bytes.
/// Lengths here are bounded by the TPKT frame, far below 16K.
pub(super) fn push_per_length(out: &mut Vec<u8>, len: usize) {
    match u8::try_from(len) {
        Ok(b) if b < 0x80 => out.push(b),
        _ => {
            let l = u16::try_from(len.min(0x3FFF)).unwrap_or(0x3FFF) | 0x8000;
            out.extend_from_slice(&l.to_be_bytes());
        }
    }
}

/// PER length determinant: 1 byte (< 128) or 2 bytes (`10xxxxxx`).
pub(super) fn per_length(r: &mut Reader<'_>, what: &'static str) -> Result<usize, WireError> {
    let first = r.u8(what)?;
    if first & 0x80 == 0 {
        return Ok(usize::from(first));
    }
    if first & 0xC0 == 0xC0 {
        return Err(WireError::invalid(
            what,
            "fragmented PER length is not supported",
        ));
    }
    let second = r.u8(what)?;
    Ok(usize::from(u16::from_be_bytes([first & 0x3F, second])))
}

/// [T.124 8.7] ConnectData + ConferenceCreateResponse (PER): returns the
/// server settings data blocks from the `McDn` user data.
pub(super) fn gcc_conference_create_response(user_data: &[u8]) -> Result<&[u8], WireError> {
    let mut r = Reader::new(user_data);
    let key = r.u8("GCC ConnectData::t124Identifier")?;
    if key != 0 {
        return Err(WireError::UnexpectedTag {
            what: "GCC ConnectData::t124Identifier (object)",
            expected: 0,
            found: key,
        });
    }
    let oid_len = usize::from(r.u8("GCC ConnectData OID length")?);
    let oid = r.take(oid_len, "GCC ConnectData OID")?;
    if oid != T124_OID {
        return Err(WireError::invalid(
            "GCC ConnectData OID",
            format!("{oid:02x?}, expected T.124 0.0.20.124.0.1"),
        ));
    }
    let _connect_pdu_len = per_length(&mut r, "GCC ConnectData::connectPDU length")?;
    let choice = r.u8("ConnectGCCPDU choice")?;
    if choice & 0xF0 != 0x10 {
        return Err(WireError::invalid(
            "ConnectGCCPDU choice",
            format!("{choice:#04x} is not a conferenceCreateResponse (0x14)"),
        ));
    }
    let _node_id = r.u16_be("ConferenceCreateResponse::nodeID")?;
    let tag_len = usize::from(r.u8("ConferenceCreateResponse::tag length")?);
    r.skip(tag_len, "ConferenceCreateResponse::tag")?;
    let gcc_result = r.u8("ConferenceCreateResponse::result")?;
    if gcc_result != 0 {
        return Err(WireError::invalid(
            "ConferenceCreateResponse::result",
            format!("{gcc_result} (not success)"),
        ));
    }
    if choice & 0x04 == 0 {
        return Ok(&[]); // no userData
    }
    let sets = r.u8("ConferenceCreateResponse::userData set count")?;
    if sets == 0 {
        return Ok(&[]);
    }
    let value_choice = r.u8("UserData::key choice")?;
    if value_choice != 0xC0 {
        return Err(WireError::invalid(
            "UserData::key choice",
            format!("{value_choice:#04x}, expected 0xc0 (h221NonStandard with value)"),
        ));
    }
    let key_len = usize::from(r.u8("h221NonStandard length")?).saturating_add(4);
    let h221 = r.take(key_len, "h221NonStandard key")?;
    if h221 != H221_SERVER_KEY {
        return Err(WireError::invalid(
            "h221NonStandard key",
            format!("{:?}, expected \"McDn\"", String::from_utf8_lossy(h221)),
        ));
    }
    let len = per_length(&mut r, "UserData::value length")?;
    r.take(len, "server settings data blocks")
}
