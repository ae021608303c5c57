//! A power module of the pool, from its Modbus profile.
//!
//! A command writes `output_enable`, `voltage_setpoint` and `current_limit` only when they
//! change (and on the profile's refresh period), in a safe order: setpoints before enabling,
//! disabling before setpoints. A setpoint outside the profile's range is fitted into it first
//! ([`fit`]): one above the range is written as the range's top, and one below it (a current
//! limit of zero where the module's lowest is 0.5 A) switches the output off, so that a write
//! the device would refuse never leaves the previous, higher setpoint in force. A command the
//! profile still refuses (a NaN) changes nothing on the module, except that a command to
//! switch off always switches off. The series/parallel range is written only by [`PowerModule::set_range`], and only
//! while the module is commanded off.
//!
//! Profile conventions the backend relies on (README, "Device profiles"):
//! - `voltage_range_mode`: its `enum` names say which value is the parallel (low) range and
//!   which the series (high) one, by a word in the name: `parallel`/`low`/`lo` or
//!   `series`/`high`/`hi` (e.g. `parallel_50_500V`). Without `enum`, 0 is low and 1 high.
//! - `module_status`: the output runs in a state whose `enum` name has one of the words
//!   `running`, `starting`, `derating`, `limiting`, `on`, `cc`, `cv`; it is faulted in one
//!   with `fault`, `error`, `alarm` or `failure`. Without `enum`, non-zero is running.
//! - `module_faults`: every named bit is a fault, except bits whose name has the word
//!   `limiting`, `derating` or `warning` (conditions the module rides through, reported by
//!   its available power instead).

use charger_protocol::Timestamp;
use thiserror::Error;
use tokio::time::Instant;
use tracing::{debug, warn};

use super::{check_role, checked, Assembler, LastKnown, ReadingClock, RoleError, Setpoints};
use crate::modbus::{CommandError, ModbusDevice};
use crate::module::{ModuleCommand, ModuleReading, PowerModule, VoltageRange};
use crate::profile::{Point, Profile, Role, Value};

/// Why a power module command was not (fully) applied.
#[derive(Debug, PartialEq, Error)]
pub enum ModuleError {
    #[error(transparent)]
    Command(#[from] CommandError),
    #[error("the voltage range changes only while the output is commanded off")]
    RangeWhileOn,
    #[error("the profile has no voltage_range_mode")]
    NoRangeMode,
}

/// The ranges (min, max) of a module's setpoints, in V and A, where its profile gives them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SetpointLimits {
    pub voltage: Option<(f64, f64)>,
    pub current: Option<(f64, f64)>,
}

/// `cmd` with its setpoints inside `limits`: above a range's top, the top; below a range's
/// bottom the module cannot regulate, so the output is switched off (its setpoint written as the
/// bottom). A NaN is left for the profile to refuse.
pub fn fit(cmd: ModuleCommand, limits: SetpointLimits) -> ModuleCommand {
    let mut out = cmd;
    for (value, range) in [
        (&mut out.voltage, limits.voltage),
        (&mut out.current_limit, limits.current),
    ] {
        let Some((min, max)) = range else { continue };
        let v = f64::from(*value);
        if v > max {
            *value = max as f32;
        } else if v < min {
            *value = min as f32;
            out.enable = false;
        }
    }
    out
}

/// A [`PowerModule`] over a Modbus device whose profile has the `power_module` role.
#[derive(Debug)]
pub struct ModbusPowerModule {
    name: String,
    dev: ModbusDevice,
    clock: ReadingClock,
    /// Raw `voltage_range_mode` value of each range, where the profile has the point.
    ranges: Option<RangeModes>,
    setpoints: Setpoints,
    last: LastKnown,
    /// What the station last commanded (the module may lag or refuse it).
    commanded: ModuleCommand,
    /// A setpoint outside the profile's range was logged (once per device).
    fit_reported: bool,
    /// The range last written and the device's write-failure count then: a range the
    /// profile does not poll is known only as written, until a write fails.
    range_written: Option<(VoltageRange, u64)>,
    last_error: Option<ModuleError>,
}

