//! One connector's hardware, bundled, plus the simulator's control surface.

use charger_protocol::{ControlLines, Timestamp};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::{CanPort, CoolingUnit, DcMeter, DigitalIo, InsulationMonitor, PowerSupply};

/// The hardware behind one connector. Production bundles real backends; the simulator bundles
/// models that are coupled by physics and advanced by [`step`](Self::step).
pub trait ConnectorHardware: Send + std::fmt::Debug {
    fn can(&mut self) -> &mut dyn CanPort;
    fn power(&mut self) -> &mut dyn PowerSupply;
    fn io(&mut self) -> &mut dyn DigitalIo;
    fn imd(&mut self) -> &mut dyn InsulationMonitor;

    /// The DC energy meter on this connector's output, if it has one: then the session's
    /// energy is what the meter counts; without one, the station integrates its own V × I.
    fn meter(&mut self) -> Option<&mut dyn DcMeter> {
        None
    }

    /// The cooling unit of this connector's liquid-cooled cable, if it has one: its pin and
    /// coolant temperatures feed the thermal derating loop, which commands its pump and fan.
    fn cooling(&mut self) -> Option<&mut dyn CoolingUnit> {
        None
    }

    /// Advance simulated physics to `now`. Real hardware has nothing to do.
    fn step(&mut self, _now: Timestamp) {}

    /// Why this connector cannot be used now (its CAN interface cannot be opened, …):
    /// the station shows it Unavailable with this reason and starts nothing on it, while the
    /// other connectors charge. `None`: usable.
    fn unavailable(&self) -> Option<String> {
        None
    }

    /// The simulator's controls, when this connector is simulated.
    fn simulator(&mut self) -> Option<&mut dyn SimulatorControl> {
        None
    }
}

/// A truck to plug in, as a technician describes it to `chargerctl sim plug`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TruckSpec {
    pub soc_percent: f32,
    pub target_soc_percent: f32,
    pub capacity_kwh: f32,
    /// Highest battery voltage (CHAdeMO 0x100 max battery voltage), in volts.
    pub max_voltage: f32,
    /// Highest current the BMS will request, in amperes.
    pub max_current: f32,
}

impl Default for TruckSpec {
    /// A heavy truck: 350 kWh pack around 600 V, 250 A.
    fn default() -> Self {
        TruckSpec {
            soc_percent: 20.0,
            target_soc_percent: 80.0,
            capacity_kwh: 350.0,
            max_voltage: 750.0,
            max_current: 250.0,
        }
    }
}

/// Faults a technician or a test can inject into the simulated plant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SimFault {
    /// The truck stops transmitting on CAN.
    CanSilent,
    /// The emergency-stop chain opens.
    EmergencyStop,
    /// The power supply trips.
    PowerSupply,
    /// The truck raises a battery fault bit (over-voltage).
    VehicleFault,
    /// The DC output's insulation resistance collapses.
    Insulation,
    /// The power supply's measured current reads far from what it delivers.
    ImplausibleCurrent,
    /// The truck asks the charger to stop (driver pressed stop in the cab).
    VehicleStop,
    /// The truck pauses the charge (GB/T BSM "charging not permitted"); cleared to resume.
    VehiclePause,
    /// The DC meter stops answering (its reading goes stale) until cleared.
    MeterSilent,
    /// The DC meter answers, but its values and update time stop moving until cleared.
    MeterFrozen,
    /// Another DC meter is fitted: new serial, register restarting from its own value
    /// (momentary: it stays fitted).
    MeterReplaced,
    /// The DC meter's next reading is garbage far above its register (momentary).
    MeterJump,
    /// The insulation monitor stops answering (its reading goes stale) until cleared.
    ImdSilent,
    /// The cooling unit stops answering until cleared (a cooling unit served over Modbus).
    CoolingSilent,
    /// The DC+ pin's temperature sensor fails open (its converter reports the open-circuit
    /// sentinel) until cleared.
    PinSensorOpen,
    /// The cooling unit's pump delivers only part of its flow (50 % by default) until cleared.
    PumpDegraded,
    /// The coolant's inlet temperature steps up (+10 K by default) until cleared.
    CoolantInletStep,
    /// The output contactors weld: once closed (now or next time) they stay closed, with
    /// their auxiliary contacts, until cleared.
    ContactorWelded,
    /// The output contactors never close (a broken coil or driver) until cleared.
    ContactorStuckOpen,
    /// The connector lock's motor jams where it is until cleared.
    LockJammed,
    /// The lock's feedback reads "unlocked" while the lock holds, until cleared.
    LockFeedbackLost,
    /// The board I/O backend marks its snapshots stale until cleared.
    IoStale,
}

