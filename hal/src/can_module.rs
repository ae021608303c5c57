//! Power modules on CAN, driven by a CAN profile ([`crate::profile::can`]).
//!
//! One [`CanModuleBus`] owns one CAN port and every module on it; [`CanModuleBus::attach`]
//! hands out a [`CanPowerModule`] per module address, which is what the pool holds as a
//! [`PowerModule`]. The bus is stepped by its owner (`step(now)`, every few milliseconds):
//! it takes the frames received so far and gives each reply to its module, marks a module
//! whose replies got older than the profile's `max_age_ms` as `stale`, and sends what is due —
//! every command whose value changed or whose period ran out (modules drop their output without
//! it), every poll whose period ran out, a momentary command once.
//!
//! The decisions are pure and time-injected: [`ModuleLink`] is one module's schedule and state,
//! fed frames and `now`, answering with the frames to send. The bus is the thin shell around a
//! [`CanPort`]. A handle shares its module's link with the bus through a small mutex (the pool
//! and the bus may live on different tasks); neither side ever waits on the bus.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use charger_protocol::{CanFrame, Timestamp};
use serde::Serialize;
use thiserror::Error;

use crate::can::{CanError, CanPort};
use crate::module::{ModuleCommand, ModuleReading, PowerModule};
use crate::profile::can::{Addressing, CanProfile, MessageKind};
use crate::profile::{Need, Point, Unit, Value};

/// Frames read from the port per step at most, so a flooding bus cannot hold the step.
const MAX_FRAMES_PER_STEP: usize = 4096;

/// Counters of one module's link, since it was attached.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LinkStats {
    pub frames_sent: u64,
    pub replies: u64,
    /// Polls not answered within the profile's reply deadline (`reply_timeout_ms`).
    pub missed_replies: u64,
    /// Reply fields that were not a value (out of range, sensor sentinel, unknown enum).
    pub decode_errors: u64,
    /// Commands that could not be encoded (a setpoint outside the profile's range): not sent.
    pub encode_errors: u64,
}

/// One module's schedule and state: pure, driven by frames and `now`.
#[derive(Debug, Clone)]
pub struct ModuleLink {
    profile: Arc<CanProfile>,
    to: Addressing,
    attached_at: Timestamp,
    wanted: ModuleCommand,
    /// Momentary messages asked for and not yet sent.
    momentary: Vec<usize>,
    /// Send every command at the next poll (after a momentary command).
    resend: bool,
    /// Per message: when it was last sent, and (commands) the bytes sent.
    sent: Vec<Option<(Timestamp, Vec<u8>)>>,
    /// Per message: when a good reply last arrived.
    received: Vec<Option<Timestamp>>,
    /// Per request: when the poll still waiting for its reply went out.
    outstanding: Vec<Option<Timestamp>>,
    values: BTreeMap<Point, Value>,
    /// Names of the active fault bits.
    faults: Vec<String>,
    reading: ModuleReading,
    pub stats: LinkStats,
}

impl ModuleLink {
    pub fn new(profile: Arc<CanProfile>, to: Addressing, now: Timestamp) -> Self {
        let n = profile.messages.len();
        ModuleLink {
            profile,
            to,
            attached_at: now,
            wanted: ModuleCommand::OFF,
            momentary: Vec::new(),
            resend: false,
            sent: vec![None; n],
            received: vec![None; n],
            outstanding: vec![None; n],
            values: BTreeMap::new(),
            faults: Vec::new(),
            // Nothing heard yet: not a reading.
            reading: ModuleReading {
                stale: true,
                at: now,
                ..ModuleReading::default()
            },
            stats: LinkStats::default(),
        }
    }

    pub fn address(&self) -> u32 {
        self.to.module
    }

    /// Setpoints outside the profile's ranges are fitted into them first
    /// ([`crate::devices::fit`]): a frame that cannot be encoded is not sent, which would leave
    /// the module on its previous, perhaps higher, setpoint until its watchdog.
    pub fn command(&mut self, cmd: ModuleCommand) {
        let range = |point: Point| {
            self.profile
                .messages
                .iter()
                .filter(|m| matches!(m.kind, MessageKind::Command { .. }))
                .flat_map(|m| &m.fields)
                .find(|f| f.point == Some(point))
                .and_then(|f| f.range)
        };
        let limits = crate::devices::SetpointLimits {
            voltage: range(Point::VoltageSetpoint),
            current: range(Point::CurrentLimit),
        };
        self.wanted = crate::devices::fit(cmd, limits);
    }

