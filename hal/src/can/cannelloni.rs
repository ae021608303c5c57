//! cannelloni backend: a CAN bus tunnelled over UDP, as a [`CanPort`].
//!
//! [cannelloni](https://github.com/mguentner/cannelloni) bridges a SocketCAN interface to UDP.
//! With it the daemon can drive a CAN bus on another machine, and an EV simulator written in any
//! language can talk to the station by sending UDP datagrams instead of needing a `vcan`
//! interface.
//!
//! # Wire format (cannelloni UDP format version 2)
//!
//! One UDP datagram carries a short header and then any number of CAN frames back to back;
//! multi-byte numbers are big-endian (network order).
//!
//! ```text
//! datagram header, 5 bytes
//!   byte 0      format version, always 2
//!   byte 1      kind of datagram: 0 = frames; 1 and 2 are acknowledgements, which carry none
//!   byte 2      sequence number, one more than the sender's previous datagram (wraps at 256)
//!   bytes 3-4   how many frames follow
//! each frame, 5 bytes and then its data
//!   bytes 0-3   identifier as Linux SocketCAN keeps it: the 29- or 11-bit id in the low bits,
//!               bit 31 set for an extended (29-bit) id, bit 30 for a remote request, bit 29 for
//!               an error report
//!   byte 4      data length; a set top bit (0x80) means a CAN FD frame, which has one more
//!               byte of FD flags before its data
//!   then        the data bytes; a remote request has a length but no data bytes
//! ```
//!
//! # Decisions
//!
//! - **Classic CAN only.** Every protocol we speak is classic CAN, and [`CanFrame`] cannot hold
//!   an FD frame. An FD frame in an otherwise well-formed datagram is *skipped and counted*
//!   ([`Datagram::skipped_fd`], [`CannelloniStats::fd_frames_skipped`]); the datagram's
//!   classic frames are still delivered. An FD frame whose length is impossible (above 64)
//!   makes the datagram malformed. We never send FD frames.
//! - **A malformed datagram is rejected whole** (see [`CannelloniError`]): a wrong version, a
//!   non-DATA op code, a `count` that disagrees with the bytes (fewer frames, or bytes left over
//!   after the last frame), a classic length above 8, an 11-bit frame with identifier bits above
//!   bit 10, or a frame with `CAN_ERR_FLAG` (a bus condition of the far side, not data). Upstream
//!   stops at the first bad frame but has already forwarded the earlier ones and ignores trailing
//!   bytes; we are stricter because a half-parsed datagram means the two ends disagree on the
//!   format, and acting on part of it helps nobody. A datagram with `count` 0 is valid and empty
//!   (upstream ignores those silently).
//! - **Datagram size.** Outgoing datagrams are filled up to
//!   [`CannelloniConfig::max_datagram_size`], by default [`DEFAULT_MAX_DATAGRAM_SIZE`] = 1472
//!   bytes: upstream's `UDP_PAYLOAD_SIZE` (`udpthread.h`: Ethernet MTU 1500 − 20 bytes of IPv4
//!   header − 8 bytes of UDP header), so a datagram is never fragmented on Ethernet with IPv4.
//!   (Over IPv6 the header is 40 bytes; configure 1452 if fragmentation matters.) A frame that
//!   does not fit starts the next datagram, as upstream's `buildPacket` does. Received datagrams
//!   are read into a 64 KiB buffer, so any UDP datagram is seen whole and never silently
//!   truncated (upstream reads 1500 bytes).
//! - **Batching.** [`CanPort::send`] only queues the frame; [`CanPort::flush`] sends the queued
//!   frames as one datagram (or more, if they do not fit in one). The station flushes once per
//!   control step, so the frames of one step travel together, as cannelloni batches the frames
//!   it sees within its timeout. As a safety net, [`CanPort::try_recv`] flushes anything still
//!   queued before it reads, and dropping the port flushes too, so a caller that never calls
//!   `flush` still transmits, one step late.
//! - **Sequence numbers.** Outgoing datagrams are numbered 0, 1, 2, … wrapping at 255, and a
//!   number is used up even when the OS refuses the datagram (upstream does the same), so the far
//!   end sees the loss. Incoming: the first datagram sets the expectation; a datagram up to 127
//!   ahead of the expected number counts the skipped ones as lost; one up to
//!   [`REORDER_WINDOW`] behind is counted as late (reordered or duplicated) and its frames are
//!   still delivered, as upstream does (it ignores sequence numbers on receipt); anything else
//!   (the peer restarted, or more than 127 datagrams vanished) resynchronises without guessing a
//!   loss count. A malformed datagram's number is not trusted, so it also shows up as a gap.
//! - **Peer.** Only datagrams from the configured peer (IP address *and* port) are accepted;
//!   others are dropped and counted. Upstream checks the IP address only (`-p` turns the check
//!   off); we also check the port because a cannelloni peer sends from the socket it listens
//!   on, so its source port is the port we send to, and because a simulator on the same host
//!   must not be confused with another one. IPv4-mapped IPv6 addresses compare equal to their
//!   IPv4 form.
//! - **Losses are not errors.** UDP, like a CAN bus with nobody listening, loses frames: a
//!   datagram the OS refuses (`ECONNREFUSED` when the peer is not up yet, `EAGAIN` when the
//!   socket buffer is full, no route, …) is dropped and counted, and the port carries on.
//!   Malformed and foreign datagrams are dropped, counted and logged with a rate limit (the 1st,
//!   2nd, 4th, … 1024th occurrence, then every 1024th), never stopping the port. The counters in
//!   [`CannelloniPort::stats`] are always exact.

