//! One OpenSSL handshake limited to a single TLS version (blocking; run it on
//! a blocking thread). Security level 0 and `ALL` ciphers, so the answer is
//! about the server, not about OpenSSL's own defaults.
//!
//! The handshake has one deadline for all of it, not one per read: a plain
//! socket read timeout restarts with every byte, so a server that sends a
//! TLS HelloRequest record every second (which a client ignores while it
//! negotiates, RFC 5246 7.4.1.1), or dribbles its handshake a byte at a
//! time, would keep a blocking handshake reading forever.

use openssl::ssl::{Ssl, SslContext, SslMethod, SslMode, SslOptions, SslVerifyMode, SslVersion};
use rdpdoctor_evidence::{StepFailure, TlsVersion};
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Why a handshake did not complete.
pub enum HandshakeError {
    /// The server refused (alert, close, or no common parameters).
    Refused {
        /// Why, in a line.
        why: String,
        /// How, typed where it happened: `timeout` when the socket's
        /// deadline ended it, `alert`, `closed`, `reset`, else `other`.
        kind: StepFailure,
        /// Whether its ServerHello, if one came, carried renegotiation_info.
        secure_renegotiation: Option<bool>,
    },
    /// Our side could not set up the handshake: nothing was learned about the server.
    Local(String),
}

/// A completed handshake.
pub struct Completed {
    /// The cipher suite, by OpenSSL's name.
    pub cipher: String,
    /// The server's leaf certificate (DER). Kept whatever its key: a server
    /// whose RSA-512 key cannot sign what a modern client asks for is seen
    /// here, and only here.
    pub leaf_der: Option<Vec<u8>>,
    /// [RFC 5746] whether the ServerHello carried renegotiation_info.
    pub secure_renegotiation: Option<bool>,
}

/// How much of the server's first bytes is kept to read its ServerHello
/// from: a ServerHello is well under 1 KiB, and the decoder needs no more
/// of the record holding it than the ServerHello itself.
const SERVER_HELLO_CAPTURE: usize = 8 * 1024;

/// `SSL_OP_LEGACY_SERVER_CONNECT`: complete a handshake with a server whose
/// ServerHello has no renegotiation_info ([RFC 5746 4.1]). OpenSSL 1.x set
/// it by default (in `SSL_OP_ALL`); OpenSSL 3 does not, and refuses such a
/// server with "unsafe legacy renegotiation disabled". The `openssl` crate
/// has no name for it, hence the value from openssl-sys.
const LEGACY_SERVER_CONNECT: SslOptions =
    SslOptions::from_bits_retain(openssl_sys::SSL_OP_LEGACY_SERVER_CONNECT as _);

/// A socket whose reads and writes all give up at one instant, however the
/// peer paces its bytes.
#[derive(Debug)]
struct Deadlined {
    stream: TcpStream,
    until: Instant,
    /// Bytes read so far: says "no answer" from "an answer that never ended".
    received: usize,
    /// The first [`SERVER_HELLO_CAPTURE`] bytes read: the ServerHello.
    first: Vec<u8>,
    /// Set when the deadline ended a read or a write.
    hit_deadline: std::cell::Cell<bool>,
    /// Set when the peer closed (a read of 0 bytes) or reset the connection.
    ended: std::cell::Cell<Option<StepFailure>>,
}

/// What a [`Deadlined`] socket says at its deadline (found again by [`describe`]).
const NO_ANSWER: &str = "no answer to the ClientHello before the deadline";
const INCOMPLETE: &str = "the server's handshake did not complete before the deadline";

impl Deadlined {
    fn timed_out(&self) -> io::Error {
        self.hit_deadline.set(true);
        let what = if self.received == 0 {
            NO_ANSWER
        } else {
            INCOMPLETE
        };
        io::Error::new(io::ErrorKind::TimedOut, what)
    }

    /// [RFC 5746 3.6] whether the server's ServerHello carried
    /// renegotiation_info; `None` before a ServerHello came whole.
    fn secure_renegotiation(&self) -> Option<bool> {
        rdpdoctor_wire::tls::decode_server_hello(&self.first)
            .ok()
            .map(|h| h.secure_renegotiation())
    }