    /// Queue the profile's momentary command for `point` (fault reset); false if it has none.
    pub fn momentary(&mut self, point: Point) -> bool {
        let found = self
            .profile
            .messages
            .iter()
            .position(|m| m.kind == MessageKind::Momentary { point });
        if let Some(i) = found {
            self.momentary.push(i);
        }
        found.is_some()
    }

    pub fn reading(&self) -> &ModuleReading {
        &self.reading
    }

    /// When the newest good reply of any message arrived; `None` before the first.
    pub fn last_reply(&self) -> Option<Timestamp> {
        self.received.iter().flatten().copied().max()
    }

    /// The value the station wants for a written point, in the point's unit.
    fn wanted_value(&self, point: Point) -> Option<Value> {
        match point {
            Point::OutputEnable => Some(Value::Bool(self.wanted.enable)),
            Point::VoltageSetpoint => Some(Value::Number(f64::from(self.wanted.voltage))),
            Point::CurrentLimit => Some(Value::Number(f64::from(self.wanted.current_limit))),
            _ => None,
        }
    }

    /// A reply for this module arrived: message `msg` with `data`.
    pub fn on_reply(&mut self, msg: usize, data: &[u8], now: Timestamp) {
        let profile = Arc::clone(&self.profile);
        let Some(m) = profile.messages.get(msg) else {
            return;
        };
        let Ok(decoded) = profile.decode(m, data) else {
            self.stats.decode_errors += 1;
            return;
        };
        // A message is taken whole or not at all: V and I from one frame belong together.
        let mut all_good = true;
        let mut updates: Vec<(Point, Value)> = Vec::new();
        let mut faults = None;
        let mut no_temperature = false;
        for d in decoded {
            let Some(f) = m.fields.get(d.field) else {
                continue;
            };
            let Some(point) = f.point else { continue };
            match d.value {
                Ok(v) => {
                    if point == Point::ModuleFaults {
                        if let Value::Number(raw) = v {
                            faults = Some(
                                f.active_faults(raw as u64)
                                    .into_iter()
                                    .map(str::to_string)
                                    .collect::<Vec<_>>(),
                            );
                        }
                    }
                    let v = match (v, f.unit) {
                        (Value::Number(n), Some(Unit::Kilowatt)) => Value::Number(n * 1000.0),
                        (v, _) => v,
                    };
                    updates.push((point, v));
                }
                Err(e) => {
                    self.stats.decode_errors += 1;
                    // A temperature sensor fault is a missing temperature, not a stale module;
                    // any other bad value leaves the whole message unrefreshed.
                    if point == Point::ModuleTemperature {
                        no_temperature = true;
                    } else {
                        all_good = false;
                    }
                    tracing::debug!(address = self.to.module, message = %m.name, field = %f.name, error = %e, "module reply field is not a value");
                }
            }
        }
        if no_temperature {
            self.values.remove(&Point::ModuleTemperature);
        }
        if all_good {
            self.values.extend(updates);
            if let Some(f) = faults {
                self.faults = f;
            }
        }
        if all_good {
            self.stats.replies += 1;
            if let Some(r) = self.received.get_mut(msg) {
                *r = Some(now);
            }
            for (i, req) in profile.messages.iter().enumerate() {
                if matches!(req.kind, MessageKind::Request { reply, .. } if reply == msg) {
                    if let Some(o) = self.outstanding.get_mut(i) {
                        *o = None;
                    }
                }
            }
        }
    }