impl SimFault {
    pub const ALL: [SimFault; 22] = [
        SimFault::CanSilent,
        SimFault::EmergencyStop,
        SimFault::PowerSupply,
        SimFault::VehicleFault,
        SimFault::Insulation,
        SimFault::ImplausibleCurrent,
        SimFault::VehicleStop,
        SimFault::VehiclePause,
        SimFault::MeterSilent,
        SimFault::MeterFrozen,
        SimFault::MeterReplaced,
        SimFault::MeterJump,
        SimFault::ImdSilent,
        SimFault::CoolingSilent,
        SimFault::PinSensorOpen,
        SimFault::PumpDegraded,
        SimFault::CoolantInletStep,
        SimFault::ContactorWelded,
        SimFault::ContactorStuckOpen,
        SimFault::LockJammed,
        SimFault::LockFeedbackLost,
        SimFault::IoStale,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SimFault::CanSilent => "can-silent",
            SimFault::EmergencyStop => "emergency-stop",
            SimFault::PowerSupply => "power-supply",
            SimFault::VehicleFault => "vehicle-fault",
            SimFault::Insulation => "insulation",
            SimFault::ImplausibleCurrent => "implausible-current",
            SimFault::VehicleStop => "vehicle-stop",
            SimFault::VehiclePause => "vehicle-pause",
            SimFault::MeterSilent => "meter-silent",
            SimFault::MeterFrozen => "meter-frozen",
            SimFault::MeterReplaced => "meter-replaced",
            SimFault::MeterJump => "meter-jump",
            SimFault::ImdSilent => "imd-silent",
            SimFault::CoolingSilent => "cooling-silent",
            SimFault::PinSensorOpen => "pin-sensor-open",
            SimFault::PumpDegraded => "pump-degraded",
            SimFault::CoolantInletStep => "coolant-inlet-step",
            SimFault::ContactorWelded => "contactor-welded",
            SimFault::ContactorStuckOpen => "contactor-stuck-open",
            SimFault::LockJammed => "lock-jammed",
            SimFault::LockFeedbackLost => "lock-feedback-lost",
            SimFault::IoStale => "io-stale",
        }
    }
}

impl std::str::FromStr for SimFault {
    type Err = SimError;
    fn from_str(s: &str) -> Result<Self, SimError> {
        SimFault::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| SimError::UnknownFault(s.to_string()))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "command")]
pub enum SimCommand {
    Plug(TruckSpec),
    Unplug,
    Fault(SimFault),
    ClearFaults,
    /// The ambient air temperature around the connector's cooling unit, °C (−30 to 60).
    Ambient {
        celsius: f32,
    },
}

/// The vehicle side of a connector's inlet, as an external simulator (another process, another
/// machine) drives it through the control API, while the frames travel over a cannelloni link.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InletState {
    /// A connector is in the inlet (CHAdeMO proximity, GB/T CC1).
    pub plugged: bool,
    /// CHAdeMO k (charge permission); ignored by GB/T.
    #[serde(default)]
    pub permission: bool,
    /// The vehicle's own contactors connect its battery to the inlet.
    #[serde(default)]
    pub contactors_closed: bool,
    /// Battery open-circuit voltage, volts.
    #[serde(default)]
    pub battery_voltage: f32,
    /// Battery internal resistance, ohms.
    #[serde(default = "default_battery_resistance")]
    pub battery_resistance: f32,
    /// The simulator's own state of charge, for status views.
    #[serde(default)]
    pub soc_percent: Option<f32>,
}

fn default_battery_resistance() -> f32 {
    0.05
}

impl InletState {
    /// Checks what a remote simulator sent before it reaches the circuit model.
    pub fn validate(&self) -> Result<(), SimError> {
        if !(self.battery_voltage.is_finite() && (0.0..=1500.0).contains(&self.battery_voltage)) {
            return Err(SimError::InvalidInlet(format!(
                "battery_voltage {} V must be between 0 and 1500",
                self.battery_voltage
            )));
        }
        if !(self.battery_resistance.is_finite()
            && self.battery_resistance > 0.0
            && self.battery_resistance <= 10.0)
        {
            return Err(SimError::InvalidInlet(format!(
                "battery_resistance {} Ω must be above 0 and at most 10",
                self.battery_resistance
            )));
        }
        if let Some(soc) = self.soc_percent {
            if !(soc.is_finite() && (0.0..=100.0).contains(&soc)) {
                return Err(SimError::InvalidInlet(format!(
                    "soc_percent {soc} must be between 0 and 100"
                )));
            }
        }
        Ok(())
    }
}

