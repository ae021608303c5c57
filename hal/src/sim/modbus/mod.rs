//! Modbus device simulators driven by device profiles.
//!
//! The register map comes from a [`Profile`] (the shipped `configs/devices/*.toml` or any
//! other), never from code: a [`RegisterBank`] lays the role's [`Point`]s out exactly as the
//! profile says (table, address, type, word order, scale, offset, unit), so a simulator for a
//! new vendor is a new profile. Behind the bank sits a [`PlantModel`] (power module, DC
//! meter, insulation monitor, cooling unit), pure and stepped by time given from outside.
//!
//! [`SimDevice`] is the whole device as a pure value: it answers a Modbus request, applies
//! injected communication faults ([`CommsFault`]) and advances its plant. With the
//! `sim-server` feature, [`server::serve`] puts it on a real Modbus TCP socket (and
//! [`server::serve_rtu_bus`] several on one serial line): a thin shell of one tokio-modbus
//! server and one task stepping the plant in real time.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;
use tokio_modbus::{ExceptionCode, Request, Response};

use crate::profile::codec::{self, Encoding, Value, ValueType};
use crate::profile::{Access, Point, Profile, Register, Role, Table, Unit};

#[cfg(feature = "sim-server")]
pub mod connector;
pub mod plant;
#[cfg(feature = "sim-server")]
pub mod server;

pub use plant::{
    BatteryLoad, BusModule, ConnectorThermal, CoolingPlant, CoolingTemperatures, DcMeterPlant,
    InsulationPlant, IoModulePlant, ModuleRating, ParallelBus, PlantModel, PowerModulePlant,
    ThermalModel,
};

/// A communication fault the simulated device shows until cleared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommsFault {
    /// Requests are swallowed: no reply at all (the client times out).
    NoAnswer,
    /// Every request is refused with this exception code.
    Exception(ExceptionCode),
    /// Values and update counters stop moving; the device still answers.
    Frozen,
    /// Every register read returns 0x7FFF words: out of range, NaN or a sentinel for the
    /// shipped maps, never a plausible value.
    Garbage,
    /// Every request is answered correctly but this late (a slow unit behind a gateway): past
    /// the client's timeout the reply arrives after the client gave up on it.
    Late(Duration),
}

/// The word every register holds while [`CommsFault::Garbage`] is on.
pub const GARBAGE_WORD: u16 = 0x7FFF;

#[derive(Debug, Error, PartialEq)]
pub enum SimError {
    #[error("{file}: the profile is for role {profile:?}, this simulator models {plant:?}")]
    WrongRole {
        file: String,
        profile: Role,
        plant: Role,
    },
}

/// SI base units per register unit: plants speak W, Wh, Ω and Pa.
fn si_factor(unit: Option<Unit>) -> f64 {
    match unit {
        Some(Unit::Kilowatt | Unit::KilowattHour | Unit::Kiloohm | Unit::Kilopascal) => 1e3,
        Some(Unit::Megaohm) => 1e6,
        Some(Unit::Bar) => 1e5,
        _ => 1.0,
    }
}

fn to_register_unit(reg: &Register, v: &Value) -> Value {
    match v {
        Value::Number(n) => Value::Number(n / si_factor(reg.unit)),
        other => other.clone(),
    }
}

fn to_si(reg: &Register, v: Value) -> Value {
    match v {
        Value::Number(n) => Value::Number(n * si_factor(reg.unit)),
        other => other,
    }
}

/// The register image of one device, laid out by its profile.
#[derive(Debug, Clone)]
pub struct RegisterBank {
    profile: Arc<Profile>,
    words: BTreeMap<(Table, u16), u16>,
    bits: BTreeMap<(Table, u16), bool>,
    /// Moves on every publish; written into each group's update counter.
    counter: u16,
}

/// A device's answer to a read.
#[derive(Debug, Clone, PartialEq)]
pub enum Units {
    Words(Vec<u16>),
    Bits(Vec<bool>),
}

