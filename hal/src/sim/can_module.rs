//! Power modules on CAN, simulated from a CAN profile.
//!
//! [`CanModuleSim`] answers the profile's requests and obeys its commands for modules at the
//! given addresses, behind the same plant as the Modbus simulator ([`ParallelBus`] of
//! [`PowerModulePlant`]s: slew, rating, temperature derating, droop sharing into one battery).
//! It is pure: frames and `now` in, frames out. Like the real module, a simulated module that
//! heard nothing from the controller for the profile's `device_timeout_ms` drops its output and
//! raises its communication-timeout fault until it is switched on again. Faults are injected
//! per module ([`CanSimFault`]): deaf (neither hears nor answers: a pulled cable), mute (obeys
//! but never answers), garbage (answers with 0xFF bytes: NaN floats, out-of-range values).
//!
//! [`CanModuleSimServer`] runs one on any [`CanPort`] in its own thread, in real time: over
//! cannelloni this is the `can-module-sim` binary, and the tests' far end.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use charger_protocol::{CanFrame, Timestamp};
use thiserror::Error;

use crate::can::CanPort;
use crate::profile::can::{decode_field, Addressing, CanProfile, FieldType, MessageKind};
use crate::profile::{Point, Role, Unit, Value};
use crate::sim::cabinet::CabinetModulePlant;
use crate::sim::modbus::plant::module_fault;
use crate::sim::modbus::{BatteryLoad, ModuleRating, ParallelBus, PlantModel, PowerModulePlant};

/// The plant's fault bits by the names a profile gives them.
const FAULT_NAMES: &[(u16, &str)] = &[
    (module_fault::OVER_TEMPERATURE, "over_temperature"),
    (module_fault::COMMUNICATION_TIMEOUT, "communication_timeout"),
    (module_fault::POWER_LIMITING, "power_limiting"),
];

/// The plant's status values by name (as `ModuleStatus` numbers them).
const STATUS_NAMES: &[&str] = &["off", "starting", "running", "derating", "fault"];

#[derive(Debug, Error, PartialEq)]
pub enum CanSimError {
    #[error("{0}: not a power-module profile")]
    Role(String),
    #[error("address {0} is outside the profile's addresses or given twice")]
    Address(u32),
}

/// A communication fault a simulated module shows until cleared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CanSimFault {
    /// Neither hears nor answers (a pulled cable, a dead transceiver): after the profile's
    /// device timeout it also drops its output.
    Deaf,
    /// Obeys commands but never answers (its transmitter is dead): the output keeps running.
    Mute,
    /// Answers every poll with all data bytes 0xFF.
    Garbage,
}

#[derive(Debug, Clone)]
struct SimModule {
    address: u32,
    fault: Option<CanSimFault>,
    last_heard: Option<Timestamp>,
    timed_out: bool,
}

/// Simulated CAN power modules in parallel on one DC bus.
#[derive(Debug, Clone)]
pub struct CanModuleSim {
    profile: Arc<CanProfile>,
    bus: ParallelBus,
    /// Modules of a simulated cabinet instead of `bus` ([`CanModuleSim::cabinet`]): the
    /// cabinet's physics, stepped by the simulated connectors' buses.
    cabinet: Option<Vec<CabinetModulePlant>>,
    modules: Vec<SimModule>,
    last_step: Option<Timestamp>,
}

fn si_factor(unit: Option<Unit>) -> f64 {
    match unit {
        Some(Unit::Kilowatt) => 1e3,
        _ => 1.0,
    }
}

impl CanModuleSim {
    /// Modules at `addresses`, each with `rating`, in parallel into `load` with `droop_ohm`.
    pub fn new(
        profile: Arc<CanProfile>,
        addresses: &[u32],
        rating: ModuleRating,
        load: BatteryLoad,
        droop_ohm: f64,
    ) -> Result<Self, CanSimError> {
        if profile.role != Role::PowerModule {
            return Err(CanSimError::Role(profile.file.display().to_string()));
        }
        let (first, last) = profile.addresses;
        let mut modules: Vec<SimModule> = Vec::new();
        for &a in addresses {
            if !(first..=last).contains(&a) || modules.iter().any(|m| m.address == a) {
                return Err(CanSimError::Address(a));
            }
            modules.push(SimModule {
                address: a,
                fault: None,
                last_heard: None,
                timed_out: false,
            });
        }
        let plants = addresses
            .iter()
            .map(|_| PowerModulePlant::new(rating.clone(), load.clone()))
            .collect();
        Ok(CanModuleSim {
            profile,
            bus: ParallelBus::new(plants, load, droop_ohm),
            cabinet: None,
            modules,
            last_step: None,
        })
    }

