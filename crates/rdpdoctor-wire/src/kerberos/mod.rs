//! Kerberos V5 ([RFC 4120]) as the probe needs it, sans I/O: an AS-REQ
//! without pre-authentication for any principal ([RFC 4120 5.4.1]), the
//! KDC's answer decoded (a KRB-ERROR, [RFC 4120 5.9.1], whose `stime`/`susec`
//! is the domain controller's clock whatever the error; or an AS-REP,
//! [RFC 4120 5.4.2]), and the TCP framing ([RFC 4120 7.2.2]: a 4-byte
//! big-endian length before each message; over UDP a message is one datagram).
//!
//! The ASN.1 types and their DER are `picky-krb`'s (the crate `sspi` itself
//! uses); what is written here is only what it lacks: the TCP length prefix
//! with a bound checked before anything is read, the KerberosTime ↔ Unix
//! time conversion without a date crate, the first-byte dispatch between the
//! reply's message types, and the names of the error codes.
//!
//! [RFC 4120]: https://www.rfc-editor.org/rfc/rfc4120
//! [RFC 4120 5.4.1]: https://www.rfc-editor.org/rfc/rfc4120#section-5.4.1
//! [RFC 4120 5.4.2]: https://www.rfc-editor.org/rfc/rfc4120#section-5.4.2
//! [RFC 4120 5.9.1]: https://www.rfc-editor.org/rfc/rfc4120#section-5.9.1
//! [RFC 4120 7.2.2]: https://www.rfc-editor.org/rfc/rfc4120#section-7.2.2

use picky_asn1::bit_string::BitString;
use picky_asn1::date::GeneralizedTime;
use picky_asn1::restricted_string::IA5String;
use picky_asn1::wrapper::{
    Asn1SequenceOf, ExplicitContextTag0, ExplicitContextTag1, ExplicitContextTag2,
    ExplicitContextTag3, ExplicitContextTag4, ExplicitContextTag5, ExplicitContextTag7,
    ExplicitContextTag8, GeneralizedTimeAsn1, IntegerAsn1, Optional,
};
use picky_krb::data_types::{KerberosStringAsn1, PrincipalName};
use picky_krb::messages::{AsRep, AsReq, KdcReq, KdcReqBody, KrbError};

use crate::error::WireError;

mod codes;
mod preauth;
pub use codes::{CODES, error_name};
pub use preauth::{EtypeInfo, aes256_key, as_req_with_password};

/// The KDC's port ([RFC 4120 7.2.1], [7.2.2]).
pub const KERBEROS_PORT: u16 = 88;

/// The largest KDC reply accepted over TCP or UDP. A KRB-ERROR is a few
/// hundred bytes; an AS-REP with a PAC is a few kilobytes; 64 KiB leaves room
/// for large group memberships and refuses a length that would make the
/// reader wait for (or hold) megabytes.
pub const MAX_REPLY: usize = 64 * 1024;

/// [RFC 4120 7.5.7] The message type of a KRB-ERROR (and its APPLICATION tag).
pub const KRB_ERROR: u8 = 30;
/// [RFC 4120 7.5.7] The message type of an AS-REP.
pub const AS_REP: u8 = 11;

/// [RFC 4120 7.5.8] etypes offered: AES256 and AES128 with HMAC-SHA1-96
/// (18, 17), then RC4-HMAC (23, [RFC 4757]) as Windows still accepts it.
const ETYPES: [u8; 3] = [18, 17, 23];

/// The client principal of an AS-REQ: `user` or `service/host`, in `realm`.
#[derive(Debug, Clone, Copy)]
pub struct AsReqFor<'a> {
    /// The client principal's name, `/`-separated components.
    pub principal: &'a str,
    /// The realm, as the KDC spells it (upper case in Active Directory).
    pub realm: &'a str,
    /// The service principal asked for, `/`-separated (`TERMSRV/host`);
    /// `None`: `krbtgt/REALM`, the ticket-granting service.
    pub service: Option<&'a str>,
    /// The request's nonce ([RFC 4120 5.4.1]).
    pub nonce: u32,
    /// This machine's clock, seconds since the Unix epoch: `till` is one day
    /// after it.
    pub now_unix: i64,
}

