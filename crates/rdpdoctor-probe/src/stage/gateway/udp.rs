//! The RD Gateway's UDP side channel ([MS-TSGU 1.3.3], the RDGUDP
//! protocol), checked where the gateway announced one: the channel
//! response's `udpPort` ([MS-TSGU 2.2.10.5] HTTP_CHANNEL_RESPONSE_OPTIONAL),
//! which a gateway sends when the tunnel negotiated
//! HTTP_CAPABILITY_UDP_TRANSPORT ([MS-TSGU 2.2.5.3.4]).
//!
//! What a client sends first there is a DTLS ClientHello ([MS-TSGU
//! 1.3.3.1.1], [RFC 4347]), "in a reliable manner": resent until the
//! gateway answers or the client gives up. The check does the same with
//! OpenSSL's DTLS client, within one step deadline, and records what came
//! back: a DTLS answer (reachable; the handshake completed or not), ICMP
//! port unreachable (refused: a connected UDP socket reports it as
//! `ECONNREFUSED`), datagrams that are not DTLS, or nothing ("no answer
//! within N s"). It stops there: the CONNECT_PKT with the UDP
//! authentication cookie ([MS-TSGU 2.2.11.3]) would open a side channel to
//! the target, which the question "does UDP reach the gateway" does not need.
//!
//! It runs on a blocking thread beside the target's stages (see
//! `super::run_through`), so the TCP path's result never waits on it
//! beyond its own deadline. Every read is bounded by OpenSSL's record
//! buffer, and the datagrams read are counted up to [`MAX_DATAGRAMS`]: a
//! flood or garbage ends the check at its deadline with what came.

use rdpdoctor_evidence::{UdpOutcome, UdpSideChannel};
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// How often the ClientHello is resent while nothing has come back
/// ([MS-TSGU 1.3.3.1.1]: the first packet is retransmitted until answered).
#[cfg_attr(not(feature = "openssl"), allow(dead_code))]
const RESEND: Duration = Duration::from_millis(500);
/// Datagrams read before the check stops reading: a DTLS handshake takes a
/// handful; more is a flood.
#[cfg_attr(not(feature = "openssl"), allow(dead_code))]
const MAX_DATAGRAMS: u32 = 64;

/// Checks the side channel at `ip:port` within `budget`; never fails.
pub(super) async fn check(ip: IpAddr, port: u16, budget: Duration) -> UdpSideChannel {
    let t = Instant::now();
    let work = tokio::task::spawn_blocking(move || blocking(ip, port, budget));
    // The thread keeps its own deadline (every wait ends at it); this one
    // is the backstop should it not.
    let r = tokio::time::timeout(budget + Duration::from_secs(1), work).await;
    let mut side = match r {
        Ok(Ok(side)) => side,
        Ok(Err(e)) => not_checked(port, e.to_string()),
        Err(_) => UdpSideChannel {
            port,
            outcome: UdpOutcome::NoAnswer,
            dtls_version: None,
            datagrams: 0,
            detail: Some(no_answer(budget)),
            elapsed_ms: 0.0,
        },
    };
    side.elapsed_ms = crate::io::elapsed_ms(t);
    side
}

fn no_answer(budget: Duration) -> String {
    format!("no answer within {} s", budget.as_secs_f64())
}

fn not_checked(port: u16, why: String) -> UdpSideChannel {
    UdpSideChannel {
        port,
        outcome: UdpOutcome::NotChecked,
        dtls_version: None,
        datagrams: 0,
        detail: Some(why),
        elapsed_ms: 0.0,
    }
}

/// [RFC 6347 4.1] A DTLS record starts with its content type
/// (change_cipher_spec 20, alert 21, handshake 22, application_data 23)
/// and a version whose first byte is 254 (DTLS 1.0: 254.255, 1.2: 254.253).
#[cfg_attr(not(feature = "openssl"), allow(dead_code))]
fn looks_like_dtls(datagram: &[u8]) -> bool {
    matches!(datagram, [20..=23, 254, ..])
}

#[cfg(not(feature = "openssl"))]
fn blocking(_ip: IpAddr, port: u16, _budget: Duration) -> UdpSideChannel {
    not_checked(
        port,
        "this build has no OpenSSL, which the DTLS check needs".into(),
    )
}

