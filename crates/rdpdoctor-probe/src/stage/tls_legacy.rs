//! One OpenSSL handshake limited to a single TLS version (blocking; run it on
//! a blocking thread). Security level 0 and `ALL` ciphers, so the answer is
//! about the server, not about OpenSSL's own defaults.

use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode, SslVersion};
use rdpdoctor_evidence::TlsVersion;
use std::net::TcpStream;
use std::time::Duration;

/// Why a handshake did not complete.
pub enum HandshakeError {
    /// The server refused (alert, close, or no common parameters).
    Refused(String),
    /// Our side could not set up the handshake: nothing was learned about the server.
    Local(String),
}

/// Runs one handshake on an already-negotiated stream; returns the cipher name.
pub fn handshake(
    stream: TcpStream,
    v: TlsVersion,
    budget: Duration,
) -> Result<String, HandshakeError> {
    let local = |e: openssl::error::ErrorStack| HandshakeError::Local(e.to_string());
    stream
        .set_nonblocking(false)
        .map_err(|e| HandshakeError::Local(e.to_string()))?;
    stream
        .set_read_timeout(Some(budget))
        .map_err(|e| HandshakeError::Local(e.to_string()))?;
    stream
        .set_write_timeout(Some(budget))
        .map_err(|e| HandshakeError::Local(e.to_string()))?;
    let version = match v {
        TlsVersion::Tls10 => SslVersion::TLS1,
        TlsVersion::Tls11 => SslVersion::TLS1_1,
        TlsVersion::Tls12 => SslVersion::TLS1_2,
        TlsVersion::Tls13 => SslVersion::TLS1_3,
    };
    let mut b = SslConnector::builder(SslMethod::tls_client()).map_err(local)?;
    b.set_security_level(0);
    b.set_cipher_list("ALL:@SECLEVEL=0").map_err(local)?;
    b.set_min_proto_version(Some(version)).map_err(local)?;
    b.set_max_proto_version(Some(version)).map_err(local)?;
    b.set_verify(SslVerifyMode::NONE);
    let connector = b.build();
    let mut cfg = connector.configure().map_err(local)?;
    cfg.set_verify_hostname(false);
    cfg.set_use_server_name_indication(false);
    match cfg.connect("rdp", stream) {
        Ok(s) => Ok(s
            .ssl()
            .current_cipher()
            .map(|c| c.name().to_owned())
            .unwrap_or_default()),
        Err(e) => Err(HandshakeError::Refused(describe(&e))),
    }
}

fn describe(e: &openssl::ssl::HandshakeError<TcpStream>) -> String {
    let s = e.to_string();
    if let Some(n) = alert_number(&s) {
        return format!(
            "the server refused it with TLS alert {n} ({})",
            alert_name(n)
        );
    }
    if s.contains("unsupported protocol") || s.contains("wrong version number") {
        "the server refused this TLS version".into()
    } else if s.contains("WouldBlock")
        || s.contains("would have blocked")
        || s.contains("Resource temporarily unavailable")
        || s.contains("timed out")
    {
        "no answer to the ClientHello before the deadline".into()
    } else if s.contains("unexpected eof") || s.contains("Connection reset") || s.contains("EOF") {
        "the server closed the connection during the handshake".into()
    } else {
        // OpenSSL's own text, without its source-file coordinates.
        let line = s.lines().next().unwrap_or("handshake failed");
        line.split(":../").next().unwrap_or(line).to_owned()
    }
}

/// The alert number in OpenSSL's "… SSL alert number 70" text.
fn alert_number(s: &str) -> Option<u8> {
    let rest = s.split("alert number ").nth(1)?;
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// RFC 8446 6 / RFC 5246 7.2 alert names for the ones servers send on a refused version.
fn alert_name(n: u8) -> &'static str {
    match n {
        10 => "unexpected_message",
        20 => "bad_record_mac",
        40 => "handshake_failure",
        47 => "illegal_parameter",
        50 => "decode_error",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        112 => "unrecognized_name",
        _ => "see RFC 8446 section 6",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_numbers_are_read_from_openssl_text() {
        let s = "error:0A000410:SSL routines:ssl3_read_bytes:sslv3 alert handshake failure:../ssl/record/rec_layer_s3.c:1602:SSL alert number 40";
        assert_eq!(alert_number(s), Some(40));
        assert_eq!(alert_name(70), "protocol_version");
        assert_eq!(alert_number("no alert here"), None);
    }
}
