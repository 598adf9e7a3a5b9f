//! Bounded, deadlined reads and writes for one emulated connection: a client
//! that is silent, dribbles, or sends endless or malformed bytes costs at
//! most the read timeout and the frame limit, and ends in a clean close.
//!
//! The framing is the wire crate's [`Accumulator`], the same the probe
//! reads with; this module adds the socket, the timeouts and [`End`].

use rdpdoctor_wire::WireError;
use rdpdoctor_wire::frame::Accumulator;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;

/// Why a connection ends. Every variant means "close the socket"; the
/// reason only matters to tests and to debugging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum End {
    /// The client closed or reset.
    Closed,
    /// The client said nothing for the read timeout (or the connection's
    /// whole budget ran out).
    Timeout,
    /// A frame announced or grew beyond the limit.
    TooLarge,
    /// Bytes that are not the PDU due here.
    Garbage(String),
    /// The emulator decided to end the connection (a fault's last step).
    Done,
}

/// How many bytes the next frame announces, once its header is there:
/// `Ok(None)` = header incomplete. Lengths are checked against the limit
/// before the body is awaited.
pub(crate) use rdpdoctor_wire::frame::Framer;

/// The timeouts and delay of a [`Framed`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    read_timeout: Duration,
    deadline: Instant,
    delay: Duration,
}

/// A stream with a receive buffer, a read timeout, a whole-connection
/// deadline, and a delay before each reply (the `slow` fault).
pub(crate) struct Framed<S> {
    stream: S,
    acc: Accumulator,
    read_timeout: Duration,
    deadline: Instant,
    delay: Duration,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Framed<S> {
    pub(crate) fn new(
        stream: S,
        read_timeout: Duration,
        deadline: Instant,
        delay: Duration,
    ) -> Self {
        Framed {
            stream,
            acc: Accumulator::new(),
            read_timeout,
            deadline,
            delay,
        }
    }

    /// Its timeouts and delay, to wrap another stream alike (after TLS).
    pub(crate) fn settings(&self) -> Settings {
        Settings {
            read_timeout: self.read_timeout,
            deadline: self.deadline,
            delay: self.delay,
        }
    }

    /// A stream with the timeouts and delay of another.
    pub(crate) fn with_settings(stream: S, s: Settings) -> Self {
        Framed::new(stream, s.read_timeout, s.deadline, s.delay)
    }

    /// Bytes received but not consumed.
    pub(crate) fn buffered(&self) -> usize {
        self.acc.buffered().len()
    }

    pub(crate) fn into_inner(self) -> S {
        self.stream
    }

    fn budget(&self, timeout: Duration) -> Duration {
        timeout.min(self.deadline.saturating_duration_since(Instant::now()))
    }

    /// Sleeps for the configured reply delay (`slow`), within the deadline.
    pub(crate) async fn pause(&self) {
        if !self.delay.is_zero() {
            tokio::time::sleep(self.budget(self.delay)).await;
        }
    }

    /// Reads one frame of at most `max` bytes within the read timeout.
    pub(crate) async fn read_frame(&mut self, framer: Framer, max: usize) -> Result<Vec<u8>, End> {
        self.read_frame_within(framer, max, self.read_timeout).await
    }

    /// [`read_frame`](Self::read_frame) with another timeout. The timeout
    /// covers the whole frame, so a client dribbling one byte at a time gets
    /// no more time than a silent one.
    pub(crate) async fn read_frame_within(
        &mut self,
        framer: Framer,
        max: usize,
        timeout: Duration,
    ) -> Result<Vec<u8>, End> {
        let until = Instant::now() + self.budget(timeout);
        loop {
            match self.acc.next_frame(framer, max) {
                Ok(Some(frame)) => return Ok(frame),
                Ok(None) => {}
                Err(WireError::FrameTooLarge { .. }) => return Err(End::TooLarge),
                Err(e) => return Err(End::Garbage(e.to_string())),
            }
            let mut chunk = [0u8; 4096];
            let want = chunk.len().min(self.acc.room(max));
            let read = self.stream.read(chunk.get_mut(..want).unwrap_or_default());
            match tokio::time::timeout_at(until, read).await {
                Err(_) => return Err(End::Timeout),
                Ok(Ok(0)) | Ok(Err(_)) => return Err(End::Closed),
                Ok(Ok(n)) => self.acc.feed(chunk.get(..n).unwrap_or_default()),
            }
        }
    }

    /// Writes all of `bytes` after the reply delay, within the read timeout.
    pub(crate) async fn send(&mut self, bytes: &[u8]) -> Result<(), End> {
        self.pause().await;
        self.send_now(bytes).await
    }

    /// Writes without the reply delay (the second PDU of one reply).
    pub(crate) async fn send_now(&mut self, bytes: &[u8]) -> Result<(), End> {
        let budget = self.budget(self.read_timeout);
        let write = async {
            self.stream.write_all(bytes).await?;
            self.stream.flush().await
        };
        match tokio::time::timeout(budget, write).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(End::Closed),
            Err(_) => Err(End::Timeout),
        }
    }

