//! The J1939-21 transport protocol for one node: connection-mode (RTS/CTS) transfers in both
//! directions, and broadcast (BAM) transfers received.
//!
//! A receiver answers an RTS with a CTS for as many packets as the RTS allows per CTS (all of
//! them for GB/T, whose RTS says 0xFF), places each TP.DT by its sequence number, asks for the
//! next window when one is complete and acknowledges the whole message with EndOfMsgAck. A
//! sender sends its RTS, waits for a CTS, hands out the data packets the CTS allows through
//! [`Transport::poll_transmit`] (a real bus paces them), and finishes on the EndOfMsgAck.
//!
//! # Choices, and what J1939-21 says about them
//!
//! * **Lost packet (a gap in the sequence).** J1939-21 lets the receiver ask again: a CTS may
//!   name any packet as "next", and Conn_Abort reason 5 (maximum retransmit requests reached)
//!   exists for a receiver that gives up. CAN delivers one sender's frames in order, so a gap
//!   means frames were lost (typically a receive FIFO overrun). Packets after the gap are kept;
//!   when the last packet of the CTS window has arrived, the receiver sends a CTS from the first
//!   missing packet. It does not ask earlier because a CTS that reaches a sender still sending
//!   the window is a protocol error (reason 4). At most [`MAX_RETRANSMIT_REQUESTS`] such CTS are
//!   sent per message; after that the transfer is aborted with `MaxRetransmit`. If the last
//!   packet of a window is the one lost, nothing tells the receiver, and T1 aborts the transfer.
//! * **Duplicate packet.** J1939-21's reasons 7 and 8 are for a receiver "not able to recover";
//!   this one can, since every packet carries its sequence number. A packet received a second
//!   time in the same window (or from an earlier window) is ignored (an `Ignored` event, with a
//!   count) and does not restart T1, so a sender that only repeats itself still times out. A
//!   packet sent again because we asked for it is not a duplicate.
//! * **Packet outside the CTS window.** Sequence 0 or beyond the message: `BadSequence` (7).
//!   Within the message but beyond what the CTS allowed: `UnexpectedDataTransfer` (6). Both
//!   abort, because the sender is not following the CTS and nothing it sends next can be
//!   trusted.
//! * **A new RTS from a source that already has a transfer to us.** J1939-21 5.10.3.1: "If
//!   multiple RTSs are received from the same source address for the same PGN, then the most
//!   recent RTS shall be acted on and the previous RTSs will be abandoned. No abort message
//!   shall be sent for the abandoned RTSs in this specific case." So the old transfer is dropped
//!   silently and the new one answered. This is common with GB/T: a BMS repeats its BCS RTS
//!   every 250 ms. An RTS for a *different* PGN also means the sender gave up the old transfer
//!   (TP.DT carries no PGN, so one pair of nodes can only run one transfer each way). The old
//!   one is aborted with reason 1 (`AlreadyInSession`) for its PGN, as AgIsoStack does, and the
//!   new one is taken.
//! * **RTS that cannot be accepted.** Size above 1785: reason 9 (`TooLarge`). Size below 9, or
//!   a packet count that does not match the size: reason 250 (any other reason). J1939-21 has no
//!   specific code for these, and a packet count that does not match the size cannot be
//!   reassembled safely. Size above [`Transport::with_max_receive_size`]: reason 2
//!   (`NoResources`). More than [`MAX_RECEIVE_SESSIONS`] sources at once: reason 1. An RTS byte 5
//!   (max packets per CTS) of 0 is invalid; it is read as "no limit" rather than rejected.
//! * **Frames that make no sense** (a DT or CTS without a transfer, an EndOfMsgAck that was not
//!   expected, an abort for a PGN we are not transferring, a TP.CM that is not 8 bytes long) are
//!   ignored with an `Ignored` event, as J1939-21 says to ignore them. They are never answered
//!   with an abort.
//! * **Timeouts.** T1 and T2 (receiver) and T3 and T4 (sender) abort the transfer with a
//!   Conn_Abort(Timeout) to the peer, as J1939-21 asks of both ends of a connection. A broadcast
//!   that times out is only dropped: nobody is listening for an answer to a BAM. Deadlines are
//!   checked at the start of [`Transport::handle_frame`] as well as in [`Transport::update`], so
//!   a frame that arrives after a deadline finds the transfer already aborted whatever order the
//!   host calls things in.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::time::Duration;

use thiserror::Error;

use super::id::{is_pdu1_pgn, J1939Id, MAX_PGN};
use super::{
    BYTES_PER_PACKET, EVENT_QUEUE_LIMIT, GLOBAL_ADDRESS, MAX_TP_SIZE, MIN_TP_SIZE, NULL_ADDRESS,
    PGN_TP_CM, PGN_TP_DT, TP_PRIORITY, TX_QUEUE_LIMIT,
};
use crate::can::CanFrame;
use crate::time::Timestamp;

/// Re-requests (a CTS naming a packet already asked for) a receiver sends for one message
/// before it gives up with `MaxRetransmit`. J1939-21 leaves the number to the implementation;
/// two covers an occasional overrun without letting a broken link keep a transfer alive.
pub const MAX_RETRANSMIT_REQUESTS: u8 = 2;

/// Sources that may have an RTS/CTS transfer to us at the same time (and, separately, sources
/// with a broadcast in progress). A GB/T bus has one (the BMS); the bound keeps a misbehaving
/// bus from growing memory: at most this many × 1785 bytes are held.
pub const MAX_RECEIVE_SESSIONS: usize = 16;

