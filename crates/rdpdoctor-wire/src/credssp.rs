//! [MS-CSSP 2.2.1] TSRequest, the DER message CredSSP (NLA) exchanges over TLS.
//!
//! <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-cssp/6aac4dea-08ef-47a6-8747-22ea7f6d8685>
//!
//! ```text
//! TSRequest ::= SEQUENCE {
//!     version     [0] INTEGER,
//!     negoTokens  [1] NegoData  OPTIONAL,
//!     authInfo    [2] OCTET STRING OPTIONAL,
//!     pubKeyAuth  [3] OCTET STRING OPTIONAL,
//!     errorCode   [4] INTEGER OPTIONAL,       -- version 3, 4 and 6+
//!     clientNonce [5] OCTET STRING OPTIONAL   -- version 5+
//! }
//! NegoData ::= SEQUENCE OF SEQUENCE { negoToken [0] OCTET STRING }
//! ```
//!
//! The decoder only needs what a credential-less probe can observe: the
//! server's version, its first nego token (the NTLM CHALLENGE), and an
//! errorCode (an NTSTATUS such as STATUS_LOGON_FAILURE) if it sends one.

use serde::Serialize;

use crate::ber::{self, expect_tlv, read_tlv};
use crate::error::WireError;
use crate::reader::Reader;

/// Largest TSRequest accepted. Real ones are a few hundred bytes (NTLM) to a
/// few KiB (Kerberos tickets); anything bigger is refused before buffering.
pub const MAX_TS_REQUEST: usize = 64 * 1024;

const TAG_SEQUENCE: u8 = 0x30;
const TAG_INTEGER: u8 = 0x02;
const TAG_OCTET_STRING: u8 = 0x04;

/// Context-specific constructed tag `[n]`.
const fn ctx(n: u8) -> u8 {
    0xA0 | n
}

/// [MS-CSSP 2.2.1] The facts of a TSRequest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TsRequest {
    /// `version`: the CredSSP protocol version of the sender (2..=6 today).
    pub version: u32,
    /// The first `negoToken` of `negoTokens`, if any (an SPNEGO or raw
    /// NTLMSSP message; see [`crate::ntlm::find_ntlmssp`]). Serialised as hex.
    #[serde(serialize_with = "crate::hexser::opt_bytes")]
    pub nego_token: Option<Vec<u8>>,
    /// `errorCode`: an NTSTATUS the server reports when authentication
    /// failed (CredSSP version 3, 4 and 6+).
    pub error_code: Option<u32>,
    /// Whether `authInfo` (the encrypted credentials) is present.
    pub has_auth_info: bool,
    /// Whether `pubKeyAuth` (the TLS public-key binding) is present.
    pub has_pub_key_auth: bool,
    /// `clientNonce` (CredSSP 5+, the CVE-2018-0886 fix), if present.
    /// Serialised as hex.
    #[serde(serialize_with = "crate::hexser::opt_bytes")]
    pub client_nonce: Option<Vec<u8>>,
}

/// TSRequest `{ version, negoTokens: [ { negoToken: token } ] }`, DER — what
/// a client sends first, with `nego_token` an NTLM NEGOTIATE_MESSAGE
/// ([`crate::ntlm::encode_negotiate`]).
pub fn encode_ts_request(version: u32, nego_token: &[u8]) -> Vec<u8> {
    TsRequest {
        version,
        nego_token: Some(nego_token.to_vec()),
        error_code: None,
        has_auth_info: false,
        has_pub_key_auth: false,
        client_nonce: None,
    }
    .to_der()
}