    /// Flushes and shuts the write side down (a FIN), best effort.
    pub(crate) async fn close(&mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(1), self.stream.shutdown()).await;
    }

    /// Reads and discards whatever the client sends until it closes, the
    /// idle timeout passes, or the deadline: for `silent`, and to let a
    /// client read our last PDU before the socket goes.
    pub(crate) async fn drain(&mut self, idle: Duration) {
        let mut chunk = [0u8; 4096];
        loop {
            let budget = self.budget(idle);
            if budget.is_zero() {
                return;
            }
            match tokio::time::timeout(budget, self.stream.read(&mut chunk)).await {
                Ok(Ok(n)) if n > 0 => continue,
                _ => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_byte_len(buf: &[u8]) -> Result<Option<usize>, WireError> {
        match buf {
            [0xFF, ..] => Err(WireError::NotTpkt { first_byte: 0xFF }),
            [a, b, ..] => Ok(Some(usize::from(u16::from_be_bytes([*a, *b])))),
            _ => Ok(None),
        }
    }

    #[tokio::test]
    async fn frames_limits_and_timeouts() {
        let (client, server) = tokio::io::duplex(1 << 16);
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut f = Framed::new(server, Duration::from_millis(200), deadline, Duration::ZERO);
        let mut c = client;
        c.write_all(&[0, 4, 1, 2, 0, 3, 9]).await.unwrap();
        assert_eq!(f.read_frame(two_byte_len, 100).await.unwrap(), [0, 4, 1, 2]);
        assert_eq!(f.read_frame(two_byte_len, 100).await.unwrap(), [0, 3, 9]);
        // A frame announcing more than the limit.
        c.write_all(&[0x10, 0, 1]).await.unwrap();
        assert_eq!(f.read_frame(two_byte_len, 100).await, Err(End::TooLarge));
        // Silence.
        let (_quiet, s) = tokio::io::duplex(64);
        let mut f = Framed::new(s, Duration::from_millis(50), deadline, Duration::ZERO);
        assert_eq!(f.read_frame(two_byte_len, 100).await, Err(End::Timeout));
        // Garbage and close.
        let (mut c, s) = tokio::io::duplex(64);
        let mut f = Framed::new(s, Duration::from_millis(200), deadline, Duration::ZERO);
        c.write_all(&[0xFF]).await.unwrap();
        assert!(matches!(
            f.read_frame(two_byte_len, 100).await,
            Err(End::Garbage(_))
        ));
        let (c, s) = tokio::io::duplex(64);
        drop(c);
        let mut f = Framed::new(s, Duration::from_millis(200), deadline, Duration::ZERO);
        assert_eq!(f.read_frame(two_byte_len, 100).await, Err(End::Closed));
    }
}
