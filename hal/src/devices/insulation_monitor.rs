//! The insulation monitor (IMD), from its Modbus profile.
//!
//! [`InsulationMonitor::set_measuring`] writes `monitor_enable`. The resistance is `None`
//! until the device reports a value whose request surely followed the switch-on (the second
//! poll after it), and while it reports its "no valid measurement" sentinel (a real IMD needs
//! seconds to settle). The cable
//! voltage (vehicle side of the output contactor) comes from `imd_voltage` where the profile
//! has it. `device_fault` is set while the device raises `insulation_alarm` (its own verdict,
//! which the station must not overrule with its thresholds, e.g. during a self test). While
//! its readings are stale or its link is down the reading is `stale`, with no resistance: an
//! IMD that cannot be heard is not a passed insulation check, and the station stops on it as
//! on any stale reading.

use std::cell::Cell;

use charger_protocol::Timestamp;
use tokio::time::Instant;
use tracing::warn;

use super::{check_role, Assembler, LastKnown, ReadingClock, RoleError, Sample, Setpoints};
use crate::imd::{ImdReading, InsulationMonitor};
use crate::modbus::{CommandError, ModbusDevice};
use crate::profile::{Point, Role, Value};

/// An [`InsulationMonitor`] over a Modbus device whose profile has the
/// `insulation_monitor` role.
#[derive(Debug)]
pub struct ModbusInsulationMonitor {
    name: String,
    dev: ModbusDevice,
    clock: ReadingClock,
    setpoints: Setpoints,
    last: LastKnown,
    /// When the running measurement was switched on; `None` while it is off.
    measuring_since: Option<Instant>,
    /// The first resistance reading taken after `measuring_since`. Its request may have left
    /// before the enable write did (the connection task writes between polls), so only a
    /// later reading is a result of the measurement.
    first_after_enable: Cell<Option<Instant>>,
    last_error: Option<CommandError>,
}

impl ModbusInsulationMonitor {
    /// `name` is the device's configured name (for logs); `clock` maps reading times onto
    /// the daemon's clock ([`ReadingClock`]). The measurement starts switched off (as far as
    /// the station knows) until [`InsulationMonitor::set_measuring`].
    pub fn new(
        name: impl Into<String>,
        dev: ModbusDevice,
        clock: ReadingClock,
    ) -> Result<Self, RoleError> {
        let name = name.into();
        check_role(&name, dev.profile(), Role::InsulationMonitor)?;
        Ok(ModbusInsulationMonitor {
            name,
            dev,
            clock,
            setpoints: Setpoints::default(),
            last: LastKnown::default(),
            measuring_since: None,
            first_after_enable: Cell::new(None),
            last_error: None,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn device(&self) -> &ModbusDevice {
        &self.dev
    }

    /// Why the last `set_measuring` or self test was refused, if it was.
    pub fn last_error(&self) -> Option<&CommandError> {
        self.last_error.as_ref()
    }

    /// Start the device's self test (a momentary command): its alarm rises for the test.
    pub fn self_test(&mut self) {
        if let Err(e) = self.dev.trigger(Point::SelfTest) {
            warn!(device = %self.name, error = %e, "insulation monitor self test refused");
            self.last_error = Some(e);
        }
    }
}

impl InsulationMonitor for ModbusInsulationMonitor {
    fn set_measuring(&mut self, on: bool, now: Timestamp) {
        let errors = self.dev.state().errors;
        self.setpoints
            .resync(errors.write_failures, errors.reconnects);
        match self
            .setpoints
            .write(&self.dev, Point::MonitorEnable, Value::Bool(on), now)
        {
            Ok(()) => {
                self.last_error = None;
                match (on, self.measuring_since) {
                    (true, None) => {
                        self.measuring_since = Some(Instant::now());
                        self.first_after_enable.set(None);
                    }
                    (false, _) => self.measuring_since = None,
                    (true, Some(_)) => {}
                }
            }
            Err(e) => {
                warn!(device = %self.name, error = %e, "insulation monitor command refused");
                self.last_error = Some(e);
            }
        }
    }

    fn reading(&self) -> ImdReading {
        let now = Instant::now();
        // Only a value read after the measurement was switched on is a result of it.
        let settled = match (
            self.measuring_since,
            super::sample(&self.dev, Point::InsulationResistance, now),
        ) {
            (Some(since), Sample::Fresh(_, at)) if at > since => {
                match self.first_after_enable.get() {
                    None => {
                        self.first_after_enable.set(Some(at));
                        false
                    }
                    Some(first) => at > first,
                }
            }
            _ => false,
        };
        let mut a = Assembler::new(&self.dev, &self.last, now);
        let resistance = a.number_f32(Point::InsulationResistance, true);
        let alarm = a.flag(Point::InsulationAlarm, true);
        // Where the profile maps it, the cable voltage is needed like the rest: welding
        // detection must not compare against a stale voltage.
        let has_voltage = self.dev.profile().point(Point::ImdVoltage).is_some();
        let cable_voltage = a.number_f32(Point::ImdVoltage, has_voltage);
        let fresh_resistance = settled && !a.stale;
        ImdReading {
            measuring: self.measuring_since.is_some(),
            resistance_ohms: if fresh_resistance { resistance } else { None },
            cable_voltage: cable_voltage.unwrap_or(0.0),
            device_fault: alarm == Some(true),
            stale: a.stale,
            at: a.at(&self.clock),
        }
    }
}