const CONTROL_RTS: u8 = 0x10;
const CONTROL_CTS: u8 = 0x11;
const CONTROL_END_OF_MSG_ACK: u8 = 0x13;
const CONTROL_BAM: u8 = 0x20;
const CONTROL_ABORT: u8 = 0xFF;
/// RTS byte 5: the sender sets no limit on packets per CTS.
const NO_CTS_LIMIT: u8 = 0xFF;
/// Conn_Abort reason "any other reason" (J1939-21 2022; earlier editions used 13).
const ANY_OTHER_REASON: u8 = 250;

/// The J1939-21 transport timers. The defaults are the standard's values (reference §2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TpTimeouts {
    /// Tr, the time a node has to answer (CTS, EndOfMsgAck, Conn_Abort). This transport answers
    /// in the call that received the frame, so it never waits on Tr; the value only documents
    /// what a peer may expect of us.
    pub tr: Duration,
    /// Th, how often a receiver that holds a connection open (CTS with 0 packets) must repeat
    /// that CTS. This transport never holds a connection, because it has room for any message
    /// it accepted. When sending, it allows the peer T4 after each hold.
    pub th: Duration,
    /// T1, receiver: from one data packet to the next.
    pub t1: Duration,
    /// T2, receiver: from its CTS to the first data packet.
    pub t2: Duration,
    /// T3, sender: from its RTS, or from the last data packet of a window, to the CTS or
    /// EndOfMsgAck. Also bounds how long the host may take to drain a window from
    /// [`Transport::poll_transmit`].
    pub t3: Duration,
    /// T4, sender: from a CTS that holds the connection (0 packets) to the next CTS.
    pub t4: Duration,
}

impl Default for TpTimeouts {
    fn default() -> Self {
        TpTimeouts {
            tr: Duration::from_millis(200),
            th: Duration::from_millis(500),
            t1: Duration::from_millis(750),
            t2: Duration::from_millis(1250),
            t3: Duration::from_millis(1250),
            t4: Duration::from_millis(1050),
        }
    }
}

/// Why a transfer was aborted: the Conn_Abort reason byte (J1939-21 table "Connection Abort
/// Reason").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AbortReason {
    /// 1: already in one or more connection-managed sessions and cannot support another.
    AlreadyInSession,
    /// 2: system resources were needed for another task (also: message larger than we accept).
    NoResources,
    /// 3: a timeout occurred.
    Timeout,
    /// 4: a CTS arrived while a data transfer was in progress.
    CtsWhileSending,
    /// 5: maximum retransmit request limit reached.
    MaxRetransmit,
    /// 6: unexpected data transfer packet.
    UnexpectedDataTransfer,
    /// 7: bad sequence number (and the software cannot recover).
    BadSequence,
    /// 8: duplicate sequence number (and the software cannot recover).
    DuplicateSequence,
    /// 9: total message size greater than 1785 bytes.
    TooLarge,
    /// Any other code; 250 is J1939-21's "any other reason". Codes 1-9 are always decoded to the
    /// named variants, so `Other` only ever holds codes outside 1-9.
    Other(u8),
}

impl AbortReason {
    /// The reason for a Conn_Abort reason byte.
    pub fn from_code(code: u8) -> AbortReason {
        match code {
            1 => AbortReason::AlreadyInSession,
            2 => AbortReason::NoResources,
            3 => AbortReason::Timeout,
            4 => AbortReason::CtsWhileSending,
            5 => AbortReason::MaxRetransmit,
            6 => AbortReason::UnexpectedDataTransfer,
            7 => AbortReason::BadSequence,
            8 => AbortReason::DuplicateSequence,
            9 => AbortReason::TooLarge,
            other => AbortReason::Other(other),
        }
    }

    /// The Conn_Abort reason byte.
    pub fn code(self) -> u8 {
        match self {
            AbortReason::AlreadyInSession => 1,
            AbortReason::NoResources => 2,
            AbortReason::Timeout => 3,
            AbortReason::CtsWhileSending => 4,
            AbortReason::MaxRetransmit => 5,
            AbortReason::UnexpectedDataTransfer => 6,
            AbortReason::BadSequence => 7,
            AbortReason::DuplicateSequence => 8,
            AbortReason::TooLarge => 9,
            AbortReason::Other(code) => code,
        }
    }
}

impl fmt::Display for AbortReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            AbortReason::AlreadyInSession => "already in a connection-managed session",
            AbortReason::NoResources => "no resources",
            AbortReason::Timeout => "timeout",
            AbortReason::CtsWhileSending => "CTS while a data transfer was in progress",
            AbortReason::MaxRetransmit => "maximum retransmit requests reached",
            AbortReason::UnexpectedDataTransfer => "unexpected data transfer packet",
            AbortReason::BadSequence => "bad sequence number",
            AbortReason::DuplicateSequence => "duplicate sequence number",
            AbortReason::TooLarge => "message larger than 1785 bytes",
            AbortReason::Other(ANY_OTHER_REASON) => "any other reason",
            AbortReason::Other(code) => return write!(f, "reason {code}"),
        };
        write!(f, "{text} ({})", self.code())
    }
}

/// Which way the data of a transfer flowed, seen from this node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TpDirection {
    Receive,
    Send,
}

/// What the transport reports to the application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TpEvent {
    /// A complete multi-packet message arrived (EndOfMsgAck already queued).
    Received { source: u8, pgn: u32, data: Vec<u8> },
    /// Our message was acknowledged by the peer's EndOfMsgAck.
    Sent { destination: u8, pgn: u32 },
    /// A transfer ended without completing: by us (e.g. timeout; the abort frame is queued) or by
    /// the peer's Conn_Abort.
    Aborted {
        peer: u8,
        pgn: u32,
        direction: TpDirection,
        reason: AbortReason,
        by_peer: bool,
    },
    /// A transport frame was malformed or made no sense in the current state and was ignored
    /// (text says why).
    Ignored(String),
}

