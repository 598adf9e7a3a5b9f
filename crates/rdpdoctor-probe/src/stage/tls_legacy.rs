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
    if s.contains("alert protocol version")
        || s.contains("unsupported protocol")
        || s.contains("wrong version number")
    {
        "the server refused this TLS version".into()
    } else if s.contains("WouldBlock")
        || s.contains("Resource temporarily unavailable")
        || s.contains("timed out")
    {
        "no answer to the ClientHello before the deadline".into()
    } else if s.contains("unexpected eof") || s.contains("Connection reset") || s.contains("EOF") {
        "the server closed the connection during the handshake".into()
    } else {
        s.lines().next().unwrap_or("handshake failed").to_owned()
    }
}
