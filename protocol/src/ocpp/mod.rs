//! OCPP-J: the RPC layer shared by OCPP 1.6J and OCPP 2.0.1, sans-IO.
//!
//! * [`frame`] — CALL / CALLRESULT / CALLERROR framing, message ids, error codes per version.
//! * [`validate`] — schema-level validation of payloads against the official OCA schemas, and
//!   the CALLERROR code each violation is answered with.
//! * [`catalog`] — the actions of each version, who sends them, their embedded schemas.
//! * [`rpc`] — [`RpcEndpoint`], the per-connection state machine: one outstanding CALL per
//!   direction, correlation, timeouts, answers to bad input.
//! * [`v16`], [`v201`] — each version's messages as types, generated from the same schemas by
//!   [`codegen`]; [`types`] holds the hand-written value types they use (`DateTime`).
//!
//! What is not here: the WebSocket connection and its subprotocol negotiation (the shell), and
//! the meaning of the messages — boot sequence, transactions, the outbox (the OCPP 1.6
//! charge point in `chargerd`'s `src/ocpp`, which reads payloads that passed [`validate`] as
//! JSON values).

pub mod catalog;
pub mod codegen;
pub mod frame;
pub mod rpc;
pub mod types;
pub mod v16;
pub mod v201;
pub mod validate;

pub use catalog::{MessageKind, Role, Sender};
pub use frame::{Frame, FrameError, FrameErrorKind, MessageId, OcppVersion, RpcErrorCode};
pub use rpc::{AbortedCall, IgnoreReason, RpcConfig, RpcEndpoint, RpcError, RpcEvent};
pub use validate::{Schema, SchemaError, Violation, ViolationKind};
