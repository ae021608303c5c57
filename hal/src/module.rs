//! The devices of a cabinet's power path, as roles the station uses whatever the transport:
//! a power module of the shared pool, the switching matrix that connects modules to connector
//! outputs, the DC energy meter and the liquid-cooled connector's cooling unit.
//!
//! Like every trait of this crate they are synchronous and never wait: a backend on a bus
//! (Modbus TCP/RTU, CAN) keeps a task that owns the bus, hands it the latest command and
//! returns the latest timestamped reading. A reading the backend could not refresh within its
//! age limit says so (`stale`); the station treats it as "not answering", never as a value.
//!
//! Which side of an output contactor each role measures: a power module's `voltage` is on the
//! module side (the cabinet's bus, before the output contactor); the insulation monitor's
//! `cable_voltage` ([`crate::ImdReading`]) is on the vehicle side. Precharge, the battery-voltage
//! check and welding detection compare the two.

use charger_protocol::Timestamp;
use serde::{Deserialize, Serialize};

/// The series/parallel (Hi/Lo) output range of a module that has one. Changed only while the
/// module's output is off and carries no current.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VoltageRange {
    /// Windings in parallel: the lower voltages, the higher current.
    Low,
    /// Windings in series: the higher voltages.
    High,
}

/// What a power module should do.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct ModuleCommand {
    /// Output stage running.
    pub enable: bool,
    /// Voltage setpoint, in volts.
    pub voltage: f32,
    /// Current limit, in amperes.
    pub current_limit: f32,
}

impl ModuleCommand {
    pub const OFF: ModuleCommand = ModuleCommand {
        enable: false,
        voltage: 0.0,
        current_limit: 0.0,
    };
}

/// A power module's latest measurement and state.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ModuleReading {
    /// Output voltage at the module's terminals (module side of the matrix), in volts.
    pub voltage: f32,
    /// Output current, in amperes.
    pub current: f32,
    /// Output stage running.
    pub running: bool,
    /// Heat-sink temperature, in °C, where the module reports it.
    pub temperature_c: Option<f32>,
    /// What the module can deliver now after its own derating (temperature, input voltage),
    /// in watts, where it reports it.
    pub available_power_w: Option<f32>,
    /// The module's output range, where it has one.
    pub range: Option<VoltageRange>,
    /// A fault the module reports (its names for the active fault bits); off while it lasts.
    pub fault: Option<String>,
    /// The backend could not refresh this reading within its age limit: the module is not
    /// answering, and the values above are the last known, not the present.
    pub stale: bool,
    pub at: Timestamp,
}

/// One power module of the pool.
pub trait PowerModule: Send + std::fmt::Debug {
    /// Apply a setpoint. Takes effect with the module's own dynamics.
    fn command(&mut self, cmd: ModuleCommand, now: Timestamp);

    /// Select the series/parallel range. The caller only does this at zero output.
    fn set_range(&mut self, _range: VoltageRange, _now: Timestamp) {}

    /// Clear a latched fault (a momentary command).
    fn reset_fault(&mut self, now: Timestamp);

    fn reading(&self) -> ModuleReading;

    /// Advance simulated physics to `now`. Real hardware has nothing to do.
    fn step(&mut self, _now: Timestamp) {}
}

/// The contactors connecting modules to connector outputs, with their auxiliary (feedback)
/// contacts.
pub trait SwitchingMatrix: Send + std::fmt::Debug {
    /// Command contactor `index` (the position in the configured matrix) closed or open.
    fn set(&mut self, index: usize, closed: bool, now: Timestamp);

    /// What contactor `index`'s feedback contact says: `Some(true)` closed, `Some(false)`
    /// open, `None` when the feedback cannot be read (treated as "not known open").
    fn feedback(&self, index: usize) -> Option<bool>;

    /// Each contactor's coil and feedback line with its live state (`chargerctl hw`); none
    /// for a matrix without lines of its own (the simulator's).
    fn lines(&self, _now: Timestamp) -> Vec<crate::io::LineStatus> {
        Vec::new()
    }

    /// Advance to `now`, once per control step before the feedback is read: simulated
    /// physics, or the board's matrix taking its latest feedback readings against their
    /// deadlines ([`crate::board::BoardMatrix`]).
    fn step(&mut self, _now: Timestamp) {}
}

/// The DC energy meter's latest measurement.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MeterReading {
    /// The meter's energy register, in Wh, as the meter counts it (it may wrap or restart
    /// when the meter is replaced: see [`crate::energy::EnergyCounter`]).
    pub energy_wh: Option<f64>,
    pub voltage: Option<f32>,
    pub current: Option<f32>,
    pub power_w: Option<f32>,
    /// The meter's serial number, where it reports one (a change means a replaced meter).
    pub serial: Option<String>,
    /// Not refreshed within its age limit: the values are the last known.
    pub stale: bool,
    pub at: Timestamp,
}

pub trait DcMeter: Send + std::fmt::Debug {
    fn reading(&self) -> MeterReading;
}

/// What the cooling unit should do.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct CoolingCommand {
    /// Cooling loop running.
    pub run: bool,
    /// Pump speed, 0.0–1.0.
    pub pump: f32,
    /// Heat-exchanger fan speed, 0.0–1.0.
    pub fan: f32,
}

/// The cooling unit's latest measurement. Temperatures in °C; `None` when the device reports
/// its sensor-fault sentinel (open or short circuit) or does not have the sensor.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CoolingReading {
    pub pin_dc_plus_c: Option<f32>,
    pub pin_dc_minus_c: Option<f32>,
    pub coolant_inlet_c: Option<f32>,
    pub coolant_outlet_c: Option<f32>,
    /// Coolant flow, in l/min.
    pub flow_l_min: Option<f32>,
    /// Coolant pressure, in bar.
    pub pressure_bar: Option<f32>,
    /// Reservoir level, 0.0–1.0.
    pub level: Option<f32>,
    /// Names of the active alarm bits, as the profile names them.
    pub alarms: Vec<String>,
    /// What the unit draws from the station's auxiliary supply (pump, fan, electronics), W,
    /// where it measures it; the station estimates it from the commanded speeds otherwise.
    #[serde(default)]
    pub electrical_power_w: Option<f32>,
    /// Not refreshed within its age limit: the values are the last known.
    pub stale: bool,
    pub at: Timestamp,
}

pub trait CoolingUnit: Send + std::fmt::Debug {
    fn command(&mut self, cmd: CoolingCommand, now: Timestamp);
    fn reading(&self) -> CoolingReading;
}
