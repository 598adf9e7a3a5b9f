//! Round trips counted as the deep probe waits for them.
//!
//! A round trip is counted each time bytes arrive from the server after the
//! client has sent something since the last bytes arrived: the conversation
//! turned from the client to the server. That is exactly the number of
//! request/reply flights the client sat through, whatever the protocol layer
//! (TLS handshake flights, MCS requests, licensing), and PDUs that arrive
//! together or unasked (a Demand Active right behind a licensing PDU, TLS 1.3
//! session tickets) cost nothing. The TCP connect is counted by the caller.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A shared count of round trips; clones count together.
#[derive(Debug, Clone, Default)]
pub struct Turns(Arc<AtomicU32>);

impl Turns {
    /// Counts one round trip (e.g. a TCP connect, or an X.224 exchange done elsewhere).
    pub fn add(&self, n: u32) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    /// Round trips so far.
    pub fn get(&self) -> u32 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A stream that counts the turns of its conversation into a [`Turns`], and
/// first hands out bytes that were already read from it by someone else.
pub struct Counted<S> {
    inner: S,
    turns: Turns,
    /// The client wrote since the server last sent anything.
    wrote: bool,
    /// Bytes already received (e.g. past the X.224 Connection Confirm).
    pending: Vec<u8>,
}

impl<S> Counted<S> {
    /// Counts `inner`'s turns into `turns`; `pending` is read first.
    pub fn new(inner: S, turns: Turns, pending: Vec<u8>) -> Self {
        Counted {
            inner,
            turns,
            wrote: false,
            pending,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Counted<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.pending.is_empty() {
            let n = this.pending.len().min(buf.remaining());
            buf.put_slice(&this.pending[..n]);
            this.pending.drain(..n);
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        let r = Pin::new(&mut this.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before && this.wrote {
            this.wrote = false;
            this.turns.add(1);
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Counted<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.inner).poll_write(cx, data);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            this.wrote = true;
        }
        r
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt, duplex};

    #[tokio::test]
    async fn counts_turns_not_reads_or_writes() {
        let (client, mut server) = duplex(1024);
        let turns = Turns::default();
        let mut c = Counted::new(client, turns.clone(), b"early".to_vec());
        let mut buf = [0u8; 5];
        // Bytes received before the wrapper existed are not a turn.
        c.read_exact(&mut buf).await.unwrap();
        assert_eq!(turns.get(), 0);
        // Two writes, then the reply in two reads: one round trip.
        c.write_all(b"a").await.unwrap();
        c.write_all(b"b").await.unwrap();
        let mut two = [0u8; 2];
        server.read_exact(&mut two).await.unwrap();
        server.write_all(b"x").await.unwrap();
        c.read_exact(&mut buf[..1]).await.unwrap();
        server.write_all(b"y").await.unwrap();
        c.read_exact(&mut buf[..1]).await.unwrap();
        assert_eq!(turns.get(), 1);
        // The next request and its reply: a second.
        c.write_all(b"c").await.unwrap();
        server.write_all(b"z").await.unwrap();
        c.read_exact(&mut buf[..1]).await.unwrap();
        assert_eq!(turns.get(), 2);
    }
}
