//! The DC energy meter, from its Modbus profile.
//!
//! Energy, voltage, current and power are needed; the serial number is optional. While any
//! needed value is stale the reading says so and carries the last known values: the session
//! records a gap rather than inventing energy.

use tokio::time::Instant;

use super::{check_role, Assembler, LastKnown, ReadingClock, RoleError};
use crate::modbus::ModbusDevice;
use crate::module::{DcMeter, MeterReading};
use crate::profile::{Point, Role};

/// A [`DcMeter`] over a Modbus device whose profile has the `dc_meter` role.
#[derive(Debug)]
pub struct ModbusDcMeter {
    name: String,
    dev: ModbusDevice,
    clock: ReadingClock,
    last: LastKnown,
}

impl ModbusDcMeter {
    /// `name` is the device's configured name (for logs); `clock` maps reading times onto
    /// the daemon's clock ([`ReadingClock`]).
    pub fn new(
        name: impl Into<String>,
        dev: ModbusDevice,
        clock: ReadingClock,
    ) -> Result<Self, RoleError> {
        let name = name.into();
        check_role(&name, dev.profile(), Role::DcMeter)?;
        Ok(ModbusDcMeter {
            name,
            dev,
            clock,
            last: LastKnown::default(),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn device(&self) -> &ModbusDevice {
        &self.dev
    }
}

impl DcMeter for ModbusDcMeter {
    fn reading(&self) -> MeterReading {
        let mut a = Assembler::new(&self.dev, &self.last, Instant::now());
        let energy_wh = a.number(Point::Energy, true);
        let voltage = a.number_f32(Point::MeterVoltage, true);
        let current = a.number_f32(Point::MeterCurrent, true);
        let power_w = a.number_f32(Point::MeterPower, true);
        let serial = a.text(Point::MeterSerial, false);
        MeterReading {
            energy_wh,
            voltage,
            current,
            power_w,
            serial,
            stale: a.stale,
            at: a.at(&self.clock),
        }
    }
}