/// Words of an enum name, lower case.
pub(super) fn words(name: &str) -> Vec<String> {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

fn has_word(name: &str, any: &[&str]) -> bool {
    words(name).iter().any(|w| any.contains(&w.as_str()))
}

/// The raw `voltage_range_mode` values of the two ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct RangeModes {
    low: i128,
    high: i128,
}

impl RangeModes {
    fn raw(self, range: VoltageRange) -> i128 {
        match range {
            VoltageRange::Low => self.low,
            VoltageRange::High => self.high,
        }
    }

    fn range(self, raw: f64) -> Option<VoltageRange> {
        if raw == self.low as f64 {
            Some(VoltageRange::Low)
        } else if raw == self.high as f64 {
            Some(VoltageRange::High)
        } else {
            None
        }
    }
}

/// The raw value of each range in the profile's `voltage_range_mode`, if it has one.
pub(super) fn range_modes(
    device: &str,
    profile: &Profile,
) -> Result<Option<RangeModes>, RoleError> {
    let Some(reg) = profile.point(Point::VoltageRangeMode) else {
        return Ok(None);
    };
    let err = |problem: String| RoleError::RangeModeNames {
        device: device.to_string(),
        file: profile.file.clone(),
        register: reg.name.clone(),
        problem,
    };
    if reg.enum_names.is_empty() {
        return Ok(Some(RangeModes { low: 0, high: 1 }));
    }
    let (mut low, mut high) = (None, None);
    for (raw, name) in &reg.enum_names {
        let is_low = has_word(name, &["parallel", "low", "lo"]);
        let is_high = has_word(name, &["series", "high", "hi"]);
        let (slot, what) = match (is_low, is_high) {
            (true, false) => (&mut low, "parallel (low)"),
            (false, true) => (&mut high, "series (high)"),
            _ => continue,
        };
        if slot.replace(*raw).is_some() {
            return Err(err(format!("two values name the {what} range")));
        }
    }
    match (low, high) {
        (Some(low), Some(high)) => Ok(Some(RangeModes { low, high })),
        (None, _) => Err(err(
            "no value names the parallel (low) range (a name with the word parallel, low or lo)"
                .into(),
        )),
        (_, None) => Err(err(
            "no value names the series (high) range (a name with the word series, high or hi)"
                .into(),
        )),
    }
}

