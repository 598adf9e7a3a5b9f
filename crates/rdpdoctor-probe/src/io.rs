//! Deadlines and bounded, framed reads: the only way the probe reads from a socket.
//!
//! Invariants, for every server however hostile:
//! - a read never waits past its deadline, whether the server is silent,
//!   dribbles one byte at a time, or never stops sending;
//! - a read never buffers more than the frame limit it was given, and a
//!   frame announcing more is refused before its body is read.
//!
//! The framing itself is the wire crate's [`Accumulator`], shared with the
//! emulator; this module adds the socket, the deadlines and the error kinds.

use rdpdoctor_evidence::StepFailure;
use rdpdoctor_wire::error::WireError;
use rdpdoctor_wire::frame::Accumulator;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// The time budget of the whole probe and of each step, and the pacing of
/// new connections to the target.
#[derive(Debug, Clone)]
pub struct Deadline {
    step: Duration,
    ceiling_at: Instant,
    pacer: std::sync::Arc<Pacer>,
}

/// Spaces connection attempts to one host a few milliseconds apart.
///
/// Many RDP servers have a tiny listen backlog (xrdp listens with a backlog
/// of 2): a burst of simultaneous SYNs overflows it, the kernel drops the
/// excess, and each dropped SYN costs a 1 s retransmit. Spacing the connects
/// keeps the probe's parallelism without that penalty.
#[derive(Debug)]
pub struct Pacer {
    gap: Duration,
    next: std::sync::Mutex<Instant>,
}

impl Pacer {
    /// Connects start at least `gap` apart.
    pub fn new(gap: Duration) -> Self {
        Pacer {
            gap,
            next: std::sync::Mutex::new(Instant::now()),
        }
    }

    /// Waits for this connection's slot.
    pub async fn wait(&self) {
        let slot = {
            let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
            let slot = (*next).max(Instant::now());
            *next = slot + self.gap;
            slot
        };
        tokio::time::sleep_until(slot.into()).await;
    }
}

/// The gap between connection attempts to the target.
pub const CONNECT_GAP: Duration = Duration::from_millis(15);

impl Deadline {
    /// `step` per network step, and nothing past `ceiling` from now.
    pub fn new(step: Duration, ceiling: Duration) -> Self {
        Deadline {
            step,
            ceiling_at: Instant::now() + ceiling,
            pacer: std::sync::Arc::new(Pacer::new(CONNECT_GAP)),
        }
    }

    /// Connects to `addr` in turn with the probe's other connections, within one step.
    pub async fn connect(&self, addr: SocketAddr) -> Result<TcpStream, ConnectError> {
        self.pacer.wait().await;
        connect(addr, self.step()).await
    }

    /// The budget of one step: the step timeout, cut short by the ceiling.
    pub fn step(&self) -> Duration {
        self.step.min(self.remaining())
    }

    /// Time left before the ceiling.
    pub fn remaining(&self) -> Duration {
        self.ceiling_at.saturating_duration_since(Instant::now())
    }

    /// True once the ceiling has passed.
    pub fn expired(&self) -> bool {
        self.remaining().is_zero()
    }
}

/// How a TCP connect attempt ended, classified as a user would care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectError {
    /// RST in answer to the SYN.
    Refused,
    /// No answer before the deadline.
    Timeout,
    /// An ICMP error (host/network unreachable, administratively prohibited).
    Unreachable(String),
    /// Anything else, with the OS message.
    Other(String),
}

impl ConnectError {
    /// `refused`, `timeout`, `unreachable: …`, or the OS message.
    pub fn label(&self) -> String {
        match self {
            ConnectError::Refused => "refused".into(),
            ConnectError::Timeout => "timeout".into(),
            ConnectError::Unreachable(m) => format!("unreachable: {m}"),
            ConnectError::Other(m) => m.clone(),
        }
    }

