//! The MBAP transaction-id filter between tokio-modbus's TCP client and its socket.
//!
//! tokio-modbus sends a request and takes the next frame on the stream as its answer. It does
//! compare the transaction id and fails the call on a mismatch, but a reply that arrives after
//! its call timed out still sits in front of the next one: the next call reads its
//! predecessor's reply and fails, its own reply is left for the call after, and so on, every
//! call failing until the connection is rebuilt. Behind a gateway that is exactly the slow
//! unit dragging down the fast ones.
//!
//! This layer sits under the client. It learns the transaction id of each request as it is
//! written and passes up only the frame answering it; a frame with any other id (the late
//! reply to a call that already timed out, or a duplicate) is dropped and counted against the
//! unit id it names. Frames are reassembled here from the MBAP length field, so a call
//! dropped in the middle of a reply never leaves half a frame in the stream. A header that is
//! not MBAP (protocol id not 0, impossible length) means the byte stream itself is lost: every
//! later read fails until the connection is rebuilt.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The MBAP header: transaction id (2), protocol id (2), length (2); the length counts the
/// unit id and the PDU that follow it.
const HEADER: usize = 6;
/// Unit id and function code at least; a PDU is at most 253 bytes.
const MIN_LENGTH: usize = 2;
const MAX_LENGTH: usize = 254;

/// Late replies dropped, per unit id.
#[derive(Debug)]
pub(crate) struct LateReplies([AtomicU64; 256]);

impl Default for LateReplies {
    fn default() -> Self {
        Self(std::array::from_fn(|_| AtomicU64::new(0)))
    }
}

impl LateReplies {
    pub(crate) fn of(&self, unit: u8) -> u64 {
        self.0[usize::from(unit)].load(Ordering::Relaxed)
    }
    fn count(&self, unit: u8) {
        self.0[usize::from(unit)].fetch_add(1, Ordering::Relaxed);
    }
}

/// A byte stream that hands up only the reply to the request last written.
#[derive(Debug)]
pub(crate) struct MbapFilter<T> {
    inner: T,
    /// Transaction id of the request last written, until its reply has been handed up.
    expected: Option<u16>,
    /// The header of the request being written, and the bytes of its body still to pass.
    out_header: [u8; HEADER],
    out_have: usize,
    out_skip: usize,
    /// Bytes read from the socket, not yet a whole frame.
    inbuf: Vec<u8>,
    /// The matching frame being handed up, and how much of it has been.
    ready: Vec<u8>,
    ready_pos: usize,
    late: Arc<LateReplies>,
    /// The stream stopped being MBAP: why.
    lost: Option<String>,
}

impl<T> MbapFilter<T> {
    pub(crate) fn new(inner: T, late: Arc<LateReplies>) -> Self {
        Self {
            inner,
            expected: None,
            out_header: [0; HEADER],
            out_have: 0,
            out_skip: 0,
            inbuf: Vec::with_capacity(512),
            ready: Vec::new(),
            ready_pos: 0,
            late,
            lost: None,
        }
    }

