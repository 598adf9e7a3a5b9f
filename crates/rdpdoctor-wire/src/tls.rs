//! The TLS ServerHello ([RFC 5246 7.4.1.3](https://www.rfc-editor.org/rfc/rfc5246#section-7.4.1.3)),
//! read from the first bytes a server sends after the ClientHello, for the
//! one fact a TLS library does not hand back after a handshake: whether the
//! server answered with the renegotiation_info extension ([RFC 5746 3.6](https://www.rfc-editor.org/rfc/rfc5746#section-3.6)).
//!
//! A server that predates RFC 5746 (the Windows Server 2008 R2 recorded in
//! Zeek's rdp-to-ssl.pcap, speaking TLS 1.0 only) sends a ServerHello
//! without extensions.
//! OpenSSL 3 refuses such a server unless the client sets
//! `SSL_OP_LEGACY_SERVER_CONNECT`, which mstsc's SChannel effectively does;
//! the probe's legacy-version check sets it and reports the server's lack of
//! secure renegotiation from here. The `openssl` crate has no safe call for
//! `SSL_get_secure_renegotiation_support`, and the probe has no `unsafe`.
//!
//! Only the ServerHello is read: TLS itself (records after it, keys,
//! certificates) is left to OpenSSL and rustls.

use crate::error::WireError;
use crate::reader::Reader;

/// [RFC 5246 6.2.1] ContentType handshake.
const CONTENT_HANDSHAKE: u8 = 22;
/// [RFC 5246 7.4] HandshakeType server_hello.
const SERVER_HELLO: u8 = 2;
/// [RFC 5746 3.2] the renegotiation_info extension type.
pub const RENEGOTIATION_INFO: u16 = 0xFF01;
/// How many handshake bytes are gathered across records at most: a
/// ServerHello is far smaller (its extensions fit in one record).
const MAX_HANDSHAKE_PREFIX: usize = 1 << 16;

/// What a ServerHello says.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ServerHello {
    /// `server_version` (TLS 1.0 = 0x0301, 1.2 = 0x0303; TLS 1.3 sends
    /// 0x0303 here and the real one in supported_versions).
    pub version: u16,
    /// `cipher_suite` (0x002F = TLS_RSA_WITH_AES_128_CBC_SHA).
    pub cipher_suite: u16,
    /// `compression_method` (0 = null).
    pub compression_method: u8,
    /// The extension types, in order; empty when the ServerHello has no
    /// extensions block at all.
    pub extensions: Vec<u16>,
}

impl ServerHello {
    /// [RFC 5746 3.6] the server supports secure renegotiation: its
    /// ServerHello carries renegotiation_info.
    pub fn secure_renegotiation(&self) -> bool {
        self.extensions.contains(&RENEGOTIATION_INFO)
    }
}

/// Decode the ServerHello at the start of the bytes a server sent (TLS
/// records; the first handshake message may span records, and the record
/// holding its end may be cut short after it). Bytes after it (Certificate,
/// ServerHelloDone) are ignored. Errors:
/// [`WireError::Truncated`] when the ServerHello is not all there,
/// [`WireError::UnexpectedTag`] for a record that is not a handshake (an
/// alert) or a handshake message that is not a ServerHello,
/// [`WireError::Invalid`] for a malformed extensions block.
pub fn decode_server_hello(bytes: &[u8]) -> Result<ServerHello, WireError> {
    let mut records = Reader::new(bytes);
    let mut handshake = Vec::new();
    // Gather handshake record bodies until the first message is whole.
    loop {
        if let Some(whole) = first_message_len(&handshake)
            && handshake.len() >= whole
        {
            break;
        }
        expect_u8(
            &mut records,
            CONTENT_HANDSHAKE,
            "TLS record content type (a ServerHello was expected)",
        )?;
        records.skip(2, "TLS record version")?;
        let len = usize::from(records.u16_be("TLS record length")?);
        // The first bytes of a record are enough once the ServerHello is
        // whole (a caller may keep only the start of the server's flight).
        let body = records.take(len.min(records.remaining()), "TLS record body")?;
        if handshake.len().saturating_add(body.len()) > MAX_HANDSHAKE_PREFIX {
            return Err(WireError::TooLarge {
                what: "TLS handshake message",
                len: handshake.len().saturating_add(body.len()),
                max: MAX_HANDSHAKE_PREFIX,
            });
        }
        handshake.extend_from_slice(body);
    }
    let mut r = Reader::new(&handshake);
    expect_u8(&mut r, SERVER_HELLO, "TLS handshake type")?;
    let len = u24(&mut r)?;
    let mut body = Reader::new(r.take(len, "ServerHello")?);
    let version = body.u16_be("ServerHello server_version")?;
    body.skip(32, "ServerHello random")?;
    let session_id_len = usize::from(body.u8("ServerHello session_id length")?);
    body.skip(session_id_len, "ServerHello session_id")?;
    let cipher_suite = body.u16_be("ServerHello cipher_suite")?;
    let compression_method = body.u8("ServerHello compression_method")?;
    let mut extensions = Vec::new();
    // [RFC 5246 7.4.1.3] the extensions block is optional: a ServerHello may
    // end after compression_method.
    if !body.is_empty() {
        let block_len = usize::from(body.u16_be("ServerHello extensions length")?);
        let mut block = Reader::new(body.take(block_len, "ServerHello extensions")?);
        while !block.is_empty() {
            extensions.push(block.u16_be("ServerHello extension type")?);
            let ext_len = usize::from(block.u16_be("ServerHello extension length")?);
            block.skip(ext_len, "ServerHello extension data")?;
        }
        if !body.is_empty() {
            return Err(WireError::invalid(
                "ServerHello",
                format!("{} bytes after the extensions block", body.remaining()),
            ));
        }
    }
    Ok(ServerHello {
        version,
        cipher_suite,
        compression_method,
        extensions,
    })
}