    /// Time left, or the deadline error once there is none.
    fn left(&self) -> io::Result<Duration> {
        let left = self.until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            Err(self.timed_out())
        } else {
            Ok(left)
        }
    }
}

impl Read for Deadlined {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.left()?;
        self.stream.set_read_timeout(Some(left))?;
        match self.stream.read(buf) {
            Ok(0) => {
                self.ended.set(Some(StepFailure::Closed));
                Ok(0)
            }
            Ok(n) => {
                self.received += n;
                let room = SERVER_HELLO_CAPTURE.saturating_sub(self.first.len());
                self.first
                    .extend_from_slice(buf.get(..n.min(room)).unwrap_or_default());
                Ok(n)
            }
            // The socket timeout was the time left: the deadline has passed.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Err(self.timed_out())
            }
            Err(e) => {
                if matches!(
                    e.kind(),
                    io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted
                ) {
                    self.ended.set(Some(StepFailure::Reset));
                }
                Err(e)
            }
        }
    }
}

impl Write for Deadlined {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let left = self.left()?;
        self.stream.set_write_timeout(Some(left))?;
        match self.stream.write(buf) {
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Err(self.timed_out())
            }
            other => other,
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}

/// The client context for one version, built once per process. Not
/// `SslConnector::builder`: it loads the system's CA bundle (every
/// certificate PEM-decoded) for each context, about 30 ms of CPU under
/// OpenSSL 3 and lock contention across threads, for a verification this
/// check switches off anyway; a scan of thousands of hosts spent most of its
/// time there. No SNI and no host name check, as before: the question is
/// only "does the server speak this version".
fn context(v: TlsVersion) -> Result<SslContext, openssl::error::ErrorStack> {
    static CONTEXTS: [OnceLock<SslContext>; 4] = [
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
    ];
    let (slot, version) = match v {
        TlsVersion::Tls10 => (&CONTEXTS[0], SslVersion::TLS1),
        TlsVersion::Tls11 => (&CONTEXTS[1], SslVersion::TLS1_1),
        TlsVersion::Tls12 => (&CONTEXTS[2], SslVersion::TLS1_2),
        TlsVersion::Tls13 => (&CONTEXTS[3], SslVersion::TLS1_3),
    };
    if let Some(ctx) = slot.get() {
        return Ok(ctx.clone());
    }
    let mut b = SslContext::builder(SslMethod::tls_client())?;
    // What `SslConnector::builder` set besides the CA bundle: OpenSSL's bug
    // workarounds (old servers need them), no compression, automatic retry.
    b.set_options(SslOptions::ALL | SslOptions::NO_COMPRESSION);
    b.set_mode(SslMode::AUTO_RETRY);
    b.set_security_level(0);
    b.set_cipher_list("ALL:@SECLEVEL=0")?;
    b.set_min_proto_version(Some(version))?;
    b.set_max_proto_version(Some(version))?;
    b.set_verify(SslVerifyMode::NONE);
    if v.is_legacy() {
        // Servers that speak only TLS 1.0/1.1 predate RFC 5746 often enough
        // (the Windows Server 2008 R2 recorded in Zeek's rdp-to-ssl.pcap sends a ServerHello
        // without extensions), and mstsc connects to them: so must the check
        // that asks whether those versions work. The fact is reported
        // (`secure_renegotiation`), not hidden. TLS 1.2 and 1.3 keep
        // OpenSSL's refusal.
        b.set_options(LEGACY_SERVER_CONNECT);
    }
    Ok(slot.get_or_init(|| b.build()).clone())
}

