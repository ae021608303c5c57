//! The station's device roles over profile-driven Modbus devices.
//!
//! [`crate::modbus`] reads and writes registers; this module turns one [`ModbusDevice`] into
//! the role the station uses it for: a [`PowerModule`](crate::PowerModule)
//! ([`ModbusPowerModule`]), a [`DcMeter`](crate::DcMeter) ([`ModbusDcMeter`]), a
//! [`CoolingUnit`](crate::CoolingUnit) ([`ModbusCoolingUnit`]) or an
//! [`InsulationMonitor`](crate::InsulationMonitor) ([`ModbusInsulationMonitor`]), or an I/O
//! module's points as a [`LineSource`](crate::io::LineSource) ([`ModbusIoModule`]). Each is
//! synchronous and never waits: a command queues writes to the connection's task, a reading
//! is assembled from the latest cached register values.
//!
//! Shared rules of every backend:
//! - **Units.** Values arrive in the profile's units (kW, kOhm, %, kPa, …) and leave in the
//!   role's (W, Ω, ratio 0–1, bar, …).
//! - **Staleness.** A reading is `stale` when a point the role needs has no value younger
//!   than its age limit ([`crate::profile::Profile::max_age`]), could not be read or decoded,
//!   froze, or the connection is down. A stale reading carries the last good values and the
//!   time of its oldest needed point, never a fresh time.
//! - **Sensor faults.** A register's sentinel (open or short circuit) is `None`, not a value
//!   and not staleness: the device answers, its sensor does not.
//! - **Setpoints** are written when they change, again every `refresh_ms` where the profile's
//!   setpoint group asks for it, and all again after a failed write or a rebuilt connection
//!   (the device may have lost them). Values are checked against the profile's ranges before
//!   anything is queued.
//! - **Time.** Readings carry a [`Timestamp`] on the daemon's clock: [`ReadingClock`] maps the
//!   connection tasks' [`Instant`]s to it from the epoch the daemon's clock starts at.
//!
//! [`health`] is the per-device view of `chargerctl devices`; [`build`] spawns the
//! connections of a list of configured device instances (units at one address share one);
//! [`links`] holds the Modbus RTU and CAN transports and the checks that need no I/O.

pub mod build;
pub mod connector;
pub mod cooling_unit;
pub mod dc_meter;
pub mod health;
pub mod insulation_monitor;
pub mod io_module;
pub mod links;
pub mod power_module;
pub mod probe;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use charger_protocol::Timestamp;
use thiserror::Error;
use tokio::time::Instant;

use crate::modbus::{CommandError, ModbusDevice, ReadError};
use crate::profile::{DecodeError, GroupKind, Point, Profile, Role, Unit, Value};

pub use build::{
    check_devices, spawn_devices, BuildError, BuildProblem, DeviceInstance, Devices, ModbusTcp,
    Transport,
};
pub use connector::DeviceBackedConnector;
pub use cooling_unit::ModbusCoolingUnit;
pub use dc_meter::ModbusDcMeter;
pub use health::{
    register_values, DeviceHealth, HealthErrors, HealthView, LinkState, RegisterValue, ShownValue,
};
pub use insulation_monitor::ModbusInsulationMonitor;
pub use io_module::ModbusIoModule;
pub use links::{check_instances, CanLink, CanTransport, ModbusRtu, STANDARD_BAUD_RATES};
pub use power_module::{fit, ModbusPowerModule, ModuleError, SetpointLimits};

/// Maps the connection tasks' [`Instant`]s onto the daemon's [`Timestamp`]s.
///
/// A `Timestamp` counts milliseconds from `epoch`: pass the instant the daemon's own clock
/// starts at (its `Timestamp::ZERO`), so that a reading's `at` compares directly with the
/// station's `now`. Instants before the epoch map to `Timestamp::ZERO`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadingClock {
    epoch: Instant,
}

impl ReadingClock {
    pub fn new(epoch: Instant) -> Self {
        ReadingClock { epoch }
    }

    pub fn epoch(&self) -> Instant {
        self.epoch
    }

    pub fn at(&self, instant: Instant) -> Timestamp {
        let elapsed = instant.saturating_duration_since(self.epoch);
        Timestamp::from_millis(u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX))
    }
}

/// Why a device cannot serve a role.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum RoleError {
    #[error("device {device}: the profile {} is for role {found}, not {wanted}", file.display())]
    WrongRole {
        device: String,
        file: PathBuf,
        found: Role,
        wanted: Role,
    },
    #[error("device {device}: {}: registers.{register}.enum: {problem}", file.display())]
    RangeModeNames {
        device: String,
        file: PathBuf,
        register: String,
        problem: String,
    },
}

