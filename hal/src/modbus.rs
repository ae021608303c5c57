//! Modbus devices driven by their profiles ([`crate::profile`]), over TCP or an RTU serial bus.
//!
//! One task owns one link — a TCP connection, or a serial line — and every device (unit id)
//! on it, so a gateway with several units is one connection polled in turn, and every unit on
//! an RS-485 bus is polled in turn by the bus's one task. The task reads each status group at
//! its rate with the requests the profile planned, bounds every call with a timeout, decodes
//! the words into typed values and publishes them, each with its timestamp, into a [`watch`]
//! channel per device: readers take the latest state and never wait on the wire. Writes are
//! queued to the task and never block the caller. The poll loop is written once, over a
//! `Wire`: a tokio-modbus context plus what differs between the transports.
//!
//! A device that answers with a Modbus exception is alive and reachable: exceptions are kept
//! apart from transport errors and timeouts, are logged with device and register, and never
//! cause a reconnect. A unit that lets a call time out is not asked again in the same round,
//! and then only after a backoff (the call timeout, doubling to 2 s while it stays silent), so
//! an absent or slow unit costs the others one timeout now and then, not one per request.
//!
//! **TCP.** A reply that arrives after its call timed out is recognised by its MBAP
//! transaction id and dropped (module `mbap`), never taken as the answer to the next request; the
//! connection is rebuilt only after `reconnect_after` failures in a row, so one slow unit
//! behind a gateway does not drop the others.
//!
//! **RTU.** A serial bus has no transaction ids. Every request waits for the line's
//! inter-frame silence (3.5 character times, 1.75 ms above 19200 baud) after the last frame;
//! after a timeout or a garbled reply the input is flushed until the line has stayed silent
//! that long, so a late or broken reply can never be read as the next unit's answer. Timeouts
//! never reopen the port (a missing unit says nothing about the bus); only errors of the port
//! itself do, after `reopen_after` in a row.

use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::{timeout, Instant};
use tokio_modbus::client::{Client, Context};
use tokio_modbus::prelude::SlaveContext;
use tokio_modbus::{ExceptionCode, Request, Response, Slave};
use tracing::{debug, info, warn};

mod mbap;
mod rtu;

use mbap::{LateReplies, MbapFilter};
pub use rtu::{inter_frame_silence, DataBits, Parity, RtuLink, RtuLinkError, StopBits};

use crate::profile::{
    codec, DecodeError, GroupKind, Point, Profile, ReadRequest, Table, Value, WatchdogMode,
    WriteError, WritePayload,
};

/// A Modbus exception response: the device understood the request and refused it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum Exception {
    #[error("illegal function (01)")]
    IllegalFunction,
    /// A profile error or a firmware that moved its map: not retried as if transient.
    #[error("illegal data address (02)")]
    IllegalDataAddress,
    #[error("illegal data value (03)")]
    IllegalDataValue,
    #[error("server device failure (04)")]
    ServerDeviceFailure,
    #[error("acknowledge (05)")]
    Acknowledge,
    #[error("server device busy (06)")]
    ServerDeviceBusy,
    #[error("gateway path unavailable (0A)")]
    GatewayPathUnavailable,
    /// The gateway is up, the unit behind it did not answer.
    #[error("gateway target device failed to respond (0B)")]
    GatewayTargetFailed,
    #[error("exception code {0:#04x}")]
    Other(u8),
}

impl From<ExceptionCode> for Exception {
    fn from(code: ExceptionCode) -> Self {
        match code {
            ExceptionCode::IllegalFunction => Exception::IllegalFunction,
            ExceptionCode::IllegalDataAddress => Exception::IllegalDataAddress,
            ExceptionCode::IllegalDataValue => Exception::IllegalDataValue,
            ExceptionCode::ServerDeviceFailure => Exception::ServerDeviceFailure,
            ExceptionCode::Acknowledge => Exception::Acknowledge,
            ExceptionCode::ServerDeviceBusy => Exception::ServerDeviceBusy,
            ExceptionCode::GatewayPathUnavailable => Exception::GatewayPathUnavailable,
            ExceptionCode::GatewayTargetDevice => Exception::GatewayTargetFailed,
            other => Exception::Other(u8::from(other)),
        }
    }
}

/// Why a point has no value.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ReadError {
    #[error("the device answered with an exception: {0}")]
    Exception(Exception),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("transport error: {0}")]
    Transport(String),
    #[error("not connected")]
    NotConnected,
    #[error("the device sent a bad value: {0}")]
    Decode(DecodeError),
    #[error("the reply had {got} units, {expected} were asked for")]
    ShortReply { expected: usize, got: usize },
    /// The last reading is older than its age limit (the connection task stalled or died).
    #[error("the last reading is {age:?} old, more than {max_age:?}")]
    Stale { age: Duration, max_age: Duration },
    /// The group's update counter stopped moving: the values are frozen, not fresh.
    #[error("the update counter stopped moving")]
    Frozen,
}

/// One point's latest outcome and when it was taken.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub value: Result<Value, ReadError>,
    pub at: Instant,
}

impl Reading {
    /// The value if it is good and younger than `max_age` at `now`; a stale value is a fault.
    pub fn fresh(&self, now: Instant, max_age: Duration) -> Option<&Value> {
        let age = now.checked_duration_since(self.at).unwrap_or_default();
        match &self.value {
            Ok(v) if age <= max_age => Some(v),
            _ => None,
        }
    }
}

/// Counters for `chargerctl devices`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ErrorCounts {
    /// Requests sent to the unit (reads, writes, read-backs, keep-alives), answered or not:
    /// what the error counts compare with, and the load the device sees.
    pub requests: u64,
    pub timeouts: u64,
    pub exceptions: u64,
    pub transport: u64,
    pub decode: u64,
    pub write_failures: u64,
    pub reconnects: u64,
    /// TCP replies that arrived after their call had timed out, dropped by transaction id.
    pub late_replies: u64,
}