/// What the vehicle side of the inlet sees of the charger: the lines the charger drives and the
/// electrical state at the inlet.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct InletReport {
    pub lines: ControlLines,
    pub connector_locked: bool,
    pub charger_contactors_closed: bool,
    /// Voltage at the inlet, volts.
    pub cable_voltage: f32,
    /// Current into the battery, amperes (0 unless both sides' contactors are closed).
    pub battery_current: f32,
}

#[derive(Debug, Clone, PartialEq, Error, Serialize, Deserialize)]
pub enum SimError {
    #[error("a truck is already plugged in")]
    AlreadyPlugged,
    #[error("no truck is plugged in")]
    NotPlugged,
    #[error("unknown fault '{0}' (known: can-silent, emergency-stop, power-supply, vehicle-fault, insulation, implausible-current, vehicle-stop, vehicle-pause, meter-silent, meter-frozen, meter-replaced, meter-jump, imd-silent, cooling-silent, pin-sensor-open, pump-degraded, coolant-inlet-step)")]
    UnknownFault(String),
    #[error("this simulated connector has no DC meter")]
    NoMeter,
    /// The fault needs a part this connector does not have, or not in that form (e.g. a
    /// meter served over Modbus cannot be swapped).
    #[error("{0}")]
    NotSupported(String),
    #[error("invalid truck: {0}")]
    InvalidTruck(String),
    #[error("this connector's truck is simulated in-process; `inlet` is for connectors whose CAN is a cannelloni link to an external simulator")]
    NotExternal,
    #[error("invalid inlet state: {0}")]
    InvalidInlet(String),
    #[error("this simulated connector has no cooling unit")]
    NoCooling,
    #[error("ambient {0} °C must be between -30 and 60")]
    InvalidAmbient(f32),
}

/// What a simulated connector lets a technician do.
pub trait SimulatorControl: std::fmt::Debug {
    fn apply(&mut self, cmd: SimCommand, now: Timestamp) -> Result<(), SimError>;

    /// What the simulated truck knows of itself (true SOC, battery voltage), for status views.
    fn truck(&self) -> Option<TruckState>;

    /// The simulated cooling plant's truth (its true hottest pin, its ambient), which the
    /// station only sees through the sensors; `None` without a cooling plant.
    fn plant(&self) -> Option<SimPlantView> {
        None
    }

    /// An external simulator sets the vehicle side of the inlet and reads the charger's side.
    fn inlet(&mut self, state: &InletState, now: Timestamp) -> Result<InletReport, SimError> {
        let _ = (state, now);
        Err(SimError::NotExternal)
    }
}

/// A simulated connector's cooling plant as only the simulator knows it: the limit is on the
/// true pin temperature, the controller sees measured ones (Pt1000 lag, noise, the poll).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct SimPlantView {
    /// The true hottest pin (DC+ or DC−), °C.
    pub hottest_pin_c: f32,
    /// The plant's ambient air, °C.
    pub ambient_c: f32,
}

/// The simulated truck's own view, which the charger cannot see directly.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TruckState {
    pub soc_percent: f32,
    pub battery_voltage: f32,
    pub battery_current: f32,
    pub ev_contactors_closed: bool,
    pub energy_charged_kwh: f32,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ALL` (which `chargerctl sim fault --help` lists) names every kind: this match has no
    /// wildcard, so a new kind does not compile here until it is added to the match, and the
    /// count here (one per kind) is then checked against `ALL`.
    #[test]
    fn all_lists_every_simulated_fault_once() {
        let count = |f: SimFault| match f {
            SimFault::CanSilent
            | SimFault::EmergencyStop
            | SimFault::PowerSupply
            | SimFault::VehicleFault
            | SimFault::Insulation
            | SimFault::ImplausibleCurrent
            | SimFault::VehicleStop
            | SimFault::VehiclePause
            | SimFault::MeterSilent
            | SimFault::MeterFrozen
            | SimFault::MeterReplaced
            | SimFault::MeterJump
            | SimFault::ImdSilent
            | SimFault::CoolingSilent => 1,
            SimFault::PinSensorOpen | SimFault::PumpDegraded | SimFault::CoolantInletStep => 1,
            SimFault::ContactorWelded
            | SimFault::ContactorStuckOpen
            | SimFault::LockJammed
            | SimFault::LockFeedbackLost
            | SimFault::IoStale => 1,
        };
        let names: std::collections::BTreeSet<&str> =
            SimFault::ALL.iter().map(|f| f.name()).collect();
        assert_eq!(names.len(), SimFault::ALL.len());
        assert_eq!(SimFault::ALL.into_iter().map(count).sum::<usize>(), 22);
        for f in SimFault::ALL {
            assert_eq!(f.name().parse::<SimFault>().ok(), Some(f));
        }
    }
}
