//! [X.224] class 0 TPDUs as RDP uses them in the Connection Initiation phase:
//! the client's Connection Request with its RDP Negotiation Request, and the
//! server's Connection Confirm with an RDP Negotiation Response or Failure.
//!
//! ironrdp-pdu's `ConnectionConfirm` is not used for decoding: it turns a
//! Connection Confirm that carries *no* negotiation data into
//! `Response { protocol: RDP }`, which hides the legacy-server case (a server
//! that predates RDP 5.2 negotiation, or xrdp answering a request without
//! RDP_NEG_REQ). [`ConnectionConfirm::NoNegotiationData`] keeps it visible.
//! Its `ConnectionRequest` cannot encode a request without RDP_NEG_REQ either,
//! so the request is encoded here too (and cross-checked against ironrdp's
//! decoder in the tests).

use serde::Serialize;

use crate::error::WireError;
use crate::reader::Reader;
use crate::tpkt;

/// [MS-RDPBCGR 2.2.1.1.1] `requestedProtocols` / [2.2.1.2.1] `selectedProtocol` values.
///
/// <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/902b090b-9cb3-4efc-92bf-ee13373371e3>
pub mod protocol {
    /// PROTOCOL_RDP: Standard RDP Security (no flag set).
    pub const RDP: u32 = 0;
    /// PROTOCOL_SSL: TLS.
    pub const SSL: u32 = 0x0000_0001;
    /// PROTOCOL_HYBRID: CredSSP (NLA) over TLS.
    pub const HYBRID: u32 = 0x0000_0002;
    /// PROTOCOL_RDSTLS.
    pub const RDSTLS: u32 = 0x0000_0004;
    /// PROTOCOL_HYBRID_EX: CredSSP plus the Early User Authorization Result PDU.
    pub const HYBRID_EX: u32 = 0x0000_0008;
    /// PROTOCOL_RDSAAD: RDS AAD (Entra ID) authentication.
    pub const RDSAAD: u32 = 0x0000_0010;
}

/// [MS-RDPBCGR 2.2.1.2.2] RDP_NEG_FAILURE `failureCode` values.
///
/// <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/1b3920e7-0116-4345-bc45-f2c4ad012761>
pub mod failure_code {
    /// The server requires TLS or CredSSP; the client offered only Standard RDP Security
    /// (or only CredSSP, when the server only does TLS).
    pub const SSL_REQUIRED_BY_SERVER: u32 = 1;
    /// The server only allows Standard RDP Security.
    pub const SSL_NOT_ALLOWED_BY_SERVER: u32 = 2;
    /// The server has no valid certificate for TLS.
    pub const SSL_CERT_NOT_ON_SERVER: u32 = 3;
    /// The requested protocols are inconsistent with the current security.
    pub const INCONSISTENT_FLAGS: u32 = 4;
    /// The server requires CredSSP (NLA).
    pub const HYBRID_REQUIRED_BY_SERVER: u32 = 5;
    /// The server requires TLS with certificate-based client authentication.
    pub const SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER: u32 = 6;
}

/// [MS-RDPBCGR 2.2.1.2.1] RDP_NEG_RSP `flags` bits.
///
/// <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/b2975bdc-6d56-49ee-9c57-f2ff3a0b6817>
pub mod response_flags {
    /// The server supports Extended Client Data Blocks.
    pub const EXTENDED_CLIENT_DATA_SUPPORTED: u8 = 0x01;
    /// The server supports the Graphics Pipeline Extension (RDPGFX).
    pub const DYNVC_GFX_PROTOCOL_SUPPORTED: u8 = 0x02;
    /// Reserved, unused.
    pub const NEGRSP_FLAG_RESERVED: u8 = 0x04;
    /// The server supports credential-less logon over CredSSP (restricted admin mode).
    pub const RESTRICTED_ADMIN_MODE_SUPPORTED: u8 = 0x08;
    /// The server supports Remote Credential Guard.
    pub const REDIRECTED_AUTHENTICATION_MODE_SUPPORTED: u8 = 0x10;
}

pub use crate::spec::tpdu_code;