/// A write the device took: it answered with the write's echo and, for a register read back
/// after writing, held the value written. A write refused, unanswered or read back different
/// leaves no acknowledgement (it counts as a write failure instead).
#[derive(Debug, Clone, PartialEq)]
pub struct Acknowledged {
    /// The write's number on its device, in the order writes were queued
    /// ([`ModbusDevice::queued`]): a later write of the same value is told apart.
    pub seq: u64,
    pub payload: WritePayload,
    /// When the device's answer to the write arrived.
    pub answered: Instant,
    /// When the read-back confirmed the value; `None` for a register not read back.
    pub confirmed: Option<Instant>,
}

/// What a device's readers see.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DeviceState {
    /// By index of [`Profile::registers`]; `None` until first read.
    pub readings: Vec<Option<Reading>>,
    /// The latest write each register took, by index of [`Profile::registers`] (keep-alive
    /// writes are not recorded).
    pub acknowledged: Vec<Option<Acknowledged>>,
    pub connected: bool,
    pub errors: ErrorCounts,
    pub last_write_error: Option<String>,
}

/// One unit on a connection.
#[derive(Debug, Clone)]
pub struct DeviceConfig {
    /// For logs and the CLI.
    pub name: String,
    pub unit: u8,
    pub profile: Arc<Profile>,
}

/// A Modbus TCP connection (a device or a gateway).
#[derive(Debug, Clone)]
pub struct TcpLink {
    pub addr: SocketAddr,
    /// Bound on every call, connect included.
    pub timeout: Duration,
    /// Transport failures or timeouts in a row before the connection is rebuilt.
    pub reconnect_after: u32,
    /// Reads in a row with an unchanged update counter before a group counts as frozen.
    pub frozen_after: u32,
}

/// Failures in a row before a link is rebuilt, unless configured.
pub const DEFAULT_REBUILD_AFTER: u32 = 3;
/// Unchanged update-counter reads before a group counts as frozen, unless configured.
pub const DEFAULT_FROZEN_AFTER: u32 = 3;

impl TcpLink {
    /// A link to `addr` with the defaults: 500 ms per call, rebuilt after 3 failures in a
    /// row, frozen after 3 unchanged counter reads.
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            timeout: Duration::from_millis(500),
            reconnect_after: DEFAULT_REBUILD_AFTER,
            frozen_after: DEFAULT_FROZEN_AFTER,
        }
    }
}

#[derive(Debug, Error, PartialEq)]
pub enum CommandError {
    #[error(transparent)]
    Profile(#[from] WriteError),
    #[error("the device's write queue is full")]
    QueueFull,
    #[error("the connection task has stopped")]
    Stopped,
}

/// The handle the station holds for one device: latest state, and a write queue.
#[derive(Debug, Clone)]
pub struct ModbusDevice {
    profile: Arc<Profile>,
    state: watch::Receiver<DeviceState>,
    writes: mpsc::Sender<(usize, WriteJob)>,
    index: usize,
    /// The number of the last write queued through any clone of this handle.
    queued: Arc<AtomicU64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct WriteJob {
    table: Table,
    address: u16,
    payload: WritePayload,
    register: String,
    /// Read the register back after writing (readable, not momentary).
    read_back: bool,
    /// Where to record the acknowledgement: the write's number and its register's index in
    /// the profile (`None` for the keep-alive).
    ack: Option<(u64, usize)>,
}

impl ModbusDevice {
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The latest state; never waits.
    pub fn state(&self) -> DeviceState {
        self.state.borrow().clone()
    }

    /// The latest reading of `point`, if the profile has it and it was read.
    pub fn reading(&self, point: Point) -> Option<Reading> {
        let idx = self
            .profile
            .registers
            .iter()
            .position(|r| r.point == Some(point))?;
        self.state.borrow().readings.get(idx).cloned().flatten()
    }

    /// The value of `point` if its latest reading is good and within its age limit
    /// ([`Profile::max_age`]); otherwise why not. A stale value is a fault, never a value.
    pub fn value(&self, point: Point, now: Instant) -> Result<Value, ReadError> {
        let idx = self
            .profile
            .registers
            .iter()
            .position(|r| r.point == Some(point))
            .ok_or(ReadError::NotConnected)?;
        let reading = self
            .state
            .borrow()
            .readings
            .get(idx)
            .cloned()
            .flatten()
            .ok_or(ReadError::NotConnected)?;
        let max_age = self.profile.max_age(idx).unwrap_or(Duration::ZERO);
        let age = now.checked_duration_since(reading.at).unwrap_or_default();
        if age > max_age {
            return Err(ReadError::Stale { age, max_age });
        }
        reading.value
    }

    /// The latest reading of the register called `name` in the profile.
    pub fn reading_named(&self, name: &str) -> Option<Reading> {
        let idx = self.profile.registers.iter().position(|r| r.name == name)?;
        self.state.borrow().readings.get(idx).cloned().flatten()
    }

    /// Queue a write of `point`; checked against the profile (writable, in range) first.
    /// Readable registers are read back after the write.
    pub fn write(&self, point: Point, value: &Value) -> Result<(), CommandError> {
        let req = self.profile.encode_write(point, value)?;
        self.queue(point, req)
    }

    /// Queue a momentary command (fault reset, self test): written once, never read back or
    /// repeated, since the device clears it itself.
    pub fn trigger(&self, point: Point) -> Result<(), CommandError> {
        let req = self.profile.encode_command(point)?;
        self.queue(point, req)
    }

    fn queue(&self, point: Point, req: crate::profile::WriteRequest) -> Result<(), CommandError> {
        let index = self
            .profile
            .registers
            .iter()
            .position(|r| r.point == Some(point));
        self.queue_register(index, req)
    }

    /// Queue a write of the register at `index` of [`Profile::registers`] (an I/O module's
    /// named point); checked against the profile first, read back where readable.
    pub fn write_register(&self, index: usize, value: &Value) -> Result<(), CommandError> {
        let req = self.profile.encode_write_register(index, value)?;
        self.queue_register(Some(index), req)
    }