use std::collections::VecDeque;
use std::io;
use std::net::{IpAddr, SocketAddr, UdpSocket};

use charger_protocol::{CanFrame, CanFrameError};
use serde::Serialize;
use thiserror::Error;

use super::{CanError, CanPort};

/// The format version this module speaks (`CANNELLONI_FRAME_VERSION`).
pub const VERSION: u8 = 2;
/// Op code of a datagram that carries CAN frames.
pub const OP_DATA: u8 = 0;
/// Op code reserved by upstream for acknowledgements (unused over UDP; rejected).
pub const OP_ACK: u8 = 1;
/// Op code reserved by upstream for negative acknowledgements (unused over UDP; rejected).
pub const OP_NACK: u8 = 2;
/// Bytes of the datagram header: version, op code, sequence number, count.
pub const HEADER_LEN: usize = 5;
/// Bytes of a frame before its data: `can_id` and `len`.
pub const FRAME_HEADER_LEN: usize = 5;
/// Bytes of the largest classic frame on the wire.
pub const MAX_CLASSIC_FRAME_LEN: usize = FRAME_HEADER_LEN + 8;
/// Upstream's `UDP_PAYLOAD_SIZE`: 1500 (Ethernet MTU) − 20 (IPv4) − 8 (UDP).
pub const DEFAULT_MAX_DATAGRAM_SIZE: usize = 1472;
/// Smallest configurable datagram size: the header and one classic frame of 8 bytes.
pub const MIN_DATAGRAM_SIZE: usize = HEADER_LEN + MAX_CLASSIC_FRAME_LEN;
/// Largest UDP payload over IPv4 (65535 − 20 − 8).
pub const MAX_DATAGRAM_SIZE: usize = 65_507;
/// Received frames a port holds by default: a few full datagrams' worth (a 1472-byte datagram
/// holds at most 293 frames), far more than a station polling every step lets pile up.
pub const DEFAULT_RX_QUEUE_CAPACITY: usize = 1024;
/// How far behind the expected sequence number a datagram may be to count as late
/// (reordered or duplicated) rather than as a restart of the peer.
pub const REORDER_WINDOW: u8 = 16;

/// `CAN_EFF_FLAG`: the identifier is 29 bits.
pub const CAN_EFF_FLAG: u32 = 0x8000_0000;
/// `CAN_RTR_FLAG`: remote transmission request.
pub const CAN_RTR_FLAG: u32 = 0x4000_0000;
/// `CAN_ERR_FLAG`: an error frame (a report about the bus, not a message).
pub const CAN_ERR_FLAG: u32 = 0x2000_0000;
/// `CAN_EFF_MASK`: the identifier bits of `can_id`.
const CAN_EFF_MASK: u32 = 0x1FFF_FFFF;
/// cannelloni's `CANFD_FRAME` bit in the `len` byte.
pub const CANFD_FRAME: u8 = 0x80;
/// `CANFD_MAX_DLEN`: the longest CAN FD payload.
const CANFD_MAX_DLEN: usize = 64;

/// Receive buffer: larger than any UDP payload, so no datagram is ever truncated.
const RECV_BUFFER_LEN: usize = 65_536;
/// Datagrams read per poll at most, so a peer flooding the socket cannot keep `try_recv` busy.
const MAX_DATAGRAMS_PER_POLL: usize = 256;
/// After the 1024th occurrence of a problem, log every 1024th.
const LOG_EVERY: u64 = 1024;

/// Why a datagram was rejected, or could not be built.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CannelloniError {
    #[error("datagram of {len} bytes is shorter than the {HEADER_LEN}-byte header")]
    ShortHeader { len: usize },
    #[error("cannelloni format version {version}, expected {VERSION}")]
    UnsupportedVersion { version: u8 },
    #[error("op code {op_code} ({}) is not DATA", op_code_name(*op_code))]
    NotData { op_code: u8 },
    #[error("header announces {count} frames but the datagram ends inside frame {complete}")]
    Truncated { count: u16, complete: u16 },
    #[error("{extra} bytes left over after the {count} frames the header announces")]
    TrailingBytes { count: u16, extra: usize },
    #[error("frame {index}: classic CAN length {len} exceeds 8")]
    FrameTooLong { index: u16, len: u8 },
    #[error("frame {index}: CAN FD length {len} exceeds 64")]
    FdFrameTooLong { index: u16, len: u8 },
    #[error("frame {index}: error frame (can_id {can_id:#010x}), not data")]
    ErrorFrame { index: u16, can_id: u32 },
    #[error("frame {index}: can_id {can_id:#010x} is not a valid 11-bit identifier")]
    InvalidIdentifier { index: u16, can_id: u32 },
    #[error("{frames} frames need {bytes} bytes, more than one datagram of {MAX_DATAGRAM_SIZE}")]
    DatagramTooLarge { frames: usize, bytes: usize },
}