    /// Refresh the reading's staleness, and return the frames due at `now`.
    pub fn poll(&mut self, now: Timestamp) -> Vec<CanFrame> {
        self.refresh(now);
        let profile = Arc::clone(&self.profile);
        let mut out = Vec::new();
        for i in std::mem::take(&mut self.momentary) {
            let Some(m) = profile.messages.get(i) else {
                continue;
            };
            match profile.encode(m, self.to, &|_| None) {
                Ok(f) => {
                    out.push(f);
                    self.resend = true;
                }
                Err(e) => {
                    self.stats.encode_errors += 1;
                    tracing::warn!(address = self.to.module, message = %m.name, error = %e, "cannot encode a momentary command");
                }
            }
        }
        let resend = std::mem::take(&mut self.resend);
        for (i, m) in profile.messages.iter().enumerate() {
            let last = self.sent.get(i).cloned().flatten();
            match m.kind {
                MessageKind::Command { period } => {
                    let frame = match profile.encode(m, self.to, &|p| self.wanted_value(p)) {
                        Ok(f) => f,
                        Err(e) => {
                            self.stats.encode_errors += 1;
                            tracing::warn!(address = self.to.module, message = %m.name, error = %e, "command not sent");
                            continue;
                        }
                    };
                    let due = match &last {
                        None => true,
                        Some((at, bytes)) => {
                            resend || bytes.as_slice() != frame.data() || now - *at >= period
                        }
                    };
                    if due {
                        self.sent[i] = Some((now, frame.data().to_vec()));
                        out.push(frame);
                    }
                }
                MessageKind::Request { period, .. } => {
                    if let Some(at) = self.outstanding.get(i).copied().flatten() {
                        if now - at > profile.reply_timeout {
                            self.stats.missed_replies += 1;
                            self.outstanding[i] = None;
                            tracing::debug!(address = self.to.module, message = %m.name, "no reply within the module's deadline");
                        }
                    }
                    let due = last.as_ref().is_none_or(|(at, _)| now - *at >= period);
                    if !due {
                        continue;
                    }
                    match profile.encode(m, self.to, &|_| None) {
                        Ok(f) => {
                            self.sent[i] = Some((now, Vec::new()));
                            self.outstanding[i] = Some(now);
                            out.push(f);
                        }
                        Err(e) => {
                            self.stats.encode_errors += 1;
                            tracing::warn!(address = self.to.module, message = %m.name, error = %e, "poll not sent");
                        }
                    }
                }
                MessageKind::Reply { .. } | MessageKind::Momentary { .. } => {}
            }
        }
        self.stats.frames_sent += out.len() as u64;
        out
    }

    /// Rebuild the reading from the latest values; stale when a reply that carries a point the
    /// station reads is missing or older than its `max_age`.
    pub fn refresh(&mut self, now: Timestamp) {
        let mut stale = false;
        let mut oldest: Option<Timestamp> = None;
        for (i, m) in self.profile.messages.iter().enumerate() {
            let MessageKind::Reply { max_age } = m.kind else {
                continue;
            };
            let needed = m.fields.iter().any(|f| {
                f.point.is_some_and(|p| {
                    self.profile
                        .role
                        .spec(p)
                        .is_some_and(|s| s.need == Need::Read && s.required)
                })
            });
            if !needed {
                continue;
            }
            match self.received.get(i).copied().flatten() {
                Some(at) => {
                    if now - at > max_age {
                        stale = true;
                    }
                    oldest = Some(oldest.map_or(at, |o| o.min(at)));
                }
                None => stale = true,
            }
        }
        let num = |p: Point| match self.values.get(&p) {
            Some(Value::Number(n)) => Some(*n as f32),
            _ => None,
        };
        let running = match self.values.get(&Point::ModuleStatus) {
            Some(Value::Bool(b)) => *b,
            Some(Value::Number(raw)) => self
                .profile
                .point(Point::ModuleStatus)
                .and_then(|(_, f)| f.enum_names.get(&(*raw as i128)))
                .is_some_and(|n| matches!(n.as_str(), "running" | "starting" | "derating")),
            _ => false,
        };
        self.reading = ModuleReading {
            voltage: num(Point::OutputVoltage).unwrap_or(self.reading.voltage),
            current: num(Point::OutputCurrent).unwrap_or(self.reading.current),
            running,
            temperature_c: num(Point::ModuleTemperature),
            available_power_w: num(Point::AvailablePower),
            range: None,
            fault: (!self.faults.is_empty()).then(|| self.faults.join(", ")),
            stale,
            // As old as its oldest part.
            at: oldest.unwrap_or(self.attached_at),
        };
    }
}

/// Lock a link, carrying on past a poisoned lock: the link is plain data that a panic
/// elsewhere cannot leave inconsistent in a way that matters more than stopping the modules.
fn lock(link: &Mutex<ModuleLink>) -> MutexGuard<'_, ModuleLink> {
    link.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Debug, Error, PartialEq)]
pub enum AttachError {
    #[error("address {address} is outside the profile's addresses {first}..={last}")]
    Address { address: u32, first: u32, last: u32 },
    #[error("a module with address {0} is already on this bus")]
    Duplicate(u32),
    #[error("the profile {0} is not a power-module profile")]
    Role(String),
}