    fn queue_register(
        &self,
        index: Option<usize>,
        req: crate::profile::WriteRequest,
    ) -> Result<(), CommandError> {
        let reg = index.and_then(|i| self.profile.registers.get(i));
        let (register, read_back) = reg
            .map(|r| (r.name.clone(), r.access.readable() && !r.momentary))
            .unwrap_or_default();
        let ack = reg.and(index).map(|idx| {
            (
                self.queued.fetch_add(1, Ordering::Relaxed).wrapping_add(1),
                idx,
            )
        });
        self.writes
            .try_send((
                self.index,
                WriteJob {
                    table: req.table,
                    address: req.address,
                    payload: req.payload,
                    register,
                    read_back,
                    ack,
                },
            ))
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => CommandError::QueueFull,
                mpsc::error::TrySendError::Closed(_) => CommandError::Stopped,
            })
    }

    /// The latest reading of the register at `index` of [`Profile::registers`].
    pub fn reading_at(&self, index: usize) -> Option<Reading> {
        self.state.borrow().readings.get(index).cloned().flatten()
    }

    /// The latest write the register at `index` took ([`Acknowledged`]), if any.
    pub fn acknowledged_at(&self, index: usize) -> Option<Acknowledged> {
        self.state
            .borrow()
            .acknowledged
            .get(index)
            .cloned()
            .flatten()
    }

    /// The number of the last write queued on this device (0 before the first): a write
    /// queued now is acknowledged once [`Self::acknowledged`] shows a `seq` at least this.
    pub fn queued(&self) -> u64 {
        self.queued.load(Ordering::Relaxed)
    }

    /// The latest write of `point` the device took ([`Acknowledged`]), if any.
    pub fn acknowledged(&self, point: Point) -> Option<Acknowledged> {
        let idx = self
            .profile
            .registers
            .iter()
            .position(|r| r.point == Some(point))?;
        self.state.borrow().acknowledged.get(idx).cloned().flatten()
    }

    /// Wait until the state changes (for tests and the CLI's watch mode).
    pub async fn changed(&mut self) -> bool {
        self.state.changed().await.is_ok()
    }
}

struct Slot {
    cfg: DeviceConfig,
    state: watch::Sender<DeviceState>,
    /// Next due poll per group (None for setpoint groups).
    due: Vec<Option<Instant>>,
    /// Last update counter and how many reads it has not moved, per group.
    counter: Vec<Option<(i128, u32)>>,
    watchdog_due: Option<Instant>,
    watchdog_count: u16,
    /// Rounds in a row in which the unit let a call time out, and when it is asked again.
    misses: u32,
    retry_at: Option<Instant>,
}

/// The longest a unit that keeps timing out waits between attempts.
const MAX_RETRY_BACKOFF: Duration = Duration::from_secs(2);

/// How long a unit that timed out in `misses` rounds in a row waits before it is asked again:
/// the call timeout, doubling each round, at most [`MAX_RETRY_BACKOFF`]. Behind a gateway
/// that serves one request at a time, a slow unit asked at its full rate would keep the
/// gateway busy with requests whose answers nobody waits for any more, and the other units'
/// answers would queue behind them until they time out too.
fn retry_backoff(timeout: Duration, misses: u32) -> Duration {
    let doublings = misses.saturating_sub(1).min(16);
    timeout
        .saturating_mul(1u32 << doublings)
        .min(MAX_RETRY_BACKOFF)
        .max(timeout.min(MAX_RETRY_BACKOFF))
}
#[derive(Debug, Error, PartialEq, Eq)]
pub enum UnitIdError {
    #[error("unit id {0} is used twice on one link")]
    Duplicate(u8),
    #[error("unit id {0} cannot be addressed on an RTU bus (1..=247; 0 is broadcast)")]
    NotOnBus(u8),
}

/// Unit ids that cannot share one link: the same id twice (two devices would read each
/// other's answers), or on a serial bus an id outside 1..=247.
pub fn check_unit_ids(devices: &[DeviceConfig], serial_bus: bool) -> Result<(), UnitIdError> {
    let mut seen = [false; 256];
    for d in devices {
        if serial_bus && !(1..=247).contains(&d.unit) {
            return Err(UnitIdError::NotOnBus(d.unit));
        }
        let slot = &mut seen[usize::from(d.unit)];
        if *slot {
            return Err(UnitIdError::Duplicate(d.unit));
        }
        *slot = true;
    }
    Ok(())
}

/// Start the task owning the connection to `link` with `devices` behind it.
pub fn spawn_tcp(link: TcpLink, devices: Vec<DeviceConfig>) -> (Vec<ModbusDevice>, JoinHandle<()>) {
    spawn(Endpoint::Tcp(link), devices)
}

/// Start the task owning the serial bus `link` with `devices` on it: one task polls every
/// unit in turn, each request after the line's inter-frame silence.
pub fn spawn_rtu(link: RtuLink, devices: Vec<DeviceConfig>) -> (Vec<ModbusDevice>, JoinHandle<()>) {
    spawn(Endpoint::Rtu(link), devices)
}

fn spawn(endpoint: Endpoint, devices: Vec<DeviceConfig>) -> (Vec<ModbusDevice>, JoinHandle<()>) {
    let (wtx, wrx) = mpsc::channel(64);
    let now = Instant::now();
    let mut handles = Vec::new();
    let mut slots = Vec::new();
    for (index, cfg) in devices.into_iter().enumerate() {
        let n = cfg.profile.registers.len();
        let (tx, rx) = watch::channel(DeviceState {
            readings: vec![None; n],
            acknowledged: vec![None; n],
            ..DeviceState::default()
        });
        handles.push(ModbusDevice {
            profile: cfg.profile.clone(),
            state: rx,
            writes: wtx.clone(),
            index,
            queued: Arc::new(AtomicU64::new(0)),
        });
        let due = cfg
            .profile
            .groups
            .iter()
            .map(|g| matches!(g.kind, GroupKind::Status { .. }).then_some(now))
            .collect();
        let counter = vec![None; cfg.profile.groups.len()];
        let watchdog_due = cfg.profile.watchdog.as_ref().map(|_| now);
        slots.push(Slot {
            cfg,
            state: tx,
            due,
            counter,
            watchdog_due,
            watchdog_count: 0,
            misses: 0,
            retry_at: None,
        });
    }
    let task = tokio::spawn(run(endpoint, slots, wrx));
    (handles, task)
}