fn op_code_name(op_code: u8) -> &'static str {
    match op_code {
        OP_DATA => "DATA",
        OP_ACK => "ACK",
        OP_NACK => "NACK",
        _ => "unknown",
    }
}

/// A decoded DATA datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram {
    /// The sender's sequence number.
    pub seq: u8,
    /// The classic CAN frames, in datagram order.
    pub frames: Vec<CanFrame>,
    /// CAN FD frames that were skipped (see the module documentation).
    pub skipped_fd: usize,
}

/// The `can_id` word of a frame: identifier plus the Linux flag bits.
pub fn can_id_word(frame: &CanFrame) -> u32 {
    let mut word = frame.id();
    if frame.is_extended() {
        word |= CAN_EFF_FLAG;
    }
    if frame.is_remote() {
        word |= CAN_RTR_FLAG;
    }
    word
}

/// Bytes a frame takes in a datagram: 5, plus the data (none for an RTR frame).
pub fn encoded_len(frame: &CanFrame) -> usize {
    FRAME_HEADER_LEN + frame.data().len()
}

fn put_frame(out: &mut Vec<u8>, frame: &CanFrame) {
    out.extend_from_slice(&can_id_word(frame).to_be_bytes());
    out.push(u8::try_from(frame.len()).unwrap_or(8));
    out.extend_from_slice(frame.data());
}

/// Fills one datagram with frames until the next one would not fit.
#[derive(Debug, Clone)]
pub struct DatagramBuilder {
    buf: Vec<u8>,
    count: u16,
    max_size: usize,
}

impl DatagramBuilder {
    /// An empty datagram of at most `max_size` bytes, clamped to
    /// [`MIN_DATAGRAM_SIZE`]`..=`[`MAX_DATAGRAM_SIZE`] so that any frame fits in an empty one.
    pub fn new(max_size: usize) -> DatagramBuilder {
        let max_size = max_size.clamp(MIN_DATAGRAM_SIZE, MAX_DATAGRAM_SIZE);
        let mut buf = Vec::with_capacity(max_size.min(DEFAULT_MAX_DATAGRAM_SIZE));
        buf.extend_from_slice(&[VERSION, OP_DATA, 0, 0, 0]);
        DatagramBuilder {
            buf,
            count: 0,
            max_size,
        }
    }

    /// Append `frame` if it fits; `false` (and nothing appended) if it does not.
    pub fn try_push(&mut self, frame: &CanFrame) -> bool {
        if self.count == u16::MAX || self.buf.len() + encoded_len(frame) > self.max_size {
            return false;
        }
        put_frame(&mut self.buf, frame);
        self.count += 1;
        true
    }

