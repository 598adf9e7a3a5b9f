//! The emulated gateway's UDP side channel ([MS-TSGU 1.3.3], RDGUDP): a
//! UDP port on the gateway's address (port 0: a free one), announced in
//! the channel response's `udpPort` ([MS-TSGU 2.2.10.5]) to a client whose
//! tunnel create offered HTTP_CAPABILITY_UDP_TRANSPORT.
//!
//! `gw-healthy` answers DTLS there (OpenSSL's DTLS server, the gateway's
//! certificate): the handshake of [MS-TSGU 1.3.3.1.1], one client at a
//! time, each within the gateway's read timeout; then it closes the DTLS
//! session. It does not take a CONNECT_PKT ([MS-TSGU 2.2.11.3]) nor relay
//! RDP-UDP to the target. `gw-udp-blocked` holds the port and never reads
//! it: the datagrams are dropped and nothing answers, as a firewall that
//! drops UDP 3391 on the way to the gateway looks to the client. The
//! hostile `gw-udp-garbage-flood` answers a client's first datagram with
//! a flood of datagrams that are not DTLS, for the gateway's read timeout.

use super::{GatewayFault, GatewayHostile};
use crate::{Error, certs};
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How often the serving thread looks at its stop flag.
#[cfg_attr(not(feature = "openssl"), allow(dead_code))]
const TICK: Duration = Duration::from_millis(200);

/// A UDP side channel; stops when dropped.
#[derive(Debug)]
pub(super) struct UdpSide {
    port: u16,
    stop: Arc<AtomicBool>,
    /// Held so the port stays bound (and, for `gw-udp-blocked`, unread).
    _sock: Arc<UdpSocket>,
}

impl UdpSide {
    /// The port announced in the channel response.
    pub(super) fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for UdpSide {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The side channel of `fault` (or `hostile`) on `ip`, if it has one.
pub(super) fn spawn(
    fault: GatewayFault,
    hostile: Option<GatewayHostile>,
    ip: IpAddr,
    id: &certs::TlsIdentity,
    timeout: Duration,
) -> Result<Option<UdpSide>, Error> {
    if !matches!(fault, GatewayFault::Healthy | GatewayFault::UdpBlocked) {
        return Ok(None);
    }
    let addr = SocketAddr::new(ip, 0);
    let bind = |source| Error::Bind { addr, source };
    let sock = UdpSocket::bind(addr).map_err(bind)?;
    let port = sock.local_addr().map_err(bind)?.port();
    let sock = Arc::new(sock);
    let stop = Arc::new(AtomicBool::new(false));
    if hostile == Some(GatewayHostile::UdpGarbageFlood) {
        flood(sock.clone(), stop.clone(), timeout)?;
    } else if fault == GatewayFault::Healthy {
        serve_dtls(sock.clone(), stop.clone(), id, timeout)?;
    }
    Ok(Some(UdpSide {
        port,
        stop,
        _sock: sock,
    }))
}

/// Garbage to whoever sends a datagram: bursts of 1000-byte datagrams that
/// are not DTLS (a short pause between bursts spares the machine), until
/// `timeout` has passed or the gateway stops.
fn flood(sock: Arc<UdpSocket>, stop: Arc<AtomicBool>, timeout: Duration) -> Result<(), Error> {
    let garbage = [0x47u8; 1000];
    std::thread::Builder::new()
        .name("gw-udp-flood".into())
        .spawn(move || {
            let mut buf = [0u8; 2048];
            while !stop.load(Ordering::Relaxed) {
                let _ = sock.set_read_timeout(Some(Duration::from_millis(200)));
                let Ok((_, peer)) = sock.recv_from(&mut buf) else {
                    continue;
                };
                let end = Instant::now() + timeout;
                while Instant::now() < end && !stop.load(Ordering::Relaxed) {
                    for _ in 0..64 {
                        let _ = sock.send_to(&garbage, peer);
                    }
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        })
        .map_err(|e| Error::Tls(format!("no thread for the UDP flood: {e}")))?;
    Ok(())
}

#[cfg(not(feature = "openssl"))]
fn serve_dtls(
    _sock: Arc<UdpSocket>,
    _stop: Arc<AtomicBool>,
    _id: &certs::TlsIdentity,
    _timeout: Duration,
) -> Result<(), Error> {
    // Without OpenSSL the port is announced and answers nothing.
    Ok(())
}

#[cfg(feature = "openssl")]
fn serve_dtls(
    sock: Arc<UdpSocket>,
    stop: Arc<AtomicBool>,
    id: &certs::TlsIdentity,
    timeout: Duration,
) -> Result<(), Error> {
    use openssl::ssl::{Ssl, SslContext, SslMethod, SslOptions};
    let e = |e: openssl::error::ErrorStack| Error::Tls(e.to_string());
    let mut b = SslContext::builder(SslMethod::dtls_server()).map_err(e)?;
    b.set_options(SslOptions::NO_QUERY_MTU);
    let mut chain = id.chain.iter();
    if let Some(leaf) = chain.next() {
        let leaf = openssl::x509::X509::from_der(leaf).map_err(e)?;
        b.set_certificate(&leaf).map_err(e)?;
    }
    let key = openssl::pkey::PKey::private_key_from_pkcs8(&id.key_pkcs8).map_err(e)?;
    b.set_private_key(&key).map_err(e)?;
    let ctx = b.build();
    std::thread::Builder::new()
        .name("gw-udp".into())
        .spawn(move || {
            let mut buf = [0u8; 2048];
            while !stop.load(Ordering::Relaxed) {
                let _ = sock.set_read_timeout(Some(TICK));
                // The next client: whoever sends the next datagram.
                let Ok((_, peer)) = sock.peek_from(&mut buf) else {
                    continue;
                };
                let link = Peer {
                    sock: &sock,
                    peer,
                    end: Instant::now() + timeout,
                    stop: &stop,
                };
                let Ok(mut ssl) = Ssl::new(&ctx) else { break };
                let _ = ssl.set_mtu(1200);
                if let Ok(mut s) = ssl.accept(link) {
                    let _ = s.shutdown();
                }
            }
        })
        .map_err(|e| Error::Tls(format!("no thread for DTLS: {e}")))?;
    Ok(())
}

/// One client's datagrams on the shared socket: others' are dropped while
/// it is served (one client at a time), and every wait ends at `end`.
#[cfg(feature = "openssl")]
struct Peer<'a> {
    sock: &'a UdpSocket,
    peer: SocketAddr,
    end: Instant,
    stop: &'a AtomicBool,
}

#[cfg(feature = "openssl")]
impl std::io::Read for Peer<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let left = self.end.saturating_duration_since(Instant::now());
            if left.is_zero() || self.stop.load(Ordering::Relaxed) {
                return Err(std::io::ErrorKind::TimedOut.into());
            }
            self.sock.set_read_timeout(Some(left.min(TICK)))?;
            match self.sock.recv_from(buf) {
                Ok((n, from)) if from == self.peer => return Ok(n),
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => return Err(e),
            }
        }
    }
}

#[cfg(feature = "openssl")]
impl std::io::Write for Peer<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.sock.send_to(buf, self.peer)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