    /// Modules of a simulated cabinet ([`SimCabinet::module_plant`](crate::sim::cabinet::SimCabinet::module_plant))
    /// at the given addresses: the daemon's `pool.simulate_devices` for modules on CAN. The
    /// frames are the profile's, the physics the cabinet's (its connectors' buses and trucks);
    /// [`plant`](Self::plant) and [`bus`](Self::bus) have nothing to show.
    pub fn cabinet(
        profile: Arc<CanProfile>,
        modules: Vec<(u32, CabinetModulePlant)>,
    ) -> Result<Self, CanSimError> {
        if profile.role != Role::PowerModule {
            return Err(CanSimError::Role(profile.file.display().to_string()));
        }
        let (first, last) = profile.addresses;
        let mut sims: Vec<SimModule> = Vec::new();
        for (a, _) in &modules {
            if !(first..=last).contains(a) || sims.iter().any(|m| m.address == *a) {
                return Err(CanSimError::Address(*a));
            }
            sims.push(SimModule {
                address: *a,
                fault: None,
                last_heard: None,
                timed_out: false,
            });
        }
        let load = BatteryLoad::default();
        Ok(CanModuleSim {
            profile,
            bus: ParallelBus::new(Vec::new(), load, 0.0),
            cabinet: Some(modules.into_iter().map(|(_, p)| p).collect()),
            modules: sims,
            last_step: None,
        })
    }

    /// Module `i`'s plant: a command it accepted.
    fn command_plant(&mut self, i: usize, point: Point, v: &Value) {
        match &mut self.cabinet {
            Some(c) => {
                if let Some(p) = c.get_mut(i) {
                    p.command(point, v);
                }
            }
            None => {
                if let Some(p) = self.bus.modules.get_mut(i) {
                    p.command(point, v);
                }
            }
        }
    }

    /// Module `i`'s plant's readings.
    fn plant_readings(&self, i: usize) -> Vec<(Point, Value)> {
        match &self.cabinet {
            Some(c) => c.get(i).map(|p| p.readings()).unwrap_or_default(),
            None => self
                .bus
                .modules
                .get(i)
                .map(|p| p.readings())
                .unwrap_or_default(),
        }
    }

    /// Module `i` heard nothing for the profile's device timeout.
    fn plant_comms_lost(&mut self, i: usize) {
        match &mut self.cabinet {
            Some(c) => {
                if let Some(p) = c.get_mut(i) {
                    p.comms_lost();
                }
            }
            None => {
                if let Some(p) = self.bus.modules.get_mut(i) {
                    p.comms_lost();
                }
            }
        }
    }

    pub fn bus(&self) -> &ParallelBus {
        &self.bus
    }

    pub fn bus_mut(&mut self) -> &mut ParallelBus {
        &mut self.bus
    }

    fn index(&self, address: u32) -> Option<usize> {
        self.modules.iter().position(|m| m.address == address)
    }

    /// The plant of the module at `address`.
    pub fn plant(&self, address: u32) -> Option<&PowerModulePlant> {
        self.index(address).and_then(|i| self.bus.modules.get(i))
    }

    /// Inject (or, with `None`, clear) a communication fault at the module at `address`.
    pub fn set_fault(&mut self, address: u32, fault: Option<CanSimFault>) {
        if let Some(i) = self.index(address) {
            self.modules[i].fault = fault;
        }
    }

    /// A frame from the controller: obey it, and return the replies.
    pub fn receive(&mut self, frame: &CanFrame, now: Timestamp) -> Vec<CanFrame> {
        let mut out = Vec::new();
        if frame.is_remote() {
            return out;
        }
        let profile = Arc::clone(&self.profile);
        let matched: Vec<(usize, Addressing)> = profile
            .match_id(frame.id(), frame.is_extended(), true)
            .collect();
        for (mi, to) in matched {
            let Some(i) = self.index(to.module) else {
                continue;
            };
            let fault = self.modules[i].fault;
            if fault == Some(CanSimFault::Deaf) {
                continue;
            }
            let Some(m) = profile.messages.get(mi) else {
                continue;
            };
            if frame.len() < usize::from(m.length) {
                continue;
            }
            self.modules[i].last_heard = Some(now);
            self.modules[i].timed_out = false;
            match m.kind {
                MessageKind::Command { .. } => {
                    for f in &m.fields {
                        let Some(point) = f.point else { continue };
                        // A value outside the field's range is refused, as a module would.
                        if let Ok(v) = decode_field(f, frame.data()) {
                            let v = match v {
                                Value::Number(n) => Value::Number(n * si_factor(f.unit)),
                                v => v,
                            };
                            self.command_plant(i, point, &v);
                        }
                    }
                }
                MessageKind::Momentary { point } => {
                    let len = usize::from(m.length);
                    if frame.data().get(..len) == m.data.get(..len) {
                        self.command_plant(i, point, &Value::Bool(true));
                    }
                }
                MessageKind::Request { reply, .. } => {
                    if fault == Some(CanSimFault::Mute) {
                        continue;
                    }
                    if let Some(r) = profile.messages.get(reply) {
                        let readings = self.plant_readings(i);
                        let value = |point: Point| {
                            let f = r.fields.iter().find(|f| f.point == Some(point))?;
                            let (_, v) = readings.iter().find(|(p, _)| *p == point)?;
                            encode_reading(f, point, v)
                        };
                        match profile.encode(r, to, &value) {
                            Ok(frame) if fault == Some(CanSimFault::Garbage) => {
                                let junk = vec![0xFF; frame.len()];
                                if let Ok(f) = CanFrame::new(frame.id(), frame.is_extended(), &junk)
                                {
                                    out.push(f);
                                }
                            }
                            Ok(frame) => out.push(frame),
                            Err(e) => {
                                tracing::debug!(message = %r.name, error = %e, "simulated module cannot encode its reply")
                            }
                        }
                    }
                }
                MessageKind::Reply { .. } => {}
            }
        }
        out
    }