/// RDP_NEG_REQ type.
const TYPE_RDP_NEG_REQ: u8 = 0x01;
/// RDP_NEG_RSP type.
const TYPE_RDP_NEG_RSP: u8 = 0x02;
/// RDP_NEG_FAILURE type.
const TYPE_RDP_NEG_FAILURE: u8 = 0x03;
/// RDP_NEG_REQ flag: an RDP_NEG_CORRELATION_INFO (36 bytes) follows.
const CORRELATION_INFO_PRESENT: u8 = 0x08;
const CORRELATION_INFO_LEN: usize = 36;
/// Length of the fixed part of a CR/CC TPDU after the length indicator:
/// code, DST-REF, SRC-REF, class option.
const CR_CC_FIXED: usize = 6;
/// Longest cookie line that keeps the length indicator within one byte.
const MAX_COOKIE_LINE: usize = 255 - 1 - CR_CC_FIXED - 8;

pub use crate::spec::tpdu_code_name;

/// The cookie line as sent: `Cookie: mstshash=NAME\r\n`, printable ASCII only.
fn cookie_line(cookie: &str) -> Option<Vec<u8>> {
    let trimmed = cookie.trim_end_matches(['\r', '\n']);
    let mut line: Vec<u8> = if trimmed.starts_with("Cookie:") {
        trimmed
            .bytes()
            .filter(|b| (0x20..=0x7E).contains(b))
            .collect()
    } else {
        let name: Vec<u8> = trimmed
            .bytes()
            .filter(|b| (0x21..=0x7E).contains(b))
            .collect();
        if name.is_empty() {
            return None;
        }
        let mut l = b"Cookie: mstshash=".to_vec();
        l.extend_from_slice(&name);
        l
    };
    line.truncate(MAX_COOKIE_LINE - 2);
    line.extend_from_slice(b"\r\n");
    Some(line)
}

/// [MS-RDPBCGR 2.2.1.1] Client X.224 Connection Request PDU, as a whole TPKT frame.
///
/// <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/18a27ef9-6f9a-4501-b000-94b1fe3c2c10>
///
/// * `requested`: `Some(bits)` appends an RDP Negotiation Request
///   ([2.2.1.1.1] RDP_NEG_REQ, flags 0) with these [`protocol`] bits;
///   `None` sends a legacy request without one, as pre-RDP 5.2 clients do.
/// * `cookie`: either a whole line starting with `Cookie:` (e.g.
///   `"Cookie: mstshash=NAME"`, CRLF optional) or just the user name, which
///   becomes `Cookie: mstshash=NAME\r\n`. Control and non-ASCII characters
///   are dropped and the line is cut to fit the one-byte length indicator.
pub fn encode_connection_request(requested: Option<u32>, cookie: Option<&str>) -> Vec<u8> {
    let mut variable = Vec::new();
    if let Some(line) = cookie.and_then(cookie_line) {
        variable.extend_from_slice(&line);
    }
    if let Some(bits) = requested {
        variable.extend_from_slice(&[TYPE_RDP_NEG_REQ, 0x00, 0x08, 0x00]);
        variable.extend_from_slice(&bits.to_le_bytes());
    }
    let li = u8::try_from(CR_CC_FIXED.saturating_add(variable.len())).unwrap_or(u8::MAX);
    let mut tpdu = vec![li, tpdu_code::CR, 0, 0, 0, 0, 0];
    tpdu.extend_from_slice(&variable);
    tpkt::wrap(&tpdu)
}

/// A decoded [MS-RDPBCGR 2.2.1.1] Client X.224 Connection Request. The probe
/// never receives one; this exists for test doubles (fake servers) and for
/// checking [`encode_connection_request`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectionRequest {
    /// The routing token or cookie line without its CRLF, if any
    /// (e.g. `Cookie: mstshash=probe`).
    pub cookie: Option<String>,
    /// `requestedProtocols` of the RDP_NEG_REQ; `None` = legacy request.
    pub requested_protocols: Option<u32>,
    /// RDP_NEG_REQ `flags` (0 when absent).
    pub flags: u8,
}