    /// Follow the requests written: each header names the transaction now awaited.
    fn observe_written(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            if self.out_skip > 0 {
                let n = self.out_skip.min(bytes.len());
                self.out_skip -= n;
                bytes = &bytes[n..];
                continue;
            }
            let n = (HEADER - self.out_have).min(bytes.len());
            self.out_header[self.out_have..self.out_have + n].copy_from_slice(&bytes[..n]);
            self.out_have += n;
            bytes = &bytes[n..];
            if self.out_have == HEADER {
                let [t0, t1, _, _, l0, l1] = self.out_header;
                self.expected = Some(u16::from_be_bytes([t0, t1]));
                self.out_skip = usize::from(u16::from_be_bytes([l0, l1]));
                self.out_have = 0;
                // Whatever was left of an earlier reply belongs to a call that is over.
                self.ready.clear();
                self.ready_pos = 0;
            }
        }
    }

    /// The next whole frame in `inbuf`, if there is one.
    fn take_frame(&mut self) -> io::Result<Option<Vec<u8>>> {
        if self.inbuf.len() < HEADER {
            return Ok(None);
        }
        let protocol = u16::from_be_bytes([self.inbuf[2], self.inbuf[3]]);
        let length = usize::from(u16::from_be_bytes([self.inbuf[4], self.inbuf[5]]));
        if protocol != 0 || !(MIN_LENGTH..=MAX_LENGTH).contains(&length) {
            let why = format!(
                "MBAP framing lost: protocol id {protocol}, length {length} (not a Modbus TCP reply)"
            );
            self.lost = Some(why.clone());
            return Err(io::Error::new(io::ErrorKind::InvalidData, why));
        }
        if self.inbuf.len() < HEADER + length {
            return Ok(None);
        }
        Ok(Some(self.inbuf.drain(..HEADER + length).collect()))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for MbapFilter<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if let Some(why) = &this.lost {
                return Poll::Ready(Err(io::Error::new(io::ErrorKind::InvalidData, why.clone())));
            }
            if this.ready_pos < this.ready.len() {
                let rest = &this.ready[this.ready_pos..];
                let n = rest.len().min(buf.remaining());
                buf.put_slice(&rest[..n]);
                this.ready_pos += n;
                return Poll::Ready(Ok(()));
            }
            match this.take_frame() {
                Err(e) => return Poll::Ready(Err(e)),
                Ok(Some(frame)) => {
                    let tid = u16::from_be_bytes([frame[0], frame[1]]);
                    if this.expected == Some(tid) {
                        this.expected = None;
                        this.ready = frame;
                        this.ready_pos = 0;
                    } else {
                        let unit = frame[HEADER];
                        tracing::debug!(
                            transaction = tid,
                            expected = ?this.expected,
                            unit,
                            "late Modbus TCP reply dropped"
                        );
                        this.late.count(unit);
                    }
                    continue;
                }
                Ok(None) => {}
            }
            let mut chunk = [0u8; 512];
            let mut rb = ReadBuf::new(&mut chunk);
            match Pin::new(&mut this.inner).poll_read(cx, &mut rb) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                // End of stream: hand it up as such.
                Poll::Ready(Ok(())) if rb.filled().is_empty() => return Poll::Ready(Ok(())),
                Poll::Ready(Ok(())) => this.inbuf.extend_from_slice(rb.filled()),
            }
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for MbapFilter<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write(cx, data);
        if let Poll::Ready(Ok(n)) = &polled {
            this.observe_written(&data[..(*n).min(data.len())]);
        }
        polled
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// An MBAP frame: read holding registers reply with one word.
    fn reply(tid: u16, unit: u8, word: u16) -> Vec<u8> {
        let mut f = tid.to_be_bytes().to_vec();
        f.extend_from_slice(&[0, 0, 0, 5, unit, 0x03, 2]);
        f.extend_from_slice(&word.to_be_bytes());
        f
    }

    fn request(tid: u16, unit: u8) -> Vec<u8> {
        let mut f = tid.to_be_bytes().to_vec();
        f.extend_from_slice(&[0, 0, 0, 6, unit, 0x03, 0, 0, 0, 1]);
        f
    }

    #[tokio::test]
    async fn a_late_reply_is_dropped_and_the_awaited_one_passes_whole() {
        let (client, mut server) = tokio::io::duplex(1024);
        let late = Arc::new(LateReplies::default());
        let mut filter = MbapFilter::new(client, late.clone());
        // Request 7 to unit 1 times out (its reply never read); request 8 goes to unit 2.
        filter.write_all(&request(7, 1)).await.unwrap();
        filter.write_all(&request(8, 2)).await.unwrap();
        let mut sent = vec![0u8; 24];
        server.read_exact(&mut sent).await.unwrap();
        // Unit 1's late reply arrives first, then unit 2's, split across writes.
        let mut wire = reply(7, 1, 0xAAAA);
        wire.extend(reply(8, 2, 0xBBBB));
        server.write_all(&wire[..10]).await.unwrap();
        server.write_all(&wire[10..]).await.unwrap();
        let mut got = vec![0u8; 11];
        filter.read_exact(&mut got).await.unwrap();
        assert_eq!(got, reply(8, 2, 0xBBBB));
        assert_eq!((late.of(1), late.of(2)), (1, 0));
    }

    #[tokio::test]
    async fn a_duplicate_reply_is_dropped_too() {
        let (client, mut server) = tokio::io::duplex(1024);
        let late = Arc::new(LateReplies::default());
        let mut filter = MbapFilter::new(client, late.clone());
        filter.write_all(&request(1, 3)).await.unwrap();
        server.write_all(&reply(1, 3, 1)).await.unwrap();
        let mut got = vec![0u8; 11];
        filter.read_exact(&mut got).await.unwrap();
        filter.write_all(&request(2, 3)).await.unwrap();
        server.write_all(&reply(1, 3, 1)).await.unwrap();
        server.write_all(&reply(2, 3, 2)).await.unwrap();
        filter.read_exact(&mut got).await.unwrap();
        assert_eq!(got, reply(2, 3, 2));
        assert_eq!(late.of(3), 1);
    }

    #[tokio::test]
    async fn a_stream_that_is_not_mbap_fails_every_read() {
        let (client, mut server) = tokio::io::duplex(1024);
        let mut filter = MbapFilter::new(client, Arc::new(LateReplies::default()));
        filter.write_all(&request(1, 1)).await.unwrap();
        server
            .write_all(&[0, 1, 0x12, 0x34, 0, 5, 1])
            .await
            .unwrap();
        let mut got = [0u8; 4];
        let e = filter.read_exact(&mut got).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert!(filter.read_exact(&mut got).await.is_err());
    }
}
