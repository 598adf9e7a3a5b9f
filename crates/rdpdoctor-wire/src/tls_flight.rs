//! The clear part of a TLS conversation as one side sent it, read from a
//! recorded byte stream (a packet capture): the records' types, the
//! ClientHello ([RFC 8446 4.1.2](https://www.rfc-editor.org/rfc/rfc8446#section-4.1.2),
//! [RFC 5246 7.4.1.2](https://www.rfc-editor.org/rfc/rfc5246#section-7.4.1.2)),
//! the Certificate message's chain ([RFC 5246 7.4.2]) and the alerts sent
//! before ChangeCipherSpec ([RFC 5246 7.2]).
//!
//! The ServerHello itself is read by [`crate::tls::decode_server_hello`].
//! Everything after ChangeCipherSpec is encrypted and only counted.

use crate::error::WireError;
use crate::reader::Reader;

/// [RFC 5246 6.2.1] ContentType values.
pub mod content_type {
    /// change_cipher_spec.
    pub const CHANGE_CIPHER_SPEC: u8 = 20;
    /// alert.
    pub const ALERT: u8 = 21;
    /// handshake.
    pub const HANDSHAKE: u8 = 22;
    /// application_data.
    pub const APPLICATION_DATA: u8 = 23;
}

/// [RFC 5246 7.4] HandshakeType client_hello.
const CLIENT_HELLO: u8 = 1;
/// [RFC 5246 7.4] HandshakeType certificate.
const CERTIFICATE: u8 = 11;
/// [RFC 6066 3] extension server_name.
const EXT_SERVER_NAME: u16 = 0;
/// [RFC 8446 4.2.1] extension supported_versions.
const EXT_SUPPORTED_VERSIONS: u16 = 43;
/// The most handshake bytes gathered from one side's clear flight: a chain of
/// a few certificates is far smaller.
const MAX_HANDSHAKE: usize = 1 << 17;
/// The most certificates kept from one Certificate message.
const MAX_CERTIFICATES: usize = 10;
/// The most alerts kept.
const MAX_ALERTS: usize = 8;

/// What a ClientHello offers.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ClientHello {
    /// `legacy_version` / `client_version` (0x0301 = TLS 1.0).
    pub client_version: u16,
    /// The supported_versions extension's list (TLS 1.3 clients), in order;
    /// empty when absent.
    pub supported_versions: Vec<u16>,
    /// `cipher_suites`, in the client's order.
    pub cipher_suites: Vec<u16>,
    /// The server_name extension's host_name, if any.
    pub server_name: Option<String>,
}

impl ClientHello {
    /// Every protocol version offered: the supported_versions list when
    /// present (GREASE values left out), else every version from TLS 1.0 up
    /// to `client_version`.
    pub fn offered_versions(&self) -> Vec<u16> {
        if !self.supported_versions.is_empty() {
            return self
                .supported_versions
                .iter()
                .copied()
                .filter(|v| v & 0x0F0F != 0x0A0A)
                .collect();
        }
        (0x0301..=self.client_version.clamp(0x0301, 0x0304)).collect()
    }
}

/// [RFC 5246 7.2] an alert sent in the clear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Alert {
    /// `level`: 1 warning, 2 fatal.
    pub level: u8,
    /// `description` (70 = protocol_version, 40 = handshake_failure).
    pub description: u8,
}

/// One side's records, as far as they are readable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flight {
    /// Whole records read.
    pub records: usize,
    /// The record content types, in order (at most the first 64).
    pub content_types: Vec<u8>,
    /// The handshake message types sent in the clear, in order.
    pub handshake_types: Vec<u8>,
    /// The ClientHello, when this side sent one.
    pub client_hello: Option<ClientHello>,
    /// The Certificate message's chain (DER, leaf first), when sent in the clear.
    pub certificates: Vec<Vec<u8>>,
    /// Alerts sent before ChangeCipherSpec.
    pub alerts: Vec<Alert>,
    /// Records sent after ChangeCipherSpec whose type is alert (encrypted).
    pub encrypted_alerts: usize,
    /// ChangeCipherSpec was sent.
    pub change_cipher_spec: bool,
    /// application_data records.
    pub application_data_records: usize,
    /// application_data bytes (record bodies).
    pub application_data_bytes: usize,
    /// The bytes ended inside a record.
    pub partial_record: bool,
}