/// Why [`Transport::send`] refused a message.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TpError {
    #[error("{size} bytes is more than the transport protocol carries ({max})")]
    TooLarge { size: usize, max: usize },
    #[error("{size} bytes fits one frame; the transport protocol carries {min} bytes or more")]
    TooSmall { size: usize, min: usize },
    #[error("a transfer to 0x{destination:02X} is already in progress")]
    Busy { destination: u8 },
    #[error("RTS/CTS needs a single destination other than ourselves, not 0x{destination:02X}")]
    InvalidDestination { destination: u8 },
    #[error("PGN 0x{pgn:05X} is not a valid parameter group number")]
    InvalidPgn { pgn: u32 },
    #[error("priority {priority} is out of range (0-7)")]
    InvalidPriority { priority: u8 },
}

/// A decoded TP.CM (connection management) frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TpCm {
    /// `10, size_lo, size_hi, packets, max_per_cts, PGN(3)`; `max_per_cts` 0xFF = no limit.
    Rts {
        size: u16,
        packets: u8,
        max_per_cts: u8,
        pgn: u32,
    },
    /// `11, packets, next, FF, FF, PGN(3)`; `packets` 0 = hold the connection open.
    Cts { packets: u8, next: u8, pgn: u32 },
    /// `13, size_lo, size_hi, packets, FF, PGN(3)`.
    EndOfMsgAck { size: u16, packets: u8, pgn: u32 },
    /// `FF, reason, FF, FF, FF, PGN(3)`.
    Abort { reason: AbortReason, pgn: u32 },
    /// `20, size_lo, size_hi, packets, FF, PGN(3)`, to the global address.
    Bam { size: u16, packets: u8, pgn: u32 },
}

/// Why a TP.CM frame could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum TpCmError {
    #[error("TP.CM of {0} bytes (J1939-21 sends 8)")]
    WrongLength(usize),
    #[error("TP.CM with unknown control byte 0x{0:02X}")]
    UnknownControl(u8),
}

impl TpCm {
    /// Decodes a TP.CM payload. The PGN is reduced to 18 bits and, for a PDU1 PGN, its low byte
    /// to 0, so that it compares equal to the PGN the application uses.
    pub fn parse(data: &[u8]) -> Result<TpCm, TpCmError> {
        let d: &[u8; 8] = data
            .try_into()
            .map_err(|_| TpCmError::WrongLength(data.len()))?;
        let size = u16::from_le_bytes([d[1], d[2]]);
        let pgn = normalize_pgn(u32::from_le_bytes([d[5], d[6], d[7], 0]));
        Ok(match d[0] {
            CONTROL_RTS => TpCm::Rts {
                size,
                packets: d[3],
                max_per_cts: d[4],
                pgn,
            },
            CONTROL_CTS => TpCm::Cts {
                packets: d[1],
                next: d[2],
                pgn,
            },
            CONTROL_END_OF_MSG_ACK => TpCm::EndOfMsgAck {
                size,
                packets: d[3],
                pgn,
            },
            CONTROL_ABORT => TpCm::Abort {
                reason: AbortReason::from_code(d[1]),
                pgn,
            },
            CONTROL_BAM => TpCm::Bam {
                size,
                packets: d[3],
                pgn,
            },
            other => return Err(TpCmError::UnknownControl(other)),
        })
    }

    /// The 8-byte payload, reserved bytes set to 0xFF.
    pub fn to_bytes(&self) -> [u8; 8] {
        let [p0, p1, p2] = pgn_bytes(self.pgn());
        match *self {
            TpCm::Rts {
                size,
                packets,
                max_per_cts,
                ..
            } => {
                let [s0, s1] = size.to_le_bytes();
                [CONTROL_RTS, s0, s1, packets, max_per_cts, p0, p1, p2]
            }
            TpCm::Cts { packets, next, .. } => [CONTROL_CTS, packets, next, 0xFF, 0xFF, p0, p1, p2],
            TpCm::EndOfMsgAck { size, packets, .. } => {
                let [s0, s1] = size.to_le_bytes();
                [CONTROL_END_OF_MSG_ACK, s0, s1, packets, 0xFF, p0, p1, p2]
            }
            TpCm::Abort { reason, .. } => {
                [CONTROL_ABORT, reason.code(), 0xFF, 0xFF, 0xFF, p0, p1, p2]
            }
            TpCm::Bam { size, packets, .. } => {
                let [s0, s1] = size.to_le_bytes();
                [CONTROL_BAM, s0, s1, packets, 0xFF, p0, p1, p2]
            }
        }
    }

    /// The PGN of the message being transferred.
    pub fn pgn(&self) -> u32 {
        match *self {
            TpCm::Rts { pgn, .. }
            | TpCm::Cts { pgn, .. }
            | TpCm::EndOfMsgAck { pgn, .. }
            | TpCm::Abort { pgn, .. }
            | TpCm::Bam { pgn, .. } => pgn,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            TpCm::Rts { .. } => "RTS",
            TpCm::Cts { .. } => "CTS",
            TpCm::EndOfMsgAck { .. } => "EndOfMsgAck",
            TpCm::Abort { .. } => "Conn_Abort",
            TpCm::Bam { .. } => "BAM",
        }
    }
}

fn normalize_pgn(pgn: u32) -> u32 {
    let pgn = pgn & MAX_PGN;
    if is_pdu1_pgn(pgn) {
        pgn & !0xFF
    } else {
        pgn
    }
}

fn pgn_bytes(pgn: u32) -> [u8; 3] {
    let [b0, b1, b2, _] = pgn.to_le_bytes();
    [b0, b1, b2]
}

/// Packets needed for `size` bytes.
fn packets_for(size: usize) -> usize {
    size.div_ceil(BYTES_PER_PACKET)
}

/// A set of sequence numbers 0-255.
#[derive(Debug, Clone, Copy, Default)]
struct PacketSet([u64; 4]);