/// [RFC 4120 5.4.1] An AS-REQ for `krbtgt/REALM` (or another service) without pre-authentication
/// data, DER-encoded (no TCP length prefix). A KDC answers it without any
/// password being tried: an AS-REP (the principal needs no pre-auth), or a
/// KRB-ERROR: KDC_ERR_PREAUTH_REQUIRED (25) for an existing account,
/// KDC_ERR_C_PRINCIPAL_UNKNOWN (6), KDC_ERR_CLIENT_REVOKED (18), … Nothing
/// in it counts as a failed logon.
pub fn as_req(req: &AsReqFor<'_>) -> Result<Vec<u8>, WireError> {
    as_req_with(req, None)
}

/// An AS-REQ with `padata` (none: [`as_req`]).
fn as_req_with(
    req: &AsReqFor<'_>,
    padata: Option<Vec<picky_krb::data_types::PaData>>,
) -> Result<Vec<u8>, WireError> {
    let kstring = |s: &str| -> Result<KerberosStringAsn1, WireError> {
        IA5String::from_string(s.to_owned())
            .map(KerberosStringAsn1::from)
            .map_err(|_| WireError::invalid("Kerberos name", "not ASCII (IA5String)"))
    };
    let name = |kind: u8, parts: Vec<KerberosStringAsn1>| PrincipalName {
        name_type: ExplicitContextTag0::from(IntegerAsn1::from(vec![kind])),
        name_string: ExplicitContextTag1::from(Asn1SequenceOf::from(parts)),
    };
    if req.principal.is_empty() || req.realm.is_empty() {
        return Err(WireError::invalid(
            "Kerberos name",
            "empty principal or realm",
        ));
    }
    let cname = req
        .principal
        .split('/')
        .map(kstring)
        .collect::<Result<Vec<_>, _>>()?;
    let realm = kstring(req.realm)?;
    let sname = match req.service {
        Some(spn) => spn.split('/').map(kstring).collect::<Result<Vec<_>, _>>()?,
        None => vec![kstring("krbtgt")?, realm.clone()],
    };
    let till = generalized_time(req.now_unix.saturating_add(86_400))?;
    let body = KdcReqBody {
        // [RFC 4120 5.4.1] KDCOptions: none (forwardable, renewable … are
        // not needed to learn the KDC's answer).
        kdc_options: ExplicitContextTag0::from(picky_asn1::wrapper::BitStringAsn1::from(
            BitString::with_bytes(vec![0u8; 4]),
        )),
        // NT-PRINCIPAL (1) for a user, NT-SRV-INST (2) for `service/host`.
        cname: Optional::from(Some(ExplicitContextTag1::from(name(
            if cname.len() > 1 { 2 } else { 1 },
            cname,
        )))),
        realm: ExplicitContextTag2::from(realm.clone()),
        sname: Optional::from(Some(ExplicitContextTag3::from(name(2, sname)))),
        from: Optional::from(None),
        till: ExplicitContextTag5::from(till),
        rtime: Optional::from(None),
        // An INTEGER: a leading zero byte keeps a nonce ≥ 2^31 positive.
        nonce: ExplicitContextTag7::from(unsigned(req.nonce)),
        etype: ExplicitContextTag8::from(Asn1SequenceOf::from(
            ETYPES
                .iter()
                .map(|e| IntegerAsn1::from(vec![*e]))
                .collect::<Vec<_>>(),
        )),
        addresses: Optional::from(None),
        enc_authorization_data: Optional::from(None),
        additional_tickets: Optional::from(None),
    };
    let req = AsReq::from(KdcReq {
        pvno: ExplicitContextTag1::from(IntegerAsn1::from(vec![5])),
        msg_type: ExplicitContextTag2::from(IntegerAsn1::from(vec![10])),
        padata: Optional::from(
            padata.map(|p| picky_asn1::wrapper::ExplicitContextTag3::from(Asn1SequenceOf::from(p))),
        ),
        req_body: ExplicitContextTag4::from(body),
    });
    picky_asn1_der::to_vec(&req).map_err(|e| WireError::invalid("AS-REQ", e.to_string()))
}

/// [RFC 4120 7.2.2] A message framed for TCP: its length, 4 bytes big-endian,
/// then the message.
pub fn tcp_frame(message: &[u8]) -> Vec<u8> {
    let len = u32::try_from(message.len()).unwrap_or(u32::MAX);
    let mut out = Vec::with_capacity(message.len().saturating_add(4));
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(message);
    out
}