fn period(hz: f64) -> Duration {
    Duration::from_secs_f64(1.0 / hz.max(0.001))
}

/// What the task connects to: everything else is the same poll loop over a [`Wire`].
enum Endpoint {
    Tcp(TcpLink),
    Rtu(RtuLink),
}

impl Endpoint {
    fn timeout(&self) -> Duration {
        match self {
            Endpoint::Tcp(l) => l.timeout,
            Endpoint::Rtu(l) => l.timeout,
        }
    }

    fn describe(&self) -> String {
        match self {
            Endpoint::Tcp(l) => l.addr.to_string(),
            Endpoint::Rtu(l) => l.path.display().to_string(),
        }
    }

    async fn open(&self) -> Result<Wire, ReadError> {
        match self {
            Endpoint::Tcp(link) => {
                let stream = match timeout(link.timeout, TcpStream::connect(link.addr)).await {
                    Ok(Ok(s)) => s,
                    Ok(Err(e)) => return Err(ReadError::Transport(e.to_string())),
                    Err(_) => return Err(ReadError::Timeout(link.timeout)),
                };
                // Requests are small and each waits for its answer: never hold one back.
                let _ = stream.set_nodelay(true);
                let late = Arc::new(LateReplies::default());
                let ctx = tokio_modbus::client::tcp::attach(MbapFilter::new(stream, late.clone()));
                Ok(Wire {
                    ctx,
                    timeout: link.timeout,
                    failures: 0,
                    rebuild_after: link.reconnect_after,
                    frozen_after: link.frozen_after,
                    line: Line::Tcp { late },
                })
            }
            Endpoint::Rtu(link) => {
                let (ctx, port) = rtu::open(link).map_err(ReadError::Transport)?;
                Ok(Wire {
                    ctx,
                    timeout: link.timeout,
                    failures: 0,
                    rebuild_after: link.reopen_after,
                    frozen_after: link.frozen_after,
                    line: Line::Rtu {
                        port,
                        silence: link.silence(),
                        quiet_since: Instant::now(),
                    },
                })
            }
        }
    }
}

/// An open link as the poll loop sees it: a tokio-modbus context over TCP or a serial line,
/// the bound on each call, and the failures that count toward rebuilding it.
struct Wire {
    ctx: Context,
    timeout: Duration,
    /// Counted failures in a row.
    failures: u32,
    rebuild_after: u32,
    frozen_after: u32,
    line: Line,
}

/// What differs between the transports once the context is open.
enum Line {
    /// Late replies are dropped by transaction id ([`MbapFilter`]); timeouts, transport errors
    /// and garbled replies count toward rebuilding the connection.
    Tcp { late: Arc<LateReplies> },
    /// A serial bus has no transaction ids: after a timeout or a garbled reply the input is
    /// flushed and the line left silent before the next request. Only errors of the port
    /// itself (an adapter unplugged) count toward reopening it; a unit that does not answer
    /// says nothing about the bus.
    Rtu {
        /// A second handle on the port, to flush its input and see whether bytes arrive.
        port: Box<dyn tokio_serial::SerialPort>,
        silence: Duration,
        /// When the line last carried a frame: the next request waits `silence` after it.
        quiet_since: Instant,
    },
}

/// Outcome of one call on the wire.
enum Call<T> {
    Ok(T),
    Exception(Exception),
    Timeout,
    Transport(String),
}

impl Wire {
    /// One request to `unit`, bounded by the timeout, with the transport's rules before and
    /// after it.
    async fn exchange(&mut self, unit: u8, request: Request<'_>) -> Call<Response> {
        if let Line::Rtu {
            port,
            silence,
            quiet_since,
        } = &mut self.line
        {
            tokio::time::sleep_until(*quiet_since + *silence).await;
            // No request is outstanding, so anything waiting on the line is stale: a reply
            // that came after its call timed out would otherwise be read as this request's
            // answer (RTU replies carry no id, and one of the same length fits).
            if port.bytes_to_read().is_ok_and(|n| n > 0) {
                debug!(
                    unit,
                    "stale bytes on the serial line before a request; flushed"
                );
                rtu::resync(port.as_mut(), *silence, self.timeout).await;
            }
        }
        self.ctx.set_slave(Slave(unit));
        // A reply that is not the answer (wrong unit, wrong function, bytes that are not a
        // frame) is garbled: the line is alive but out of step. After it, or a timeout, a
        // serial line is brought back in step before the next request.
        let (call, out_of_step) = match timeout(self.timeout, self.ctx.call(request)).await {
            Ok(Ok(Ok(response))) => (Call::Ok(response), false),
            Ok(Ok(Err(code))) => (Call::Exception(code.into()), false),
            Ok(Err(tokio_modbus::Error::Protocol(e))) => {
                (Call::Transport(format!("garbled reply: {e}")), true)
            }
            Ok(Err(tokio_modbus::Error::Transport(e)))
                if e.kind() == std::io::ErrorKind::InvalidData =>
            {
                (Call::Transport(format!("garbled reply: {e}")), true)
            }
            Ok(Err(tokio_modbus::Error::Transport(e))) => {
                (Call::Transport(transport_error(&e)), false)
            }
            Err(_) => (Call::Timeout, true),
        };
        let counted = match (&self.line, &call) {
            (_, Call::Ok(_) | Call::Exception(_)) => {
                self.failures = 0;
                false
            }
            (Line::Tcp { .. }, _) => true,
            (Line::Rtu { .. }, Call::Transport(_)) => !out_of_step,
            (Line::Rtu { .. }, Call::Timeout) => false,
        };
        if counted {
            self.failures = self.failures.saturating_add(1);
        }
        if let Line::Rtu {
            port,
            silence,
            quiet_since,
        } = &mut self.line
        {
            if out_of_step {
                rtu::resync(port.as_mut(), *silence, self.timeout).await;
            }
            *quiet_since = Instant::now();
        }
        call
    }