/// The profile must be for `wanted`.
fn check_role(device: &str, profile: &Profile, wanted: Role) -> Result<(), RoleError> {
    if profile.role == wanted {
        Ok(())
    } else {
        Err(RoleError::WrongRole {
            device: device.to_string(),
            file: profile.file.clone(),
            found: profile.role,
            wanted,
        })
    }
}

/// Everything a backend constructor checks of a profile, without a connection: the builder
/// runs it before it spawns anything.
pub fn check_profile(device: &str, profile: &Profile, role: Role) -> Result<(), RoleError> {
    check_role(device, profile, role)?;
    if role == Role::PowerModule {
        power_module::range_modes(device, profile)?;
    }
    Ok(())
}

/// A value in the profile's unit, in the role's: W, Wh, Ω, bar, ratio 0–1; V, A, °C, l/min
/// as they are.
fn to_role_unit(unit: Option<Unit>, v: f64) -> f64 {
    match unit {
        Some(Unit::Kilowatt | Unit::KilowattHour | Unit::Kiloohm) => v * 1e3,
        Some(Unit::Megaohm) => v * 1e6,
        Some(Unit::Kilopascal) => v / 100.0,
        Some(Unit::Percent) => v / 100.0,
        _ => v,
    }
}

/// The inverse of [`to_role_unit`], for writes.
fn to_profile_unit(unit: Option<Unit>, v: f64) -> f64 {
    match unit {
        Some(Unit::Kilowatt | Unit::KilowattHour | Unit::Kiloohm) => v / 1e3,
        Some(Unit::Megaohm) => v / 1e6,
        Some(Unit::Kilopascal) => v * 100.0,
        Some(Unit::Percent) => v * 100.0,
        _ => v,
    }
}

/// One point's state at `now`.
#[derive(Debug, Clone, PartialEq)]
enum Sample {
    /// The profile does not map the point (an optional point).
    Absent,
    /// Never read yet.
    Missing,
    Fresh(Value, Instant),
    /// The device reports its sensor-fault sentinel: no value, but the device answers.
    SensorFault(Instant),
    /// Read failed, decoded to nothing, froze, or is older than its age limit.
    Failed(ReadError, Instant),
}

fn sample(dev: &ModbusDevice, point: Point, now: Instant) -> Sample {
    let profile = dev.profile();
    let Some(index) = profile
        .registers
        .iter()
        .position(|r| r.point == Some(point))
    else {
        return Sample::Absent;
    };
    let Some(reading) = dev.reading(point) else {
        return Sample::Missing;
    };
    let max_age = profile.max_age(index).unwrap_or(Duration::ZERO);
    let age = now.saturating_duration_since(reading.at);
    if age > max_age {
        return Sample::Failed(ReadError::Stale { age, max_age }, reading.at);
    }
    match reading.value {
        Ok(v) => Sample::Fresh(v, reading.at),
        Err(ReadError::Decode(DecodeError::SensorFault { .. })) => Sample::SensorFault(reading.at),
        Err(e) => Sample::Failed(e, reading.at),
    }
}

/// The last good value of each point and when it was read, so a stale reading shows the
/// last known values with their time.
#[derive(Debug, Default)]
struct LastKnown(RefCell<BTreeMap<Point, (Value, Instant)>>);

/// Assembles one role reading: values in role units, last known values where a read failed,
/// whether anything the role needs is stale, and the time of its oldest needed point.
struct Assembler<'a> {
    dev: &'a ModbusDevice,
    last: &'a LastKnown,
    now: Instant,
    stale: bool,
    oldest: Option<Instant>,
}

impl<'a> Assembler<'a> {
    fn new(dev: &'a ModbusDevice, last: &'a LastKnown, now: Instant) -> Self {
        let connected = dev.state().connected;
        Assembler {
            dev,
            last,
            now,
            stale: !connected,
            oldest: None,
        }
    }

    fn note(&mut self, at: Instant, required: bool) {
        if required {
            self.oldest = Some(self.oldest.map_or(at, |o| o.min(at)));
        }
    }