/// A [`crate::frame::Framer`] for Kerberos over TCP ([RFC 4120 7.2.2]): the
/// whole frame's length (prefix included) once the 4-byte prefix is there.
/// The high bit of the length is reserved (an extension a KDC only sets to
/// refuse one): it and a length over [`MAX_REPLY`] are errors.
pub fn tcp_declared_len(buf: &[u8]) -> Result<Option<usize>, WireError> {
    let Some(prefix) = buf.first_chunk::<4>() else {
        return Ok(None);
    };
    let len = u32::from_be_bytes(*prefix);
    if len & 0x8000_0000 != 0 {
        return Err(WireError::invalid(
            "Kerberos TCP length",
            "the reserved high bit is set",
        ));
    }
    let len = usize::try_from(len).unwrap_or(usize::MAX);
    if len > MAX_REPLY {
        return Err(WireError::TooLarge {
            what: "Kerberos message",
            len,
            max: MAX_REPLY,
        });
    }
    Ok(Some(len.saturating_add(4)))
}

/// [RFC 4120 5.9.1] What a KRB-ERROR says, as plain data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KrbErrorFacts {
    /// [RFC 4120 7.5.9] error-code.
    pub error_code: u32,
    /// The KDC's clock when it answered (`stime`), seconds since the Unix epoch.
    pub stime_unix: i64,
    /// `susec`: microseconds within that second.
    pub susec: u32,
    /// The realm of the server that answered (`realm`).
    pub realm: String,
    /// `sname`, `/`-joined.
    pub sname: String,
    /// `e-text`: the KDC's own words, server-controlled text.
    pub e_text: Option<String>,
    /// The keys the KDC will check a password against, from the
    /// PA-ETYPE-INFO2 in `e-data` of KDC_ERR_PREAUTH_REQUIRED
    /// ([RFC 4120 5.2.7.5]); empty when it sent none.
    pub etype_info2: Vec<EtypeInfo>,
}

/// [RFC 4120 5.4.2] What an AS-REP says without decrypting anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsRepFacts {
    /// `crealm`.
    pub crealm: String,
    /// `cname`, `/`-joined.
    pub cname: String,
}

/// A KDC's answer to an AS-REQ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KdcReply {
    /// [RFC 4120 5.9.1] KRB-ERROR.
    Error(KrbErrorFacts),
    /// [RFC 4120 5.4.2] AS-REP: the principal got a ticket without pre-auth.
    AsRep(AsRepFacts),
}

/// Decodes one KDC message (without its TCP prefix): a KRB-ERROR
/// (APPLICATION 30) or an AS-REP (APPLICATION 11). Anything else, or bytes
/// after the message, is an error. Bounded by the input: `picky-asn1-der`
/// reads lengths against the bytes present.
pub fn decode_reply(bytes: &[u8]) -> Result<KdcReply, WireError> {
    let Some(&tag) = bytes.first() else {
        return Err(WireError::Truncated {
            needed: 1,
            available: 0,
            what: "Kerberos message",
        });
    };
    if bytes.len() > MAX_REPLY {
        return Err(WireError::TooLarge {
            what: "Kerberos message",
            len: bytes.len(),
            max: MAX_REPLY,
        });
    }
    let total = der_total_len(bytes)?;
    if total != bytes.len() {
        return Err(if total > bytes.len() {
            WireError::Truncated {
                needed: total,
                available: bytes.len(),
                what: "Kerberos message",
            }
        } else {
            WireError::invalid(
                "Kerberos message",
                format!(
                    "{} bytes after the message",
                    bytes.len().saturating_sub(total)
                ),
            )
        });
    }
    let der = |e: picky_asn1_der::Asn1DerError, what: &'static str| {
        WireError::invalid(what, e.to_string())
    };
    // [X.690 8.1.2] APPLICATION, constructed: 0x60 | number.
    match tag {
        t if t == 0x60 | KRB_ERROR => {
            let e: KrbError = picky_asn1_der::from_bytes(bytes).map_err(|e| der(e, "KRB-ERROR"))?;
            let e = e.0;
            Ok(KdcReply::Error(KrbErrorFacts {
                error_code: e.error_code.0,
                stime_unix: unix_time(&e.stime.0.0)?,
                susec: integer_u32(e.susec.0.as_unsigned_bytes_be()).unwrap_or(0),
                realm: string(&e.realm.0),
                sname: principal(&e.sname.0),
                etype_info2: e
                    .e_data
                    .0
                    .as_ref()
                    .map(|d| preauth::etype_info2(&d.0.0))
                    .unwrap_or_default(),
                e_text: e.e_text.0.map(|t| string(&t.0)),
            }))
        }
        t if t == 0x60 | AS_REP => {
            let r: AsRep = picky_asn1_der::from_bytes(bytes).map_err(|e| der(e, "AS-REP"))?;
            Ok(KdcReply::AsRep(AsRepFacts {
                crealm: string(&r.0.crealm.0),
                cname: principal(&r.0.cname.0),
            }))
        }
        found => Err(WireError::UnexpectedTag {
            what: "KDC reply (KRB-ERROR or AS-REP)",
            expected: 0x60 | KRB_ERROR,
            found,
        }),
    }
}