    /// Enough failures in a row: drop the link and build it anew.
    fn broken(&self) -> bool {
        self.failures >= self.rebuild_after.max(1)
    }

    /// Late replies dropped for `unit` since the link was opened.
    fn late_replies(&self, unit: u8) -> u64 {
        match &self.line {
            Line::Tcp { late } => late.of(unit),
            Line::Rtu { .. } => 0,
        }
    }
}

async fn run(
    endpoint: Endpoint,
    mut slots: Vec<Slot>,
    mut writes: mpsc::Receiver<(usize, WriteJob)>,
) {
    let name = endpoint.describe();
    // Late replies are counted per connection; carried over so the counts only grow.
    let mut late_before: Vec<u64> = vec![0; slots.len()];
    loop {
        let mut wire = match endpoint.open().await {
            Ok(wire) => wire,
            Err(e) => {
                debug!(link = %name, error = %e, "modbus link could not be opened");
                mark_all(&slots, e);
                if !backoff(&mut writes, endpoint.timeout()).await {
                    return;
                }
                continue;
            }
        };
        info!(link = %name, "modbus link open");
        for s in &slots {
            s.state.send_modify(|st| st.connected = true);
        }
        let ended = serve(&mut wire, &mut slots, &mut writes, &late_before).await;
        for (i, s) in slots.iter().enumerate() {
            if let Some(n) = late_before.get_mut(i) {
                *n = n.saturating_add(wire.late_replies(s.cfg.unit));
            }
        }
        match ended {
            Ended::Stopped => return,
            Ended::Reconnect => {
                warn!(link = %name, "modbus link rebuilt after repeated failures");
                for s in &slots {
                    s.state.send_modify(|st| {
                        st.connected = false;
                        st.errors.reconnects = st.errors.reconnects.saturating_add(1);
                    });
                }
            }
        }
    }
}

/// Wait before reconnecting; false if every handle is gone.
async fn backoff(writes: &mut mpsc::Receiver<(usize, WriteJob)>, timeout: Duration) -> bool {
    let until = Instant::now() + timeout.max(Duration::from_millis(200));
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(until) => return true,
            job = writes.recv() => if job.is_none() { return false },
        }
    }
}

fn mark_all(slots: &[Slot], err: ReadError) {
    let at = Instant::now();
    for s in slots {
        s.state.send_modify(|st| {
            st.connected = false;
            for r in st.readings.iter_mut() {
                *r = Some(Reading {
                    value: Err(err.clone()),
                    at,
                });
            }
        });
    }
}

enum Ended {
    Stopped,
    Reconnect,
}

async fn serve(
    wire: &mut Wire,
    slots: &mut [Slot],
    writes: &mut mpsc::Receiver<(usize, WriteJob)>,
    late_before: &[u64],
) -> Ended {
    loop {
        // Writes first: a setpoint change must not wait behind a round of polls.
        if send_queued_writes(wire, slots, writes).await {
            return Ended::Reconnect;
        }
        let now = Instant::now();
        let mut next = now + Duration::from_secs(60);
        for i in 0..slots.len() {
            let Some(slot) = slots.get_mut(i) else { break };
            if let Some(at) = slot.retry_at {
                if at > now {
                    next = next.min(at);
                    continue;
                }
            }
            // A unit that let one call time out is not asked again in this round: it would
            // most likely time out again, and every timeout is time the other units on the
            // link wait. Its remaining due groups are marked unanswered, and it waits a
            // backoff before the next attempt.
            let mut silent = false;
            let mut asked = false;
            if let Some(due) = slot.watchdog_due {
                if due <= now {
                    asked = true;
                    silent = !keepalive(wire, slot).await;
                    if wire.broken() {
                        return Ended::Reconnect;
                    }
                }
                if let Some(d) = slot.watchdog_due {
                    next = next.min(d);
                }
            }
            for gi in 0..slot.due.len() {
                // Nor behind the rest of a round: a round of a gateway with many units is
                // dozens of reads, and a write queued while it runs waits at most for the
                // group being read.
                if send_queued_writes(wire, slots, writes).await {
                    return Ended::Reconnect;
                }
                let Some(slot) = slots.get_mut(i) else { break };
                let Some(due) = slot.due[gi] else { continue };
                if due > now {
                    next = next.min(due);
                    continue;
                }
                asked = true;
                let late = late_before
                    .get(i)
                    .copied()
                    .unwrap_or(0)
                    .saturating_add(wire.late_replies(slot.cfg.unit));
                poll_group(wire, slot, gi, &mut silent, late).await;
                if wire.broken() {
                    return Ended::Reconnect;
                }
                if let Some(d) = slot.due[gi] {
                    next = next.min(d);
                }
            }
            let Some(slot) = slots.get_mut(i) else { break };
            if silent {
                slot.misses = slot.misses.saturating_add(1);
                let at = Instant::now() + retry_backoff(wire.timeout, slot.misses);
                debug!(device = %slot.cfg.name, unit = slot.cfg.unit, misses = slot.misses,
                    "modbus unit silent; asked again after a backoff");
                slot.retry_at = Some(at);
                next = next.min(at);
            } else if asked {
                slot.misses = 0;
                slot.retry_at = None;
            }
        }
        tokio::select! {
            _ = tokio::time::sleep_until(next) => {}
            job = writes.recv() => match job {
                Some((idx, job)) => {
                    if let Some(slot) = slots.get(idx) {
                        write(wire, slot, &job).await;
                        if wire.broken() {
                            return Ended::Reconnect;
                        }
                    }
                }
                None => return Ended::Stopped,
            }
        }
    }
}