    /// The point's value: fresh, or the last known when it could not be read (then a
    /// required point makes the reading stale); `None` on a sensor fault or when never read.
    fn value(&mut self, point: Point, required: bool) -> Option<Value> {
        match sample(self.dev, point, self.now) {
            Sample::Absent => {
                // The profile was validated for the role: a required point is always mapped.
                self.stale |= required;
                None
            }
            Sample::Missing => {
                self.stale |= required;
                None
            }
            Sample::Fresh(v, at) => {
                self.note(at, required);
                self.last.0.borrow_mut().insert(point, (v.clone(), at));
                Some(v)
            }
            Sample::SensorFault(at) => {
                self.note(at, required);
                self.last.0.borrow_mut().remove(&point);
                None
            }
            Sample::Failed(_, failed_at) => {
                self.stale |= required;
                let last = self.last.0.borrow().get(&point).cloned();
                // The time of the values shown: the last good read, not the failure.
                self.note(last.as_ref().map_or(failed_at, |(_, at)| *at), required);
                last.map(|(v, _)| v)
            }
        }
    }

    /// A number in the role's unit.
    fn number(&mut self, point: Point, required: bool) -> Option<f64> {
        let unit = self.dev.profile().point(point).and_then(|r| r.unit);
        match self.value(point, required)? {
            Value::Number(n) => Some(to_role_unit(unit, n)),
            Value::Bool(b) => Some(if b { 1.0 } else { 0.0 }),
            Value::Text(_) => None,
        }
    }

    fn number_f32(&mut self, point: Point, required: bool) -> Option<f32> {
        self.number(point, required).map(|n| n as f32)
    }

    fn flag(&mut self, point: Point, required: bool) -> Option<bool> {
        match self.value(point, required)? {
            Value::Bool(b) => Some(b),
            Value::Number(n) => Some(n != 0.0),
            Value::Text(_) => None,
        }
    }

    fn text(&mut self, point: Point, required: bool) -> Option<String> {
        match self.value(point, required)? {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }

    /// Names of the active bits of a bit-field point (as the profile names them); an
    /// unnamed bit is `bit<n>`.
    fn bits(&mut self, point: Point, required: bool) -> Option<Vec<String>> {
        let raw = match self.value(point, required)? {
            Value::Number(n) if n >= 0.0 && n.is_finite() => n as u64,
            _ => return None,
        };
        let reg = self.dev.profile().point(point)?;
        let mut names: Vec<String> = reg
            .active_bits(raw)
            .into_iter()
            .map(str::to_string)
            .collect();
        for bit in 0..64u8 {
            let set = raw.checked_shr(u32::from(bit)).unwrap_or(0) & 1 == 1;
            if set && !reg.bit_names.contains_key(&bit) {
                names.push(format!("bit{bit}"));
            }
        }
        Some(names)
    }

    /// The name an enum point's raw value has in the profile.
    fn enum_name(&mut self, point: Point, required: bool) -> Option<EnumValue> {
        let raw = match self.value(point, required)? {
            Value::Number(n) if n.is_finite() => n as i128,
            _ => return None,
        };
        let reg = self.dev.profile().point(point)?;
        Some(EnumValue {
            raw,
            name: reg.enum_names.get(&raw).cloned(),
        })
    }

    /// The time of the oldest needed point (of its last good value where it is stale), on
    /// the daemon's clock.
    fn at(&self, clock: &ReadingClock) -> Timestamp {
        self.oldest.map_or(Timestamp::ZERO, |i| clock.at(i))
    }
}

#[derive(Debug, Clone, PartialEq)]
struct EnumValue {
    raw: i128,
    name: Option<String>,
}

/// What was last written to each setpoint and when, so a setpoint is written only when it
/// changes (or its profile asks for a periodic refresh).
#[derive(Debug, Default)]
struct Setpoints {
    sent: BTreeMap<Point, (Value, Timestamp)>,
    write_failures: u64,
    reconnects: u64,
}

impl Setpoints {
    /// Whether `value` must be written to `point` at `now`: never sent, changed, or its
    /// refresh period has passed. Pure.
    fn due(&self, point: Point, value: &Value, now: Timestamp, refresh: Option<Duration>) -> bool {
        match self.sent.get(&point) {
            None => true,
            Some((v, _)) if v != value => true,
            Some((_, at)) => refresh.is_some_and(|r| now.saturating_since(*at) >= r),
        }
    }

    /// Forget everything sent when the device counted a failed write or a rebuilt
    /// connection since the last look: the device may not hold what it was sent.
    fn resync(&mut self, write_failures: u64, reconnects: u64) -> bool {
        let lost = write_failures != self.write_failures || reconnects != self.reconnects;
        self.write_failures = write_failures;
        self.reconnects = reconnects;
        if lost {
            self.sent.clear();
        }
        lost
    }