/// Decode one complete TPKT frame holding an X.224 Connection Request.
pub fn decode_connection_request(frame: &[u8]) -> Result<ConnectionRequest, WireError> {
    let variable = cr_cc_variable_part(frame, tpdu_code::CR, "X.224 Connection Request (0xE0)")?;
    let mut cookie = None;
    let mut rest = variable;
    if rest.first().is_some_and(|b| *b != TYPE_RDP_NEG_REQ) {
        let Some(end) = rest.windows(2).position(|w| w == b"\r\n") else {
            return Err(WireError::invalid(
                "X.224 Connection Request cookie",
                "routing token or cookie without terminating CRLF",
            ));
        };
        let line = rest.get(..end).unwrap_or(&[]);
        cookie = Some(String::from_utf8_lossy(line).into_owned());
        rest = rest.get(end.saturating_add(2)..).unwrap_or(&[]);
    }
    if rest.is_empty() {
        return Ok(ConnectionRequest {
            cookie,
            requested_protocols: None,
            flags: 0,
        });
    }
    let mut r = Reader::new(rest);
    let ty = r.u8("RDP_NEG_REQ")?;
    if ty != TYPE_RDP_NEG_REQ {
        return Err(WireError::invalid(
            "RDP_NEG_REQ type",
            format!("{ty:#04x}, expected 0x01"),
        ));
    }
    let flags = r.u8("RDP_NEG_REQ flags")?;
    let _length = r.u16_le("RDP_NEG_REQ length")?;
    let requested = r.u32_le("RDP_NEG_REQ requestedProtocols")?;
    if flags & CORRELATION_INFO_PRESENT != 0 {
        r.skip(CORRELATION_INFO_LEN, "RDP_NEG_CORRELATION_INFO")?;
    }
    Ok(ConnectionRequest {
        cookie,
        requested_protocols: Some(requested),
        flags,
    })
}

/// [MS-RDPBCGR 2.2.1.2] What a Server X.224 Connection Confirm PDU said.
///
/// <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/13757f8f-66db-4273-9d2c-385c33b1e483>
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ConnectionConfirm {
    /// [MS-RDPBCGR 2.2.1.2.1] RDP Negotiation Response (RDP_NEG_RSP).
    Response {
        /// `selectedProtocol`: one of the [`protocol`] values.
        selected_protocol: u32,
        /// RDP_NEG_RSP `flags`: [`response_flags`] bits.
        flags: u8,
    },
    /// [MS-RDPBCGR 2.2.1.2.2] RDP Negotiation Failure (RDP_NEG_FAILURE).
    Failure {
        /// `failureCode`: one of the [`failure_code`] values.
        code: u32,
    },
    /// The Connection Confirm carried no negotiation data: a legacy server
    /// (pre-RDP 5.2), or any server answering a request without RDP_NEG_REQ.
    /// Standard RDP Security is implied.
    NoNegotiationData,
}

/// Check the TPKT + CR/CC fixed header and return the variable part.
fn cr_cc_variable_part<'a>(
    frame: &'a [u8],
    expected_code: u8,
    expected: &'static str,
) -> Result<&'a [u8], WireError> {
    let payload = tpkt::payload(frame)?;
    let mut r = Reader::new(payload);
    let li = usize::from(r.u8("X.224 length indicator")?);
    let code = r.u8("X.224 TPDU code")?;
    if code & 0xF0 != expected_code {
        return Err(WireError::UnexpectedTpdu {
            code: code & 0xF0,
            expected,
        });
    }
    if li < CR_CC_FIXED {
        return Err(WireError::invalid(
            "X.224 length indicator",
            format!("{li} is shorter than the fixed CR/CC header ({CR_CC_FIXED})"),
        ));
    }
    if li > payload.len().saturating_sub(1) {
        return Err(WireError::Truncated {
            needed: li,
            available: payload.len().saturating_sub(1),
            what: "X.224 TPDU header (length indicator)",
        });
    }
    r.skip(CR_CC_FIXED - 1, "X.224 DST-REF, SRC-REF, class")?;
    // The variable part is everything after the fixed header up to the end of
    // the TPKT frame. A length indicator that stops short of the frame end is
    // tolerated (the negotiation data is still read, as FreeRDP does).
    Ok(r.take_rest())
}