/// Send every write queued so far, in order; true if the link broke doing it.
async fn send_queued_writes(
    wire: &mut Wire,
    slots: &[Slot],
    writes: &mut mpsc::Receiver<(usize, WriteJob)>,
) -> bool {
    while let Ok((idx, job)) = writes.try_recv() {
        if let Some(slot) = slots.get(idx) {
            write(wire, slot, &job).await;
            if wire.broken() {
                return true;
            }
        }
    }
    false
}

/// Read one status group of one unit and publish the outcome. `silent` is set when the unit
/// lets a call time out, and when it is already set nothing is sent.
async fn poll_group(wire: &mut Wire, slot: &mut Slot, gi: usize, silent: &mut bool, late: u64) {
    let profile = slot.cfg.profile.clone();
    let Some(group) = profile.groups.get(gi) else {
        return;
    };
    let GroupKind::Status { poll_hz } = group.kind else {
        return;
    };
    // Schedule from the due time, not from now, so the rate does not drift with latency.
    let due = slot.due[gi].unwrap_or_else(Instant::now);
    let mut next = due + period(poll_hz);
    let now = Instant::now();
    if next <= now {
        next = now + period(poll_hz);
    }
    slot.due[gi] = Some(next);
    let unit = slot.cfg.unit;
    let mut results: Vec<(usize, Result<Value, ReadError>)> = Vec::new();
    let mut sent: u64 = 0;
    for req in &group.reads {
        let at_err = |e: ReadError| {
            req.points
                .iter()
                .filter_map(|&p| group.registers.get(p).copied())
                .map(|ri| (ri, Err(e.clone())))
                .collect::<Vec<_>>()
        };
        if *silent {
            results.extend(at_err(ReadError::Timeout(wire.timeout)));
            continue;
        }
        sent = sent.saturating_add(1);
        match read(wire, unit, req).await {
            Call::Ok(units) => {
                for &p in &req.points {
                    let Some(&ri) = group.registers.get(p) else {
                        continue;
                    };
                    results.push((ri, decode_point(&profile, ri, req, &units)));
                }
            }
            Call::Exception(ex) => {
                warn!(device = %slot.cfg.name, unit, table = %req.table,
                    address = req.address, count = req.count, exception = %ex,
                    "modbus exception on read");
                slot.state.send_modify(|st| {
                    st.errors.exceptions = st.errors.exceptions.saturating_add(1)
                });
                results.extend(at_err(ReadError::Exception(ex)));
            }
            Call::Timeout => {
                debug!(device = %slot.cfg.name, unit, address = req.address, "modbus read timed out");
                slot.state
                    .send_modify(|st| st.errors.timeouts = st.errors.timeouts.saturating_add(1));
                results.extend(at_err(ReadError::Timeout(wire.timeout)));
                *silent = true;
            }
            Call::Transport(e) => {
                debug!(device = %slot.cfg.name, unit, address = req.address, error = %e,
                    "modbus read failed");
                slot.state
                    .send_modify(|st| st.errors.transport = st.errors.transport.saturating_add(1));
                results.extend(at_err(ReadError::Transport(e)));
            }
        }
        if wire.broken() {
            break;
        }
    }
    // A counter that did not move: every value of the group is frozen, not fresh.
    if let Some(ci) = group.update_counter {
        let counter = results
            .iter()
            .find(|(ri, _)| *ri == ci)
            .and_then(|(_, v)| match v {
                Ok(Value::Number(n)) => Some(*n as i128),
                _ => None,
            });
        if let Some(c) = counter {
            let stalls = match slot.counter[gi] {
                Some((prev, n)) if prev == c => n.saturating_add(1),
                _ => 0,
            };
            slot.counter[gi] = Some((c, stalls));
            if stalls >= wire.frozen_after.max(1) {
                for (_, v) in results.iter_mut() {
                    *v = Err(ReadError::Frozen);
                }
            }
        }
    }
    let at = Instant::now();
    let decode_errors = results
        .iter()
        .filter(|(_, v)| matches!(v, Err(ReadError::Decode(_))))
        .count() as u64;
    slot.state.send_modify(|st| {
        st.errors.requests = st.errors.requests.saturating_add(sent);
        st.errors.decode = st.errors.decode.saturating_add(decode_errors);
        st.errors.late_replies = late;
        for (ri, value) in results {
            if let Some(r) = st.readings.get_mut(ri) {
                *r = Some(Reading { value, at });
            }
        }
    });
}

enum Units {
    Words(Vec<u16>),
    Bits(Vec<bool>),
}

async fn read(wire: &mut Wire, unit: u8, req: &ReadRequest) -> Call<Units> {
    let (a, n) = (req.address, req.count);
    let request = match req.table {
        Table::Holding => Request::ReadHoldingRegisters(a, n),
        Table::Input => Request::ReadInputRegisters(a, n),
        Table::Coil => Request::ReadCoils(a, n),
        Table::DiscreteInput => Request::ReadDiscreteInputs(a, n),
    };
    match wire.exchange(unit, request).await {
        Call::Ok(response) => match response {
            Response::ReadHoldingRegisters(w) | Response::ReadInputRegisters(w) => {
                Call::Ok(Units::Words(w))
            }
            // Bits come in whole bytes: the padding past `count` is not data.
            Response::ReadCoils(mut b) | Response::ReadDiscreteInputs(mut b) => {
                b.truncate(usize::from(n));
                Call::Ok(Units::Bits(b))
            }
            other => Call::Transport(format!("unexpected response {other:?}")),
        },
        Call::Exception(e) => Call::Exception(e),
        Call::Timeout => Call::Timeout,
        Call::Transport(e) => Call::Transport(e),
    }
}