    /// Frames appended so far.
    pub fn frame_count(&self) -> usize {
        usize::from(self.count)
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Bytes of the datagram so far, header included.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn max_size(&self) -> usize {
        self.max_size
    }

    /// The finished datagram, numbered `seq`.
    pub fn finish(mut self, seq: u8) -> Vec<u8> {
        let [hi, lo] = self.count.to_be_bytes();
        self.buf[2] = seq;
        self.buf[3] = hi;
        self.buf[4] = lo;
        self.buf
    }
}

/// All of `frames` as one DATA datagram numbered `seq`.
///
/// Fails only when they do not fit in one UDP datagram ([`MAX_DATAGRAM_SIZE`] bytes, about
/// 5000 frames of 8 bytes); use [`DatagramBuilder`] to split a longer list.
pub fn encode(seq: u8, frames: &[CanFrame]) -> Result<Vec<u8>, CannelloniError> {
    let mut builder = DatagramBuilder::new(MAX_DATAGRAM_SIZE);
    for frame in frames {
        if !builder.try_push(frame) {
            return Err(CannelloniError::DatagramTooLarge {
                frames: frames.len(),
                bytes: HEADER_LEN + frames.iter().map(encoded_len).sum::<usize>(),
            });
        }
    }
    Ok(builder.finish(seq))
}

/// Parse a DATA datagram. Any malformation rejects the whole datagram (see
/// [`CannelloniError`]); CAN FD frames are skipped and counted.
pub fn decode(datagram: &[u8]) -> Result<Datagram, CannelloniError> {
    let Some((&[version, op_code, seq, count_hi, count_lo], mut rest)) =
        datagram.split_first_chunk::<HEADER_LEN>()
    else {
        return Err(CannelloniError::ShortHeader {
            len: datagram.len(),
        });
    };
    if version != VERSION {
        return Err(CannelloniError::UnsupportedVersion { version });
    }
    if op_code != OP_DATA {
        return Err(CannelloniError::NotData { op_code });
    }
    let count = u16::from_be_bytes([count_hi, count_lo]);
    let mut frames = Vec::with_capacity(usize::from(count).min(rest.len() / FRAME_HEADER_LEN));
    let mut skipped_fd = 0;
    for index in 0..count {
        let truncated = CannelloniError::Truncated {
            count,
            complete: index,
        };
        let Some((&[i0, i1, i2, i3, len], after)) = rest.split_first_chunk::<FRAME_HEADER_LEN>()
        else {
            return Err(truncated);
        };
        rest = after;
        let can_id = u32::from_be_bytes([i0, i1, i2, i3]);
        if can_id & CAN_ERR_FLAG != 0 {
            return Err(CannelloniError::ErrorFrame { index, can_id });
        }
        let remote = can_id & CAN_RTR_FLAG != 0;
        if len & CANFD_FRAME != 0 {
            let data_len = usize::from(len & !CANFD_FRAME);
            if data_len > CANFD_MAX_DLEN {
                return Err(CannelloniError::FdFrameTooLong {
                    index,
                    len: len & !CANFD_FRAME,
                });
            }
            // The flags byte, then the data (none for RTR, as upstream's parser reads it).
            let body = 1 + if remote { 0 } else { data_len };
            rest = rest.get(body..).ok_or(truncated)?;
            skipped_fd += 1;
            continue;
        }
        if len > 8 {
            return Err(CannelloniError::FrameTooLong { index, len });
        }
        let extended = can_id & CAN_EFF_FLAG != 0;
        let id = can_id & CAN_EFF_MASK;
        let frame = if remote {
            CanFrame::remote(id, extended, len)
        } else {
            let (data, after) = rest.split_at_checked(usize::from(len)).ok_or(truncated)?;
            rest = after;
            CanFrame::new(id, extended, data)
        };
        let frame = frame.map_err(|e| match e {
            CanFrameError::IdOutOfRange { .. } => {
                CannelloniError::InvalidIdentifier { index, can_id }
            }
            CanFrameError::TooLong(_) => CannelloniError::FrameTooLong { index, len },
        })?;
        frames.push(frame);
    }
    if !rest.is_empty() {
        return Err(CannelloniError::TrailingBytes {
            count,
            extra: rest.len(),
        });
    }
    Ok(Datagram {
        seq,
        frames,
        skipped_fd,
    })
}

/// Settings of a [`CannelloniPort`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CannelloniConfig {
    /// Largest datagram sent, in bytes ([`MIN_DATAGRAM_SIZE`]`..=`[`MAX_DATAGRAM_SIZE`]).
    pub max_datagram_size: usize,
    /// Received frames held until `try_recv` takes them; beyond that they are overruns.
    pub rx_queue_capacity: usize,
    /// The one network interface the socket is bound to (`SO_BINDTODEVICE`), e.g. `eth1`:
    /// datagrams arriving on any other interface never reach it, even from the peer's
    /// address, and ours leave only through it. `None`: any interface the routing picks.
    pub interface: Option<String>,
}

impl Default for CannelloniConfig {
    fn default() -> Self {
        CannelloniConfig {
            max_datagram_size: DEFAULT_MAX_DATAGRAM_SIZE,
            rx_queue_capacity: DEFAULT_RX_QUEUE_CAPACITY,
            interface: None,
        }
    }
}

/// Counters of a [`CannelloniPort`], since it was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CannelloniStats {
    /// Datagrams the OS accepted for sending.
    pub datagrams_sent: u64,
    /// Well-formed datagrams received from the peer.
    pub datagrams_received: u64,
    /// Frames in the datagrams the OS accepted.
    pub frames_sent: u64,
    /// Classic frames decoded from received datagrams (including those lost to overruns).
    pub frames_received: u64,
    /// Datagrams from the peer rejected as malformed.
    pub malformed_datagrams: u64,
    /// Datagrams from an address other than the peer, dropped.
    pub foreign_datagrams: u64,
    /// Incoming datagrams missing, judged by gaps in the sequence numbers.
    pub lost_datagrams: u64,
    /// Incoming datagrams that arrived after a later one (reordered or duplicated).
    pub late_datagrams: u64,
    /// Jumps in the incoming sequence numbers too large to be losses (e.g. a peer restart).
    pub seq_resyncs: u64,
    /// CAN FD frames skipped in otherwise good datagrams.
    pub fd_frames_skipped: u64,
    /// Received frames dropped because the receive queue was full.
    pub rx_overruns: u64,
    /// Datagrams the OS refused to send (peer unreachable, buffer full, …); their frames are lost.
    pub send_errors: u64,
    /// Errors reading the socket other than "nothing to read".
    pub recv_errors: u64,
}

/// Whether the `count`th occurrence of a problem is worth a log line: the 1st, 2nd, 4th, …
/// 1024th, then every 1024th.
fn worth_logging(count: u64) -> bool {
    count > 0 && (count.is_power_of_two() || count % LOG_EVERY == 0)
}