    /// The kind the evidence records next to [`ConnectError::label`].
    pub fn kind(&self) -> StepFailure {
        match self {
            ConnectError::Refused => StepFailure::Refused,
            ConnectError::Timeout => StepFailure::Timeout,
            ConnectError::Unreachable(_) => StepFailure::Unreachable,
            ConnectError::Other(_) => StepFailure::Other,
        }
    }
}

/// Connects within `budget`.
pub async fn connect(addr: SocketAddr, budget: Duration) -> Result<TcpStream, ConnectError> {
    match tokio::time::timeout(budget, TcpStream::connect(addr)).await {
        Err(_) => Err(ConnectError::Timeout),
        Ok(Ok(s)) => {
            let _ = s.set_nodelay(true);
            Ok(s)
        }
        Ok(Err(e)) => Err(classify_connect_error(&e)),
    }
}

fn classify_connect_error(e: &io::Error) -> ConnectError {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => ConnectError::Refused,
        io::ErrorKind::TimedOut => ConnectError::Timeout,
        io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => {
            ConnectError::Unreachable(e.to_string())
        }
        // EACCES/EPERM on connect: a local firewall (or an ICMP "administratively
        // prohibited" on some stacks) refused the packet.
        io::ErrorKind::PermissionDenied => ConnectError::Unreachable(e.to_string()),
        _ => ConnectError::Other(e.to_string()),
    }
}

/// Why a framed read did not produce a frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// The peer closed (FIN) after sending `received` bytes of an incomplete frame.
    Closed {
        /// Bytes received before the close.
        received: Vec<u8>,
    },
    /// The peer reset the connection.
    Reset {
        /// Bytes received before the reset.
        received: Vec<u8>,
    },
    /// Nothing complete arrived before the deadline.
    Timeout {
        /// Bytes received before the deadline.
        received: Vec<u8>,
    },
    /// The bytes are not the expected framing (e.g. HTTP where TPKT was expected).
    Invalid {
        /// The decoder's complaint.
        error: WireError,
        /// The bytes received so far.
        received: Vec<u8>,
    },
    /// Another I/O error.
    Io(String),
}

impl ReadError {
    /// The bytes that had arrived.
    pub fn received(&self) -> &[u8] {
        match self {
            ReadError::Closed { received }
            | ReadError::Reset { received }
            | ReadError::Timeout { received }
            | ReadError::Invalid { received, .. } => received,
            ReadError::Io(_) => &[],
        }
    }

    /// The kind the evidence records next to [`ReadError::describe`]: a
    /// read cut by its deadline is a timeout, with or without a part of an
    /// answer.
    pub fn kind(&self) -> StepFailure {
        match self {
            ReadError::Closed { .. } => StepFailure::Closed,
            ReadError::Reset { .. } => StepFailure::Reset,
            ReadError::Timeout { .. } => StepFailure::Timeout,
            ReadError::Invalid { .. } => StepFailure::Invalid,
            ReadError::Io(_) => StepFailure::Other,
        }
    }

    /// A one-line description.
    pub fn describe(&self) -> String {
        match self {
            ReadError::Closed { received } if received.is_empty() => {
                "the server closed the connection".into()
            }
            ReadError::Closed { received } => format!(
                "the server closed the connection after {} bytes",
                received.len()
            ),
            ReadError::Reset { .. } => "the server reset the connection".into(),
            ReadError::Timeout { received } if received.is_empty() => {
                "no answer before the deadline".into()
            }
            ReadError::Timeout { received } => format!(
                "an incomplete answer ({} bytes) before the deadline",
                received.len()
            ),
            ReadError::Invalid { error, .. } => format!("not the expected answer: {error}"),
            ReadError::Io(e) => e.clone(),
        }
    }
}

/// A framing function: given the bytes so far, `Ok(None)` = need more,
/// `Ok(Some(n))` = the frame at the start of the buffer is `n` bytes long
/// (announced by its header, or complete). See [`rdpdoctor_wire::frame`].
pub use rdpdoctor_wire::frame::Framer;