/// Reads the TLS records at the start of `bytes`. Never fails: what cannot
/// be read is left out (a malformed message stops the handshake reading).
pub fn read_flight(bytes: &[u8]) -> Flight {
    let mut flight = Flight::default();
    let mut r = Reader::new(bytes);
    let mut handshake = Vec::new();
    while !r.is_empty() {
        let Ok(header) = r.array::<5>("TLS record header") else {
            flight.partial_record = true;
            break;
        };
        let [ty, major, _, hi, lo] = header;
        if !(20..=23).contains(&ty) || major != 3 {
            break;
        }
        let len = usize::from(u16::from_be_bytes([hi, lo]));
        let Ok(body) = r.take(len, "TLS record body") else {
            flight.partial_record = true;
            // Keep the start of a handshake record: a long chain may be cut.
            if ty == content_type::HANDSHAKE && !flight.change_cipher_spec {
                push_bounded(&mut handshake, r.take_rest());
            }
            break;
        };
        flight.records = flight.records.saturating_add(1);
        if flight.content_types.len() < 64 {
            flight.content_types.push(ty);
        }
        match ty {
            content_type::HANDSHAKE if !flight.change_cipher_spec => {
                push_bounded(&mut handshake, body)
            }
            content_type::CHANGE_CIPHER_SPEC => flight.change_cipher_spec = true,
            content_type::ALERT if flight.change_cipher_spec => {
                flight.encrypted_alerts = flight.encrypted_alerts.saturating_add(1)
            }
            content_type::ALERT => {
                if let [level, description] = *body
                    && flight.alerts.len() < MAX_ALERTS
                {
                    flight.alerts.push(Alert { level, description });
                }
            }
            content_type::APPLICATION_DATA => {
                flight.application_data_records = flight.application_data_records.saturating_add(1);
                flight.application_data_bytes = flight.application_data_bytes.saturating_add(len);
            }
            _ => {}
        }
    }
    read_handshake(&handshake, &mut flight);
    flight
}

fn push_bounded(buf: &mut Vec<u8>, bytes: &[u8]) {
    let room = MAX_HANDSHAKE.saturating_sub(buf.len());
    buf.extend_from_slice(bytes.get(..room.min(bytes.len())).unwrap_or(&[]));
}

/// Walks the handshake messages sent in the clear.
fn read_handshake(bytes: &[u8], flight: &mut Flight) {
    let mut r = Reader::new(bytes);
    while let Ok([ty, a, b, c]) = r.array::<4>("TLS handshake header") {
        flight.handshake_types.push(ty);
        let len = crate::reader::len_from_u32(u32::from_be_bytes([0, a, b, c]));
        let Ok(body) = r.take(len, "TLS handshake message") else {
            // Only part of it: a chain may still be read up to the cut.
            if ty == CERTIFICATE {
                flight.certificates = certificate_chain(r.take_rest());
            }
            return;
        };
        match ty {
            CLIENT_HELLO => flight.client_hello = decode_client_hello_body(body).ok(),
            CERTIFICATE => flight.certificates = certificate_chain(body),
            _ => {}
        }
        if flight.handshake_types.len() >= 16 {
            return;
        }
    }
}

/// [RFC 5246 7.4.2] the certificate_list (TLS 1.0–1.2: no context, no
/// per-certificate extensions), leaf first, as far as it is whole.
fn certificate_chain(body: &[u8]) -> Vec<Vec<u8>> {
    let mut r = Reader::new(body);
    let mut out = Vec::new();
    if r.array::<3>("certificate_list length").is_err() {
        return out;
    }
    while out.len() < MAX_CERTIFICATES {
        let Ok([a, b, c]) = r.array::<3>("ASN.1Cert length") else {
            break;
        };
        let len = crate::reader::len_from_u32(u32::from_be_bytes([0, a, b, c]));
        let Ok(der) = r.take(len, "ASN.1Cert") else {
            break;
        };
        out.push(der.to_vec());
    }
    out
}

/// Decodes the ClientHello at the start of a client's TLS records.
/// Errors: [`WireError::Truncated`] when it is not all there,
/// [`WireError::Invalid`] when the records hold no ClientHello.
pub fn decode_client_hello(bytes: &[u8]) -> Result<ClientHello, WireError> {
    let flight = read_flight(bytes);
    if let Some(hello) = flight.client_hello {
        return Ok(hello);
    }
    if flight.partial_record || flight.handshake_types.first() == Some(&CLIENT_HELLO) {
        return Err(WireError::Truncated {
            needed: bytes.len().saturating_add(1),
            available: bytes.len(),
            what: "TLS ClientHello",
        });
    }
    Err(WireError::invalid(
        "TLS ClientHello",
        "the records hold no ClientHello",
    ))
}