fn decode_point(
    profile: &Profile,
    ri: usize,
    req: &ReadRequest,
    units: &Units,
) -> Result<Value, ReadError> {
    let Some(reg) = profile.registers.get(ri) else {
        return Err(ReadError::NotConnected);
    };
    let off = usize::from(reg.address.saturating_sub(req.address));
    match units {
        Units::Bits(bits) => {
            bits.get(off)
                .map(|b| codec::decode_bit(*b))
                .ok_or(ReadError::ShortReply {
                    expected: usize::from(req.count),
                    got: bits.len(),
                })
        }
        Units::Words(words) => {
            let n = usize::from(reg.encoding.words());
            let slice = words.get(off..off + n).ok_or(ReadError::ShortReply {
                expected: usize::from(req.count),
                got: words.len(),
            })?;
            codec::decode(&reg.encoding, slice).map_err(ReadError::Decode)
        }
    }
}

/// A transport error as a technician reads it: a peer that closed the connection says so,
/// where the OS error alone would read "Success (os error 0)".
fn transport_error(e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::UnexpectedEof => format!("the device closed the connection ({e})"),
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe => {
            format!("the connection was lost ({e})")
        }
        _ if e.raw_os_error() == Some(0) => format!("the device closed the connection ({e})"),
        _ => e.to_string(),
    }
}

/// Write one job and read it back where asked; false if the unit did not answer in time.
async fn write(wire: &mut Wire, slot: &Slot, job: &WriteJob) -> bool {
    let unit = slot.cfg.unit;
    let a = job.address;
    let request = match (&job.table, &job.payload) {
        (Table::Coil, WritePayload::Bit(b)) => Some(Request::WriteSingleCoil(a, *b)),
        (Table::Holding, WritePayload::Words(w)) if w.len() == 1 => {
            Some(Request::WriteSingleRegister(a, w[0]))
        }
        (Table::Holding, WritePayload::Words(w)) => Some(Request::WriteMultipleRegisters(
            a,
            Cow::Borrowed(w.as_slice()),
        )),
        (Table::Holding, WritePayload::Mask { and_mask, or_mask }) => {
            Some(Request::MaskWriteRegister(a, *and_mask, *or_mask))
        }
        // The profile never encodes a write to a read-only table.
        _ => None,
    };
    let request_sent = request.is_some();
    let outcome = match request {
        Some(request) => match wire.exchange(unit, request).await {
            Call::Ok(response) if echoes(&response, job) => Call::Ok(()),
            Call::Ok(other) => Call::Transport(format!("the write echo differs: {other:?}")),
            Call::Exception(e) => Call::Exception(e),
            Call::Timeout => Call::Timeout,
            Call::Transport(e) => Call::Transport(e),
        },
        None => Call::Exception(Exception::IllegalFunction),
    };
    let answered_at = Instant::now();
    let answered = !matches!(outcome, Call::Timeout);
    let read_back_sent = matches!(outcome, Call::Ok(())) && job.read_back;
    let mut confirmed = None;
    let error = match outcome {
        Call::Ok(()) if job.read_back => {
            let error = read_back(wire, unit, job).await;
            confirmed = Some(Instant::now());
            error
        }
        Call::Ok(()) => None,
        Call::Exception(ex) => {
            warn!(device = %slot.cfg.name, unit, register = %job.register,
                address = job.address, exception = %ex, "modbus exception on write");
            Some(format!("{}: {ex}", job.register))
        }
        Call::Timeout => Some(format!(
            "{}: no answer within {:?}",
            job.register, wire.timeout
        )),
        Call::Transport(e) => Some(format!("{}: {e}", job.register)),
    };
    let sent = u64::from(request_sent) + u64::from(read_back_sent);
    slot.state.send_modify(|st| {
        st.errors.requests = st.errors.requests.saturating_add(sent);
        match (error, job.ack) {
            (Some(e), _) => {
                st.errors.write_failures = st.errors.write_failures.saturating_add(1);
                st.last_write_error = Some(e);
            }
            (None, Some((seq, idx))) => {
                if let Some(a) = st.acknowledged.get_mut(idx) {
                    *a = Some(Acknowledged {
                        seq,
                        payload: job.payload.clone(),
                        answered: answered_at,
                        confirmed,
                    });
                }
            }
            (None, None) => {}
        }
    });
    answered
}

/// A write's reply echoes what was written; anything else is not its answer.
fn echoes(response: &Response, job: &WriteJob) -> bool {
    match (response, &job.payload) {
        (Response::WriteSingleCoil(a, b), WritePayload::Bit(v)) => *a == job.address && b == v,
        (Response::WriteSingleRegister(a, w), WritePayload::Words(v)) => {
            *a == job.address && v.as_slice() == [*w]
        }
        (Response::WriteMultipleRegisters(a, n), WritePayload::Words(v)) => {
            *a == job.address && usize::from(*n) == v.len()
        }
        (Response::MaskWriteRegister(a, and, or), WritePayload::Mask { and_mask, or_mask }) => {
            *a == job.address && and == and_mask && or == or_mask
        }
        _ => false,
    }
}

/// Read a written register back: a device that accepted a write but holds another value
/// (clamped, ignored in its current mode) is a write failure, not a success.
async fn read_back(wire: &mut Wire, unit: u8, job: &WriteJob) -> Option<String> {
    let a = job.address;
    let (table, count) = match &job.payload {
        WritePayload::Bit(_) => (Table::Coil, 1),
        WritePayload::Words(w) => (Table::Holding, u16::try_from(w.len()).unwrap_or(u16::MAX)),
        WritePayload::Mask { .. } => (Table::Holding, 1),
    };
    let req = ReadRequest {
        table,
        address: a,
        count,
        points: Vec::new(),
    };
    let matches = match (read(wire, unit, &req).await, &job.payload) {
        (Call::Ok(Units::Bits(v)), WritePayload::Bit(b)) => Ok(v.first() == Some(b)),
        (Call::Ok(Units::Words(v)), WritePayload::Words(w)) => Ok(&v == w),
        (Call::Ok(Units::Words(v)), WritePayload::Mask { and_mask, or_mask }) => Ok(v
            .first()
            .is_some_and(|w| w & !and_mask == *or_mask & !and_mask)),
        (Call::Ok(_), _) => Ok(false),
        (other, _) => Err(other.describe()),
    };
    match matches {
        Ok(true) => None,
        Ok(false) => Some(format!("{}: read back a different value", job.register)),
        Err(e) => Some(format!("{}: read-back failed: {e}", job.register)),
    }
}