/// Same host and port, ignoring IPv4-mapped IPv6 forms, flow info and scope.
fn same_endpoint(a: SocketAddr, b: SocketAddr) -> bool {
    a.port() == b.port() && a.ip().to_canonical() == b.ip().to_canonical()
}

/// Where to send datagrams for `peer` from a socket bound to `local`: an IPv4 peer is reached
/// from an IPv6 socket through its IPv4-mapped address.
fn destination(local: SocketAddr, peer: SocketAddr) -> Result<SocketAddr, CanError> {
    if peer.port() == 0 {
        return Err(CanError::Config(format!(
            "cannelloni peer {peer} has no port"
        )));
    }
    match (local.ip(), peer.ip()) {
        (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_)) => Ok(peer),
        (IpAddr::V6(_), IpAddr::V4(v4)) => Ok(SocketAddr::new(
            IpAddr::V6(v4.to_ipv6_mapped()),
            peer.port(),
        )),
        (IpAddr::V4(_), IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => Ok(SocketAddr::new(IpAddr::V4(v4), peer.port())),
            None => Err(CanError::Config(format!(
                "cannelloni peer {peer} is IPv6 but the port is bound to IPv4 address {local}"
            ))),
        },
    }
}

/// Binds `socket` to the network interface `device` (`SO_BINDTODEVICE`).
fn bind_device(socket: &socket2::Socket, device: &str) -> Result<(), CanError> {
    let error = |source: io::Error| CanError::BindDevice {
        device: device.to_string(),
        source,
    };
    if device.is_empty() || device.len() > 15 || device.contains(['/', '\0']) {
        return Err(error(io::Error::new(
            io::ErrorKind::InvalidInput,
            "a Linux interface name has 1 to 15 characters, no '/'",
        )));
    }
    socket.bind_device(Some(device.as_bytes())).map_err(error)
}

/// A bound UDP socket that does not know its peer yet.
///
/// For when the peer's address is only known after binding, e.g. two ports on ephemeral ports
/// of one host: bind both, then give each the other's [`local_addr`](Self::local_addr).
#[derive(Debug)]
pub struct CannelloniSocket {
    socket: UdpSocket,
    local: SocketAddr,
}

impl CannelloniSocket {
    /// Bind a non-blocking UDP socket to `addr` (port 0 picks a free port).
    pub fn bind(addr: SocketAddr) -> Result<CannelloniSocket, CanError> {
        CannelloniSocket::bind_on(addr, None)
    }

    /// [`bind`](Self::bind), and first bind the socket to the network interface `device`
    /// (`SO_BINDTODEVICE`) if one is given. Linux 5.7 and later let any process bind a socket
    /// to a device once; older kernels want `CAP_NET_RAW`: [`CanError::BindDevice`] then.
    pub fn bind_on(addr: SocketAddr, device: Option<&str>) -> Result<CannelloniSocket, CanError> {
        let io_error = |source: io::Error| CanError::Io {
            interface: format!("cannelloni {addr}"),
            source,
        };
        let socket = socket2::Socket::new(
            socket2::Domain::for_address(addr),
            socket2::Type::DGRAM,
            Some(socket2::Protocol::UDP),
        )
        .map_err(io_error)?;
        if let Some(device) = device {
            // Before bind(2): no datagram from another interface is queued in between.
            bind_device(&socket, device)?;
        }
        socket.bind(&addr.into()).map_err(io_error)?;
        let socket: UdpSocket = socket.into();
        socket.set_nonblocking(true).map_err(io_error)?;
        let local = socket.local_addr().map_err(io_error)?;
        Ok(CannelloniSocket { socket, local })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// The port that exchanges frames with `peer`.
    pub fn into_port(
        self,
        peer: SocketAddr,
        config: CannelloniConfig,
    ) -> Result<CannelloniPort, CanError> {
        if !(MIN_DATAGRAM_SIZE..=MAX_DATAGRAM_SIZE).contains(&config.max_datagram_size) {
            return Err(CanError::Config(format!(
                "cannelloni max_datagram_size {} outside {MIN_DATAGRAM_SIZE}..={MAX_DATAGRAM_SIZE}",
                config.max_datagram_size
            )));
        }
        if config.rx_queue_capacity == 0 {
            return Err(CanError::Config(
                "cannelloni rx_queue_capacity must be at least 1".to_string(),
            ));
        }
        if let Some(device) = &config.interface {
            // A socket bound without it (`bind`) gets it now; one bound with it keeps it.
            let sock = socket2::SockRef::from(&self.socket);
            let current = sock.device().map_err(|source| CanError::BindDevice {
                device: device.clone(),
                source,
            })?;
            if current.as_deref() != Some(device.as_bytes()) {
                bind_device(&sock, device)?;
            }
        }
        let send_to = destination(self.local, peer)?;
        let name = format!("cannelloni {} -> {peer}", self.local);
        tracing::debug!(port = %name, max_datagram_size = config.max_datagram_size, "cannelloni port open");
        Ok(CannelloniPort {
            socket: self.socket,
            local: self.local,
            peer,
            send_to,
            name,
            pending: DatagramBuilder::new(config.max_datagram_size),
            tx_seq: 0,
            rx_expected: None,
            rx_queue: VecDeque::new(),
            rx_buf: vec![0; RECV_BUFFER_LEN].into_boxed_slice(),
            stats: CannelloniStats::default(),
            events: Events::default(),
            config,
        })
    }
}

/// A CAN bus reached through cannelloni over UDP. See the module documentation.
pub struct CannelloniPort {
    socket: UdpSocket,
    local: SocketAddr,
    /// The peer as configured (datagrams are accepted only from it).
    peer: SocketAddr,
    /// The peer as the socket's address family spells it.
    send_to: SocketAddr,
    /// `cannelloni local -> peer`, for errors and logs.
    name: String,
    config: CannelloniConfig,
    /// Frames queued by `send`, waiting for `flush`.
    pending: DatagramBuilder,
    /// Sequence number of the next datagram sent.
    tx_seq: u8,
    /// Sequence number expected next from the peer; `None` until its first datagram.
    rx_expected: Option<u8>,
    rx_queue: VecDeque<CanFrame>,
    rx_buf: Box<[u8]>,
    stats: CannelloniStats,
    events: Events,
}

/// Occurrences of problems whose counters grow by more than one at a time, for rate-limiting
/// their log lines.
#[derive(Debug, Default)]
struct Events {
    /// Gaps in incoming sequence numbers.
    seq_gaps: u64,
    /// Datagrams with CAN FD frames.
    fd: u64,
    /// Datagrams that overran the receive queue.
    overruns: u64,
}

impl CannelloniPort {
    /// Bind `bind` (port 0 picks a free port) and exchange frames with `peer`, with the default
    /// [`CannelloniConfig`].
    pub fn open(bind: SocketAddr, peer: SocketAddr) -> Result<CannelloniPort, CanError> {
        CannelloniPort::open_with(bind, peer, CannelloniConfig::default())
    }