impl TsRequest {
    /// DER encoding of this TSRequest — for test doubles playing a server
    /// (e.g. one answering with an `errorCode`). `authInfo` and `pubKeyAuth`
    /// carry no data here, so when flagged they are written as empty
    /// OCTET STRINGs.
    pub fn to_der(&self) -> Vec<u8> {
        let mut body = Vec::new();
        let mut int = Vec::new();
        ber::write_tlv(
            &mut int,
            TAG_INTEGER,
            &ber::integer_content(u64::from(self.version)),
        );
        ber::write_tlv(&mut body, ctx(0), &int);
        if let Some(token) = &self.nego_token {
            let mut octets = Vec::new();
            ber::write_tlv(&mut octets, TAG_OCTET_STRING, token);
            let mut field = Vec::new();
            ber::write_tlv(&mut field, ctx(0), &octets);
            let mut nego_data_item = Vec::new();
            ber::write_tlv(&mut nego_data_item, TAG_SEQUENCE, &field);
            let mut nego_data = Vec::new();
            ber::write_tlv(&mut nego_data, TAG_SEQUENCE, &nego_data_item);
            ber::write_tlv(&mut body, ctx(1), &nego_data);
        }
        for (present, n) in [(self.has_auth_info, 2), (self.has_pub_key_auth, 3)] {
            if present {
                ber::write_tlv(&mut body, ctx(n), &[TAG_OCTET_STRING, 0]);
            }
        }
        if let Some(code) = self.error_code {
            let mut int = Vec::new();
            // Four bytes at most, as Windows writes an NTSTATUS (see ber.rs).
            ber::write_tlv(
                &mut int,
                TAG_INTEGER,
                &ber::i32_integer_content(i32::from_be_bytes(code.to_be_bytes())),
            );
            ber::write_tlv(&mut body, ctx(4), &int);
        }
        if let Some(nonce) = &self.client_nonce {
            let mut octets = Vec::new();
            ber::write_tlv(&mut octets, TAG_OCTET_STRING, nonce);
            ber::write_tlv(&mut body, ctx(5), &octets);
        }
        let mut out = Vec::with_capacity(body.len().saturating_add(6));
        ber::write_tlv(&mut out, TAG_SEQUENCE, &body);
        out
    }
}

