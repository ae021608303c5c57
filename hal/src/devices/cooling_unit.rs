//! The liquid-cooled connector's cooling unit, from its Modbus profile.
//!
//! Temperatures whose sensor reports its sentinel (open or short circuit) are `None`; the
//! alarm word's set bits are reported by their profile names. A command writes `cooling_run`
//! (where the profile has it), the pump and the fan setpoint (ratios 0–1, written in the
//! profile's unit) only when they change or the profile's refresh period asks.

use charger_protocol::Timestamp;
use tokio::time::Instant;
use tracing::warn;

use super::{check_role, checked, Assembler, LastKnown, ReadingClock, RoleError, Setpoints};
use crate::modbus::{CommandError, ModbusDevice};
use crate::module::{CoolingCommand, CoolingReading, CoolingUnit};
use crate::profile::{Point, Role, Value};

/// A [`CoolingUnit`] over a Modbus device whose profile has the `cooling_unit` role.
#[derive(Debug)]
pub struct ModbusCoolingUnit {
    name: String,
    dev: ModbusDevice,
    clock: ReadingClock,
    setpoints: Setpoints,
    last: LastKnown,
    last_error: Option<CommandError>,
}

impl ModbusCoolingUnit {
    /// `name` is the device's configured name (for logs); `clock` maps reading times onto
    /// the daemon's clock ([`ReadingClock`]).
    pub fn new(
        name: impl Into<String>,
        dev: ModbusDevice,
        clock: ReadingClock,
    ) -> Result<Self, RoleError> {
        let name = name.into();
        check_role(&name, dev.profile(), Role::CoolingUnit)?;
        Ok(ModbusCoolingUnit {
            name,
            dev,
            clock,
            setpoints: Setpoints::default(),
            last: LastKnown::default(),
            last_error: None,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn device(&self) -> &ModbusDevice {
        &self.dev
    }

    /// Why the last command was refused, if it was.
    pub fn last_error(&self) -> Option<&CommandError> {
        self.last_error.as_ref()
    }

    fn apply(&mut self, cmd: CoolingCommand, now: Timestamp) -> Result<(), CommandError> {
        let profile = self.dev.profile();
        // Check everything first: a refused value leaves the unit as it was.
        let pump = checked(
            profile,
            Point::PumpSetpoint,
            Value::Number(f64::from(cmd.pump)),
        )?;
        let fan = checked(
            profile,
            Point::FanSetpoint,
            Value::Number(f64::from(cmd.fan)),
        )?;
        let has_run = profile.point(Point::CoolingRun).is_some();
        let dev = &self.dev;
        let sp = &mut self.setpoints;
        if has_run && !cmd.run {
            sp.write(dev, Point::CoolingRun, Value::Bool(false), now)?;
        }
        sp.write(dev, Point::PumpSetpoint, pump, now)?;
        sp.write(dev, Point::FanSetpoint, fan, now)?;
        if has_run && cmd.run {
            sp.write(dev, Point::CoolingRun, Value::Bool(true), now)?;
        }
        Ok(())
    }
}

impl CoolingUnit for ModbusCoolingUnit {
    fn command(&mut self, cmd: CoolingCommand, now: Timestamp) {
        let errors = self.dev.state().errors;
        self.setpoints
            .resync(errors.write_failures, errors.reconnects);
        match self.apply(cmd, now) {
            Ok(()) => self.last_error = None,
            Err(e) => {
                warn!(device = %self.name, error = %e, "cooling unit command refused");
                self.last_error = Some(e);
            }
        }
    }

    fn reading(&self) -> CoolingReading {
        let mut a = Assembler::new(&self.dev, &self.last, Instant::now());
        CoolingReading {
            pin_dc_plus_c: a.number_f32(Point::PinTemperatureDcPlus, true),
            pin_dc_minus_c: a.number_f32(Point::PinTemperatureDcMinus, true),
            coolant_inlet_c: a.number_f32(Point::CoolantInletTemperature, true),
            coolant_outlet_c: a.number_f32(Point::CoolantOutletTemperature, true),
            flow_l_min: a.number_f32(Point::CoolantFlow, true),
            pressure_bar: a.number_f32(Point::CoolantPressure, true),
            level: a.number_f32(Point::CoolantLevel, true),
            alarms: a.bits(Point::CoolingAlarms, true).unwrap_or_default(),
            electrical_power_w: a.number_f32(Point::CoolingPower, false),
            stale: a.stale,
            at: a.at(&self.clock),
        }
    }
}
