//! SAE J1939 identifiers and the J1939-21 transport protocol, as GB/T 27930 uses them.
//!
//! GB/T 27930 runs on J1939 (reference §2.1): 29-bit identifiers, the charger at
//! [`CHARGER_ADDRESS`] 0x56 and the BMS at [`BMS_ADDRESS`] 0xF4, and the battery's long messages
//! (BRM 49 B, BCP 13 B, BCS 9 B, BMV/BMT/BSP) carried by the J1939-21 connection-mode transport
//! (RTS/CTS, reference §2.4). This module has two parts:
//!
//! * [`J1939Id`]: the identifier split into priority, PGN, destination and source;
//! * [`Transport`]: one node's transport layer as a sans-IO state machine. It answers RTS/CTS
//!   transfers addressed to it, reassembles them, sends its own long messages and enforces the
//!   J1939-21 timers (T1-T4) against an injected clock. Broadcast (BAM) transfers to the global
//!   address are received too, though GB/T never uses them.
//!
//! The GB/T session layer feeds every received frame to [`Transport::handle_frame`] first: a
//! `true` means the frame was transport traffic and is dealt with.

mod id;
mod transport;

pub use id::{is_pdu1_pgn, J1939Id, MAX_PGN};
pub use transport::{
    AbortReason, TpCm, TpCmError, TpDirection, TpError, TpEvent, TpTimeouts, Transport,
    MAX_RECEIVE_SESSIONS, MAX_RETRANSMIT_REQUESTS,
};

/// The charger's source address in GB/T 27930 (SDP `Charger1939Addr`, TYU `CHARGER_ADDRESS`).
pub const CHARGER_ADDRESS: u8 = 0x56;
/// The BMS's source address in GB/T 27930. A common misreading swaps these two.
pub const BMS_ADDRESS: u8 = 0xF4;
/// Destination "everyone": PDU2 messages and broadcast (BAM) transfers go here.
pub const GLOBAL_ADDRESS: u8 = 0xFF;
/// The null address: a node without an address claims from here; it can never hold a transfer.
pub const NULL_ADDRESS: u8 = 0xFE;

/// TP.CM, connection management (RTS, CTS, EndOfMsgAck, Conn_Abort, BAM).
pub const PGN_TP_CM: u32 = 0xEC00;
/// TP.DT, the data packets: a sequence number and 7 bytes.
pub const PGN_TP_DT: u32 = 0xEB00;
/// J1939-21 sends TP.CM and TP.DT at priority 7, and so does every GB/T trace.
pub const TP_PRIORITY: u8 = 7;

/// Smallest message the transport carries: anything up to 8 bytes fits one frame.
pub const MIN_TP_SIZE: usize = 9;
/// Largest message the transport carries: 255 packets of 7 bytes.
pub const MAX_TP_SIZE: usize = 255 * BYTES_PER_PACKET;
/// Payload bytes in one TP.DT after the sequence number.
pub const BYTES_PER_PACKET: usize = 7;

/// Transport frames queued for sending (CTS, EndOfMsgAck, Conn_Abort, RTS) beyond which new ones
/// are dropped, so a host that never drains [`Transport::poll_transmit`] cannot grow memory. The
/// peer then times out, which is what would happen on a dead bus anyway. Data packets are not
/// queued: they are produced on demand from the message being sent.
pub const TX_QUEUE_LIMIT: usize = 64;
/// Queued events beyond which `Ignored` events are dropped (and then the oldest ones), so a flood
/// of bad frames cannot grow memory when the application is slow to drain
/// [`Transport::poll_event`].
pub const EVENT_QUEUE_LIMIT: usize = 256;
