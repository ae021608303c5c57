//! Modbus TCP devices driven by their profiles ([`crate::profile`]).
//!
//! One task owns one TCP connection and every device (unit id) behind it, so a gateway with
//! several units is one connection polled in turn. The task reads each status group at its
//! rate with the requests the profile planned, bounds every call with a timeout, decodes the
//! words into typed values and publishes them, each with its timestamp, into a
//! [`watch`] channel per device: readers take the latest state and never wait on the wire.
//! Writes are queued to the task and never block the caller.
//!
//! A device that answers with a Modbus exception is alive and reachable: exceptions are kept
//! apart from transport errors and timeouts, are logged with device and register, and never
//! cause a reconnect. Only repeated transport failures or timeouts in a row drop and rebuild the
//! connection, so one slow unit behind a gateway does not disconnect the others at once.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::{timeout, Instant};
use tokio_modbus::client::{Context, Reader, Writer};
use tokio_modbus::prelude::SlaveContext;
use tokio_modbus::{ExceptionCode, Slave};
use tracing::{debug, info, warn};

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
    pub timeouts: u64,
    pub exceptions: u64,
    pub transport: u64,
    pub decode: u64,
    pub write_failures: u64,
    pub reconnects: u64,
}

/// What a device's readers see.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DeviceState {
    /// By index of [`Profile::registers`]; `None` until first read.
    pub readings: Vec<Option<Reading>>,
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
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct WriteJob {
    table: Table,
    address: u16,
    payload: WritePayload,
    register: String,
    /// Read the register back after writing (readable, not momentary).
    read_back: bool,
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
        let (register, read_back) = self
            .profile
            .point(point)
            .map(|r| (r.name.clone(), r.access.readable() && !r.momentary))
            .unwrap_or_default();
        self.writes
            .try_send((
                self.index,
                WriteJob {
                    table: req.table,
                    address: req.address,
                    payload: req.payload,
                    register,
                    read_back,
                },
            ))
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => CommandError::QueueFull,
                mpsc::error::TrySendError::Closed(_) => CommandError::Stopped,
            })
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
}

/// Start the task owning the connection to `link` with `devices` behind it.
pub fn spawn_tcp(link: TcpLink, devices: Vec<DeviceConfig>) -> (Vec<ModbusDevice>, JoinHandle<()>) {
    let (wtx, wrx) = mpsc::channel(64);
    let now = Instant::now();
    let mut handles = Vec::new();
    let mut slots = Vec::new();
    for (index, cfg) in devices.into_iter().enumerate() {
        let n = cfg.profile.registers.len();
        let (tx, rx) = watch::channel(DeviceState {
            readings: vec![None; n],
            ..DeviceState::default()
        });
        handles.push(ModbusDevice {
            profile: cfg.profile.clone(),
            state: rx,
            writes: wtx.clone(),
            index,
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
        });
    }
    let task = tokio::spawn(run(link, slots, wrx));
    (handles, task)
}

fn period(hz: f64) -> Duration {
    Duration::from_secs_f64(1.0 / hz.max(0.001))
}