/// The total length a TSRequest announces once its DER header is there:
/// `Ok(None)` = header incomplete. Same errors as [`ts_request_len`].
pub fn ts_request_declared_len(buf: &[u8]) -> Result<Option<usize>, WireError> {
    let Some(&first) = buf.first() else {
        return Ok(None);
    };
    if first != TAG_SEQUENCE {
        return Err(WireError::UnexpectedTag {
            what: "TSRequest",
            expected: TAG_SEQUENCE,
            found: first,
        });
    }
    let mut r = Reader::new(buf);
    let _tag = r.u8("TSRequest tag")?;
    let len = match ber::read_length(&mut r, "TSRequest length") {
        Ok(len) => len,
        Err(WireError::Truncated { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    let total = r.position().saturating_add(len);
    if total > MAX_TS_REQUEST {
        return Err(WireError::TooLarge {
            what: "TSRequest",
            len: total,
            max: MAX_TS_REQUEST,
        });
    }
    Ok(Some(total))
}

/// Given the bytes received so far: `Ok(None)` = need more bytes;
/// `Ok(Some(n))` = a complete DER SEQUENCE of `n` bytes is at the start.
///
/// Errors: [`WireError::UnexpectedTag`] if the first byte is not a SEQUENCE
/// (0x30) — e.g. 0x03 when the server is not speaking CredSSP but RDP;
/// [`WireError::Invalid`] for an indefinite or over-long length;
/// [`WireError::TooLarge`] beyond [`MAX_TS_REQUEST`].
pub fn ts_request_len(buf: &[u8]) -> Result<Option<usize>, WireError> {
    match ts_request_declared_len(buf)? {
        Some(n) if buf.len() >= n => Ok(Some(n)),
        _ => Ok(None),
    }
}

/// Decode the TSRequest at the start of `buf` (bytes after it are ignored).
///
/// Fields may come in any order and unknown context tags are skipped (a
/// later CredSSP version may add some); `version` is required.
pub fn decode_ts_request(buf: &[u8]) -> Result<TsRequest, WireError> {
    let mut outer = Reader::new(buf);
    let body = expect_tlv(&mut outer, TAG_SEQUENCE, "TSRequest")?;
    if body.len().saturating_add(2) > MAX_TS_REQUEST {
        return Err(WireError::TooLarge {
            what: "TSRequest",
            len: body.len(),
            max: MAX_TS_REQUEST,
        });
    }
    let mut r = Reader::new(body);
    let mut version = None;
    let mut out = TsRequest {
        version: 0,
        nego_token: None,
        error_code: None,
        has_auth_info: false,
        has_pub_key_auth: false,
        client_nonce: None,
    };
    while !r.is_empty() {
        let (tag, value) = read_tlv(&mut r, "TSRequest field")?;
        let mut f = Reader::new(value);
        match tag {
            0xA0 => {
                let int = expect_tlv(&mut f, TAG_INTEGER, "TSRequest.version")?;
                let v = ber::unsigned(int, "TSRequest.version")?;
                version = Some(u32::try_from(v).map_err(|_| {
                    WireError::invalid("TSRequest.version", format!("{v} does not fit 32 bits"))
                })?);
            }
            0xA1 => out.nego_token = first_nego_token(value)?,
            0xA2 => {
                expect_tlv(&mut f, TAG_OCTET_STRING, "TSRequest.authInfo")?;
                out.has_auth_info = true;
            }
            0xA3 => {
                expect_tlv(&mut f, TAG_OCTET_STRING, "TSRequest.pubKeyAuth")?;
                out.has_pub_key_auth = true;
            }
            0xA4 => {
                let int = expect_tlv(&mut f, TAG_INTEGER, "TSRequest.errorCode")?;
                out.error_code = Some(ber::low_u32(int, "TSRequest.errorCode")?);
            }
            0xA5 => {
                let nonce = expect_tlv(&mut f, TAG_OCTET_STRING, "TSRequest.clientNonce")?;
                out.client_nonce = Some(nonce.to_vec());
            }
            t if t & 0xE0 == 0xA0 => {} // a future [n] field: skip
            other => {
                return Err(WireError::UnexpectedTag {
                    what: "TSRequest field",
                    expected: 0xA0,
                    found: other,
                });
            }
        }
    }
    out.version = version.ok_or_else(|| WireError::invalid("TSRequest", "no version field [0]"))?;
    Ok(out)
}

/// `negoTokens [1] NegoData`: the first token, or `None` for an empty list.
fn first_nego_token(value: &[u8]) -> Result<Option<Vec<u8>>, WireError> {
    let mut r = Reader::new(value);
    let list = expect_tlv(&mut r, TAG_SEQUENCE, "TSRequest.negoTokens")?;
    let mut items = Reader::new(list);
    if items.is_empty() {
        return Ok(None);
    }
    let item = expect_tlv(&mut items, TAG_SEQUENCE, "TSRequest.negoTokens item")?;
    let mut fields = Reader::new(item);
    let token_field = expect_tlv(&mut fields, ctx(0), "TSRequest.negoTokens negoToken")?;
    let mut t = Reader::new(token_field);
    let token = expect_tlv(&mut t, TAG_OCTET_STRING, "TSRequest.negoTokens negoToken")?;
    Ok(Some(token.to_vec()))
}

/// Name of the CredSSP version (from MS-CSSP 2.2.1 and the CVE-2018-0886
/// remediation): what a server's TSRequest `version` says about it.
pub fn version_note(version: u32) -> &'static str {
    match version {
        0 | 1 => "pre-release CredSSP version",
        2 => "CredSSP 2: no errorCode, no clientNonce (pre-CVE-2018-0886 public-key binding)",
        3 | 4 => "CredSSP 3/4: errorCode, no clientNonce (pre-CVE-2018-0886 public-key binding)",
        5 => "CredSSP 5: clientNonce hash binding (CVE-2018-0886 fix)",
        6 => "CredSSP 6: clientNonce hash binding (CVE-2018-0886 fix) and errorCode",
        _ => "CredSSP version newer than 6",
    }
}

/// [MS-RDPBCGR 2.2.10.2] Early User Authorization Result PDU: after CredSSP
/// under PROTOCOL_HYBRID_EX, the server sends one little-endian u32 over TLS
/// (no TPKT, no DER).
///
/// <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/d0e560a3-25cb-4563-8bdc-6c4cc625bbfc>
pub const EARLY_USER_AUTH_RESULT_LEN: usize = 4;
/// AUTHZ_SUCCESS: the user may log on through Remote Desktop.
pub const AUTHZ_SUCCESS: u32 = 0x0000_0000;
/// AUTHZ_ACCESS_DENIED: authenticated, but not allowed to log on through
/// Remote Desktop (mstsc: 0x904, extended 0x7).
pub const AUTHZ_ACCESS_DENIED: u32 = 0x0000_0005;

/// Framer for the Early User Authorization Result: always 4 bytes.
pub fn early_user_auth_result_len(_buf: &[u8]) -> Result<Option<usize>, WireError> {
    Ok(Some(EARLY_USER_AUTH_RESULT_LEN))
}

/// Decodes an Early User Authorization Result PDU: the raw `authzResult`
/// (kept as sent, so an undefined value is shown rather than guessed at).
pub fn decode_early_user_auth_result(buf: &[u8]) -> Result<u32, WireError> {
    Reader::new(buf).u32_le("Early User Authorization Result")
}

/// The spec's name of an `authzResult`, when it has one.
pub fn authz_result_name(value: u32) -> Option<&'static str> {
    match value {
        AUTHZ_SUCCESS => Some("AUTHZ_SUCCESS"),
        AUTHZ_ACCESS_DENIED => Some("AUTHZ_ACCESS_DENIED"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{assert_every_prefix_fails, hex};

    /// nmap's rdp-ntlm-info first TSRequest (version 0x60, an NTLM NEGOTIATE).
    const NMAP_NEGOTIATE: &str = "
        30 37 a0 03 02 01 60 a1 30 30 2e 30 2c a0 2a 04 28
        4e 54 4c 4d 53 53 50 00 01 00 00 00 b7 82 08 e2
        00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
        0a 00 63 45 00 00 00 0f";

    #[test]
    fn decodes_a_known_client_ts_request() {
        let bytes = hex(NMAP_NEGOTIATE);
        assert_eq!(ts_request_len(&bytes), Ok(Some(bytes.len())));
        let ts = decode_ts_request(&bytes).unwrap();
        assert_eq!(ts.version, 0x60);
        let token = ts.nego_token.unwrap();
        assert_eq!(&token[..8], b"NTLMSSP\0");
        assert_eq!(token.len(), 40);
        // And our encoder builds exactly the same framing around a token.
        assert_eq!(encode_ts_request(0x60, &token), bytes);
    }

    #[test]
    fn round_trips_every_field() {
        let full = TsRequest {
            version: 6,
            nego_token: Some(vec![0xAB; 300]),
            error_code: Some(0xC000_006D),
            has_auth_info: true,
            has_pub_key_auth: true,
            client_nonce: Some(vec![7; 32]),
        };
        let der = full.to_der();
        assert_eq!(ts_request_len(&der), Ok(Some(der.len())));
        assert_eq!(decode_ts_request(&der), Ok(full));
        assert_every_prefix_fails(&der, decode_ts_request);
        for cut in 0..der.len() {
            assert_eq!(ts_request_len(&der[..cut]), Ok(None), "prefix {cut}");
        }
    }

    #[test]
    fn error_code_as_negative_integer() {
        // errorCode STATUS_LOGON_FAILURE written as a 4-byte negative INTEGER.
        let ts = hex("30 0e a0 03 02 01 06 a4 07 02 05 00 c0 00 00 6d");
        // (5-byte positive form)
        assert_eq!(
            decode_ts_request(&ts).unwrap().error_code,
            Some(0xC000_006D)
        );
        let ts = hex("30 0d a0 03 02 01 06 a4 06 02 04 c0 00 00 6d");
        assert_eq!(
            decode_ts_request(&ts).unwrap().error_code,
            Some(0xC000_006D)
        );
    }

    #[test]
    fn length_framing_errors() {
        assert_eq!(ts_request_len(&[]), Ok(None));
        assert_eq!(ts_request_len(&[0x30]), Ok(None));
        assert_eq!(ts_request_len(&[0x30, 0x82, 0x01]), Ok(None));
        assert_eq!(
            ts_request_len(&[0x03, 0x00, 0x00, 0x13]),
            Err(WireError::UnexpectedTag {
                what: "TSRequest",
                expected: 0x30,
                found: 0x03
            })
        );
        assert!(matches!(
            ts_request_len(&[0x30, 0x80]),
            Err(WireError::Invalid { .. })
        ));
        assert_eq!(
            ts_request_len(&[0x30, 0x83, 0x01, 0x00, 0x00]),
            Err(WireError::TooLarge {
                what: "TSRequest",
                len: 0x10005,
                max: MAX_TS_REQUEST
            })
        );
        assert_eq!(
            ts_request_declared_len(&[0x30, 0x82, 0x01, 0x00]),
            Ok(Some(0x104))
        );
    }

    #[test]
    fn missing_version_and_bad_fields() {
        assert_eq!(
            decode_ts_request(&hex("30 00")),
            Err(WireError::invalid("TSRequest", "no version field [0]"))
        );
        // version as OCTET STRING
        assert!(matches!(
            decode_ts_request(&hex("30 05 a0 03 04 01 06")),
            Err(WireError::UnexpectedTag {
                what: "TSRequest.version",
                expected: 0x02,
                found: 0x04
            })
        ));
        // negative version
        assert!(matches!(
            decode_ts_request(&hex("30 05 a0 03 02 01 ff")),
            Err(WireError::Invalid { .. })
        ));
        // unknown future field [7] is skipped
        let ts = decode_ts_request(&hex("30 09 a0 03 02 01 07 a7 02 05 00")).unwrap();
        assert_eq!(ts.version, 7);
        // a universal tag where a field is due
        assert!(matches!(
            decode_ts_request(&hex("30 07 a0 03 02 01 06 05 00")),
            Err(WireError::UnexpectedTag { found: 0x05, .. })
        ));
        // empty negoTokens list
        let ts = decode_ts_request(&hex("30 09 a0 03 02 01 06 a1 02 30 00")).unwrap();
        assert_eq!(ts.nego_token, None);
    }

    #[test]
    fn version_notes() {
        assert!(version_note(6).contains("CVE-2018-0886 fix"));
        assert!(version_note(2).contains("pre-CVE-2018-0886"));
    }
}