/// Runs one handshake on an already-negotiated stream, all of it within `budget`.
pub fn handshake(
    stream: TcpStream,
    v: TlsVersion,
    budget: Duration,
) -> Result<Completed, HandshakeError> {
    let local = |e: openssl::error::ErrorStack| HandshakeError::Local(e.to_string());
    stream
        .set_nonblocking(false)
        .map_err(|e| HandshakeError::Local(e.to_string()))?;
    let stream = Deadlined {
        stream,
        until: Instant::now() + budget,
        received: 0,
        first: Vec::new(),
        hit_deadline: std::cell::Cell::new(false),
        ended: std::cell::Cell::new(None),
    };
    let ctx = context(v).map_err(local)?;
    let mut ssl = Ssl::new(&ctx).map_err(local)?;
    ssl.set_connect_state();
    match ssl.connect(stream) {
        Ok(s) => Ok(Completed {
            cipher: s
                .ssl()
                .current_cipher()
                .map(|c| c.name().to_owned())
                .unwrap_or_default(),
            leaf_der: s.ssl().peer_certificate().and_then(|c| c.to_der().ok()),
            secure_renegotiation: s.get_ref().secure_renegotiation(),
        }),
        Err(e) => Err(HandshakeError::Refused {
            why: describe(&e),
            kind: kind_of(&e),
            secure_renegotiation: match &e {
                openssl::ssl::HandshakeError::Failure(m)
                | openssl::ssl::HandshakeError::WouldBlock(m) => m.get_ref().secure_renegotiation(),
                openssl::ssl::HandshakeError::SetupFailure(_) => None,
            },
        }),
    }
}

/// How a handshake failed, typed from the socket's state (its deadline,
/// the close or reset it saw) and, for an alert, OpenSSL's error; the text
/// of [`describe`] is for people.
fn kind_of(e: &openssl::ssl::HandshakeError<Deadlined>) -> StepFailure {
    let stream = match e {
        openssl::ssl::HandshakeError::Failure(m) | openssl::ssl::HandshakeError::WouldBlock(m) => {
            Some(m.get_ref())
        }
        openssl::ssl::HandshakeError::SetupFailure(_) => None,
    };
    if stream.is_some_and(|s| s.hit_deadline.get()) {
        StepFailure::Timeout
    } else if alert_number(&e.to_string()).is_some() {
        StepFailure::Alert
    } else {
        stream
            .and_then(|s| s.ended.get())
            .unwrap_or(StepFailure::Other)
    }
}

fn describe(e: &openssl::ssl::HandshakeError<Deadlined>) -> String {
    let s = e.to_string();
    for deadline in [NO_ANSWER, INCOMPLETE] {
        if s.contains(deadline) {
            return deadline.into();
        }
    }
    if let Some(n) = alert_number(&s) {
        return format!(
            "the server refused it with TLS alert {n} ({})",
            alert_name(n)
        );
    }
    if s.contains("unsupported protocol") || s.contains("wrong version number") {
        "the server refused this TLS version".into()
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

    /// A peer that reads the ClientHello, then sends a HelloRequest record
    /// every `gap` (or nothing, with `None`) until the client leaves.
    fn peer(gap: Option<Duration>) -> TcpStream {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            let _ = s.read(&mut [0u8; 4096]);
            let Some(gap) = gap else {
                let _ = s.read(&mut [0u8; 16]);
                return;
            };
            while s
                .write_all(&[0x16, 0x03, 0x03, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00])
                .is_ok()
            {
                std::thread::sleep(gap);
            }
        });
        TcpStream::connect(addr).unwrap()
    }

    #[test]
    fn the_handshake_deadline_holds_however_the_peer_paces_its_bytes() {
        for (gap, says) in [
            (Some(Duration::from_millis(50)), INCOMPLETE),
            (None, NO_ANSWER),
        ] {
            let t = Instant::now();
            let r = handshake(peer(gap), TlsVersion::Tls12, Duration::from_millis(600));
            assert!(
                t.elapsed() < Duration::from_millis(1500),
                "{gap:?}: {:?}",
                t.elapsed()
            );
            match r {
                Err(HandshakeError::Refused { why, kind, .. }) => {
                    assert_eq!(why, says);
                    assert_eq!(kind, StepFailure::Timeout, "{gap:?}");
                }
                _ => panic!("{gap:?}: the handshake should have failed"),
            }
        }
    }

    #[test]
    fn alert_numbers_are_read_from_openssl_text() {
        let s = "error:0A000410:SSL routines:ssl3_read_bytes:sslv3 alert handshake failure:../ssl/record/rec_layer_s3.c:1602:SSL alert number 40";
        assert_eq!(alert_number(s), Some(40));
        assert_eq!(alert_name(70), "protocol_version");
        assert_eq!(alert_number("no alert here"), None);
    }
}