/// Counters of the bus, since it was created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BusStats {
    pub frames_received: u64,
    /// Frames that are no reply of the profile, or from an address nobody attached.
    pub frames_ignored: u64,
    pub send_errors: u64,
}

/// The modules of one CAN bus and the port they share.
#[derive(Debug)]
pub struct CanModuleBus<P: CanPort> {
    port: P,
    profile: Arc<CanProfile>,
    /// Each module's address and link.
    links: Vec<(u32, Arc<Mutex<ModuleLink>>)>,
    /// Handles hold a weak reference: when the bus is gone (its task ended or panicked),
    /// their readings are stale, never frozen fresh.
    alive: Arc<()>,
    /// Steps that ended in a port error, shared with the modules' monitors.
    port_errors: Arc<AtomicU64>,
    pub stats: BusStats,
}

impl<P: CanPort> CanModuleBus<P> {
    pub fn new(port: P, profile: Arc<CanProfile>) -> Self {
        CanModuleBus {
            port,
            profile,
            links: Vec::new(),
            alive: Arc::new(()),
            port_errors: Arc::new(AtomicU64::new(0)),
            stats: BusStats::default(),
        }
    }

    pub fn profile(&self) -> &Arc<CanProfile> {
        &self.profile
    }

    pub fn port(&self) -> &P {
        &self.port
    }

    /// Put the module with `address` (its switch setting) on this bus. It is commanded off and
    /// polled from the next step; its reading is stale until it has answered every poll.
    pub fn attach(&mut self, address: u32, now: Timestamp) -> Result<CanPowerModule, AttachError> {
        self.attach_in_group(address, 0, now)
    }

    /// [`attach`](Self::attach) a module that belongs to group `group`, for profiles whose
    /// identifiers carry the group number (`"group"`).
    pub fn attach_in_group(
        &mut self,
        address: u32,
        group: u32,
        now: Timestamp,
    ) -> Result<CanPowerModule, AttachError> {
        if self.profile.role != crate::profile::Role::PowerModule {
            return Err(AttachError::Role(self.profile.file.display().to_string()));
        }
        let (first, last) = self.profile.addresses;
        if !(first..=last).contains(&address) {
            return Err(AttachError::Address {
                address,
                first,
                last,
            });
        }
        if self.links.iter().any(|(a, _)| *a == address) {
            return Err(AttachError::Duplicate(address));
        }
        let link = Arc::new(Mutex::new(ModuleLink::new(
            Arc::clone(&self.profile),
            Addressing {
                module: address,
                group,
            },
            now,
        )));
        self.links.push((address, Arc::clone(&link)));
        Ok(CanPowerModule {
            address,
            link,
            bus: Arc::downgrade(&self.alive),
            port_errors: Arc::clone(&self.port_errors),
        })
    }

    /// One step: dispatch received replies, refresh every module, send what is due, flush.
    /// A port error is returned after every module was refreshed (a dead port makes them
    /// stale, it never freezes their readings).
    pub fn step(&mut self, now: Timestamp) -> Result<(), CanError> {
        let mut result = Ok(());
        for _ in 0..MAX_FRAMES_PER_STEP {
            let frame = match self.port.try_recv() {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            };
            self.stats.frames_received += 1;
            if !self.dispatch(&frame, now) {
                self.stats.frames_ignored += 1;
            }
        }
        let mut due = Vec::new();
        for (_, link) in &self.links {
            due.extend(lock(link).poll(now));
        }
        for frame in &due {
            if let Err(e) = self.port.send(frame) {
                self.stats.send_errors += 1;
                if result.is_ok() {
                    result = Err(e);
                }
            }
        }
        if let Err(e) = self.port.flush() {
            self.stats.send_errors += 1;
            if result.is_ok() {
                result = Err(e);
            }
        }
        if result.is_err() {
            self.port_errors.fetch_add(1, Ordering::Relaxed);
        }
        result
    }

    fn dispatch(&mut self, frame: &CanFrame, now: Timestamp) -> bool {
        if frame.is_remote() {
            return false;
        }
        let matched: Vec<(usize, Addressing)> = self
            .profile
            .match_id(frame.id(), frame.is_extended(), false)
            .collect();
        let mut used = false;
        for (msg, from) in matched {
            if let Some((_, link)) = self.links.iter().find(|(a, _)| *a == from.module) {
                lock(link).on_reply(msg, frame.data(), now);
                used = true;
            }
        }
        used
    }