/// The length of the first handshake message (its 4-byte header included),
/// once its header is there.
fn first_message_len(handshake: &[u8]) -> Option<usize> {
    let &[_, a, b, c] = handshake.first_chunk::<4>()?;
    crate::reader::len_from_u32(u32::from_be_bytes([0, a, b, c])).checked_add(4)
}

/// Reads one byte that must be `expected`.
fn expect_u8(r: &mut Reader<'_>, expected: u8, what: &'static str) -> Result<(), WireError> {
    match r.u8(what)? {
        found if found == expected => Ok(()),
        found => Err(WireError::UnexpectedTag {
            what,
            expected,
            found,
        }),
    }
}

fn u24(r: &mut Reader<'_>) -> Result<usize, WireError> {
    let [a, b, c] = r.array::<3>("TLS handshake length")?;
    Ok(crate::reader::len_from_u32(u32::from_be_bytes([
        0, a, b, c,
    ])))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ServerHello record as Windows Server 2008 R2 sends it: TLS 1.0,
    /// TLS_RSA_WITH_AES_128_CBC_SHA, a session id, no extensions block.
    fn hello(extensions: Option<&[u8]>) -> Vec<u8> {
        let mut body = vec![0x03, 0x01];
        body.extend_from_slice(&[0x11; 32]);
        body.push(32);
        body.extend_from_slice(&[0x22; 32]);
        body.extend_from_slice(&[0x00, 0x2F, 0x00]);
        if let Some(ext) = extensions {
            body.extend_from_slice(&u16::try_from(ext.len()).unwrap().to_be_bytes());
            body.extend_from_slice(ext);
        }
        let mut hs = vec![SERVER_HELLO, 0, 0, u8::try_from(body.len()).unwrap()];
        hs.extend_from_slice(&body);
        let mut rec = vec![CONTENT_HANDSHAKE, 3, 1];
        rec.extend_from_slice(&u16::try_from(hs.len()).unwrap().to_be_bytes());
        rec.extend_from_slice(&hs);
        rec
    }

    #[test]
    fn a_server_hello_without_extensions_has_no_secure_renegotiation() {
        let h = decode_server_hello(&hello(None)).unwrap();
        assert_eq!((h.version, h.cipher_suite), (0x0301, 0x002F));
        assert!(h.extensions.is_empty());
        assert!(!h.secure_renegotiation());
    }

    #[test]
    fn renegotiation_info_is_found_among_the_extensions() {
        // extended_master_secret (23), then renegotiation_info with an empty
        // renegotiated_connection.
        let ext = [0x00, 0x17, 0x00, 0x00, 0xFF, 0x01, 0x00, 0x01, 0x00];
        let h = decode_server_hello(&hello(Some(&ext))).unwrap();
        assert_eq!(h.extensions, [0x0017, RENEGOTIATION_INFO]);
        assert!(h.secure_renegotiation());
    }

    #[test]
    fn a_server_hello_split_across_records_is_joined() {
        let whole = hello(None);
        let hs = &whole[5..];
        let (a, b) = hs.split_at(10);
        let mut split = Vec::new();
        for part in [a, b] {
            split.extend_from_slice(&[CONTENT_HANDSHAKE, 3, 1]);
            split.extend_from_slice(&u16::try_from(part.len()).unwrap().to_be_bytes());
            split.extend_from_slice(part);
        }
        assert_eq!(
            decode_server_hello(&split),
            decode_server_hello(&whole),
            "the same ServerHello"
        );
    }

    #[test]
    fn alerts_truncations_and_bad_blocks_are_errors() {
        assert!(matches!(
            decode_server_hello(&[21, 3, 1, 0, 2, 2, 40]),
            Err(WireError::UnexpectedTag { found: 21, .. })
        ));
        let whole = hello(Some(&[0xFF, 0x01, 0x00, 0x01, 0x00]));
        for cut in 0..whole.len() {
            assert!(decode_server_hello(&whole[..cut]).is_err(), "cut at {cut}");
        }
        // An extension longer than its block.
        let bad = hello(Some(&[0xFF, 0x01, 0x00, 0x09, 0x00]));
        assert!(matches!(
            decode_server_hello(&bad),
            Err(WireError::Truncated { .. })
        ));
    }
}
