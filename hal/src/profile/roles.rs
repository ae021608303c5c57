//! Device roles and the points each needs from a profile.
//!
//! A role is what the station uses a device for. The profile says where each point lives on
//! this vendor's device; the role says which points must exist for the station to run the
//! device safely, and whether the station reads or writes them.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    PowerModule,
    CoolingUnit,
    DcMeter,
    InsulationMonitor,
    /// A Modbus digital/analog I/O module (a relay module, a small PLC): its points are not
    /// fixed by the role but named by the profile, each register marked with its [`IoKind`].
    IoModule,
}

/// What one point of an I/O module is ([`Role::IoModule`]): the register's `io` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IoKind {
    /// A level the station reads: a discrete input, or one bit of an input/holding register.
    DigitalInput,
    /// A level the station drives: a coil, or one bit of a holding register.
    DigitalOutput,
    /// A number the station reads, scaled to volts (or amperes for a current loop): an input
    /// or holding register.
    AnalogInput,
}

impl fmt::Display for IoKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IoKind::DigitalInput => "digital_input",
            IoKind::DigitalOutput => "digital_output",
            IoKind::AnalogInput => "analog_input",
        })
    }
}

/// A named quantity or command of a role. Which role a point belongs to is fixed by
/// [`Role::points`]; a profile may only use points of its own role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Point {
    // power module
    OutputEnable,
    VoltageSetpoint,
    CurrentLimit,
    /// Series/parallel (Hi/Lo) range; changed only at zero output.
    VoltageRangeMode,
    OutputVoltage,
    OutputCurrent,
    ModuleTemperature,
    ModuleStatus,
    ModuleFaults,
    /// The module's own available power after its temperature / input-voltage derating.
    AvailablePower,
    InputVoltage,
    FaultReset,
    // cooling unit
    PinTemperatureDcPlus,
    PinTemperatureDcMinus,
    CoolantInletTemperature,
    CoolantOutletTemperature,
    CoolantFlow,
    CoolantPressure,
    CoolantLevel,
    PumpSetpoint,
    FanSetpoint,
    CoolingAlarms,
    CoolingRun,
    /// The unit's own electrical draw (pump, fan, electronics): part of the site's
    /// auxiliary load.
    CoolingPower,
    // DC meter
    Energy,
    MeterVoltage,
    MeterCurrent,
    MeterPower,
    MeterSerial,
    // insulation monitor
    InsulationResistance,
    InsulationAlarm,
    SelfTest,
    MonitorEnable,
    /// Voltage the IMD measures on the vehicle side of the output contactor.
    ImdVoltage,
}

/// How the station uses a point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Read,
    Write,
    /// A command the device acts on once (fault reset, self test): written, never polled.
    Momentary,
}

/// The family of units a point is measured in, so a profile cannot give a temperature in volts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantity {
    Voltage,
    Current,
    Power,
    Energy,
    Temperature,
    Resistance,
    Flow,
    Pressure,
    Ratio,
    /// Flags, enums, text, commands: no unit.
    None,
}

/// A point a role uses: required or optional, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PointSpec {
    pub point: Point,
    pub need: Need,
    pub required: bool,
    pub quantity: Quantity,
}

const fn p(point: Point, need: Need, required: bool, quantity: Quantity) -> PointSpec {
    PointSpec {
        point,
        need,
        required,
        quantity,
    }
}

use Need::{Momentary, Read, Write};
use Point::*;
use Quantity as Q;

const POWER_MODULE: &[PointSpec] = &[
    p(OutputEnable, Write, true, Q::None),
    p(VoltageSetpoint, Write, true, Q::Voltage),
    p(CurrentLimit, Write, true, Q::Current),
    p(VoltageRangeMode, Write, false, Q::None),
    p(OutputVoltage, Read, true, Q::Voltage),
    p(OutputCurrent, Read, true, Q::Current),
    p(ModuleTemperature, Read, true, Q::Temperature),
    p(ModuleStatus, Read, true, Q::None),
    p(ModuleFaults, Read, true, Q::None),
    p(AvailablePower, Read, false, Q::Power),
    p(InputVoltage, Read, false, Q::Voltage),
    p(FaultReset, Momentary, true, Q::None),
];

const COOLING_UNIT: &[PointSpec] = &[
    p(PinTemperatureDcPlus, Read, true, Q::Temperature),
    p(PinTemperatureDcMinus, Read, true, Q::Temperature),
    p(CoolantInletTemperature, Read, true, Q::Temperature),
    p(CoolantOutletTemperature, Read, true, Q::Temperature),
    p(CoolantFlow, Read, true, Q::Flow),
    p(CoolantPressure, Read, true, Q::Pressure),
    p(CoolantLevel, Read, true, Q::Ratio),
    p(PumpSetpoint, Write, true, Q::Ratio),
    p(FanSetpoint, Write, true, Q::Ratio),
    p(CoolingAlarms, Read, true, Q::None),
    p(CoolingRun, Write, false, Q::None),
    p(CoolingPower, Read, false, Q::Power),
];