    fn forget(&mut self, point: Point) {
        self.sent.remove(&point);
    }

    /// Queue `value` (in the profile's unit) for `point` if due.
    fn write(
        &mut self,
        dev: &ModbusDevice,
        point: Point,
        value: Value,
        now: Timestamp,
    ) -> Result<(), CommandError> {
        let refresh = refresh_of(dev.profile(), point);
        if !self.due(point, &value, now, refresh) {
            return Ok(());
        }
        dev.write(point, &value)?;
        self.sent.insert(point, (value, now));
        Ok(())
    }
}

/// The refresh period of the setpoint group holding `point`, if the profile asks for one.
fn refresh_of(profile: &Profile, point: Point) -> Option<Duration> {
    let reg = profile.point(point)?;
    match profile.groups.get(reg.group)?.kind {
        GroupKind::Setpoint {
            refresh_ms: Some(ms),
        } => Some(Duration::from_millis(u64::from(ms))),
        _ => None,
    }
}

/// A setpoint in the profile's unit, checked against the profile (writable, in range,
/// encodable) without queueing anything.
fn checked(profile: &Profile, point: Point, value: Value) -> Result<Value, CommandError> {
    let value = match value {
        Value::Number(n) => {
            let unit = profile.point(point).and_then(|r| r.unit);
            Value::Number(to_profile_unit(unit, n))
        }
        other => other,
    };
    profile.encode_write(point, &value)?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_setpoint_is_due_when_new_changed_or_its_refresh_passed() {
        let mut s = Setpoints::default();
        let p = Point::VoltageSetpoint;
        let t0 = Timestamp::from_millis(1_000);
        let v = Value::Number(500.0);
        assert!(s.due(p, &v, t0, None));
        s.sent.insert(p, (v.clone(), t0));
        assert!(!s.due(p, &v, t0 + Duration::from_secs(60), None));
        assert!(s.due(p, &Value::Number(501.0), t0, None));
        let refresh = Some(Duration::from_secs(2));
        assert!(!s.due(p, &v, t0 + Duration::from_millis(1_999), refresh));
        assert!(s.due(p, &v, t0 + Duration::from_secs(2), refresh));
    }

    #[test]
    fn a_failed_write_or_a_reconnect_forgets_what_was_sent() {
        let mut s = Setpoints::default();
        let p = Point::CurrentLimit;
        let v = Value::Number(40.0);
        s.sent.insert(p, (v.clone(), Timestamp::ZERO));
        assert!(!s.resync(0, 0));
        assert!(!s.due(p, &v, Timestamp::ZERO, None));
        assert!(s.resync(1, 0), "a write failed");
        assert!(s.due(p, &v, Timestamp::ZERO, None));
        s.sent.insert(p, (v.clone(), Timestamp::ZERO));
        assert!(!s.resync(1, 0));
        assert!(s.resync(1, 1), "the connection was rebuilt");
        assert!(s.sent.is_empty());
    }

    #[test]
    fn units_convert_both_ways() {
        assert_eq!(to_role_unit(Some(Unit::Kilowatt), 30.0), 30_000.0);
        assert_eq!(to_role_unit(Some(Unit::Kiloohm), 50.0), 50_000.0);
        assert_eq!(to_role_unit(Some(Unit::Megaohm), 2.0), 2_000_000.0);
        assert_eq!(to_role_unit(Some(Unit::Kilopascal), 180.0), 1.8);
        assert_eq!(to_role_unit(Some(Unit::Percent), 95.0), 0.95);
        assert_eq!(to_role_unit(Some(Unit::Volt), 600.0), 600.0);
        for u in [
            Unit::Kilowatt,
            Unit::Megaohm,
            Unit::Kilopascal,
            Unit::Percent,
        ] {
            assert!((to_profile_unit(Some(u), to_role_unit(Some(u), 12.5)) - 12.5).abs() < 1e-9);
        }
    }

    #[test]
    fn the_clock_maps_instants_from_its_epoch() {
        let epoch = Instant::now();
        let clock = ReadingClock::new(epoch);
        assert_eq!(clock.at(epoch), Timestamp::ZERO);
        assert_eq!(
            clock.at(epoch + Duration::from_millis(1_234)),
            Timestamp::from_millis(1_234)
        );
        let earlier = epoch.checked_sub(Duration::from_millis(5)).unwrap_or(epoch);
        assert_eq!(clock.at(earlier), Timestamp::ZERO);
    }
}