async fn run(link: TcpLink, mut slots: Vec<Slot>, mut writes: mpsc::Receiver<(usize, WriteJob)>) {
    loop {
        let ctx = match timeout(link.timeout, tokio_modbus::client::tcp::connect(link.addr)).await {
            Ok(Ok(ctx)) => ctx,
            Ok(Err(e)) => {
                debug!(addr = %link.addr, error = %e, "modbus connect failed");
                mark_all(&slots, ReadError::Transport(e.to_string()));
                if !backoff(&mut writes, &link).await {
                    return;
                }
                continue;
            }
            Err(_) => {
                mark_all(&slots, ReadError::Timeout(link.timeout));
                if !backoff(&mut writes, &link).await {
                    return;
                }
                continue;
            }
        };
        info!(addr = %link.addr, "modbus connected");
        for s in &slots {
            s.state.send_modify(|st| st.connected = true);
        }
        match serve(&link, ctx, &mut slots, &mut writes).await {
            Ended::Stopped => return,
            Ended::Reconnect => {
                warn!(addr = %link.addr, "modbus connection rebuilt after repeated failures");
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
async fn backoff(writes: &mut mpsc::Receiver<(usize, WriteJob)>, link: &TcpLink) -> bool {
    let until = Instant::now() + link.timeout.max(Duration::from_millis(200));
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

/// Outcome of one call on the wire.
enum Call<T> {
    Ok(T),
    Exception(Exception),
    Timeout,
    Transport(String),
}

async fn call<T, F>(limit: Duration, fut: F) -> Call<T>
where
    F: std::future::Future<Output = tokio_modbus::Result<T>>,
{
    match timeout(limit, fut).await {
        Ok(Ok(Ok(v))) => Call::Ok(v),
        Ok(Ok(Err(code))) => Call::Exception(code.into()),
        Ok(Err(e)) => Call::Transport(e.to_string()),
        Err(_) => Call::Timeout,
    }
}

async fn serve(
    link: &TcpLink,
    mut ctx: Context,
    slots: &mut [Slot],
    writes: &mut mpsc::Receiver<(usize, WriteJob)>,
) -> Ended {
    let mut failures: u32 = 0;
    loop {
        // Writes first: a setpoint change must not wait behind a round of polls.
        while let Ok((idx, job)) = writes.try_recv() {
            if let Some(slot) = slots.get(idx) {
                if !write(link, &mut ctx, slot, &job, &mut failures).await {
                    return Ended::Reconnect;
                }
            }
        }
        let now = Instant::now();
        let mut next = now + Duration::from_secs(60);
        for slot in slots.iter_mut() {
            if let Some(due) = slot.watchdog_due {
                if due <= now {
                    if !keepalive(link, &mut ctx, slot, &mut failures).await {
                        return Ended::Reconnect;
                    }
                } else {
                    next = next.min(due);
                }
            }
            for gi in 0..slot.due.len() {
                let Some(due) = slot.due[gi] else { continue };
                if due > now {
                    next = next.min(due);
                    continue;
                }
                if !poll_group(link, &mut ctx, slot, gi, &mut failures).await {
                    return Ended::Reconnect;
                }
                if let Some(d) = slot.due[gi] {
                    next = next.min(d);
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep_until(next) => {}
            job = writes.recv() => match job {
                Some((idx, job)) => {
                    if let Some(slot) = slots.get(idx) {
                        if !write(link, &mut ctx, slot, &job, &mut failures).await {
                            return Ended::Reconnect;
                        }
                    }
                }
                None => return Ended::Stopped,
            }
        }
    }
}

/// Count a failure; true while the connection is still worth keeping.
fn failed(link: &TcpLink, failures: &mut u32) -> bool {
    *failures = failures.saturating_add(1);
    *failures < link.reconnect_after.max(1)
}

async fn poll_group(
    link: &TcpLink,
    ctx: &mut Context,
    slot: &mut Slot,
    gi: usize,
    failures: &mut u32,
) -> bool {
    let profile = slot.cfg.profile.clone();
    let Some(group) = profile.groups.get(gi) else {
        return true;
    };
    let GroupKind::Status { poll_hz } = group.kind else {
        return true;
    };
    // Schedule from the due time, not from now, so the rate does not drift with latency.
    let due = slot.due[gi].unwrap_or_else(Instant::now);
    let mut next = due + period(poll_hz);
    let now = Instant::now();
    if next <= now {
        next = now + period(poll_hz);
    }
    slot.due[gi] = Some(next);
    ctx.set_slave(Slave(slot.cfg.unit));
    let mut keep = true;
    let mut results: Vec<(usize, Result<Value, ReadError>)> = Vec::new();
    for req in &group.reads {
        let outcome = read(link, ctx, req).await;
        let at_err = |e: ReadError| {
            req.points
                .iter()
                .filter_map(|&p| group.registers.get(p).copied())
                .map(|ri| (ri, Err(e.clone())))
                .collect::<Vec<_>>()
        };
        match outcome {
            Call::Ok(units) => {
                *failures = 0;
                for &p in &req.points {
                    let Some(&ri) = group.registers.get(p) else {
                        continue;
                    };
                    results.push((ri, decode_point(&profile, ri, req, &units)));
                }
            }
            Call::Exception(ex) => {
                *failures = 0;
                warn!(device = %slot.cfg.name, unit = slot.cfg.unit, table = %req.table,
                    address = req.address, count = req.count, exception = %ex,
                    "modbus exception on read");
                slot.state.send_modify(|st| {
                    st.errors.exceptions = st.errors.exceptions.saturating_add(1)
                });
                results.extend(at_err(ReadError::Exception(ex)));
            }
            Call::Timeout => {
                debug!(device = %slot.cfg.name, address = req.address, "modbus read timed out");
                slot.state
                    .send_modify(|st| st.errors.timeouts = st.errors.timeouts.saturating_add(1));
                results.extend(at_err(ReadError::Timeout(link.timeout)));
                keep = failed(link, failures);
            }
            Call::Transport(e) => {
                slot.state
                    .send_modify(|st| st.errors.transport = st.errors.transport.saturating_add(1));
                results.extend(at_err(ReadError::Transport(e)));
                keep = failed(link, failures);
            }
        }
        if !keep {
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
            if stalls >= link.frozen_after.max(1) {
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
        st.errors.decode = st.errors.decode.saturating_add(decode_errors);
        for (ri, value) in results {
            if let Some(r) = st.readings.get_mut(ri) {
                *r = Some(Reading { value, at });
            }
        }
    });
    keep
}

enum Units {
    Words(Vec<u16>),
    Bits(Vec<bool>),
}

async fn read(link: &TcpLink, ctx: &mut Context, req: &ReadRequest) -> Call<Units> {
    let (a, n) = (req.address, req.count);
    let t = link.timeout;
    let words = |c: Call<Vec<u16>>| match c {
        Call::Ok(w) => Call::Ok(Units::Words(w)),
        Call::Exception(e) => Call::Exception(e),
        Call::Timeout => Call::Timeout,
        Call::Transport(e) => Call::Transport(e),
    };
    let bits = |c: Call<Vec<bool>>| match c {
        Call::Ok(b) => Call::Ok(Units::Bits(b)),
        Call::Exception(e) => Call::Exception(e),
        Call::Timeout => Call::Timeout,
        Call::Transport(e) => Call::Transport(e),
    };
    match req.table {
        Table::Holding => words(call(t, ctx.read_holding_registers(a, n)).await),
        Table::Input => words(call(t, ctx.read_input_registers(a, n)).await),
        Table::Coil => bits(call(t, ctx.read_coils(a, n)).await),
        Table::DiscreteInput => bits(call(t, ctx.read_discrete_inputs(a, n)).await),
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

async fn write(
    link: &TcpLink,
    ctx: &mut Context,
    slot: &Slot,
    job: &WriteJob,
    failures: &mut u32,
) -> bool {
    ctx.set_slave(Slave(slot.cfg.unit));
    let t = link.timeout;
    let outcome = match (&job.table, &job.payload) {
        (Table::Coil, WritePayload::Bit(b)) => {
            call(t, ctx.write_single_coil(job.address, *b)).await
        }
        (Table::Holding, WritePayload::Words(w)) if w.len() == 1 => {
            call(t, ctx.write_single_register(job.address, w[0])).await
        }
        (Table::Holding, WritePayload::Words(w)) => {
            call(t, ctx.write_multiple_registers(job.address, w)).await
        }
        (Table::Holding, WritePayload::Mask { and_mask, or_mask }) => {
            call(
                t,
                ctx.masked_write_register(job.address, *and_mask, *or_mask),
            )
            .await
        }
        // The profile never encodes a write to a read-only table.
        _ => Call::Exception(Exception::IllegalFunction),
    };
    let (keep, error) = match outcome {
        Call::Ok(()) => {
            *failures = 0;
            if job.read_back {
                read_back(link, ctx, job).await
            } else {
                (true, None)
            }
        }
        Call::Exception(ex) => {
            *failures = 0;
            warn!(device = %slot.cfg.name, unit = slot.cfg.unit, register = %job.register,
                address = job.address, exception = %ex, "modbus exception on write");
            (true, Some(format!("{}: {ex}", job.register)))
        }
        Call::Timeout => (
            failed(link, failures),
            Some(format!(
                "{}: no answer within {:?}",
                job.register, link.timeout
            )),
        ),
        Call::Transport(e) => (
            failed(link, failures),
            Some(format!("{}: {e}", job.register)),
        ),
    };
    if let Some(e) = error {
        slot.state.send_modify(|st| {
            st.errors.write_failures = st.errors.write_failures.saturating_add(1);
            st.last_write_error = Some(e);
        });
    }
    keep
}

/// Read a written register back: a device that accepted a write but holds another value
/// (clamped, ignored in its current mode) is a write failure, not a success.
async fn read_back(link: &TcpLink, ctx: &mut Context, job: &WriteJob) -> (bool, Option<String>) {
    let t = link.timeout;
    let a = job.address;
    let matches = match &job.payload {
        WritePayload::Bit(b) => match call(t, ctx.read_coils(a, 1)).await {
            Call::Ok(v) => Ok(v.first() == Some(b)),
            other => Err(other.describe()),
        },
        WritePayload::Words(w) => {
            let n = u16::try_from(w.len()).unwrap_or(u16::MAX);
            match call(t, ctx.read_holding_registers(a, n)).await {
                Call::Ok(v) => Ok(&v == w),
                other => Err(other.describe()),
            }
        }
        WritePayload::Mask { and_mask, or_mask } => {
            match call(t, ctx.read_holding_registers(a, 1)).await {
                Call::Ok(v) => Ok(v
                    .first()
                    .is_some_and(|w| w & !and_mask == *or_mask & !and_mask)),
                other => Err(other.describe()),
            }
        }
    };
    match matches {
        Ok(true) => (true, None),
        Ok(false) => (
            true,
            Some(format!("{}: read back a different value", job.register)),
        ),
        Err(e) => (
            true,
            Some(format!("{}: read-back failed: {e}", job.register)),
        ),
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

async fn keepalive(link: &TcpLink, ctx: &mut Context, slot: &mut Slot, failures: &mut u32) -> bool {
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
    };
    write(link, ctx, slot, &job, failures).await
}
