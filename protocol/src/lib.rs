//! Pure codecs and sans-IO state machines for DC charging.
//!
//! Nothing in this crate does I/O or reads a clock: every state machine is fed frames, line
//! states and a [`Timestamp`], and answers with frames to send, outputs to drive and the next
//! instant at which it wants to be woken. That is what lets a 30-minute charging session run in
//! a test in milliseconds.

pub mod can;
pub mod chademo;
pub mod gbt;
pub mod j1939;
pub mod ocpp;
pub mod session;
pub mod time;

pub use can::{CanFrame, CanFrameError};
pub use session::{
    Alarm, AlarmKind, ControlLines, DcSession, PlantInputs, PlantOutputs, PowerCommand,
    SessionEvent, SessionPhase, StopReason, VehicleStatus,
};
pub use time::Timestamp;