/// Decode one complete TPKT frame holding a Server X.224 Connection Confirm
/// ([MS-RDPBCGR 2.2.1.2]). Bytes after the announced TPKT length are ignored.
///
/// Errors: [`WireError::UnexpectedTpdu`] when the TPDU is something else (an
/// X.224 Disconnect Request 0x80, say); [`WireError::Truncated`] when fewer
/// than the 8 bytes of RDP_NEG data follow the header;
/// [`WireError::Invalid`] for an unknown negotiation type, or for an
/// RDP_NEG_RSP whose `length` is not 8 ([MS-RDPBCGR 2.2.1.2.1]: it "MUST be
/// set to 0x0008"): a server that gets its own structure's size wrong is not
/// one whose `selectedProtocol` can be trusted, and the probe reports it as
/// an undecodable answer.
pub fn decode_connection_confirm(frame: &[u8]) -> Result<ConnectionConfirm, WireError> {
    let variable = cr_cc_variable_part(frame, tpdu_code::CC, "X.224 Connection Confirm (0xD0)")?;
    if variable.is_empty() {
        return Ok(ConnectionConfirm::NoNegotiationData);
    }
    let mut r = Reader::new(variable);
    if variable.len() < 8 {
        return Err(WireError::Truncated {
            needed: 8,
            available: variable.len(),
            what: "RDP_NEG_RSP / RDP_NEG_FAILURE",
        });
    }
    let ty = r.u8("RDP_NEG type")?;
    let flags = r.u8("RDP_NEG flags")?;
    let length = r.u16_le("RDP_NEG length")?;
    let value = r.u32_le("RDP_NEG selectedProtocol / failureCode")?;
    match ty {
        TYPE_RDP_NEG_RSP if length != RDP_NEG_LEN => Err(WireError::invalid(
            "RDP_NEG_RSP length",
            format!("{length}, expected 8 (MS-RDPBCGR 2.2.1.2.1)"),
        )),
        TYPE_RDP_NEG_RSP => Ok(ConnectionConfirm::Response {
            selected_protocol: value,
            flags,
        }),
        TYPE_RDP_NEG_FAILURE => Ok(ConnectionConfirm::Failure { code: value }),
        other => Err(WireError::invalid(
            "RDP_NEG type",
            format!("{other:#04x}, expected 0x02 (RDP_NEG_RSP) or 0x03 (RDP_NEG_FAILURE)"),
        )),
    }
}

/// Encode a Server X.224 Connection Confirm as a whole TPKT frame — for test
/// doubles that play a server. Mirrors [`decode_connection_confirm`].
pub fn encode_connection_confirm(cc: &ConnectionConfirm) -> Vec<u8> {
    let neg: Option<[u8; 8]> = match *cc {
        ConnectionConfirm::Response {
            selected_protocol,
            flags,
        } => Some(neg_bytes(TYPE_RDP_NEG_RSP, flags, selected_protocol)),
        ConnectionConfirm::Failure { code } => Some(neg_bytes(TYPE_RDP_NEG_FAILURE, 0, code)),
        ConnectionConfirm::NoNegotiationData => None,
    };
    let li = if neg.is_some() { 14 } else { 6 };
    let mut tpdu = vec![li, tpdu_code::CC, 0, 0, 0x12, 0x34, 0];
    if let Some(n) = neg {
        tpdu.extend_from_slice(&n);
    }
    tpkt::wrap(&tpdu)
}

/// The `length` of RDP_NEG_RSP and RDP_NEG_FAILURE ([2.2.1.2.1], [2.2.1.2.2]).
const RDP_NEG_LEN: u16 = 8;

fn neg_bytes(ty: u8, flags: u8, value: u32) -> [u8; 8] {
    let v = value.to_le_bytes();
    [ty, flags, 0x08, 0x00, v[0], v[1], v[2], v[3]]
}

/// The payload of a TPKT frame holding an X.224 Data TPDU (`02 F0 80`).
pub(crate) fn data_payload<'a>(
    frame: &'a [u8],
    expected: &'static str,
) -> Result<&'a [u8], WireError> {
    let payload = tpkt::payload(frame)?;
    let mut r = Reader::new(payload);
    let li = usize::from(r.u8("X.224 length indicator")?);
    let code = r.u8("X.224 TPDU code")?;
    if code & 0xF0 != tpdu_code::DT {
        return Err(WireError::UnexpectedTpdu {
            code: code & 0xF0,
            expected,
        });
    }
    if li < 2 {
        return Err(WireError::invalid(
            "X.224 Data length indicator",
            format!("{li}, expected 2"),
        ));
    }
    // li counts the code byte and the EOT byte (and any parameters).
    r.skip(li.saturating_sub(1), "X.224 Data header")?;
    Ok(r.take_rest())
}