/// A stream plus the bytes read past the last frame.
pub struct FramedStream<S> {
    /// The underlying stream.
    pub inner: S,
    acc: Accumulator,
}

impl<S: AsyncRead + AsyncWrite + Unpin> FramedStream<S> {
    /// Wraps a stream.
    pub fn new(inner: S) -> Self {
        FramedStream {
            inner,
            acc: Accumulator::new(),
        }
    }

    /// Writes all of `bytes` within `budget`.
    pub async fn send(&mut self, bytes: &[u8], budget: Duration) -> Result<(), ReadError> {
        match tokio::time::timeout(budget, self.inner.write_all(bytes)).await {
            Err(_) => Err(ReadError::Timeout { received: vec![] }),
            Ok(Err(e)) => Err(io_to_read_error(e, vec![])),
            Ok(Ok(())) => {
                let _ = tokio::time::timeout(budget, self.inner.flush()).await;
                Ok(())
            }
        }
    }

    /// Reads one complete frame within `budget`, buffering at most `max`
    /// bytes; a frame announcing more than `max` is refused as soon as its
    /// length is known ([`WireError::FrameTooLarge`]).
    pub async fn read_frame(
        &mut self,
        framer: Framer,
        max: usize,
        budget: Duration,
    ) -> Result<Vec<u8>, ReadError> {
        let deadline = tokio::time::Instant::now() + budget;
        loop {
            match self.acc.next_frame(framer, max) {
                Ok(Some(frame)) => return Ok(frame),
                Ok(None) => {}
                Err(error) => {
                    return Err(ReadError::Invalid {
                        error,
                        received: self.acc.take(),
                    });
                }
            }
            let mut chunk = [0u8; 4096];
            let want = chunk.len().min(self.acc.room(max));
            let read = tokio::time::timeout_at(deadline, self.inner.read(&mut chunk[..want])).await;
            match read {
                Err(_) => {
                    return Err(ReadError::Timeout {
                        received: self.acc.take(),
                    });
                }
                Ok(Ok(0)) => {
                    return Err(ReadError::Closed {
                        received: self.acc.take(),
                    });
                }
                Ok(Ok(n)) => self.acc.feed(&chunk[..n]),
                Ok(Err(e)) => return Err(io_to_read_error(e, self.acc.take())),
            }
        }
    }

    /// Gives the stream back, with any bytes read past the last frame.
    pub fn into_parts(self) -> (S, Vec<u8>) {
        (self.inner, self.acc.into_inner())
    }
}

fn io_to_read_error(e: io::Error, received: Vec<u8>) -> ReadError {
    match e.kind() {
        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => {
            ReadError::Reset { received }
        }
        io::ErrorKind::UnexpectedEof | io::ErrorKind::BrokenPipe => ReadError::Closed { received },
        _ => ReadError::Io(e.to_string()),
    }
}

/// Milliseconds since `start`, rounded to 0.01 ms (the unit of every timing in a report).
pub fn elapsed_ms(start: Instant) -> f64 {
    (start.elapsed().as_secs_f64() * 100_000.0).round() / 100.0
}