    /// [`open`](Self::open) with explicit settings.
    pub fn open_with(
        bind: SocketAddr,
        peer: SocketAddr,
        config: CannelloniConfig,
    ) -> Result<CannelloniPort, CanError> {
        CannelloniSocket::bind_on(bind, config.interface.as_deref())?.into_port(peer, config)
    }

    /// The network interface the socket is bound to (`SO_BINDTODEVICE`), as the kernel says.
    pub fn bound_device(&self) -> io::Result<Option<String>> {
        Ok(socket2::SockRef::from(&self.socket)
            .device()?
            .map(|d| String::from_utf8_lossy(&d).into_owned()))
    }

    /// The address the socket is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// The peer frames are sent to and accepted from.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// `cannelloni <local> -> <peer>`.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn config(&self) -> &CannelloniConfig {
        &self.config
    }

    pub fn stats(&self) -> CannelloniStats {
        self.stats
    }

    /// Frames queued by `send` that the next `flush` will send.
    pub fn pending_tx(&self) -> usize {
        self.pending.frame_count()
    }

    /// Received frames waiting for `try_recv`.
    pub fn queued_rx(&self) -> usize {
        self.rx_queue.len()
    }

    /// Hand one datagram to the OS. Failures are counted and logged, never returned: the
    /// datagram is lost, as a frame on a bus nobody listens to is.
    fn transmit(&mut self, datagram: &[u8], frames: usize, seq: u8) {
        let mut attempts = 0;
        let outcome = loop {
            attempts += 1;
            match self.socket.send_to(datagram, self.send_to) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted && attempts < 3 => continue,
                other => break other,
            }
        };
        match outcome {
            Ok(n) if n == datagram.len() => {
                self.stats.datagrams_sent += 1;
                self.stats.frames_sent += frames as u64;
            }
            Ok(n) => {
                self.stats.send_errors += 1;
                if worth_logging(self.stats.send_errors) {
                    tracing::warn!(port = %self.name, seq, bytes = datagram.len(), sent = n, count = self.stats.send_errors, "cannelloni datagram sent short; frames lost");
                }
            }
            Err(e) => {
                self.stats.send_errors += 1;
                if worth_logging(self.stats.send_errors) {
                    tracing::warn!(port = %self.name, seq, frames, error = %e, count = self.stats.send_errors, "cannelloni datagram not sent; frames lost");
                }
            }
        }
    }

    /// Read what the socket holds (up to [`MAX_DATAGRAMS_PER_POLL`] datagrams) into the queue.
    fn poll_socket(&mut self) -> Result<(), CanError> {
        for _ in 0..MAX_DATAGRAMS_PER_POLL {
            match self.socket.recv_from(&mut self.rx_buf) {
                Ok((n, from)) => {
                    if !same_endpoint(from, self.peer) {
                        self.stats.foreign_datagrams += 1;
                        if worth_logging(self.stats.foreign_datagrams) {
                            tracing::warn!(port = %self.name, from = %from, bytes = n, count = self.stats.foreign_datagrams, "datagram from an address other than the cannelloni peer dropped");
                        }
                        continue;
                    }
                    let decoded = decode(self.rx_buf.get(..n).unwrap_or_default());
                    self.accept(decoded, n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // ICMP reports about earlier sends (some platforms deliver them on receive):
                // the peer is not listening, which is a loss, not a broken socket.
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionReset
                    ) =>
                {
                    self.stats.recv_errors += 1;
                    if worth_logging(self.stats.recv_errors) {
                        tracing::warn!(port = %self.name, error = %e, count = self.stats.recv_errors, "cannelloni peer unreachable");
                    }
                }
                Err(source) => {
                    self.stats.recv_errors += 1;
                    return Err(CanError::Io {
                        interface: self.name.clone(),
                        source,
                    });
                }
            }
        }
        Ok(())
    }

    /// Take in one datagram from the peer.
    fn accept(&mut self, decoded: Result<Datagram, CannelloniError>, bytes: usize) {
        let datagram = match decoded {
            Ok(datagram) => datagram,
            Err(error) => {
                self.stats.malformed_datagrams += 1;
                if worth_logging(self.stats.malformed_datagrams) {
                    tracing::warn!(port = %self.name, bytes, error = %error, count = self.stats.malformed_datagrams, "malformed cannelloni datagram dropped");
                }
                return;
            }
        };
        self.stats.datagrams_received += 1;
        self.track_seq(datagram.seq);
        if datagram.skipped_fd > 0 {
            self.stats.fd_frames_skipped += datagram.skipped_fd as u64;
            self.events.fd += 1;
            if worth_logging(self.events.fd) {
                tracing::warn!(port = %self.name, seq = datagram.seq, skipped = datagram.skipped_fd, total = self.stats.fd_frames_skipped, "CAN FD frames skipped: this port carries classic CAN only");
            }
        }
        let mut overrun = 0u64;
        for frame in datagram.frames {
            self.stats.frames_received += 1;
            if self.rx_queue.len() >= self.config.rx_queue_capacity {
                overrun += 1;
            } else {
                self.rx_queue.push_back(frame);
            }
        }
        if overrun > 0 {
            self.stats.rx_overruns += overrun;
            self.events.overruns += 1;
            if worth_logging(self.events.overruns) {
                tracing::warn!(port = %self.name, seq = datagram.seq, dropped = overrun, total = self.stats.rx_overruns, capacity = self.config.rx_queue_capacity, "cannelloni receive queue full; frames dropped");
            }
        }
    }

    /// Account for the sequence number of a good datagram (see the module documentation).
    fn track_seq(&mut self, seq: u8) {
        let Some(expected) = self.rx_expected else {
            self.rx_expected = Some(seq.wrapping_add(1));
            return;
        };
        let ahead = seq.wrapping_sub(expected);
        if ahead == 0 {
            self.rx_expected = Some(seq.wrapping_add(1));
        } else if ahead < 128 {
            self.stats.lost_datagrams += u64::from(ahead);
            self.events.seq_gaps += 1;
            self.rx_expected = Some(seq.wrapping_add(1));
            if worth_logging(self.events.seq_gaps) {
                tracing::warn!(port = %self.name, expected, seq, lost = ahead, total = self.stats.lost_datagrams, "cannelloni datagrams lost");
            }
        } else if ahead > u8::MAX - REORDER_WINDOW {
            self.stats.late_datagrams += 1;
            tracing::debug!(port = %self.name, expected, seq, "late cannelloni datagram");
        } else {
            self.stats.seq_resyncs += 1;
            self.rx_expected = Some(seq.wrapping_add(1));
            tracing::info!(port = %self.name, expected, seq, "cannelloni sequence numbers jumped (peer restarted?); resynchronised");
        }
    }
}