/// Wrap a payload in an X.224 Data TPDU and a TPKT frame.
pub(crate) fn wrap_data(payload: &[u8]) -> Vec<u8> {
    let mut tpdu = Vec::with_capacity(payload.len().saturating_add(3));
    tpdu.extend_from_slice(&[2, tpdu_code::DT, 0x80]);
    tpdu.extend_from_slice(payload);
    tpkt::wrap(&tpdu)
}

/// Name of an RDP_NEG_FAILURE `failureCode` ([MS-RDPBCGR 2.2.1.2.2]).
///
/// Code 7 is not named: ironrdp-pdu calls it `ENTRA_AUTH_REQUIRED_BY_SERVER`,
/// but the published specification does not list it.
pub fn failure_code_name(code: u32) -> Option<&'static str> {
    Some(match code {
        failure_code::SSL_REQUIRED_BY_SERVER => "SSL_REQUIRED_BY_SERVER",
        failure_code::SSL_NOT_ALLOWED_BY_SERVER => "SSL_NOT_ALLOWED_BY_SERVER",
        failure_code::SSL_CERT_NOT_ON_SERVER => "SSL_CERT_NOT_ON_SERVER",
        failure_code::INCONSISTENT_FLAGS => "INCONSISTENT_FLAGS",
        failure_code::HYBRID_REQUIRED_BY_SERVER => "HYBRID_REQUIRED_BY_SERVER",
        failure_code::SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER => {
            "SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER"
        }
        _ => return None,
    })
}

/// Names of the [`protocol`] bits set, e.g. `["SSL", "HYBRID"]`; `["RDP"]`
/// for 0 (Standard RDP Security); `"UNKNOWN"` is appended when bits outside
/// the specification are set.
pub fn protocol_names(bits: u32) -> Vec<&'static str> {
    const NAMES: [(u32, &str); 5] = [
        (protocol::SSL, "SSL"),
        (protocol::HYBRID, "HYBRID"),
        (protocol::RDSTLS, "RDSTLS"),
        (protocol::HYBRID_EX, "HYBRID_EX"),
        (protocol::RDSAAD, "RDSAAD"),
    ];
    if bits == protocol::RDP {
        return vec!["RDP"];
    }
    let mut out: Vec<&'static str> = NAMES
        .iter()
        .filter(|(bit, _)| bits & bit != 0)
        .map(|(_, name)| *name)
        .collect();
    if bits & !NAMES.iter().fold(0, |acc, (bit, _)| acc | bit) != 0 {
        out.push("UNKNOWN");
    }
    out
}

/// Names of the RDP_NEG_RSP [`response_flags`] set; `"UNKNOWN"` is appended
/// for bits the specification does not define.
pub fn response_flag_names(flags: u8) -> Vec<&'static str> {
    const NAMES: [(u8, &str); 5] = [
        (
            response_flags::EXTENDED_CLIENT_DATA_SUPPORTED,
            "EXTENDED_CLIENT_DATA_SUPPORTED",
        ),
        (
            response_flags::DYNVC_GFX_PROTOCOL_SUPPORTED,
            "DYNVC_GFX_PROTOCOL_SUPPORTED",
        ),
        (response_flags::NEGRSP_FLAG_RESERVED, "NEGRSP_FLAG_RESERVED"),
        (
            response_flags::RESTRICTED_ADMIN_MODE_SUPPORTED,
            "RESTRICTED_ADMIN_MODE_SUPPORTED",
        ),
        (
            response_flags::REDIRECTED_AUTHENTICATION_MODE_SUPPORTED,
            "REDIRECTED_AUTHENTICATION_MODE_SUPPORTED",
        ),
    ];
    let mut out: Vec<&'static str> = NAMES
        .iter()
        .filter(|(bit, _)| flags & bit != 0)
        .map(|(_, name)| *name)
        .collect();
    if flags & 0xE0 != 0 {
        out.push("UNKNOWN");
    }
    out
}

#[cfg(test)]
mod tests;