/// [X.690 8.1.3] The whole length (tag and length octets included) the
/// outer DER TLV announces. `picky-asn1-der` decodes a message whose last
/// optional fields were cut off without complaint, so a truncated KRB-ERROR
/// would pass for a shorter one: the outer length is checked here first.
fn der_total_len(bytes: &[u8]) -> Result<usize, WireError> {
    let short = |needed: usize| WireError::Truncated {
        needed,
        available: bytes.len(),
        what: "Kerberos message length",
    };
    let &first = bytes.get(1).ok_or_else(|| short(2))?;
    if first < 0x80 {
        return Ok(usize::from(first).saturating_add(2));
    }
    let n = usize::from(first & 0x7F);
    if n == 0 || n > 4 {
        return Err(WireError::invalid(
            "Kerberos message length",
            "indefinite or longer than 4 octets (DER allows neither here)",
        ));
    }
    let octets = bytes
        .get(2..n.saturating_add(2))
        .ok_or_else(|| short(n.saturating_add(2)))?;
    let len = octets
        .iter()
        .fold(0usize, |acc, b| acc.wrapping_shl(8) | usize::from(*b));
    Ok(len.saturating_add(n).saturating_add(2))
}

pub(crate) fn string(s: &KerberosStringAsn1) -> String {
    String::from_utf8_lossy(s.as_bytes()).into_owned()
}

fn principal(p: &PrincipalName) -> String {
    p.name_string
        .0
        .0
        .iter()
        .map(string)
        .collect::<Vec<_>>()
        .join("/")
}

/// A `u32` as an ASN.1 INTEGER: a leading zero byte keeps values of 2^31
/// and above positive (DER allows it).
pub(crate) fn unsigned(n: u32) -> IntegerAsn1 {
    IntegerAsn1::from([&[0u8][..], &n.to_be_bytes()[..]].concat())
}

fn integer_u32(be: &[u8]) -> Option<u32> {
    let be = match be {
        [0, rest @ ..] => rest,
        b => b,
    };
    if be.len() > 4 {
        return None;
    }
    Some(be.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b)))
}

/// [RFC 4120 5.2.3] KerberosTime: a GeneralizedTime in UTC, whole seconds.
pub(crate) fn generalized_time(unix: i64) -> Result<GeneralizedTimeAsn1, WireError> {
    // Years 1970–9999 only: the date arithmetic below stays far from overflow.
    if !(0..=253_402_300_799).contains(&unix) {
        return Err(WireError::invalid(
            "KerberosTime",
            "outside years 1970–9999",
        ));
    }
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let t = u16::try_from(y)
        .ok()
        .and_then(|y| {
            GeneralizedTime::new(
                y,
                m,
                d,
                u8::try_from(secs / 3600).ok()?,
                u8::try_from(secs % 3600 / 60).ok()?,
                u8::try_from(secs % 60).ok()?,
            )
        })
        .ok_or_else(|| WireError::invalid("KerberosTime", "outside years 0–9999"))?;
    Ok(GeneralizedTimeAsn1::from(t))
}

// Bounded: every field is a u8 or u16.
#[allow(clippy::arithmetic_side_effects)]
fn unix_time(t: &GeneralizedTime) -> Result<i64, WireError> {
    let days = days_from_civil(i64::from(t.year()), t.month(), t.day());
    Ok(days
        .saturating_mul(86_400)
        .saturating_add(i64::from(t.hour()) * 3600)
        .saturating_add(i64::from(t.minute()) * 60)
        .saturating_add(i64::from(t.second())))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`, public domain algorithm). Years are those of a
/// GeneralizedTime (u16): no overflow is possible.
#[allow(clippy::arithmetic_side_effects)]
fn days_from_civil(y: i64, m: u8, d: u8) -> i64 {
    let (m, d) = (i64::from(m.clamp(1, 12)), i64::from(d.clamp(1, 31)));
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`], for days of years 1970–9999 only
/// (checked by the caller).
#[allow(clippy::arithmetic_side_effects)]
fn civil_from_days(z: i64) -> (i64, u8, u8) {
    let z = z.saturating_add(719_468);
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u8::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, u8::try_from(m).unwrap_or(1), d)
}

#[cfg(test)]
mod tests;