impl CanPort for CannelloniPort {
    /// Queue the frame for the next datagram; if the datagram is full, send it first.
    fn send(&mut self, frame: &CanFrame) -> Result<(), CanError> {
        if self.pending.try_push(frame) {
            return Ok(());
        }
        self.flush()?;
        if self.pending.try_push(frame) {
            Ok(())
        } else {
            // Unreachable: an empty datagram of at least MIN_DATAGRAM_SIZE holds any frame.
            Err(CanError::Unsupported(format!(
                "{frame:?} does not fit in an empty datagram of {} bytes",
                self.pending.max_size()
            )))
        }
    }

    /// The oldest received frame. Flushes frames still queued for sending first, then reads the
    /// socket when the queue is empty; malformed and foreign datagrams are dropped and counted.
    fn try_recv(&mut self) -> Result<Option<CanFrame>, CanError> {
        self.flush()?;
        if self.rx_queue.is_empty() {
            self.poll_socket()?;
        }
        Ok(self.rx_queue.pop_front())
    }

    /// Send the queued frames as one datagram. Never fails: a datagram the OS refuses is
    /// counted in [`CannelloniStats::send_errors`] and lost.
    fn flush(&mut self) -> Result<(), CanError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let batch = std::mem::replace(
            &mut self.pending,
            DatagramBuilder::new(self.config.max_datagram_size),
        );
        let frames = batch.frame_count();
        let seq = self.tx_seq;
        self.tx_seq = seq.wrapping_add(1);
        let datagram = batch.finish(seq);
        self.transmit(&datagram, frames, seq);
        Ok(())
    }
}