impl PacketSet {
    fn insert(&mut self, seq: u8) {
        if let Some(word) = self.0.get_mut(usize::from(seq >> 6)) {
            *word |= 1 << (seq & 63);
        }
    }

    fn contains(&self, seq: u8) -> bool {
        self.0
            .get(usize::from(seq >> 6))
            .is_some_and(|word| word & (1 << (seq & 63)) != 0)
    }

    /// The lowest of 1..=`packets` not in the set.
    fn first_missing(&self, packets: u8) -> Option<u8> {
        (1..=packets).find(|&seq| !self.contains(seq))
    }
}

/// An RTS/CTS transfer a peer is sending to us.
#[derive(Debug)]
struct Inbound {
    pgn: u32,
    size: u16,
    packets: u8,
    /// Packets we may ask for in one CTS (the RTS's byte 5).
    per_cts: u8,
    data: Vec<u8>,
    /// Packets stored so far.
    have: PacketSet,
    /// Packets received since the last CTS: a second copy of one of these is a duplicate.
    seen: PacketSet,
    /// The packets the last CTS allowed.
    window_start: u8,
    window_end: u8,
    retransmit_requests: u8,
    duplicates: u32,
    /// T2 after a CTS, T1 after a data packet.
    deadline: Timestamp,
}

/// A broadcast (BAM) a peer is sending to everyone.
#[derive(Debug)]
struct Broadcast {
    pgn: u32,
    size: u16,
    packets: u8,
    data: Vec<u8>,
    next: u8,
    /// T1.
    deadline: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SendState {
    /// RTS sent, or a window sent that did not end the message: waiting for a CTS (T3).
    AwaitCts,
    /// The peer answered CTS(0): waiting for a CTS with packets (T4).
    Held,
    /// Packets `next..=last` are still to be handed out by `poll_transmit`.
    Sending { next: u8, last: u8 },
    /// Every packet sent: waiting for EndOfMsgAck, or a CTS asking for some again (T3).
    AwaitEndOfMsgAck,
}

/// A transfer we are sending to a peer.
#[derive(Debug)]
struct Outbound {
    priority: u8,
    pgn: u32,
    data: Vec<u8>,
    packets: u8,
    state: SendState,
    deadline: Timestamp,
}

/// One node's transport layer: receives RTS/CTS transfers addressed to it and sends its own.
///
/// Transfers are keyed by peer address: J1939-21 allows one connection each way between two
/// nodes (TP.DT carries no PGN to tell two apart), so there is at most one transfer from and one
/// to each peer.
#[derive(Debug)]
pub struct Transport {
    local: u8,
    timeouts: TpTimeouts,
    max_receive_size: usize,
    inbound: BTreeMap<u8, Inbound>,
    broadcasts: BTreeMap<u8, Broadcast>,
    outbound: BTreeMap<u8, Outbound>,
    /// Connection-management frames to send. Data packets are produced on demand instead.
    tx: VecDeque<CanFrame>,
    events: VecDeque<TpEvent>,
}

impl Transport {
    /// The transport of the node at `local_address` (0x56 for a charger, 0xF4 for a BMS).
    pub fn new(local_address: u8, timeouts: TpTimeouts) -> Transport {
        Transport {
            local: local_address,
            timeouts,
            max_receive_size: MAX_TP_SIZE,
            inbound: BTreeMap::new(),
            broadcasts: BTreeMap::new(),
            outbound: BTreeMap::new(),
            tx: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// Largest message this node accepts (default 1785 = 255×7; larger values are reduced to
    /// it). An RTS above it is answered with Conn_Abort `NoResources`, and one above 1785 with
    /// `TooLarge`.
    pub fn with_max_receive_size(mut self, bytes: usize) -> Transport {
        self.max_receive_size = bytes.min(MAX_TP_SIZE);
        self
    }

    pub fn local_address(&self) -> u8 {
        self.local
    }

    pub fn timeouts(&self) -> &TpTimeouts {
        &self.timeouts
    }

    pub fn max_receive_size(&self) -> usize {
        self.max_receive_size
    }

    /// Offer a received frame. Returns true if it was a TP.CM/TP.DT frame addressed to this node
    /// or to the global address (consumed, whatever its validity), false if the application
    /// should handle it.
    pub fn handle_frame(&mut self, frame: &CanFrame, now: Timestamp) -> bool {
        let Some(id) = J1939Id::from_frame(frame) else {
            return false;
        };
        if id.pgn != PGN_TP_CM && id.pgn != PGN_TP_DT {
            return false;
        }
        let broadcast = id.destination == GLOBAL_ADDRESS;
        if id.destination != self.local && !broadcast {
            return false;
        }
        self.update(now);
        if id.source == self.local || id.source >= NULL_ADDRESS {
            let kind = if id.pgn == PGN_TP_CM {
                "TP.CM"
            } else {
                "TP.DT"
            };
            self.ignore(format!(
                "{kind} from source address 0x{:02X}, which cannot hold a transfer with us",
                id.source
            ));
        } else if id.pgn == PGN_TP_CM {
            self.on_control(id.source, broadcast, frame.data(), now);
        } else if broadcast {
            self.on_broadcast_data(id.source, frame.data(), now);
        } else {
            self.on_data(id.source, frame.data(), now);
        }
        true
    }

    /// Start sending `data` (9..=1785 bytes) to `destination` with RTS/CTS. One send per
    /// destination at a time (Busy otherwise). Data frames go out as CTS allows. `priority` is
    /// that of this transfer's RTS and data packets (J1939-21 and GB/T use 7); `pgn` must be a
    /// valid PGN, with a PDU1 PGN's low byte 0.
    pub fn send(
        &mut self,
        destination: u8,
        priority: u8,
        pgn: u32,
        data: &[u8],
        now: Timestamp,
    ) -> Result<(), TpError> {
        if priority > 7 {
            return Err(TpError::InvalidPriority { priority });
        }
        if destination == GLOBAL_ADDRESS || destination == NULL_ADDRESS || destination == self.local
        {
            return Err(TpError::InvalidDestination { destination });
        }
        if pgn > MAX_PGN || (is_pdu1_pgn(pgn) && pgn & 0xFF != 0) {
            return Err(TpError::InvalidPgn { pgn });
        }
        if data.len() < MIN_TP_SIZE {
            return Err(TpError::TooSmall {
                size: data.len(),
                min: MIN_TP_SIZE,
            });
        }
        let (Ok(size), Ok(packets)) = (
            u16::try_from(data.len()),
            u8::try_from(packets_for(data.len())),
        ) else {
            return Err(TpError::TooLarge {
                size: data.len(),
                max: MAX_TP_SIZE,
            });
        };
        if self.outbound.contains_key(&destination) {
            return Err(TpError::Busy { destination });
        }
        self.control(
            destination,
            priority,
            TpCm::Rts {
                size,
                packets,
                max_per_cts: NO_CTS_LIMIT,
                pgn,
            },
        );
        self.outbound.insert(
            destination,
            Outbound {
                priority,
                pgn,
                data: data.to_vec(),
                packets,
                state: SendState::AwaitCts,
                deadline: now + self.timeouts.t3,
            },
        );
        Ok(())
    }

    /// Advance timers: T1/T2/T3/T4 expiry aborts the transfer (Conn_Abort with Timeout queued,
    /// except for a broadcast) and emits Aborted. A deadline is reached when `now` equals it.
    pub fn update(&mut self, now: Timestamp) {
        let expired: Vec<u8> = self
            .inbound
            .iter()
            .filter(|(_, s)| s.deadline <= now)
            .map(|(&peer, _)| peer)
            .collect();
        for source in expired {
            if let Some(session) = self.inbound.remove(&source) {
                self.abort_inbound(source, session.pgn, AbortReason::Timeout);
            }
        }
        let expired: Vec<u8> = self
            .outbound
            .iter()
            .filter(|(_, s)| s.deadline <= now)
            .map(|(&peer, _)| peer)
            .collect();
        for destination in expired {
            if let Some(session) = self.outbound.remove(&destination) {
                self.abort_outbound(destination, &session, AbortReason::Timeout);
            }
        }
        let expired: Vec<u8> = self
            .broadcasts
            .iter()
            .filter(|(_, b)| b.deadline <= now)
            .map(|(&peer, _)| peer)
            .collect();
        for source in expired {
            if let Some(broadcast) = self.broadcasts.remove(&source) {
                self.emit(TpEvent::Aborted {
                    peer: source,
                    pgn: broadcast.pgn,
                    direction: TpDirection::Receive,
                    reason: AbortReason::Timeout,
                    by_peer: false,
                });
            }
        }
    }

    /// The next frame to put on the bus: answers and RTSs first, then the data packets that the
    /// peers' CTSs allow. `now` is when the frame goes out: T3 starts at the last packet of a
    /// window.
    pub fn poll_transmit(&mut self, now: Timestamp) -> Option<CanFrame> {
        if let Some(frame) = self.tx.pop_front() {
            return Some(frame);
        }
        let local = self.local;
        let t3 = self.timeouts.t3;
        for (&destination, session) in self.outbound.iter_mut() {
            let SendState::Sending { next, last } = session.state else {
                continue;
            };
            let mut bytes = [0xFF; 8];
            bytes[0] = next;
            let offset = usize::from(next.saturating_sub(1)) * BYTES_PER_PACKET;
            if let Some(rest) = session.data.get(offset..) {
                let n = rest.len().min(BYTES_PER_PACKET);
                if let (Some(to), Some(from)) = (bytes.get_mut(1..=n), rest.get(..n)) {
                    to.copy_from_slice(from);
                }
            }
            if next >= last {
                session.state = if last >= session.packets {
                    SendState::AwaitEndOfMsgAck
                } else {
                    SendState::AwaitCts
                };
                session.deadline = now + t3;
            } else {
                session.state = SendState::Sending {
                    next: next + 1,
                    last,
                };
            }
            return J1939Id::new(session.priority, PGN_TP_DT, destination, local)
                .frame(&bytes)
                .ok();
        }
        None
    }

    pub fn poll_event(&mut self) -> Option<TpEvent> {
        self.events.pop_front()
    }

    /// Earliest instant `update` must run.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.inbound
            .values()
            .map(|s| s.deadline)
            .chain(self.outbound.values().map(|s| s.deadline))
            .chain(self.broadcasts.values().map(|b| b.deadline))
            .min()
    }

    /// Forget all transfers silently (session restart): no abort frames, no events, and frames
    /// and events not yet polled are dropped.
    pub fn reset(&mut self) {
        self.inbound.clear();
        self.broadcasts.clear();
        self.outbound.clear();
        self.tx.clear();
        self.events.clear();
    }

    /// No transfer in progress and nothing left to transmit.
    pub fn is_idle(&self) -> bool {
        self.inbound.is_empty()
            && self.broadcasts.is_empty()
            && self.outbound.is_empty()
            && self.tx.is_empty()
    }

    fn on_control(&mut self, source: u8, broadcast: bool, data: &[u8], now: Timestamp) {
        let cm = match TpCm::parse(data) {
            Ok(cm) => cm,
            Err(e) => {
                self.ignore(format!("{e} from 0x{source:02X}"));
                return;
            }
        };
        match cm {
            TpCm::Bam { size, packets, pgn } if broadcast => {
                self.on_bam(source, size, packets, pgn, now);
            }
            _ if broadcast => self.ignore(format!(
                "{} from 0x{source:02X} to the global address (only BAM is broadcast)",
                cm.name()
            )),
            TpCm::Bam { .. } => self.ignore(format!(
                "BAM from 0x{source:02X} addressed to us instead of the global address"
            )),
            TpCm::Rts {
                size,
                packets,
                max_per_cts,
                pgn,
            } => self.on_rts(source, size, packets, max_per_cts, pgn, now),
            TpCm::Cts { packets, next, pgn } => self.on_cts(source, packets, next, pgn, now),
            TpCm::EndOfMsgAck { pgn, .. } => self.on_end_of_msg_ack(source, pgn),
            TpCm::Abort { reason, pgn } => self.on_abort(source, reason, pgn),
        }
    }

    fn on_rts(
        &mut self,
        source: u8,
        size: u16,
        packets: u8,
        max_per_cts: u8,
        pgn: u32,
        now: Timestamp,
    ) {
        // Whatever this RTS asks, its sender has given up the transfer it had open with us.
        if let Some(old) = self.inbound.remove(&source) {
            if old.pgn != pgn {
                self.abort_inbound(source, old.pgn, AbortReason::AlreadyInSession);
            }
            // Same PGN: J1939-21 5.10.3.1, the old one is abandoned without an abort.
        }
        let bytes = usize::from(size);
        let refusal = if bytes > MAX_TP_SIZE {
            Some(AbortReason::TooLarge)
        } else if bytes < MIN_TP_SIZE || usize::from(packets) != packets_for(bytes) {
            Some(AbortReason::Other(ANY_OTHER_REASON))
        } else if bytes > self.max_receive_size {
            Some(AbortReason::NoResources)
        } else if self.inbound.len() >= MAX_RECEIVE_SESSIONS {
            Some(AbortReason::AlreadyInSession)
        } else {
            None
        };
        if let Some(reason) = refusal {
            self.abort_inbound(source, pgn, reason);
            return;
        }
        let mut session = Inbound {
            pgn,
            size,
            packets,
            per_cts: if max_per_cts == 0 {
                NO_CTS_LIMIT
            } else {
                max_per_cts
            },
            data: vec![0; bytes],
            have: PacketSet::default(),
            seen: PacketSet::default(),
            window_start: 1,
            window_end: 0,
            retransmit_requests: 0,
            duplicates: 0,
            deadline: now,
        };
        self.clear_to_send(source, &mut session, 1, now);
        self.inbound.insert(source, session);
    }

    /// Asks for the packets from `from` on, as many as the RTS allows in one CTS.
    fn clear_to_send(&mut self, source: u8, session: &mut Inbound, from: u8, now: Timestamp) {
        let from = from.clamp(1, session.packets.max(1));
        let count = session
            .packets
            .saturating_sub(from)
            .saturating_add(1)
            .min(session.per_cts);
        session.window_start = from;
        session.window_end = from.saturating_add(count.saturating_sub(1));
        session.seen = PacketSet::default();
        session.deadline = now + self.timeouts.t2;
        self.control(
            source,
            TP_PRIORITY,
            TpCm::Cts {
                packets: count,
                next: from,
                pgn: session.pgn,
            },
        );
    }

    fn on_data(&mut self, source: u8, data: &[u8], now: Timestamp) {
        let Some(&seq) = data.first() else {
            self.ignore(format!("empty TP.DT from 0x{source:02X}"));
            return;
        };
        let Some(mut session) = self.inbound.remove(&source) else {
            self.ignore(format!(
                "TP.DT {seq} from 0x{source:02X} without a transfer in progress"
            ));
            return;
        };
        if seq == 0 || seq > session.packets {
            self.abort_inbound(source, session.pgn, AbortReason::BadSequence);
            return;
        }
        if seq > session.window_end {
            self.abort_inbound(source, session.pgn, AbortReason::UnexpectedDataTransfer);
            return;
        }
        if seq < session.window_start || session.seen.contains(seq) {
            session.duplicates = session.duplicates.saturating_add(1);
            let (pgn, count) = (session.pgn, session.duplicates);
            self.inbound.insert(source, session);
            self.ignore(format!(
                "duplicate TP.DT {seq} from 0x{source:02X} (PGN 0x{pgn:04X}, {count} so far)"
            ));
            return;
        }
        let offset = usize::from(seq - 1) * BYTES_PER_PACKET;
        let needed = usize::from(session.size)
            .saturating_sub(offset)
            .min(BYTES_PER_PACKET);
        let payload = data.get(1..).unwrap_or_default();
        if payload.len() < needed {
            let pgn = session.pgn;
            self.inbound.insert(source, session);
            self.ignore(format!(
                "TP.DT {seq} from 0x{source:02X} carries {} of its {needed} bytes (PGN 0x{pgn:04X})",
                payload.len()
            ));
            return;
        }
        if !session.have.contains(seq) {
            if let (Some(to), Some(from)) = (
                session.data.get_mut(offset..offset + needed),
                payload.get(..needed),
            ) {
                to.copy_from_slice(from);
            }
            session.have.insert(seq);
        }
        session.seen.insert(seq);
        session.deadline = now + self.timeouts.t1;
        if seq == session.window_end {
            self.window_complete(source, session, now);
        } else {
            self.inbound.insert(source, session);
        }
    }

    /// The last packet of a CTS window arrived: acknowledge the message, ask for lost packets
    /// again, or ask for the next window.
    fn window_complete(&mut self, source: u8, mut session: Inbound, now: Timestamp) {
        match session.have.first_missing(session.packets) {
            None => {
                self.control(
                    source,
                    TP_PRIORITY,
                    TpCm::EndOfMsgAck {
                        size: session.size,
                        packets: session.packets,
                        pgn: session.pgn,
                    },
                );
                self.emit(TpEvent::Received {
                    source,
                    pgn: session.pgn,
                    data: session.data,
                });
            }
            Some(missing) if missing <= session.window_end => {
                if session.retransmit_requests >= MAX_RETRANSMIT_REQUESTS {
                    self.abort_inbound(source, session.pgn, AbortReason::MaxRetransmit);
                    return;
                }
                session.retransmit_requests += 1;
                self.clear_to_send(source, &mut session, missing, now);
                self.inbound.insert(source, session);
            }
            Some(next) => {
                self.clear_to_send(source, &mut session, next, now);
                self.inbound.insert(source, session);
            }
        }
    }

    fn on_bam(&mut self, source: u8, size: u16, packets: u8, pgn: u32, now: Timestamp) {
        // A new BAM from a source replaces the one it had in progress: it has moved on.
        self.broadcasts.remove(&source);
        let bytes = usize::from(size);
        if bytes < MIN_TP_SIZE
            || bytes > self.max_receive_size
            || usize::from(packets) != packets_for(bytes)
        {
            self.ignore(format!(
                "BAM from 0x{source:02X} for PGN 0x{pgn:04X}: {bytes} bytes in {packets} packets \
                 (accepted: {MIN_TP_SIZE}..={} bytes, 7 per packet)",
                self.max_receive_size
            ));
            return;
        }
        if self.broadcasts.len() >= MAX_RECEIVE_SESSIONS {
            self.ignore(format!(
                "BAM from 0x{source:02X} for PGN 0x{pgn:04X}: {MAX_RECEIVE_SESSIONS} broadcasts \
                 already in progress"
            ));
            return;
        }
        self.broadcasts.insert(
            source,
            Broadcast {
                pgn,
                size,
                packets,
                data: vec![0; bytes],
                next: 1,
                deadline: now + self.timeouts.t1,
            },
        );
    }

    fn on_broadcast_data(&mut self, source: u8, data: &[u8], now: Timestamp) {
        let Some(&seq) = data.first() else {
            self.ignore(format!("empty broadcast TP.DT from 0x{source:02X}"));
            return;
        };
        let Some(mut broadcast) = self.broadcasts.remove(&source) else {
            self.ignore(format!(
                "broadcast TP.DT {seq} from 0x{source:02X} without a BAM in progress"
            ));
            return;
        };
        if seq != broadcast.next {
            if seq != 0 && seq < broadcast.next {
                let pgn = broadcast.pgn;
                self.broadcasts.insert(source, broadcast);
                self.ignore(format!(
                    "duplicate broadcast TP.DT {seq} from 0x{source:02X} (PGN 0x{pgn:04X})"
                ));
            } else {
                // Nobody can be asked to send a broadcast packet again.
                self.emit(TpEvent::Aborted {
                    peer: source,
                    pgn: broadcast.pgn,
                    direction: TpDirection::Receive,
                    reason: AbortReason::BadSequence,
                    by_peer: false,
                });
            }
            return;
        }
        let offset = usize::from(seq.saturating_sub(1)) * BYTES_PER_PACKET;
        let needed = usize::from(broadcast.size)
            .saturating_sub(offset)
            .min(BYTES_PER_PACKET);
        let payload = data.get(1..).unwrap_or_default();
        let (Some(to), Some(from)) = (
            broadcast.data.get_mut(offset..offset + needed),
            payload.get(..needed),
        ) else {
            let pgn = broadcast.pgn;
            self.broadcasts.insert(source, broadcast);
            self.ignore(format!(
                "broadcast TP.DT {seq} from 0x{source:02X} carries {} of its {needed} bytes \
                 (PGN 0x{pgn:04X})",
                payload.len()
            ));
            return;
        };
        to.copy_from_slice(from);
        if seq >= broadcast.packets {
            self.emit(TpEvent::Received {
                source,
                pgn: broadcast.pgn,
                data: broadcast.data,
            });
        } else {
            broadcast.next = seq + 1;
            broadcast.deadline = now + self.timeouts.t1;
            self.broadcasts.insert(source, broadcast);
        }
    }

    fn on_cts(&mut self, source: u8, count: u8, next: u8, pgn: u32, now: Timestamp) {
        let Some(mut session) = self.outbound.remove(&source) else {
            self.ignore(format!(
                "CTS from 0x{source:02X} for PGN 0x{pgn:04X} without a transfer to it"
            ));
            return;
        };
        if session.pgn != pgn {
            let ours = session.pgn;
            self.outbound.insert(source, session);
            self.ignore(format!(
                "CTS from 0x{source:02X} for PGN 0x{pgn:04X} while sending it PGN 0x{ours:04X}"
            ));
            return;
        }
        if matches!(session.state, SendState::Sending { .. }) {
            self.abort_outbound(source, &session, AbortReason::CtsWhileSending);
            return;
        }
        if count == 0 {
            // The peer holds the connection open; it must repeat this within Th, we wait T4.
            session.state = SendState::Held;
            session.deadline = now + self.timeouts.t4;
            self.outbound.insert(source, session);
            return;
        }
        if next == 0 || next > session.packets {
            self.abort_outbound(source, &session, AbortReason::BadSequence);
            return;
        }
        let last = next.saturating_add(count - 1).min(session.packets);
        session.state = SendState::Sending { next, last };
        session.deadline = now + self.timeouts.t3;
        self.outbound.insert(source, session);
    }

    fn on_end_of_msg_ack(&mut self, source: u8, pgn: u32) {
        match self.outbound.remove(&source) {
            Some(session) if session.pgn == pgn && session.state == SendState::AwaitEndOfMsgAck => {
                self.emit(TpEvent::Sent {
                    destination: source,
                    pgn,
                });
            }
            Some(session) => {
                let ours = session.pgn;
                self.outbound.insert(source, session);
                self.ignore(format!(
                    "EndOfMsgAck from 0x{source:02X} for PGN 0x{pgn:04X} before PGN 0x{ours:04X} \
                     was sent in full"
                ));
            }
            None => self.ignore(format!(
                "EndOfMsgAck from 0x{source:02X} for PGN 0x{pgn:04X} without a transfer to it"
            )),
        }
    }

    /// A Conn_Abort may end a transfer either way; the PGN says which. It is never answered.
    fn on_abort(&mut self, source: u8, reason: AbortReason, pgn: u32) {
        let mut matched = false;
        if self.inbound.get(&source).is_some_and(|s| s.pgn == pgn) {
            self.inbound.remove(&source);
            matched = true;
            self.emit(TpEvent::Aborted {
                peer: source,
                pgn,
                direction: TpDirection::Receive,
                reason,
                by_peer: true,
            });
        }
        if self.outbound.get(&source).is_some_and(|s| s.pgn == pgn) {
            self.outbound.remove(&source);
            matched = true;
            self.emit(TpEvent::Aborted {
                peer: source,
                pgn,
                direction: TpDirection::Send,
                reason,
                by_peer: true,
            });
        }
        if !matched {
            self.ignore(format!(
                "Conn_Abort ({reason}) from 0x{source:02X} for PGN 0x{pgn:04X}, which is not \
                 being transferred"
            ));
        }
    }

    /// Ends a transfer from `source` (or refuses its RTS): Conn_Abort to the peer, event to the
    /// application.
    fn abort_inbound(&mut self, source: u8, pgn: u32, reason: AbortReason) {
        self.control(source, TP_PRIORITY, TpCm::Abort { reason, pgn });
        self.emit(TpEvent::Aborted {
            peer: source,
            pgn,
            direction: TpDirection::Receive,
            reason,
            by_peer: false,
        });
    }

    fn abort_outbound(&mut self, destination: u8, session: &Outbound, reason: AbortReason) {
        self.control(
            destination,
            session.priority,
            TpCm::Abort {
                reason,
                pgn: session.pgn,
            },
        );
        self.emit(TpEvent::Aborted {
            peer: destination,
            pgn: session.pgn,
            direction: TpDirection::Send,
            reason,
            by_peer: false,
        });
    }

    fn control(&mut self, destination: u8, priority: u8, cm: TpCm) {
        if self.tx.len() >= TX_QUEUE_LIMIT {
            return;
        }
        if let Ok(frame) =
            J1939Id::new(priority, PGN_TP_CM, destination, self.local).frame(&cm.to_bytes())
        {
            self.tx.push_back(frame);
        }
    }

    fn ignore(&mut self, why: String) {
        self.emit(TpEvent::Ignored(why));
    }

    fn emit(&mut self, event: TpEvent) {
        if self.events.len() >= EVENT_QUEUE_LIMIT {
            if matches!(event, TpEvent::Ignored(_)) {
                return;
            }
            match self
                .events
                .iter()
                .position(|e| matches!(e, TpEvent::Ignored(_)))
            {
                Some(i) => {
                    self.events.remove(i);
                }
                None => {
                    self.events.pop_front();
                }
            }
        }
        self.events.push_back(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abort_reason_codes_round_trip() {
        for code in 0..=u8::MAX {
            assert_eq!(AbortReason::from_code(code).code(), code);
        }
        assert_eq!(AbortReason::from_code(3), AbortReason::Timeout);
        assert_eq!(AbortReason::from_code(9), AbortReason::TooLarge);
        assert_eq!(AbortReason::from_code(250), AbortReason::Other(250));
        assert_eq!(AbortReason::Timeout.to_string(), "timeout (3)");
        assert_eq!(
            AbortReason::Other(250).to_string(),
            "any other reason (250)"
        );
    }

    #[test]
    fn control_frames_decode_and_encode_as_the_trace_shows() {
        let rts = [0x10, 0x31, 0x00, 0x07, 0xFF, 0x00, 0x02, 0x00];
        let cm = TpCm::parse(&rts).unwrap();
        assert_eq!(
            cm,
            TpCm::Rts {
                size: 49,
                packets: 7,
                max_per_cts: 0xFF,
                pgn: 0x0200
            }
        );
        assert_eq!(cm.to_bytes(), rts);
        let cts = [0x11, 0x07, 0x01, 0xFF, 0xFF, 0x00, 0x02, 0x00];
        assert_eq!(TpCm::parse(&cts).unwrap().to_bytes(), cts);
        let eoma = [0x13, 0x0D, 0x00, 0x02, 0xFF, 0x00, 0x06, 0x00];
        assert_eq!(
            TpCm::parse(&eoma).unwrap(),
            TpCm::EndOfMsgAck {
                size: 13,
                packets: 2,
                pgn: 0x0600
            }
        );
        assert_eq!(TpCm::parse(&[0x10; 7]), Err(TpCmError::WrongLength(7)));
        assert_eq!(
            TpCm::parse(&[0x42, 0, 0, 0, 0, 0, 0, 0]),
            Err(TpCmError::UnknownControl(0x42))
        );
        // A PDU1 PGN's low byte is not part of the PGN.
        assert_eq!(
            TpCm::parse(&[0x10, 0x31, 0x00, 0x07, 0xFF, 0x34, 0x02, 0x00])
                .unwrap()
                .pgn(),
            0x0200
        );
    }

    #[test]
    fn packet_set_finds_the_first_gap() {
        let mut set = PacketSet::default();
        for seq in [1, 2, 4, 255] {
            set.insert(seq);
        }
        assert!(set.contains(255) && set.contains(4) && !set.contains(3));
        assert_eq!(set.first_missing(4), Some(3));
        set.insert(3);
        assert_eq!(set.first_missing(4), None);
        assert_eq!(set.first_missing(6), Some(5));
    }
}