impl RegisterBank {
    /// Every mapped register gets a neutral value the profile accepts (zero clamped into its
    /// range, its first enum value); unmapped addresses stay unmapped and answer "illegal
    /// data address", exactly as the gaps of a real device.
    pub fn new(profile: Arc<Profile>) -> Self {
        let mut bank = Self {
            profile: profile.clone(),
            words: BTreeMap::new(),
            bits: BTreeMap::new(),
            counter: 0,
        };
        for reg in &profile.registers {
            let value = match reg.encoding.ty {
                ValueType::Bool => Value::Bool(false),
                ValueType::String => Value::Text(String::new()),
                _ => {
                    let e = &reg.encoding;
                    let base = e
                        .enum_values
                        .first()
                        .map(|raw| *raw as f64 * e.scale + e.offset)
                        .unwrap_or(0.0);
                    let base = match e.range {
                        Some((lo, hi)) => base.clamp(lo, hi),
                        None => base,
                    };
                    Value::Number(base)
                }
            };
            if !bank.store(reg, &value) && !reg.table.is_bits() {
                // A value the type cannot hold (an offset pushing zero out): raw zeros.
                let span = reg.span();
                for i in 0..span.count {
                    bank.words
                        .insert((reg.table, reg.address.saturating_add(i)), 0);
                }
            }
        }
        // Addresses between points that the read planner spans (no declared gap) answer
        // zero, as such holes do on a device; declared gaps stay unmapped.
        for req in profile.groups.iter().flat_map(|g| &g.reads) {
            for i in 0..req.count {
                let key = (req.table, req.address.saturating_add(i));
                if req.table.is_bits() {
                    bank.bits.entry(key).or_insert(false);
                } else {
                    bank.words.entry(key).or_insert(0);
                }
            }
        }
        bank
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// Write `value` (in the register's unit) into the image as the device would send it.
    /// The profile's range is not applied: a plant outside it is reported as it is, and the
    /// client's range check is what catches it. False if the type cannot hold the value.
    fn store(&mut self, reg: &Register, value: &Value) -> bool {
        if reg.table.is_bits() {
            if let Value::Bool(b) = value {
                self.bits.insert((reg.table, reg.address), *b);
                return true;
            }
            return false;
        }
        let enc = Encoding {
            range: None,
            ..reg.encoding.clone()
        };
        let words = match codec::encode(&enc, value) {
            Ok(w) => w,
            Err(_) => return false,
        };
        if reg.encoding.ty == ValueType::Bool && reg.encoding.bit.is_some() {
            // One bit of a shared holding/input word: keep the other bits.
            let key = (reg.table, reg.address);
            let mask = 1u16.checked_shl(u32::from(reg.encoding.bit.unwrap_or(0)));
            let old = self.words.get(&key).copied().unwrap_or(0);
            let new_bit = words.first().copied().unwrap_or(0);
            let new = match mask {
                Some(m) => (old & !m) | (new_bit & m),
                None => old,
            };
            self.words.insert(key, new);
            return true;
        }
        for (i, w) in words.into_iter().enumerate() {
            let Ok(i) = u16::try_from(i) else { break };
            self.words
                .insert((reg.table, reg.address.saturating_add(i)), w);
        }
        true
    }

    /// Lay the plant's readings (SI units) into the image and move the update counters.
    pub fn publish(&mut self, readings: &[(Point, Value)]) {
        let profile = self.profile.clone();
        for (point, value) in readings {
            if let Some(reg) = profile.point(*point) {
                let v = to_register_unit(reg, value);
                if !self.store(reg, &v) {
                    tracing::debug!(register = %reg.name, ?v, "simulated value does not fit its register");
                }
            }
        }
        self.counter = self.counter.wrapping_add(1);
        let counter = Value::Number(f64::from(self.counter));
        for group in &profile.groups {
            if let Some(reg) = group.update_counter.and_then(|i| profile.registers.get(i)) {
                let _ = self.store(reg, &counter);
            }
        }
    }

    /// Lay values a plant reports by register name (an I/O module's points, in the
    /// register's unit) into the image; the update counters do not move.
    pub fn publish_named(&mut self, readings: &[(String, Value)]) {
        let profile = self.profile.clone();
        for (name, value) in readings {
            if let Some(reg) = profile.register(name) {
                if !self.store(reg, value) {
                    tracing::debug!(register = %reg.name, ?value, "simulated value does not fit its register");
                }
            }
        }
    }

    /// The value register `reg` holds now, decoded by the profile (what a client would read).
    pub fn value_of(&self, reg: &Register) -> Option<Value> {
        let span = reg.span();
        match self.read(reg.table, span.address, span.count).ok()? {
            Units::Bits(b) => b.first().map(|b| Value::Bool(*b)),
            Units::Words(w) => codec::decode(&reg.encoding, &w).ok(),
        }
    }

    /// Serve a read of `count` units from `address`.
    pub fn read(&self, table: Table, address: u16, count: u16) -> Result<Units, ExceptionCode> {
        if count == 0 {
            return Err(ExceptionCode::IllegalDataValue);
        }
        let addrs = (0..count).map(|i| address.checked_add(i));
        if table.is_bits() {
            addrs
                .map(|a| {
                    a.and_then(|a| self.bits.get(&(table, a)).copied())
                        .ok_or(ExceptionCode::IllegalDataAddress)
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Units::Bits)
        } else {
            addrs
                .map(|a| {
                    a.and_then(|a| self.words.get(&(table, a)).copied())
                        .ok_or(ExceptionCode::IllegalDataAddress)
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Units::Words)
        }
    }

    /// Registers of `table` touching `[address, address + count)`, or illegal data address if
    /// any unit of the range is unmapped or not writable.
    fn writable(
        &self,
        table: Table,
        address: u16,
        count: u16,
    ) -> Result<Vec<&Register>, ExceptionCode> {
        let end = u32::from(address) + u32::from(count);
        let mut regs: Vec<&Register> = Vec::new();
        for a in u32::from(address)..end {
            // Several `bool`s may share one holding register on distinct bits.
            let covering: Vec<&Register> = self
                .profile
                .registers
                .iter()
                .filter(|r| {
                    let s = r.span();
                    r.table == table
                        && u32::from(s.address) <= a
                        && a < s.end().max(u32::from(s.address) + 1)
                })
                .collect();
            if covering.is_empty() || covering.iter().any(|r| !r.access.writable()) {
                return Err(ExceptionCode::IllegalDataAddress);
            }
            for reg in covering {
                if !regs.iter().any(|r| std::ptr::eq(*r, reg)) {
                    regs.push(reg);
                }
            }
        }
        Ok(regs)
    }

    /// Accept a write of coils; returns the commands for the plant (SI units).
    pub fn write_bits(
        &mut self,
        address: u16,
        values: &[bool],
    ) -> Result<Vec<(Point, Value)>, ExceptionCode> {
        let count = u16::try_from(values.len()).map_err(|_| ExceptionCode::IllegalDataValue)?;
        let regs: Vec<Register> = self
            .writable(Table::Coil, address, count)?
            .into_iter()
            .cloned()
            .collect();
        let mut commands = Vec::new();
        for reg in regs {
            let off = usize::from(reg.address.saturating_sub(address));
            let b = values.get(off).copied().unwrap_or(false);
            // A momentary command reads back as cleared: the device acts and resets it.
            self.bits
                .insert((Table::Coil, reg.address), b && !reg.momentary);
            if let Some(p) = reg.point {
                commands.push((p, Value::Bool(b)));
            }
        }
        Ok(commands)
    }

    /// Accept a write of holding registers: every register the write completes is decoded
    /// with the profile's range; a value out of range refuses the whole write (illegal data
    /// value) and changes nothing.
    pub fn write_words(
        &mut self,
        address: u16,
        values: &[u16],
    ) -> Result<Vec<(Point, Value)>, ExceptionCode> {
        let count = u16::try_from(values.len()).map_err(|_| ExceptionCode::IllegalDataValue)?;
        let regs: Vec<Register> = self
            .writable(Table::Holding, address, count)?
            .into_iter()
            .cloned()
            .collect();
        let mut next = self.words.clone();
        for (i, w) in values.iter().enumerate() {
            let Ok(i) = u16::try_from(i) else { break };
            next.insert((Table::Holding, address.saturating_add(i)), *w);
        }
        let mut commands = Vec::new();
        for reg in &regs {
            let span = reg.span();
            let words: Vec<u16> = (0..span.count)
                .map(|i| {
                    next.get(&(Table::Holding, span.address.saturating_add(i)))
                        .copied()
                        .unwrap_or(0)
                })
                .collect();
            let value = codec::decode(&reg.encoding, &words)
                .map_err(|_| ExceptionCode::IllegalDataValue)?;
            if let Some(p) = reg.point {
                commands.push((p, to_si(reg, value)));
            }
        }
        for reg in &regs {
            if reg.momentary {
                let span = reg.span();
                for i in 0..span.count {
                    next.insert((Table::Holding, span.address.saturating_add(i)), 0);
                }
            }
        }
        self.words = next;
        Ok(commands)
    }
}

/// One simulated Modbus device: its register image, its plant and any injected fault.
#[derive(Debug)]
pub struct SimDevice<P> {
    bank: RegisterBank,
    plant: P,
    fault: Option<CommsFault>,
    requests: u64,
    /// Time since the profile's watchdog register was last written, and whether the device
    /// already acted on its expiry.
    since_keepalive: Duration,
    watchdog_tripped: bool,
}

impl<P: PlantModel> SimDevice<P> {
    /// A device showing `plant` through `profile`; the profile's role must be the plant's.
    pub fn new(profile: Arc<Profile>, plant: P) -> Result<Self, SimError> {
        if profile.role != P::ROLE {
            return Err(SimError::WrongRole {
                file: profile.file.display().to_string(),
                profile: profile.role,
                plant: P::ROLE,
            });
        }
        let mut bank = RegisterBank::new(profile);
        bank.publish_named(&plant.named_readings());
        bank.publish(&plant.readings());
        Ok(Self {
            bank,
            plant,
            fault: None,
            requests: 0,
            since_keepalive: Duration::ZERO,
            watchdog_tripped: false,
        })
    }

    pub fn plant(&self) -> &P {
        &self.plant
    }
    pub fn plant_mut(&mut self) -> &mut P {
        &mut self.plant
    }
    pub fn bank(&self) -> &RegisterBank {
        &self.bank
    }
    pub fn fault(&self) -> Option<CommsFault> {
        self.fault
    }
    /// Requests seen (answered or not).
    pub fn requests(&self) -> u64 {
        self.requests
    }

    /// How long the answer to a request waits ([`CommsFault::Late`]).
    pub fn reply_delay(&self) -> Option<Duration> {
        match self.fault {
            Some(CommsFault::Late(d)) => Some(d),
            _ => None,
        }
    }

    /// Inject (or with `None`, clear) a communication fault.
    pub fn inject(&mut self, fault: Option<CommsFault>) {
        self.fault = fault;
    }

    /// Advance the plant by `dt` and refresh the register image, unless frozen.
    pub fn advance(&mut self, dt: Duration) {
        self.since_keepalive = self.since_keepalive.saturating_add(dt);
        if let Some(timeout) = self.watchdog_timeout() {
            if self.since_keepalive > timeout && !self.watchdog_tripped {
                self.watchdog_tripped = true;
                self.plant.comms_lost();
            }
        }
        self.plant.step(dt);
        if self.fault != Some(CommsFault::Frozen) {
            self.bank.publish_named(&self.plant.named_readings());
            self.bank.publish(&self.plant.readings());
        }
    }

    /// Answer one request. `Ok(None)` is no answer at all.
    pub fn handle(&mut self, request: &Request<'_>) -> Result<Option<Response>, ExceptionCode> {
        self.requests = self.requests.saturating_add(1);
        match self.fault {
            Some(CommsFault::NoAnswer) => return Ok(None),
            Some(CommsFault::Exception(code)) => return Err(code),
            _ => {}
        }
        let garbage = self.fault == Some(CommsFault::Garbage);
        let words = |u: Units| match u {
            Units::Words(w) if garbage => vec![GARBAGE_WORD; w.len()],
            Units::Words(w) => w,
            Units::Bits(_) => Vec::new(),
        };
        let bits = |u: Units| match u {
            Units::Bits(b) => b,
            Units::Words(_) => Vec::new(),
        };
        let response = match request {
            Request::ReadCoils(a, n) => {
                Response::ReadCoils(bits(self.bank.read(Table::Coil, *a, *n)?))
            }
            Request::ReadDiscreteInputs(a, n) => {
                Response::ReadDiscreteInputs(bits(self.bank.read(Table::DiscreteInput, *a, *n)?))
            }
            Request::ReadHoldingRegisters(a, n) => {
                Response::ReadHoldingRegisters(words(self.bank.read(Table::Holding, *a, *n)?))
            }
            Request::ReadInputRegisters(a, n) => {
                Response::ReadInputRegisters(words(self.bank.read(Table::Input, *a, *n)?))
            }
            Request::WriteSingleCoil(a, v) => {
                self.apply_bits(*a, &[*v])?;
                Response::WriteSingleCoil(*a, *v)
            }
            Request::WriteMultipleCoils(a, v) => {
                self.apply_bits(*a, v)?;
                let n = u16::try_from(v.len()).map_err(|_| ExceptionCode::IllegalDataValue)?;
                Response::WriteMultipleCoils(*a, n)
            }
            Request::WriteSingleRegister(a, v) => {
                self.apply_words(*a, &[*v])?;
                Response::WriteSingleRegister(*a, *v)
            }
            Request::WriteMultipleRegisters(a, v) => {
                self.apply_words(*a, v)?;
                let n = u16::try_from(v.len()).map_err(|_| ExceptionCode::IllegalDataValue)?;
                Response::WriteMultipleRegisters(*a, n)
            }
            Request::MaskWriteRegister(a, and_mask, or_mask) => {
                let current = match self.bank.read(Table::Holding, *a, 1)? {
                    Units::Words(w) => w.first().copied().unwrap_or(0),
                    Units::Bits(_) => 0,
                };
                let new = (current & and_mask) | (or_mask & !and_mask);
                self.apply_words(*a, &[new])?;
                Response::MaskWriteRegister(*a, *and_mask, *or_mask)
            }
            _ => return Err(ExceptionCode::IllegalFunction),
        };
        Ok(Some(response))
    }

    /// The device's own communication timeout, if its profile declares one.
    fn watchdog_timeout(&self) -> Option<Duration> {
        let w = self.bank.profile.watchdog.as_ref()?;
        w.device_timeout_ms
            .map(|ms| Duration::from_millis(u64::from(ms)))
    }

    /// A write touching the watchdog register feeds it.
    fn feed_watchdog(&mut self, table: Table, address: u16, count: usize) {
        let Some(reg) = self
            .bank
            .profile
            .watchdog
            .as_ref()
            .and_then(|w| self.bank.profile.registers.get(w.register))
        else {
            return;
        };
        let span = reg.span();
        let (start, end) = (u32::from(address), u32::from(address) + count as u32);
        if reg.table == table && start < span.end() && u32::from(span.address) < end {
            self.since_keepalive = Duration::ZERO;
            self.watchdog_tripped = false;
        }
    }

    fn apply_bits(&mut self, a: u16, v: &[bool]) -> Result<(), ExceptionCode> {
        self.feed_watchdog(Table::Coil, a, v.len());
        for (point, value) in self.bank.write_bits(a, v)? {
            self.plant.command(point, &value);
        }
        self.command_named(Table::Coil, a, v.len());
        self.refresh_setpoints();
        Ok(())
    }

    fn apply_words(&mut self, a: u16, v: &[u16]) -> Result<(), ExceptionCode> {
        self.feed_watchdog(Table::Holding, a, v.len());
        for (point, value) in self.bank.write_words(a, v)? {
            self.plant.command(point, &value);
        }
        self.command_named(Table::Holding, a, v.len());
        self.refresh_setpoints();
        Ok(())
    }

    /// Hand the plant the I/O outputs a write to `count` units of `table` from `a` touched,
    /// as the image now holds them (a masked write changes one bit of a shared word).
    fn command_named(&mut self, table: Table, a: u16, count: usize) {
        let profile = self.bank.profile.clone();
        let (start, end) = (u32::from(a), u32::from(a).saturating_add(count as u32));
        for reg in &profile.registers {
            let span = reg.span();
            let touched = reg.table == table
                && u32::from(span.address) < end
                && start < span.end().max(u32::from(span.address) + 1);
            if touched && reg.io == Some(crate::profile::IoKind::DigitalOutput) {
                if let Some(value) = self.bank.value_of(reg) {
                    self.plant.named_command(&reg.name, &value);
                }
            }
        }
    }

    /// After a write the image shows what the plant accepted (a refused range change reads
    /// back as the old value), without moving the update counter or other readings.
    fn refresh_setpoints(&mut self) {
        if self.fault == Some(CommsFault::Frozen) {
            return;
        }
        let profile = self.bank.profile.clone();
        let accepted: Vec<(Point, Value)> = self
            .plant
            .readings()
            .into_iter()
            .filter(|(p, _)| {
                profile
                    .point(*p)
                    .is_some_and(|r| r.access == Access::ReadWrite)
            })
            .collect();
        for (point, value) in &accepted {
            if let Some(reg) = profile.point(*point) {
                let v = to_register_unit(reg, value);
                let _ = self.bank.store(reg, &v);
            }
        }
    }
}

#[cfg(test)]
mod tests;