/// The body of a ClientHello handshake message.
fn decode_client_hello_body(body: &[u8]) -> Result<ClientHello, WireError> {
    let mut r = Reader::new(body);
    let client_version = r.u16_be("ClientHello client_version")?;
    r.skip(32, "ClientHello random")?;
    let sid = usize::from(r.u8("ClientHello session_id length")?);
    r.skip(sid, "ClientHello session_id")?;
    let suites_len = usize::from(r.u16_be("ClientHello cipher_suites length")?);
    let mut suites = Reader::new(r.take(suites_len, "ClientHello cipher_suites")?);
    let mut cipher_suites = Vec::new();
    while let Ok(s) = suites.u16_be("cipher suite") {
        cipher_suites.push(s);
    }
    let comp = usize::from(r.u8("ClientHello compression_methods length")?);
    r.skip(comp, "ClientHello compression_methods")?;
    let mut hello = ClientHello {
        client_version,
        cipher_suites,
        ..ClientHello::default()
    };
    if r.is_empty() {
        return Ok(hello);
    }
    let ext_len = usize::from(r.u16_be("ClientHello extensions length")?);
    let mut exts = Reader::new(r.take(ext_len, "ClientHello extensions")?);
    while !exts.is_empty() {
        let ty = exts.u16_be("extension type")?;
        let len = usize::from(exts.u16_be("extension length")?);
        let mut data = Reader::new(exts.take(len, "extension data")?);
        match ty {
            EXT_SERVER_NAME => {
                let _list = data.u16_be("server_name_list length")?;
                if data.u8("server_name name_type")? == 0 {
                    let n = usize::from(data.u16_be("host_name length")?);
                    let name = data.take(n, "host_name")?;
                    hello.server_name = Some(String::from_utf8_lossy(name).into_owned());
                }
            }
            EXT_SUPPORTED_VERSIONS => {
                let n = usize::from(data.u8("supported_versions length")?);
                let mut list = Reader::new(data.take(n, "supported_versions")?);
                while let Ok(v) = list.u16_be("supported version") {
                    hello.supported_versions.push(v);
                }
            }
            _ => {}
        }
    }
    Ok(hello)
}

/// The protocol version's name (`tls1.0` … `tls1.3`, `ssl3`), as the
/// evidence's vocabulary has it.
pub fn version_name(v: u16) -> Option<&'static str> {
    Some(match v {
        0x0300 => "ssl3",
        0x0301 => "tls1.0",
        0x0302 => "tls1.1",
        0x0303 => "tls1.2",
        0x0304 => "tls1.3",
        _ => return None,
    })
}

/// [RFC 8446 6] the alert description's name.
pub fn alert_name(description: u8) -> &'static str {
    match description {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        22 => "record_overflow",
        40 => "handshake_failure",
        42 => "bad_certificate",
        43 => "unsupported_certificate",
        44 => "certificate_revoked",
        45 => "certificate_expired",
        46 => "certificate_unknown",
        47 => "illegal_parameter",
        48 => "unknown_ca",
        49 => "access_denied",
        50 => "decode_error",
        51 => "decrypt_error",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        90 => "user_canceled",
        109 => "missing_extension",
        110 => "unsupported_extension",
        112 => "unrecognized_name",
        116 => "certificate_required",
        120 => "no_application_protocol",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A TLS 1.0-only ClientHello (as an unpatched Windows 7 mstsc sends),
    /// with an SNI, in one record.
    fn client_hello() -> Vec<u8> {
        let mut body = vec![0x03, 0x01];
        body.extend_from_slice(&[7; 32]);
        body.push(0);
        body.extend_from_slice(&[0, 4, 0x00, 0x2F, 0x00, 0x35]);
        body.extend_from_slice(&[1, 0]);
        let name = b"rdp.example";
        let mut sni = vec![0, 0];
        sni.extend_from_slice(&u16::try_from(name.len() + 5).unwrap().to_be_bytes());
        sni.extend_from_slice(&u16::try_from(name.len() + 3).unwrap().to_be_bytes());
        sni.push(0);
        sni.extend_from_slice(&u16::try_from(name.len()).unwrap().to_be_bytes());
        sni.extend_from_slice(name);
        body.extend_from_slice(&u16::try_from(sni.len()).unwrap().to_be_bytes());
        body.extend_from_slice(&sni);
        let mut hs = vec![CLIENT_HELLO, 0, 0, u8::try_from(body.len()).unwrap()];
        hs.extend_from_slice(&body);
        let mut rec = vec![22, 3, 1];
        rec.extend_from_slice(&u16::try_from(hs.len()).unwrap().to_be_bytes());
        rec.extend_from_slice(&hs);
        rec
    }

    #[test]
    fn a_tls_1_0_client_hello_offers_tls_1_0_only() {
        let h = decode_client_hello(&client_hello()).unwrap();
        assert_eq!(h.offered_versions(), [0x0301]);
        assert_eq!(h.cipher_suites, [0x002F, 0x0035]);
        assert_eq!(h.server_name.as_deref(), Some("rdp.example"));
    }

    #[test]
    fn every_truncation_is_an_error_never_a_panic() {
        let whole = client_hello();
        for n in 0..whole.len() {
            assert!(decode_client_hello(&whole[..n]).is_err(), "{n} bytes");
        }
    }

    #[test]
    fn a_clear_alert_is_read_and_an_encrypted_one_counted() {
        let bytes = [
            21, 3, 1, 0, 2, 2, 70, 20, 3, 3, 0, 1, 1, 21, 3, 3, 0, 3, 9, 9, 9,
        ];
        let f = read_flight(&bytes);
        assert_eq!(
            f.alerts,
            [Alert {
                level: 2,
                description: 70
            }]
        );
        assert_eq!(alert_name(70), "protocol_version");
        assert_eq!(f.encrypted_alerts, 1);
    }
}