impl Drop for CannelloniPort {
    /// Send what is still queued, best effort.
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

impl std::fmt::Debug for CannelloniPort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CannelloniPort")
            .field("name", &self.name)
            .field("pending_tx", &self.pending.frame_count())
            .field("queued_rx", &self.rx_queue.len())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_rate_limit() {
        let logged: Vec<u64> = (0..5000).filter(|&c| worth_logging(c)).collect();
        assert_eq!(
            logged,
            [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 3072, 4096]
        );
    }

    #[test]
    fn endpoints_compare_through_ipv4_mapping() {
        let v4: SocketAddr = "127.0.0.1:20000".parse().unwrap();
        let mapped: SocketAddr = "[::ffff:127.0.0.1]:20000".parse().unwrap();
        assert!(same_endpoint(v4, mapped));
        assert!(!same_endpoint(v4, "127.0.0.1:20001".parse().unwrap()));
        assert!(!same_endpoint(v4, "127.0.0.2:20000".parse().unwrap()));
    }

    #[test]
    fn destination_follows_the_socket_family() {
        let any4: SocketAddr = "0.0.0.0:0".parse().unwrap();
        let any6: SocketAddr = "[::]:0".parse().unwrap();
        let peer4: SocketAddr = "192.0.2.1:20000".parse().unwrap();
        let peer6: SocketAddr = "[2001:db8::1]:20000".parse().unwrap();
        assert_eq!(destination(any4, peer4).unwrap(), peer4);
        assert_eq!(destination(any6, peer6).unwrap(), peer6);
        assert_eq!(
            destination(any6, peer4).unwrap(),
            "[::ffff:192.0.2.1]:20000".parse::<SocketAddr>().unwrap()
        );
        assert_eq!(
            destination(any4, "[::ffff:192.0.2.1]:20000".parse().unwrap()).unwrap(),
            peer4
        );
        assert!(matches!(destination(any4, peer6), Err(CanError::Config(_))));
        assert!(matches!(
            destination(any4, "192.0.2.1:0".parse().unwrap()),
            Err(CanError::Config(_))
        ));
    }

    fn port_for_seq() -> CannelloniPort {
        CannelloniPort::open(
            "127.0.0.1:0".parse().unwrap(),
            "127.0.0.1:9".parse().unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn sequence_tracking_counts_gaps_late_and_resyncs() {
        let mut p = port_for_seq();
        for seq in [250, 251, 252] {
            p.track_seq(seq);
        }
        assert_eq!(p.stats.lost_datagrams, 0);
        // Wraps without a gap.
        for seq in [253, 254, 255, 0, 1] {
            p.track_seq(seq);
        }
        assert_eq!(p.stats.lost_datagrams, 0);
        // 2, 3, 4 missing, across nothing; then a gap across the wrap.
        p.track_seq(5);
        assert_eq!(p.stats.lost_datagrams, 3);
        p.rx_expected = Some(254);
        p.track_seq(1); // 254, 255, 0 missing
        assert_eq!(p.stats.lost_datagrams, 6);
        // A late one: counted, expectation unchanged.
        p.track_seq(0);
        assert_eq!(p.stats.late_datagrams, 1);
        assert_eq!(p.rx_expected, Some(2));
        // A restart far from the expectation resynchronises.
        p.track_seq(130);
        assert_eq!(p.stats.seq_resyncs, 1);
        assert_eq!(p.rx_expected, Some(131));
        assert_eq!(p.stats.lost_datagrams, 6);
    }

    #[test]
    fn builder_respects_the_size_limit() {
        let f = CanFrame::standard(0x100, &[0; 8]).unwrap();
        let mut b = DatagramBuilder::new(HEADER_LEN + 2 * MAX_CLASSIC_FRAME_LEN);
        assert!(b.try_push(&f));
        assert!(b.try_push(&f));
        assert!(!b.try_push(&f));
        // A smaller frame would still fit only if there were room: there is none.
        assert!(!b.try_push(&CanFrame::standard(0x100, &[]).unwrap()));
        assert_eq!(b.frame_count(), 2);
        assert_eq!(b.len(), b.max_size());
        // Sizes below one frame are clamped up so any frame fits.
        assert_eq!(DatagramBuilder::new(0).max_size(), MIN_DATAGRAM_SIZE);
        assert_eq!(
            DatagramBuilder::new(usize::MAX).max_size(),
            MAX_DATAGRAM_SIZE
        );
    }

    #[test]
    fn encode_refuses_more_than_one_udp_datagram() {
        let frames = vec![CanFrame::standard(0x100, &[0; 8]).unwrap(); 6000];
        assert!(matches!(
            encode(0, &frames),
            Err(CannelloniError::DatagramTooLarge { frames: 6000, .. })
        ));
    }
}