impl ModbusPowerModule {
    /// `name` is the device's configured name (for logs); `clock` maps reading times onto
    /// the daemon's clock ([`ReadingClock`]).
    pub fn new(
        name: impl Into<String>,
        dev: ModbusDevice,
        clock: ReadingClock,
    ) -> Result<Self, RoleError> {
        let name = name.into();
        check_role(&name, dev.profile(), Role::PowerModule)?;
        let ranges = range_modes(&name, dev.profile())?;
        Ok(ModbusPowerModule {
            name,
            dev,
            clock,
            ranges,
            setpoints: Setpoints::default(),
            last: LastKnown::default(),
            commanded: ModuleCommand::OFF,
            fit_reported: false,
            range_written: None,
            last_error: None,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn device(&self) -> &ModbusDevice {
        &self.dev
    }

    /// Why the last command, range change or fault reset was refused, if it was.
    pub fn last_error(&self) -> Option<&ModuleError> {
        self.last_error.as_ref()
    }

    /// What the station last commanded.
    pub fn commanded(&self) -> ModuleCommand {
        self.commanded
    }

    /// The setpoint ranges the profile allows, for the pool's allocation.
    pub fn limits(&self) -> SetpointLimits {
        let p = self.dev.profile();
        SetpointLimits {
            voltage: p
                .point(Point::VoltageSetpoint)
                .and_then(|r| r.encoding.range),
            current: p.point(Point::CurrentLimit).and_then(|r| r.encoding.range),
        }
    }

    fn resync(&mut self) {
        let errors = self.dev.state().errors;
        if self
            .setpoints
            .resync(errors.write_failures, errors.reconnects)
        {
            debug!(device = %self.name, "setpoints will be sent again");
        }
    }

    fn apply(&mut self, cmd: ModuleCommand, now: Timestamp) -> Result<(), CommandError> {
        let fitted = fit(cmd, self.limits());
        if fitted != cmd && !self.fit_reported {
            // Once per device: the pool's configured rating and the profile disagree.
            warn!(
                device = %self.name,
                voltage = cmd.voltage,
                current_limit = cmd.current_limit,
                "setpoint outside the profile's range: fitted into it (check the module's \
                 rating in [[pool.modules]] against its profile)"
            );
            self.fit_reported = true;
        }
        let cmd = fitted;
        let profile = self.dev.profile();
        let voltage = checked(
            profile,
            Point::VoltageSetpoint,
            Value::Number(f64::from(cmd.voltage)),
        );
        let current = checked(
            profile,
            Point::CurrentLimit,
            Value::Number(f64::from(cmd.current_limit)),
        );
        let enable = Value::Bool(cmd.enable);
        let dev = &self.dev;
        let sp = &mut self.setpoints;
        match (voltage, current) {
            (Ok(v), Ok(i)) if cmd.enable => {
                sp.write(dev, Point::VoltageSetpoint, v, now)?;
                sp.write(dev, Point::CurrentLimit, i, now)?;
                sp.write(dev, Point::OutputEnable, enable, now)
            }
            (Ok(v), Ok(i)) => {
                sp.write(dev, Point::OutputEnable, enable, now)?;
                sp.write(dev, Point::VoltageSetpoint, v, now)?;
                sp.write(dev, Point::CurrentLimit, i, now)
            }
            (Err(e), _) | (_, Err(e)) => {
                // Switching off never depends on the setpoints being valid.
                if !cmd.enable {
                    sp.write(dev, Point::OutputEnable, enable, now)?;
                }
                Err(e)
            }
        }
    }

    fn record(&mut self, what: &'static str, result: Result<(), ModuleError>) {
        match result {
            Ok(()) => self.last_error = None,
            Err(e) => {
                // Commanded every step: logged when the refusal is new, not 100 times a second.
                if self.last_error.as_ref() != Some(&e) {
                    warn!(device = %self.name, error = %e, "power module {what} refused");
                } else {
                    debug!(device = %self.name, error = %e, "power module {what} refused");
                }
                self.last_error = Some(e);
            }
        }
    }

    fn write_range(&mut self, range: VoltageRange, now: Timestamp) -> Result<(), ModuleError> {
        if self.commanded.enable {
            return Err(ModuleError::RangeWhileOn);
        }
        let raw = self.ranges.ok_or(ModuleError::NoRangeMode)?.raw(range);
        // The pool asks every step until the module reports the range: written once, and
        // again only after a write failed (perhaps this one).
        if self.range_written == Some((range, self.dev.state().errors.write_failures)) {
            return Ok(());
        }
        // Asked for explicitly: written even when it was the last value sent.
        self.setpoints.forget(Point::VoltageRangeMode);
        self.setpoints.write(
            &self.dev,
            Point::VoltageRangeMode,
            Value::Number(raw as f64),
            now,
        )?;
        self.range_written = Some((range, self.dev.state().errors.write_failures));
        Ok(())
    }
}

impl PowerModule for ModbusPowerModule {
    fn command(&mut self, cmd: ModuleCommand, now: Timestamp) {
        self.resync();
        let result = self.apply(cmd, now).map_err(ModuleError::from);
        if result.is_ok() || !cmd.enable {
            self.commanded = if result.is_ok() {
                cmd
            } else {
                ModuleCommand {
                    enable: false,
                    ..self.commanded
                }
            };
        }
        self.record("command", result);
    }

    fn set_range(&mut self, range: VoltageRange, now: Timestamp) {
        self.resync();
        let result = self.write_range(range, now);
        self.record("range change", result);
    }

    fn reset_fault(&mut self, _now: Timestamp) {
        let result = self
            .dev
            .trigger(Point::FaultReset)
            .map_err(ModuleError::from);
        self.record("fault reset", result);
    }

    fn reading(&self) -> ModuleReading {
        let mut a = Assembler::new(&self.dev, &self.last, Instant::now());
        let voltage = a.number_f32(Point::OutputVoltage, true);
        let current = a.number_f32(Point::OutputCurrent, true);
        let temperature_c = a.number_f32(Point::ModuleTemperature, true);
        let status = a.enum_name(Point::ModuleStatus, true);
        let fault_bits = a.bits(Point::ModuleFaults, true).unwrap_or_default();
        let available_power_w = a.number_f32(Point::AvailablePower, false);
        let range = match a.value(Point::VoltageRangeMode, false) {
            Some(Value::Number(n)) => self.ranges.and_then(|m| m.range(n)),
            _ => self.range_written.and_then(|(range, failures)| {
                // A write failed since (perhaps this one, refused at current): unknown.
                (self.dev.state().errors.write_failures == failures).then_some(range)
            }),
        };
        let (running, status_fault) = match &status {
            Some(s) => match &s.name {
                Some(name) => (
                    has_word(
                        name,
                        &[
                            "running", "starting", "derating", "limiting", "on", "cc", "cv",
                        ],
                    ),
                    has_word(name, &["fault", "error", "alarm", "failure"]).then(|| name.clone()),
                ),
                None => (s.raw != 0, None),
            },
            None => (false, None),
        };
        let faults: Vec<String> = fault_bits
            .into_iter()
            .filter(|n| !has_word(n, &["limiting", "derating", "warning"]))
            .collect();
        let fault = if !faults.is_empty() {
            Some(faults.join(", "))
        } else {
            status_fault
        };
        ModuleReading {
            voltage: voltage.unwrap_or(0.0),
            current: current.unwrap_or(0.0),
            running,
            temperature_c,
            available_power_w,
            range,
            fault,
            stale: a.stale,
            at: a.at(&self.clock),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn profile_with_modes(modes: &str) -> Result<Profile, crate::profile::ProfileError> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../configs/devices/power-module-30kw-modbus.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        let text = text.replace(
            r#"enum = { 0 = "parallel_50_500V", 1 = "series_300_1000V" }"#,
            modes,
        );
        Profile::parse(&text, &path)
    }

    #[test]
    fn setpoints_are_fitted_into_the_profile_range_never_left_higher() {
        let limits = SetpointLimits {
            voltage: Some((50.0, 1000.0)),
            current: Some((0.5, 100.0)),
        };
        let on = |voltage, current_limit| ModuleCommand {
            enable: true,
            voltage,
            current_limit,
        };
        assert_eq!(fit(on(600.0, 40.0), limits), on(600.0, 40.0));
        // Above: the top of the range.
        assert_eq!(fit(on(1200.0, 150.0), limits), on(1000.0, 100.0));
        // Below: the module cannot regulate there, so it is switched off.
        let zero = fit(on(600.0, 0.0), limits);
        assert!(!zero.enable, "{zero:?}");
        assert_eq!(zero.current_limit, 0.5);
        assert!(!fit(on(10.0, 40.0), limits).enable);
        // No range: untouched; NaN is left for the profile to refuse.
        let none = SetpointLimits {
            voltage: None,
            current: None,
        };
        assert_eq!(fit(on(1200.0, 150.0), none), on(1200.0, 150.0));
        assert!(fit(on(f32::NAN, 10.0), limits).voltage.is_nan());
    }

    #[test]
    fn range_modes_come_from_the_enum_names() {
        let p = profile_with_modes(r#"enum = { 0 = "parallel_50_500V", 1 = "series_300_1000V" }"#)
            .unwrap();
        let m = range_modes("m1", &p).unwrap().unwrap();
        assert_eq!(
            (m.raw(VoltageRange::Low), m.raw(VoltageRange::High)),
            (0, 1)
        );
        let p = profile_with_modes(r#"enum = { 2 = "Hi", 5 = "Lo" }"#).unwrap();
        let m = range_modes("m1", &p).unwrap().unwrap();
        assert_eq!(
            (m.raw(VoltageRange::Low), m.raw(VoltageRange::High)),
            (5, 2)
        );
        assert_eq!(m.range(5.0), Some(VoltageRange::Low));
    }

    #[test]
    fn unclear_range_mode_names_are_an_error_naming_the_register() {
        let p = profile_with_modes(r#"enum = { 0 = "mode_a", 1 = "series" }"#).unwrap();
        let e = range_modes("m1", &p).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("registers.range_mode.enum"), "{text}");
        assert!(text.contains("parallel (low)"), "{text}");
        let p = profile_with_modes(r#"enum = { 0 = "low", 1 = "lo" }"#).unwrap();
        assert!(range_modes("m1", &p).is_err());
    }
}