    /// Advance the plant to `now`, and drop the output of modules that heard nothing for the
    /// profile's device timeout.
    pub fn step(&mut self, now: Timestamp) {
        if let Some(timeout) = self.profile.device_timeout {
            let mut lost = Vec::new();
            for (i, m) in self.modules.iter_mut().enumerate() {
                if let Some(heard) = m.last_heard {
                    if !m.timed_out && now - heard > timeout {
                        m.timed_out = true;
                        lost.push(i);
                    }
                }
            }
            for i in lost {
                self.plant_comms_lost(i);
            }
        }
        let dt = self.last_step.map_or(Duration::ZERO, |t| now - t);
        self.last_step = Some(now);
        // A cabinet's physics is stepped by its connectors' buses.
        if !dt.is_zero() && self.cabinet.is_none() {
            self.bus.step(dt);
        }
    }
}

/// The plant's reading of `point` as field `f` carries it.
fn encode_reading(f: &crate::profile::can::Field, point: Point, v: &Value) -> Option<Value> {
    match point {
        Point::ModuleFaults => {
            let Value::Number(bits) = v else { return None };
            let bits = *bits as u16;
            let mut raw: u64 = 0;
            for (mask, name) in FAULT_NAMES {
                if bits & mask == 0 {
                    continue;
                }
                for (bit, n) in f.bit_names.iter().chain(&f.flag_names) {
                    if n == name {
                        raw |= 1u64 << bit;
                    }
                }
            }
            Some(Value::Number(raw as f64))
        }
        Point::ModuleStatus => {
            let Value::Number(status) = v else {
                return None;
            };
            let name = STATUS_NAMES
                .get(*status as usize)
                .copied()
                .unwrap_or("fault");
            if f.ty == FieldType::Bool {
                Some(Value::Bool(matches!(
                    name,
                    "starting" | "running" | "derating"
                )))
            } else {
                f.enum_names
                    .iter()
                    .find(|(_, n)| n.as_str() == name)
                    .map(|(raw, _)| Value::Number(*raw as f64))
            }
        }
        _ => match v {
            Value::Number(n) => {
                let n = n / si_factor(f.unit);
                // Clamp into the field's range: a plant value just outside (a slightly negative
                // current) is sent as the nearest value the module would report.
                Some(Value::Number(match f.range {
                    Some((lo, hi)) => n.clamp(lo, hi),
                    None => n,
                }))
            }
            other => Some(other.clone()),
        },
    }
}

fn lock(sim: &Mutex<CanModuleSim>) -> MutexGuard<'_, CanModuleSim> {
    sim.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A [`CanModuleSim`] answering on a [`CanPort`] in its own thread, in real time. Stops (and
/// joins its thread) when dropped.
#[derive(Debug)]
pub struct CanModuleSimServer {
    sim: Arc<Mutex<CanModuleSim>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl CanModuleSimServer {
    /// Serve `sim` on `port`, stepping the plant every `tick`.
    pub fn spawn<P: CanPort + 'static>(
        mut port: P,
        sim: CanModuleSim,
        tick: Duration,
    ) -> std::io::Result<CanModuleSimServer> {
        let sim = Arc::new(Mutex::new(sim));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (Arc::clone(&sim), Arc::clone(&stop));
        let thread = std::thread::Builder::new()
            .name("can-module-sim".into())
            .spawn(move || {
                let start = Instant::now();
                let mut errors: u64 = 0;
                while !st.load(Ordering::Relaxed) {
                    let now = Timestamp::from_millis(
                        u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX),
                    );
                    {
                        let mut sim = lock(&s);
                        loop {
                            match port.try_recv() {
                                Ok(Some(frame)) => {
                                    for reply in sim.receive(&frame, now) {
                                        if port.send(&reply).is_err() {
                                            errors += 1;
                                        }
                                    }
                                }
                                Ok(None) => break,
                                Err(e) => {
                                    errors += 1;
                                    if errors.is_power_of_two() {
                                        tracing::warn!(error = %e, errors, "simulated CAN modules: port error");
                                    }
                                    break;
                                }
                            }
                        }
                        sim.step(now);
                    }
                    if port.flush().is_err() {
                        errors += 1;
                    }
                    std::thread::sleep(tick);
                }
            })?;
        Ok(CanModuleSimServer {
            sim,
            stop,
            thread: Some(thread),
        })
    }

    /// Look at or change the simulation (fault injection, plant state).
    pub fn with_sim<R>(&self, f: impl FnOnce(&mut CanModuleSim) -> R) -> R {
        f(&mut lock(&self.sim))
    }
}

impl Drop for CanModuleSimServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