impl<T> Call<T> {
    fn describe(&self) -> String {
        match self {
            Call::Ok(_) => "ok".into(),
            Call::Exception(e) => e.to_string(),
            Call::Timeout => "timeout".into(),
            Call::Transport(e) => e.clone(),
        }
    }
}

/// Write the keep-alive if it is due; false if the unit did not answer in time.
async fn keepalive(wire: &mut Wire, slot: &mut Slot) -> bool {
    let profile = slot.cfg.profile.clone();
    let Some(wd) = profile.watchdog.as_ref() else {
        return true;
    };
    slot.watchdog_due = Some(Instant::now() + Duration::from_millis(u64::from(wd.period_ms)));
    let Some(reg) = profile.registers.get(wd.register) else {
        return true;
    };
    let value = match wd.mode {
        WatchdogMode::Counter => {
            slot.watchdog_count = slot.watchdog_count.wrapping_add(1);
            Value::Number(f64::from(slot.watchdog_count))
        }
        WatchdogMode::Constant => Value::Number(wd.value),
    };
    let payload = if reg.table.is_bits() {
        WritePayload::Bit(slot.watchdog_count % 2 == 1)
    } else {
        match codec::encode(&reg.encoding, &value) {
            Ok(w) => WritePayload::Words(w),
            Err(_) => {
                // A counter past the register's range wraps to zero.
                slot.watchdog_count = 0;
                WritePayload::Words(vec![0; usize::from(reg.encoding.words())])
            }
        }
    };
    let job = WriteJob {
        table: reg.table,
        address: reg.address,
        payload,
        register: reg.name.clone(),
        read_back: false,
        ack: None,
    };
    write(wire, slot, &job).await
}

/// What a probe read at one unit: each point of its first status group, decoded or with its
/// error; or why the unit could not be read at all.
pub type UnitProbe = Result<Vec<(String, Result<Value, ReadError>)>, ReadError>;

/// Open a TCP link and read each unit's first status group once (`chargerd --probe`). Nothing
/// is written: no setpoint, coil or watchdog register of the device changes. The outer error
/// is the link itself (connection refused, no answer within the link's timeout).
pub async fn probe_tcp(link: TcpLink, units: &[DeviceConfig]) -> Result<Vec<UnitProbe>, ReadError> {
    probe_endpoint(Endpoint::Tcp(link), units).await
}

/// [`probe_tcp`] on a serial bus: the port opened with the bus's settings, the units read in
/// turn with the bus's silence between frames.
pub async fn probe_rtu(link: RtuLink, units: &[DeviceConfig]) -> Result<Vec<UnitProbe>, ReadError> {
    probe_endpoint(Endpoint::Rtu(link), units).await
}

async fn probe_endpoint(
    endpoint: Endpoint,
    units: &[DeviceConfig],
) -> Result<Vec<UnitProbe>, ReadError> {
    let mut wire = endpoint.open().await?;
    let mut probes = Vec::with_capacity(units.len());
    for unit in units {
        probes.push(probe_unit(&mut wire, unit).await);
    }
    Ok(probes)
}

async fn probe_unit(wire: &mut Wire, cfg: &DeviceConfig) -> UnitProbe {
    let profile = &cfg.profile;
    let Some(group) = profile
        .groups
        .iter()
        .find(|g| matches!(g.kind, GroupKind::Status { .. }))
    else {
        return Ok(Vec::new());
    };
    let mut points = Vec::new();
    for req in &group.reads {
        match read(wire, cfg.unit, req).await {
            Call::Ok(units) => {
                for &p in &req.points {
                    let Some(&ri) = group.registers.get(p) else {
                        continue;
                    };
                    let name = profile
                        .registers
                        .get(ri)
                        .map_or_else(String::new, |r| r.name.clone());
                    points.push((name, decode_point(profile, ri, req, &units)));
                }
            }
            Call::Exception(e) => return Err(ReadError::Exception(e)),
            Call::Timeout => return Err(ReadError::Timeout(wire.timeout)),
            Call::Transport(e) => return Err(ReadError::Transport(e)),
        }
    }
    Ok(points)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn unit_ids_on_one_link_are_distinct_and_addressable() {
        let profile = Arc::new(
            Profile::load(
                &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../configs/devices/dc-meter-modbus.toml"),
            )
            .unwrap(),
        );
        let dev = |unit| DeviceConfig {
            name: format!("m{unit}"),
            unit,
            profile: profile.clone(),
        };
        assert_eq!(check_unit_ids(&[dev(1), dev(2)], true), Ok(()));
        assert_eq!(
            check_unit_ids(&[dev(1), dev(1)], false),
            Err(UnitIdError::Duplicate(1))
        );
        assert_eq!(check_unit_ids(&[dev(0)], false), Ok(()));
        assert_eq!(
            check_unit_ids(&[dev(0)], true),
            Err(UnitIdError::NotOnBus(0))
        );
        assert_eq!(
            check_unit_ids(&[dev(248)], true),
            Err(UnitIdError::NotOnBus(248))
        );
    }

    #[test]
    fn a_silent_unit_waits_the_timeout_doubling_to_two_seconds() {
        let t = Duration::from_millis(200);
        let b: Vec<u128> = (1..=6).map(|n| retry_backoff(t, n).as_millis()).collect();
        assert_eq!(b, vec![200, 400, 800, 1600, 2000, 2000]);
        assert_eq!(retry_backoff(t, u32::MAX), MAX_RETRY_BACKOFF);
        // A timeout longer than the cap waits the cap.
        assert_eq!(retry_backoff(Duration::from_secs(5), 1), MAX_RETRY_BACKOFF);
    }
}