#[cfg(feature = "openssl")]
fn blocking(ip: IpAddr, port: u16, budget: Duration) -> UdpSideChannel {
    use openssl::ssl::{Ssl, SslContext, SslMethod, SslOptions, SslVerifyMode};
    use std::net::{SocketAddr, UdpSocket};
    let local: SocketAddr = if ip.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let sock = match UdpSocket::bind(local).and_then(|s| s.connect((ip, port)).map(|()| s)) {
        Ok(s) => s,
        Err(e) => return not_checked(port, format!("no UDP socket: {e}")),
    };
    let ctx = (|| {
        let mut b = SslContext::builder(SslMethod::dtls_client())?;
        // Windows' gateway speaks DTLS as [RFC 4347] (1.0) describes: the
        // check must not refuse what mstsc accepts. Its verdict is only
        // "does DTLS answer", so nothing is verified.
        b.set_security_level(0);
        b.set_cipher_list("ALL:@SECLEVEL=0")?;
        b.set_options(SslOptions::NO_QUERY_MTU);
        b.set_verify(SslVerifyMode::NONE);
        Ok::<_, openssl::error::ErrorStack>(b.build())
    })();
    let ssl = ctx.and_then(|c| {
        let mut ssl = Ssl::new(&c)?;
        // The path MTU is not known; 1200 bytes fits every path IPv6 allows.
        ssl.set_mtu(1200)?;
        Ok(ssl)
    });
    let ssl = match ssl {
        Ok(s) => s,
        Err(e) => return not_checked(port, format!("OpenSSL: {e}")),
    };
    let end = Instant::now() + budget;
    let link = Datagrams {
        sock,
        end,
        hello: Vec::new(),
        received: 0,
        dtls: false,
        refused: false,
    };
    let seen = |l: &Datagrams| (l.received, l.dtls, l.refused);
    let (seen, version, error) = match ssl.connect(link) {
        Ok(mut s) => {
            let version = s.ssl().version_str().to_owned();
            let _ = s.shutdown();
            (seen(s.get_ref()), Some(version), None)
        }
        Err(
            openssl::ssl::HandshakeError::Failure(m) | openssl::ssl::HandshakeError::WouldBlock(m),
        ) => {
            let why = m.error().to_string();
            (seen(m.get_ref()), None, Some(why))
        }
        Err(openssl::ssl::HandshakeError::SetupFailure(e)) => {
            return not_checked(port, format!("OpenSSL: {e}"));
        }
    };
    let (received, dtls, refused) = seen;
    let outcome = if dtls {
        UdpOutcome::Reachable
    } else if refused {
        UdpOutcome::Refused
    } else if received > 0 {
        UdpOutcome::NotDtls
    } else {
        UdpOutcome::NoAnswer
    };
    let detail = match outcome {
        UdpOutcome::Reachable if version.is_some() => None,
        UdpOutcome::Reachable => error.map(|e| format!("DTLS answered; the handshake: {e}")),
        UdpOutcome::Refused => Some("ICMP port unreachable: nothing listens on the port".into()),
        UdpOutcome::NotDtls => Some(format!(
            "{} datagram(s) came back, none of them DTLS",
            received
        )),
        _ => Some(no_answer(budget)),
    };
    UdpSideChannel {
        port,
        outcome,
        dtls_version: version,
        datagrams: received,
        detail,
        elapsed_ms: 0.0,
    }
}

/// The connected UDP socket as OpenSSL's datagram link: one read is one
/// datagram, one write one datagram; every wait ends at `end`.
#[cfg(feature = "openssl")]
struct Datagrams {
    sock: std::net::UdpSocket,
    end: Instant,
    /// The first datagram sent (the ClientHello), resent until something comes back.
    hello: Vec<u8>,
    received: u32,
    dtls: bool,
    refused: bool,
}

#[cfg(feature = "openssl")]
impl Datagrams {
    fn note(&mut self, e: std::io::Error) -> std::io::Error {
        if e.kind() == std::io::ErrorKind::ConnectionRefused {
            self.refused = true;
        }
        e
    }
}