const DC_METER: &[PointSpec] = &[
    p(Energy, Read, true, Q::Energy),
    p(MeterVoltage, Read, true, Q::Voltage),
    p(MeterCurrent, Read, true, Q::Current),
    p(MeterPower, Read, true, Q::Power),
    p(MeterSerial, Read, false, Q::None),
];

const INSULATION_MONITOR: &[PointSpec] = &[
    p(InsulationResistance, Read, true, Q::Resistance),
    p(InsulationAlarm, Read, true, Q::None),
    p(SelfTest, Momentary, true, Q::None),
    p(MonitorEnable, Write, true, Q::None),
    p(ImdVoltage, Read, false, Q::Voltage),
];

/// An I/O module has no fixed points: its profile names them (`io = ...` on each register).
const IO_MODULE: &[PointSpec] = &[];

impl Role {
    /// Every point of the role, required or optional.
    pub fn points(self) -> &'static [PointSpec] {
        match self {
            Role::PowerModule => POWER_MODULE,
            Role::CoolingUnit => COOLING_UNIT,
            Role::DcMeter => DC_METER,
            Role::InsulationMonitor => INSULATION_MONITOR,
            Role::IoModule => IO_MODULE,
        }
    }

    pub fn spec(self, point: Point) -> Option<PointSpec> {
        self.points().iter().copied().find(|s| s.point == point)
    }

    /// Which side of the output contactor this role measures the voltage of. Precharge, the
    /// battery-voltage check and welding detection need both sides: the module side comes from
    /// the power modules' `output_voltage`, the vehicle side from the insulation monitor's
    /// `imd_voltage` (or, where wired so, the DC meter's `meter_voltage`).
    pub fn contactor_side(self) -> Option<ContactorSide> {
        match self {
            Role::PowerModule => Some(ContactorSide::Module),
            Role::InsulationMonitor | Role::DcMeter => Some(ContactorSide::Vehicle),
            Role::CoolingUnit | Role::IoModule => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactorSide {
    Module,
    Vehicle,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::PowerModule => "power_module",
            Role::CoolingUnit => "cooling_unit",
            Role::DcMeter => "dc_meter",
            Role::InsulationMonitor => "insulation_monitor",
            Role::IoModule => "io_module",
        })
    }
}

impl fmt::Display for Point {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The serde name, so messages use the spelling the profile uses.
        let s = serde_json_like_name(*self);
        f.write_str(&s)
    }
}

/// snake_case of the variant name (what serde uses), without pulling in a serializer.
fn serde_json_like_name(p: Point) -> String {
    let debug = format!("{p:?}");
    let mut out = String::with_capacity(debug.len() + 4);
    for (i, c) in debug.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

impl Quantity {
    pub fn accepts(self, unit: Option<super::Unit>) -> bool {
        use super::Unit as U;
        match (self, unit) {
            (Q::None, None) => true,
            (Q::None, Some(_)) => false,
            (_, None) => false,
            (Q::Voltage, Some(u)) => matches!(u, U::Volt),
            (Q::Current, Some(u)) => matches!(u, U::Ampere),
            (Q::Power, Some(u)) => matches!(u, U::Watt | U::Kilowatt),
            (Q::Energy, Some(u)) => matches!(u, U::WattHour | U::KilowattHour),
            (Q::Temperature, Some(u)) => matches!(u, U::Celsius),
            (Q::Resistance, Some(u)) => matches!(u, U::Ohm | U::Kiloohm | U::Megaohm),
            (Q::Flow, Some(u)) => matches!(u, U::LitrePerMinute),
            (Q::Pressure, Some(u)) => matches!(u, U::Bar | U::Kilopascal),
            (Q::Ratio, Some(u)) => matches!(u, U::Percent),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn point_names_match_serde() {
        let parsed: Point =
            serde::Deserialize::deserialize(serde::de::value::StrDeserializer::<
                serde::de::value::Error,
            >::new("pin_temperature_dc_plus"))
            .unwrap();
        assert_eq!(parsed, PinTemperatureDcPlus);
        assert_eq!(PinTemperatureDcPlus.to_string(), "pin_temperature_dc_plus");
    }

    #[test]
    fn every_role_lists_each_point_once() {
        for role in [
            Role::PowerModule,
            Role::CoolingUnit,
            Role::DcMeter,
            Role::InsulationMonitor,
            Role::IoModule,
        ] {
            let mut seen = std::collections::BTreeSet::new();
            for s in role.points() {
                assert!(seen.insert(s.point), "{role}: {} twice", s.point);
            }
        }
    }
}