    /// The thin shell for a bus of its own: step every `period` of tokio's clock, with
    /// timestamps counted from `epoch` (the clock the attach times came from), until the task
    /// is dropped. Port errors are logged (1st, 2nd, 4th, … occurrence) and stepping goes on:
    /// the modules' readings go stale, which is how the pool learns of a dead bus.
    pub async fn run(mut self, period: std::time::Duration, epoch: tokio::time::Instant) {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut errors: u64 = 0;
        loop {
            tick.tick().await;
            let elapsed = epoch.elapsed().as_millis();
            let now = Timestamp::from_millis(u64::try_from(elapsed).unwrap_or(u64::MAX));
            if let Err(e) = self.step(now) {
                errors = errors.saturating_add(1);
                if errors.is_power_of_two() {
                    tracing::warn!(error = %e, errors, "CAN module bus: port error");
                }
            }
        }
    }

    /// Counters of the module at `address`.
    pub fn link_stats(&self, address: u32) -> Option<LinkStats> {
        self.links
            .iter()
            .find(|(a, _)| *a == address)
            .map(|(_, l)| lock(l).stats)
    }
}

/// One module on a [`CanModuleBus`], as the pool sees it. Not `Clone`: one owner commands a
/// module.
#[derive(Debug)]
pub struct CanPowerModule {
    address: u32,
    link: Arc<Mutex<ModuleLink>>,
    bus: std::sync::Weak<()>,
    port_errors: Arc<AtomicU64>,
}

impl CanPowerModule {
    pub fn address(&self) -> u32 {
        self.address
    }

    /// A read-only view of this module's link, for `chargerctl devices`: any number may
    /// exist beside the one owner that commands the module.
    pub fn monitor(&self) -> CanModuleMonitor {
        CanModuleMonitor {
            address: self.address,
            link: Arc::clone(&self.link),
            bus: self.bus.clone(),
            port_errors: Arc::clone(&self.port_errors),
        }
    }

    /// The module's link counters (frames, replies, missed replies, decode/encode errors).
    pub fn stats(&self) -> LinkStats {
        lock(&self.link).stats
    }
}

impl PowerModule for CanPowerModule {
    fn command(&mut self, cmd: ModuleCommand, _now: Timestamp) {
        lock(&self.link).command(cmd);
    }

    fn reset_fault(&mut self, _now: Timestamp) {
        if !lock(&self.link).momentary(Point::FaultReset) {
            tracing::warn!(
                address = self.address,
                "the module's profile has no fault reset"
            );
        }
    }

    fn reading(&self) -> ModuleReading {
        let mut r = lock(&self.link).reading().clone();
        if self.bus.strong_count() == 0 {
            r.stale = true;
        }
        r
    }

    /// Age the reading by the caller's clock too, so that a bus task that stopped stepping
    /// (stuck, not dropped) still leaves the module stale after its `max_age`.
    fn step(&mut self, now: Timestamp) {
        lock(&self.link).refresh(now);
    }
}

/// What a [`CanModuleMonitor`] shows of one module at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct CanModuleStatus {
    pub address: u32,
    pub stats: LinkStats,
    /// When the newest good reply arrived.
    pub last_reply: Option<Timestamp>,
    /// A reply the station reads is missing or older than its `max_age`, or the bus is gone.
    pub stale: bool,
    /// The bus's task is running (its [`CanModuleBus`] exists).
    pub bus_alive: bool,
    /// Steps of the bus that ended in a port error (shared by every module on the bus).
    pub port_errors: u64,
}

/// A read-only view of one module on a [`CanModuleBus`] ([`CanPowerModule::monitor`]).
#[derive(Debug, Clone)]
pub struct CanModuleMonitor {
    address: u32,
    link: Arc<Mutex<ModuleLink>>,
    bus: std::sync::Weak<()>,
    port_errors: Arc<AtomicU64>,
}

impl CanModuleMonitor {
    /// The module's link at `now` (on the bus's clock); never waits on the bus.
    pub fn status(&self, now: Timestamp) -> CanModuleStatus {
        let mut link = lock(&self.link);
        link.refresh(now);
        let bus_alive = self.bus.strong_count() > 0;
        CanModuleStatus {
            address: self.address,
            stats: link.stats,
            last_reply: link.last_reply(),
            stale: link.reading().stale || !bus_alive,
            bus_alive,
            port_errors: self.port_errors.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
#[path = "can_module_tests.rs"]
mod tests;