#[cfg(feature = "openssl")]
impl std::io::Read for Datagrams {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::io::ErrorKind;
        loop {
            if self.received >= MAX_DATAGRAMS {
                return Err(std::io::Error::other(format!(
                    "more than {MAX_DATAGRAMS} datagrams and no handshake"
                )));
            }
            let left = self.end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(ErrorKind::TimedOut.into());
            }
            let wait = if self.received == 0 {
                left.min(RESEND)
            } else {
                left
            };
            self.sock.set_read_timeout(Some(wait))?;
            match self.sock.recv(buf) {
                Ok(n) => {
                    self.received += 1;
                    if buf.get(..n).is_some_and(looks_like_dtls) {
                        self.dtls = true;
                    }
                    return Ok(n);
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    if self.received == 0 && !self.hello.is_empty() {
                        let hello = std::mem::take(&mut self.hello);
                        let sent = self.sock.send(&hello);
                        self.hello = hello;
                        sent.map_err(|e| self.note(e))?;
                    }
                }
                Err(e) => return Err(self.note(e)),
            }
        }
    }
}

#[cfg(feature = "openssl")]
impl std::io::Write for Datagrams {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.hello.is_empty() {
            self.hello = buf.to_vec();
        }
        self.sock.send(buf).map_err(|e| self.note(e))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dtls_record_is_told_from_garbage() {
        // A HelloVerifyRequest's record header (handshake, DTLS 1.0).
        assert!(looks_like_dtls(&[22, 254, 255, 0, 0]));
        assert!(looks_like_dtls(&[21, 254, 253]));
        assert!(!looks_like_dtls(&[22, 3, 3, 0, 0]));
        assert!(!looks_like_dtls(b"HTTP/1.1 400"));
        assert!(!looks_like_dtls(&[]));
        assert!(!looks_like_dtls(&[22]));
    }

    /// A port nobody listens on answers ICMP port unreachable.
    #[tokio::test]
    async fn a_closed_port_is_refused() {
        let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = s.local_addr().unwrap().port();
        drop(s);
        let side = check([127, 0, 0, 1].into(), port, Duration::from_secs(2)).await;
        if cfg!(feature = "openssl") {
            assert_eq!(side.outcome, UdpOutcome::Refused, "{side:?}");
            assert!(side.elapsed_ms < 1500.0, "{side:?}");
        }
    }

    /// A port that drops everything: no answer, within the budget.
    #[tokio::test]
    async fn a_silent_port_is_no_answer_within_the_budget() {
        let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = s.local_addr().unwrap().port();
        let side = check([127, 0, 0, 1].into(), port, Duration::from_millis(1200)).await;
        if cfg!(feature = "openssl") {
            assert_eq!(side.outcome, UdpOutcome::NoAnswer, "{side:?}");
            assert!(side.elapsed_ms < 2000.0, "{side:?}");
            // The ClientHello was resent while nothing came back.
            let mut buf = [0u8; 2048];
            s.set_nonblocking(true).unwrap();
            let mut hellos = 0;
            while s.recv(&mut buf).is_ok() {
                hellos += 1;
            }
            assert!(hellos >= 2, "{hellos}");
        }
        drop(s);
    }

    /// A flood of garbage: bounded, ends at the deadline, says not DTLS.
    #[tokio::test]
    async fn a_garbage_flood_ends_at_the_deadline() {
        let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = s.local_addr().unwrap().port();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stop2 = stop.clone();
        let flood = std::thread::spawn(move || {
            let mut buf = [0u8; 2048];
            s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
            if let Ok((_, peer)) = s.recv_from(&mut buf) {
                while !stop2.load(std::sync::atomic::Ordering::Relaxed) {
                    let _ = s.send_to(&[0x47; 1000], peer);
                }
            }
        });
        let side = check([127, 0, 0, 1].into(), port, Duration::from_millis(1500)).await;
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        flood.join().unwrap();
        if cfg!(feature = "openssl") {
            assert_eq!(side.outcome, UdpOutcome::NotDtls, "{side:?}");
            assert!(side.datagrams <= MAX_DATAGRAMS, "{side:?}");
            assert!(side.elapsed_ms < 2500.0, "{side:?}");
        }
    }
}