/// Lower-case hex of at most the first `n` bytes.
pub fn hex_prefix(bytes: &[u8], n: usize) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    for b in bytes.iter().take(n) {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// A guess at which protocol sent these first bytes, for "something else answers" findings.
pub fn guess_protocol(bytes: &[u8]) -> Option<&'static str> {
    let starts = |p: &[u8]| bytes.len() >= p.len() && bytes[..p.len()].eq_ignore_ascii_case(p);
    if starts(b"HTTP/") || starts(b"<!DOCTYPE") || starts(b"<html") {
        Some("http")
    } else if starts(b"SSH-") {
        Some("ssh")
    } else if matches!(bytes, [0x15 | 0x16, 0x03, ..]) {
        // A TLS handshake or alert record: a TLS server without the X.224 step.
        Some("tls")
    } else if starts(b"220 ") || starts(b"220-") {
        Some("ftp-or-smtp")
    } else if starts(b"+OK") {
        Some("pop3")
    } else if starts(b"* OK") {
        Some("imap")
    } else if starts(b"RFB ") {
        Some("vnc")
    } else if bytes.is_empty() {
        None
    } else {
        Some("unknown")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::duplex;

    fn two_byte_len(buf: &[u8]) -> Result<Option<usize>, WireError> {
        Ok(if buf.len() < 2 {
            None
        } else {
            Some(u16::from_be_bytes([buf[0], buf[1]]) as usize)
        })
    }

    #[tokio::test]
    async fn dribbling_peer_hits_the_deadline_not_the_heap() {
        let (mut server, client) = duplex(64);
        tokio::spawn(async move {
            let _ = server.write_all(&[0x40, 0x00]).await; // claims 16 KiB
            loop {
                if server.write_all(&[0]).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
        let mut f = FramedStream::new(client);
        let t = Instant::now();
        let r = f
            .read_frame(two_byte_len, 1 << 20, Duration::from_millis(300))
            .await;
        assert!(matches!(r, Err(ReadError::Timeout { .. })), "{r:?}");
        assert!(t.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn endless_sender_is_cut_at_the_limit() {
        let (mut server, client) = duplex(4096);
        tokio::spawn(async move {
            let _ = server.write_all(&[0xff, 0xff]).await;
            while server.write_all(&[7u8; 1024]).await.is_ok() {}
        });
        let mut f = FramedStream::new(client);
        let r = f
            .read_frame(two_byte_len, 8192, Duration::from_secs(5))
            .await;
        match r {
            Err(ReadError::Invalid { received, .. }) => assert!(received.len() <= 8192),
            other => panic!("expected a size error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn an_oversized_announcement_is_refused_without_waiting_for_the_body() {
        let (mut server, client) = duplex(64);
        // Announces 64 KiB, then goes silent: refused at once, not at the deadline.
        server.write_all(&[0xff, 0xff, 1, 2]).await.unwrap();
        let mut f = FramedStream::new(client);
        let t = Instant::now();
        let r = f
            .read_frame(two_byte_len, 8192, Duration::from_secs(5))
            .await;
        match r {
            Err(ReadError::Invalid {
                error:
                    WireError::FrameTooLarge {
                        len: 0xffff,
                        max: 8192,
                        announced: true,
                    },
                received,
            }) => assert_eq!(received, [0xff, 0xff, 1, 2]),
            other => panic!("expected a size error, got {other:?}"),
        }
        assert!(t.elapsed() < Duration::from_secs(1));
        drop(server);
    }

    #[tokio::test]
    async fn frames_split_and_joined_come_out_whole() {
        let (mut server, client) = duplex(64);
        tokio::spawn(async move {
            server.write_all(&[0, 4, 1]).await.unwrap();
            server.write_all(&[2, 0, 3, 9]).await.unwrap();
        });
        let mut f = FramedStream::new(client);
        let a = f
            .read_frame(two_byte_len, 100, Duration::from_secs(1))
            .await;
        let b = f
            .read_frame(two_byte_len, 100, Duration::from_secs(1))
            .await;
        assert_eq!(a.unwrap(), vec![0, 4, 1, 2]);
        assert_eq!(b.unwrap(), vec![0, 3, 9]);
    }

    #[test]
    fn protocol_guesses() {
        assert_eq!(guess_protocol(b"HTTP/1.1 400 Bad Request"), Some("http"));
        assert_eq!(guess_protocol(b"SSH-2.0-OpenSSH"), Some("ssh"));
        assert_eq!(guess_protocol(&[0x16, 0x03, 0x01]), Some("tls"));
        assert_eq!(guess_protocol(b""), None);
    }
}
