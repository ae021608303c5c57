//! Plant models behind the Modbus simulators: pure, time-injected structs (the functional core).
//!
//! Each model answers in the role's [`Point`]s and in SI base units (V, A, W, Wh, Ω, Pa, °C,
//! %, l/min); the register bank converts to whatever unit, scale and order the profile uses,
//! so one model serves every vendor's map of its role.

use std::time::Duration;

use crate::connector::SimPlantView;
use crate::profile::{Point, Role, Value};
use crate::sim::thermal::{
    Disturbance, Measured, SensorChain, SensorChainParams, SensorId, ThermalPlant,
    ThermalPlantParams,
};

/// A plant the simulated device exposes through its profile.
pub trait PlantModel: Send + 'static {
    /// The role whose profiles this plant can stand behind.
    const ROLE: Role;
    /// Advance the physics by `dt`.
    fn step(&mut self, dt: Duration);
    /// The role's points as the device would report them now, in SI base units.
    fn readings(&self) -> Vec<(Point, Value)>;
    /// A write the device accepted (already range-checked against the profile, in SI base
    /// units). Momentary commands arrive as `Value::Bool(true)`.
    fn command(&mut self, point: Point, value: &Value);
    /// The profile's communication watchdog expired (no keep-alive within its
    /// `device_timeout_ms`): what the device does on its own. Nothing by default.
    fn comms_lost(&mut self) {}
    /// Registers the plant reports by name rather than by role point (an I/O module's
    /// points), in the register's unit. None by default.
    fn named_readings(&self) -> Vec<(String, Value)> {
        Vec::new()
    }
    /// A write to a register the plant knows by name (an I/O module's output), in the
    /// register's unit. Nothing by default.
    fn named_command(&mut self, _register: &str, _value: &Value) {}
}

fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) if n.is_finite() => Some(*n),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        _ => None,
    }
}

fn flag(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Number(n) => *n != 0.0,
        Value::Text(_) => false,
    }
}

/// Move `from` towards `to` by at most `rate * dt`.
fn slew(from: f64, to: f64, rate: f64, dt: f64) -> f64 {
    let max_step = (rate * dt).max(0.0);
    from + (to - from).clamp(-max_step, max_step)
}

// ---------------------------------------------------------------------------------------------
// Power module

/// What a power module can do: its nameplate and how fast it moves.
#[derive(Debug, Clone, PartialEq)]
pub struct ModuleRating {
    pub max_voltage: f64,
    pub max_current: f64,
    pub max_power_w: f64,
    /// Output voltage slew, V/s.
    pub voltage_slew: f64,
    /// Output current (limit) slew, A/s.
    pub current_slew: f64,
    /// Full power up to this temperature, then linear to zero at `derate_zero_c`
    /// (the 55 °C / 75 °C curve of a 20–30 kW module).
    pub derate_start_c: f64,
    pub derate_zero_c: f64,
    pub efficiency: f64,
    pub ambient_c: f64,
    /// Heat sink: K per W of loss at steady state, and its time constant.
    pub thermal_k_per_w: f64,
    pub thermal_tau_s: f64,
    pub input_voltage: f64,
}

impl Default for ModuleRating {
    fn default() -> Self {
        Self {
            max_voltage: 1000.0,
            max_current: 100.0,
            max_power_w: 30_000.0,
            voltage_slew: 500.0,
            current_slew: 200.0,
            derate_start_c: 55.0,
            derate_zero_c: 75.0,
            efficiency: 0.96,
            ambient_c: 25.0,
            thermal_k_per_w: 0.02,
            thermal_tau_s: 120.0,
            input_voltage: 400.0,
        }
    }
}

/// The load on the module's output: a battery (EMF behind an internal resistance) whose EMF
/// rises with charge, behind a contactor.
#[derive(Debug, Clone, PartialEq)]
pub struct BatteryLoad {
    pub emf: f64,
    pub resistance_ohm: f64,
    /// EMF rise per Ah charged (a crude state-of-charge curve).
    pub volt_per_ah: f64,
    pub connected: bool,
}

impl Default for BatteryLoad {
    fn default() -> Self {
        Self {
            emf: 600.0,
            resistance_ohm: 0.05,
            volt_per_ah: 0.01,
            connected: true,
        }
    }
}

/// Module status as the shipped profile enumerates it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleStatus {
    Off = 0,
    Starting = 1,
    Running = 2,
    Derating = 3,
    Fault = 4,
}

/// Fault bits as the shipped profile names them.
pub mod module_fault {
    pub const OVER_TEMPERATURE: u16 = 1 << 0;
    pub const COMMUNICATION_TIMEOUT: u16 = 1 << 7;
    pub const POWER_LIMITING: u16 = 1 << 8;
}

/// A DC/DC power module following its setpoints with slew and rating limits.
#[derive(Debug, Clone, PartialEq)]
pub struct PowerModulePlant {
    pub rating: ModuleRating,
    pub load: BatteryLoad,
    enabled: bool,
    voltage_setpoint: f64,
    current_limit: f64,
    range_mode: f64,
    /// The voltage the control loop is at (slewed towards the setpoint).
    v_cmd: f64,
    /// The current limit in force (slewed towards the setpoint).
    i_cmd: f64,
    v_out: f64,
    i_out: f64,
    temperature: f64,
    latched_fault: bool,
    /// The keep-alive stopped: output dropped until enabled again.
    comms_timeout: bool,
}

impl PowerModulePlant {
    pub fn new(rating: ModuleRating, load: BatteryLoad) -> Self {
        let ambient = rating.ambient_c;
        Self {
            rating,
            load,
            enabled: false,
            voltage_setpoint: 0.0,
            current_limit: 0.0,
            range_mode: 0.0,
            v_cmd: 0.0,
            i_cmd: 0.0,
            v_out: 0.0,
            i_out: 0.0,
            temperature: ambient,
            latched_fault: false,
            comms_timeout: false,
        }
    }

    pub fn output_voltage(&self) -> f64 {
        self.v_out
    }
    pub fn output_current(&self) -> f64 {
        self.i_out
    }
    pub fn temperature(&self) -> f64 {
        self.temperature
    }
    /// Force the heat sink temperature (a blocked fan, a hot cabinet).
    pub fn set_temperature(&mut self, celsius: f64) {
        self.temperature = celsius;
    }

    /// Power the module may deliver at its present temperature.
    pub fn available_power_w(&self) -> f64 {
        let r = &self.rating;
        let span = (r.derate_zero_c - r.derate_start_c).max(f64::EPSILON);
        let frac = 1.0 - (self.temperature - r.derate_start_c) / span;
        r.max_power_w * frac.clamp(0.0, 1.0)
    }

    fn faults(&self) -> u16 {
        let mut bits = 0;
        if self.latched_fault {
            bits |= module_fault::OVER_TEMPERATURE;
        }
        if self.comms_timeout {
            bits |= module_fault::COMMUNICATION_TIMEOUT;
        }
        if self.enabled && self.available_power_w() < self.rating.max_power_w {
            bits |= module_fault::POWER_LIMITING;
        }
        bits
    }

    pub fn status(&self) -> ModuleStatus {
        if self.latched_fault {
            ModuleStatus::Fault
        } else if !self.enabled {
            ModuleStatus::Off
        } else if self.available_power_w() < self.rating.max_power_w {
            ModuleStatus::Derating
        } else if (self.v_cmd - self.voltage_setpoint).abs() > 1.0 && self.i_out < 0.5 {
            ModuleStatus::Starting
        } else {
            ModuleStatus::Running
        }
    }
}

impl PowerModulePlant {
    /// The module's own control for one step: slew the voltage loop and the current limit
    /// within the rating. True while the output runs.
    fn control(&mut self, dt: f64) -> bool {
        let r = &self.rating;
        if self.temperature >= r.derate_zero_c {
            self.latched_fault = true;
        }
        let run = self.enabled && !self.latched_fault;
        let v_target = if run {
            self.voltage_setpoint.clamp(0.0, r.max_voltage)
        } else {
            0.0
        };
        self.v_cmd = slew(self.v_cmd, v_target, r.voltage_slew, dt);
        // Rating limits: nameplate current and the (derated) power at the present voltage.
        let p_avail = self.available_power_w();
        let r = &self.rating;
        let i_by_power = if self.v_out > 1.0 {
            p_avail / self.v_out
        } else {
            r.max_current
        };
        let i_target = if run {
            self.current_limit
                .min(r.max_current)
                .min(i_by_power)
                .max(0.0)
        } else {
            0.0
        };
        // Ramping down is immediate (as EVerest does), up is slewed.
        self.i_cmd = if i_target < self.i_cmd {
            i_target
        } else {
            slew(self.i_cmd, i_target, r.current_slew, dt)
        };
        run
    }

    /// Take the output the circuit settled on and heat the module by its losses.
    fn settle(&mut self, v_out: f64, i_out: f64, dt: f64) {
        self.v_out = v_out;
        self.i_out = i_out;
        let r = &self.rating;
        let loss = self.v_out * self.i_out * (1.0 - r.efficiency).max(0.0);
        let t_eq = r.ambient_c + loss * r.thermal_k_per_w;
        let alpha = (dt / r.thermal_tau_s.max(f64::EPSILON)).min(1.0);
        self.temperature += (t_eq - self.temperature) * alpha;
    }
}

impl PlantModel for PowerModulePlant {
    const ROLE: Role = Role::PowerModule;

    fn step(&mut self, dt: Duration) {
        let dt = dt.as_secs_f64();
        let run = self.control(dt);
        let load = &mut self.load;
        let (v, i) = if run && load.connected && load.resistance_ohm > 0.0 {
            // Constant voltage until the current limit, then constant current.
            let i_cv = ((self.v_cmd - load.emf) / load.resistance_ohm).max(0.0);
            let vi = if i_cv > self.i_cmd {
                (load.emf + self.i_cmd * load.resistance_ohm, self.i_cmd)
            } else {
                (self.v_cmd.max(load.emf), i_cv)
            };
            load.emf += vi.1 * dt / 3600.0 * load.volt_per_ah;
            vi
        } else if load.connected {
            // Open output: the voltage follows the loop; a connected battery holds it up.
            (self.v_cmd.max(load.emf), 0.0)
        } else {
            (self.v_cmd, 0.0)
        };
        self.settle(v, i, dt);
    }

    fn readings(&self) -> Vec<(Point, Value)> {
        vec![
            (Point::OutputEnable, Value::Bool(self.enabled)),
            (Point::VoltageSetpoint, Value::Number(self.voltage_setpoint)),
            (Point::CurrentLimit, Value::Number(self.current_limit)),
            (Point::VoltageRangeMode, Value::Number(self.range_mode)),
            (Point::OutputVoltage, Value::Number(self.v_out)),
            (Point::OutputCurrent, Value::Number(self.i_out)),
            (Point::ModuleTemperature, Value::Number(self.temperature)),
            (
                Point::ModuleStatus,
                Value::Number(f64::from(self.status() as u8)),
            ),
            (Point::ModuleFaults, Value::Number(f64::from(self.faults()))),
            (
                Point::AvailablePower,
                Value::Number(self.available_power_w()),
            ),
            (
                Point::InputVoltage,
                Value::Number(self.rating.input_voltage),
            ),
        ]
    }

    fn command(&mut self, point: Point, value: &Value) {
        match point {
            Point::OutputEnable => {
                self.enabled = flag(value);
                if self.enabled {
                    self.comms_timeout = false;
                }
            }
            Point::VoltageSetpoint => {
                if let Some(v) = num(value) {
                    self.voltage_setpoint = v;
                }
            }
            Point::CurrentLimit => {
                if let Some(v) = num(value) {
                    self.current_limit = v;
                }
            }
            // Changed only at zero output, as real modules insist.
            Point::VoltageRangeMode if self.i_out == 0.0 && !self.enabled => {
                if let Some(v) = num(value) {
                    self.range_mode = v;
                }
            }
            Point::FaultReset if flag(value) && self.temperature < self.rating.derate_zero_c => {
                self.latched_fault = false;
            }
            _ => {}
        }
    }

    /// Modules drop their output when the controller stops talking (InfyPower after 10 s).
    fn comms_lost(&mut self) {
        self.enabled = false;
        self.comms_timeout = true;
    }
}

// ---------------------------------------------------------------------------------------------
// Parallel modules on one bus

/// Power modules in parallel on one DC bus into one battery, sharing current by droop: each
/// module's output falls by `droop_ohm` per ampere below its voltage loop, so modules with
/// equal setpoints share evenly and a module set higher takes more, each within its own
/// current limit and rating.
#[derive(Debug, Clone, PartialEq)]
pub struct ParallelBus {
    pub modules: Vec<PowerModulePlant>,
    pub load: BatteryLoad,
    pub droop_ohm: f64,
    voltage: f64,
}

impl ParallelBus {
    pub fn new(modules: Vec<PowerModulePlant>, load: BatteryLoad, droop_ohm: f64) -> Self {
        Self {
            modules,
            load,
            droop_ohm: droop_ohm.max(1e-6),
            voltage: 0.0,
        }
    }

    pub fn voltage(&self) -> f64 {
        self.voltage
    }

    /// Advance every module's control and solve the bus.
    pub fn step(&mut self, dt: Duration) {
        let dt = dt.as_secs_f64();
        let running: Vec<bool> = self.modules.iter_mut().map(|m| m.control(dt)).collect();
        let droop = self.droop_ohm;
        let module_current = |m: &PowerModulePlant, run: bool, v: f64| {
            if run {
                ((m.v_cmd - v) / droop).clamp(0.0, m.i_cmd)
            } else {
                0.0
            }
        };
        let v_max = self
            .modules
            .iter()
            .zip(&running)
            .filter(|(_, r)| **r)
            .map(|(m, _)| m.v_cmd)
            .fold(0.0, f64::max);
        let load = &mut self.load;
        let v = if load.connected && load.resistance_ohm > 0.0 {
            // Modules' total current falls with the bus voltage, the battery's rises: bisect.
            let surplus = |v: f64| {
                let supplied: f64 = self
                    .modules
                    .iter()
                    .zip(&running)
                    .map(|(m, r)| module_current(m, *r, v))
                    .sum();
                supplied - (v - load.emf).max(0.0) / load.resistance_ohm
            };
            let (mut lo, mut hi) = (load.emf, v_max.max(load.emf));
            if surplus(lo) <= 0.0 {
                lo
            } else {
                for _ in 0..60 {
                    let mid = 0.5 * (lo + hi);
                    if surplus(mid) > 0.0 {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                0.5 * (lo + hi)
            }
        } else {
            v_max
        };
        let currents: Vec<f64> = self
            .modules
            .iter()
            .zip(&running)
            .map(|(m, r)| {
                if load.connected {
                    module_current(m, *r, v)
                } else {
                    0.0
                }
            })
            .collect();
        let total: f64 = currents.iter().sum();
        if load.connected {
            load.emf += total * dt / 3600.0 * load.volt_per_ah;
        }
        self.voltage = v;
        for (m, i) in self.modules.iter_mut().zip(currents) {
            m.settle(v, i, dt);
        }
    }

    /// One [`PlantModel`] per module, to serve behind a gateway (one unit id each).
    pub fn into_units(self) -> Vec<BusModule> {
        let n = self.modules.len();
        let bus = std::sync::Arc::new(std::sync::Mutex::new(self));
        (0..n)
            .map(|index| BusModule {
                bus: bus.clone(),
                index,
            })
            .collect()
    }
}

/// One module of a [`ParallelBus`] as a simulated device. The bus is stepped by the view of
/// module 0 (a server steps all its units with the same `dt`), so serve all views of one bus
/// from one server.
#[derive(Debug, Clone)]
pub struct BusModule {
    bus: std::sync::Arc<std::sync::Mutex<ParallelBus>>,
    index: usize,
}

impl BusModule {
    pub fn with_bus<R>(&self, f: impl FnOnce(&mut ParallelBus) -> R) -> R {
        f(&mut self.bus.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl PlantModel for BusModule {
    const ROLE: Role = Role::PowerModule;

    fn step(&mut self, dt: Duration) {
        if self.index == 0 {
            self.with_bus(|b| b.step(dt));
        }
    }

    fn readings(&self) -> Vec<(Point, Value)> {
        let i = self.index;
        self.with_bus(|b| b.modules.get(i).map(|m| m.readings()).unwrap_or_default())
    }

    fn command(&mut self, point: Point, value: &Value) {
        let i = self.index;
        self.with_bus(|b| {
            if let Some(m) = b.modules.get_mut(i) {
                m.command(point, value);
            }
        });
    }

    fn comms_lost(&mut self) {
        let i = self.index;
        self.with_bus(|b| {
            if let Some(m) = b.modules.get_mut(i) {
                m.comms_lost();
            }
        });
    }
}

// ---------------------------------------------------------------------------------------------
// DC meter

/// A DC meter integrating the energy of the voltage and current it is given.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DcMeterPlant {
    voltage: f64,
    current: f64,
    energy_wh: f64,
}

impl DcMeterPlant {
    pub fn new(initial_energy_wh: f64) -> Self {
        Self {
            energy_wh: initial_energy_wh.max(0.0),
            ..Self::default()
        }
    }
    /// What flows through the meter now (from the simulated connector).
    pub fn set_measurement(&mut self, voltage: f64, current: f64) {
        self.voltage = voltage;
        self.current = current;
    }
    pub fn energy_wh(&self) -> f64 {
        self.energy_wh
    }
}

impl PlantModel for DcMeterPlant {
    const ROLE: Role = Role::DcMeter;

    fn step(&mut self, dt: Duration) {
        // Import register: only energy into the vehicle counts.
        let p = (self.voltage * self.current).max(0.0);
        self.energy_wh += p * dt.as_secs_f64() / 3600.0;
    }

    fn readings(&self) -> Vec<(Point, Value)> {
        vec![
            (Point::MeterVoltage, Value::Number(self.voltage)),
            (Point::MeterCurrent, Value::Number(self.current)),
            (
                Point::MeterPower,
                Value::Number(self.voltage * self.current),
            ),
            // Whole Wh, as a counter register holds them.
            (Point::Energy, Value::Number(self.energy_wh.floor())),
            (Point::MeterSerial, Value::Text("SIM-M1".into())),
        ]
    }

    fn command(&mut self, _point: Point, _value: &Value) {}
}

// ---------------------------------------------------------------------------------------------
// Insulation monitor

/// An insulation monitor measuring the DC output against PE.
#[derive(Debug, Clone, PartialEq)]
pub struct InsulationPlant {
    /// Healthy insulation, Ω.
    pub healthy_ohm: f64,
    /// Alarm below this many Ω per volt of the rated voltage (IEC 61851-23: below 100 Ω/V
    /// is a fault).
    pub alarm_ohm_per_volt: f64,
    pub rated_voltage: f64,
    enabled: bool,
    fault_ohm: Option<f64>,
    voltage: f64,
    self_test_left: Duration,
}

impl Default for InsulationPlant {
    fn default() -> Self {
        Self {
            healthy_ohm: 10_000_000.0,
            alarm_ohm_per_volt: 100.0,
            rated_voltage: 1000.0,
            enabled: true,
            fault_ohm: None,
            voltage: 0.0,
            self_test_left: Duration::ZERO,
        }
    }
}

impl InsulationPlant {
    /// Inject an insulation fault of `ohm` to PE (None clears it).
    pub fn inject_fault(&mut self, ohm: Option<f64>) {
        self.fault_ohm = ohm;
    }
    /// The DC voltage the monitor sees on the output.
    pub fn set_voltage(&mut self, voltage: f64) {
        self.voltage = voltage;
    }
    pub fn resistance_ohm(&self) -> f64 {
        // A fault in parallel with the healthy insulation.
        match self.fault_ohm {
            Some(f) if f > 0.0 => 1.0 / (1.0 / f + 1.0 / self.healthy_ohm),
            Some(_) => 0.0,
            None => self.healthy_ohm,
        }
    }
    pub fn alarm(&self) -> bool {
        if !self.self_test_left.is_zero() {
            return true;
        }
        self.enabled && self.resistance_ohm() < self.alarm_ohm_per_volt * self.rated_voltage
    }
}

impl PlantModel for InsulationPlant {
    const ROLE: Role = Role::InsulationMonitor;

    fn step(&mut self, dt: Duration) {
        self.self_test_left = self.self_test_left.saturating_sub(dt);
    }

    fn readings(&self) -> Vec<(Point, Value)> {
        vec![
            (
                Point::InsulationResistance,
                Value::Number(self.resistance_ohm()),
            ),
            (Point::InsulationAlarm, Value::Bool(self.alarm())),
            (Point::ImdVoltage, Value::Number(self.voltage)),
            (Point::MonitorEnable, Value::Bool(self.enabled)),
        ]
    }

    fn command(&mut self, point: Point, value: &Value) {
        match point {
            Point::MonitorEnable => self.enabled = flag(value),
            // The self test drives the alarm for a second, as an IMD's test resistor does.
            Point::SelfTest if flag(value) => self.self_test_left = Duration::from_secs(1),
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Cooling unit

/// What the thermal model reports for one step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CoolingTemperatures {
    pub pin_dc_plus: f64,
    pub pin_dc_minus: f64,
    pub coolant_inlet: f64,
    pub coolant_outlet: f64,
}

/// The hook the thermal model plugs in: advances the connector's temperatures given the
/// current through the connector and the cooling unit's state.
pub trait ThermalModel: Send + 'static {
    fn step(
        &mut self,
        dt: Duration,
        current_a: f64,
        run: bool,
        pump_pct: f64,
    ) -> CoolingTemperatures;

    /// What the sensors read before the first step: the unit reports its soaked plant from
    /// the first poll on, never a placeholder that would look like a jump to the controller.
    fn sensed(&self) -> CoolingTemperatures {
        CoolingTemperatures {
            pin_dc_plus: 25.0,
            pin_dc_minus: 25.0,
            coolant_inlet: 25.0,
            coolant_outlet: 25.0,
        }
    }

    /// The heat exchanger's fan setpoint, % (a model without a fan ignores it).
    fn set_fan(&mut self, fan_pct: f64) {
        let _ = fan_pct;
    }

    /// The flow the pump really delivers, l/min, where the model knows it (a degraded pump);
    /// `None`: the nominal flow times the pump setpoint.
    fn flow_l_min(&self) -> Option<f64> {
        None
    }

    /// Apply a scenario's disturbance (ambient, degraded pump, inlet step); false if this
    /// model has no such thing.
    fn disturb(&mut self, d: Disturbance) -> bool {
        let _ = d;
        false
    }

    /// The plant's truth (true hottest pin, ambient), where the model has one: what a test
    /// holds the controller to, never what the cooling unit reports.
    fn truth(&self) -> Option<SimPlantView> {
        None
    }

    /// The cooling unit's electrical draw at these speeds (0–1), W; by default with the
    /// default plant's pump and fan ratings.
    fn cooling_unit_power_w(&self, run: bool, pump: f64, fan: f64) -> f64 {
        ThermalPlantParams::default().cooling_unit_power_w(run, pump, fan)
    }
}

/// What the cooling unit's converter reports for an open Pt1000: the shipped profile's
/// overrange sentinel (i16 32767 at 0.1 °C).
pub const OPEN_SENSOR_C: f64 = 3276.7;
/// ... and for a shorted one: its underrange sentinel (i16 −32768 at 0.1 °C).
pub const SHORTED_SENSOR_C: f64 = -3276.8;

/// The connector's thermal plant ([`ThermalPlant`]: pins, cable, coolant loop, exchanger)
/// seen through its sensor chain (Pt1000 lag, noise, quantisation, sentinels): the default
/// model behind the simulated cooling unit. The chain samples every step here: the Modbus
/// client's poll does the sample-and-hold.
#[derive(Debug, Clone)]
pub struct ConnectorThermal {
    plant: ThermalPlant,
    sensors: SensorChain,
    fan_pct: f64,
}

impl ConnectorThermal {
    pub fn new(plant: ThermalPlantParams, sensors: SensorChainParams) -> Self {
        ConnectorThermal {
            plant: ThermalPlant::new(plant),
            sensors: SensorChain::new(SensorChainParams {
                poll_hz: 0.0,
                ..sensors
            }),
            fan_pct: 0.0,
        }
    }

    /// The true plant (tests: the limit is on its temperatures, not the measured ones).
    pub fn plant(&self) -> &ThermalPlant {
        &self.plant
    }

    pub fn sensors_mut(&mut self) -> &mut SensorChain {
        &mut self.sensors
    }
}

impl Default for ConnectorThermal {
    fn default() -> Self {
        ConnectorThermal::new(ThermalPlantParams::default(), SensorChainParams::default())
    }
}

impl ThermalModel for ConnectorThermal {
    fn step(
        &mut self,
        dt: Duration,
        current_a: f64,
        run: bool,
        pump_pct: f64,
    ) -> CoolingTemperatures {
        self.plant
            .set_cooling(run, pump_pct / 100.0, self.fan_pct / 100.0);
        self.plant.set_current(current_a);
        self.plant.step(dt);
        let truth = self.plant.temperatures();
        self.sensors.step(dt, &truth);
        self.sensed()
    }

    fn sensed(&self) -> CoolingTemperatures {
        let truth = self.plant.temperatures();
        let sensed = |id: SensorId| match self.sensors.measured().map(|m| m.get(id)) {
            Some(Measured::Value(v)) => v,
            Some(Measured::Open) => OPEN_SENSOR_C,
            Some(Measured::Short) => SHORTED_SENSOR_C,
            None => truth.coolant,
        };
        CoolingTemperatures {
            pin_dc_plus: sensed(SensorId::PinDcPlus),
            pin_dc_minus: sensed(SensorId::PinDcMinus),
            coolant_inlet: sensed(SensorId::CoolantInlet),
            coolant_outlet: sensed(SensorId::CoolantOutlet),
        }
    }

    fn set_fan(&mut self, fan_pct: f64) {
        self.fan_pct = fan_pct;
    }

    fn flow_l_min(&self) -> Option<f64> {
        Some(self.plant.flow_l_min())
    }

    fn disturb(&mut self, d: Disturbance) -> bool {
        self.plant.disturb(d);
        true
    }

    fn cooling_unit_power_w(&self, run: bool, pump: f64, fan: f64) -> f64 {
        self.plant.params().cooling_unit_power_w(run, pump, fan)
    }

    fn truth(&self) -> Option<SimPlantView> {
        Some(SimPlantView {
            hottest_pin_c: self.plant.temperatures().hottest_pin() as f32,
            ambient_c: self.plant.ambient_c() as f32,
        })
    }
}

/// A connector's cooling unit; the temperatures come from a [`ThermalModel`].
pub struct CoolingPlant {
    thermal: Box<dyn ThermalModel>,
    current: f64,
    run: bool,
    pump_pct: f64,
    fan_pct: f64,
    temps: CoolingTemperatures,
    /// Nominal flow at 100 % pump, l/min.
    pub nominal_flow: f64,
    pub level_pct: f64,
}

impl std::fmt::Debug for CoolingPlant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoolingPlant")
            .field("current", &self.current)
            .field("run", &self.run)
            .field("temps", &self.temps)
            .finish_non_exhaustive()
    }
}

/// Cooling alarm bits as the shipped profile names them.
pub mod cooling_alarm {
    pub const LOW_FLOW: u16 = 1 << 0;
}

impl CoolingPlant {
    pub fn new(thermal: Box<dyn ThermalModel>) -> Self {
        Self {
            temps: thermal.sensed(),
            thermal,
            current: 0.0,
            run: false,
            pump_pct: 0.0,
            fan_pct: 0.0,
            nominal_flow: 30.0,
            level_pct: 95.0,
        }
    }
    /// The simulated connector's current, which heats the pins.
    pub fn set_current(&mut self, amps: f64) {
        self.current = amps;
    }
    pub fn temperatures(&self) -> CoolingTemperatures {
        self.temps
    }
    fn flow(&self) -> f64 {
        if !self.run {
            0.0
        } else if let Some(flow) = self.thermal.flow_l_min() {
            flow
        } else {
            self.nominal_flow * self.pump_pct / 100.0
        }
    }

    /// A scenario's disturbance for the thermal model; false if the model has none.
    pub fn disturb(&mut self, d: Disturbance) -> bool {
        self.thermal.disturb(d)
    }

    /// The thermal model's truth, if it has one ([`ThermalModel::truth`]).
    pub fn truth(&self) -> Option<SimPlantView> {
        self.thermal.truth()
    }
}

impl PlantModel for CoolingPlant {
    const ROLE: Role = Role::CoolingUnit;

    fn step(&mut self, dt: Duration) {
        self.temps = self.thermal.step(dt, self.current, self.run, self.pump_pct);
    }

    fn readings(&self) -> Vec<(Point, Value)> {
        let flow = self.flow();
        let alarms = if self.run && flow < 0.1 * self.nominal_flow {
            cooling_alarm::LOW_FLOW
        } else {
            0
        };
        vec![
            (Point::CoolingRun, Value::Bool(self.run)),
            (Point::PumpSetpoint, Value::Number(self.pump_pct)),
            (Point::FanSetpoint, Value::Number(self.fan_pct)),
            (
                Point::PinTemperatureDcPlus,
                Value::Number(self.temps.pin_dc_plus),
            ),
            (
                Point::PinTemperatureDcMinus,
                Value::Number(self.temps.pin_dc_minus),
            ),
            (
                Point::CoolantInletTemperature,
                Value::Number(self.temps.coolant_inlet),
            ),
            (
                Point::CoolantOutletTemperature,
                Value::Number(self.temps.coolant_outlet),
            ),
            (Point::CoolantFlow, Value::Number(flow)),
            // 1.5 bar static plus the pump's head, in Pa.
            (
                Point::CoolantPressure,
                Value::Number(150_000.0 + 2_000.0 * flow),
            ),
            (Point::CoolantLevel, Value::Number(self.level_pct)),
            (Point::CoolingAlarms, Value::Number(f64::from(alarms))),
            (
                Point::CoolingPower,
                Value::Number(self.thermal.cooling_unit_power_w(
                    self.run,
                    self.pump_pct / 100.0,
                    self.fan_pct / 100.0,
                )),
            ),
        ]
    }

    fn command(&mut self, point: Point, value: &Value) {
        match point {
            Point::CoolingRun => self.run = flag(value),
            Point::PumpSetpoint => {
                if let Some(v) = num(value) {
                    self.pump_pct = v;
                }
            }
            Point::FanSetpoint => {
                if let Some(v) = num(value) {
                    self.fan_pct = v;
                    self.thermal.set_fan(v);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEP: Duration = Duration::from_millis(10);

    #[test]
    fn module_slews_to_its_voltage_and_limits_current_by_rating() {
        let mut m = PowerModulePlant::new(ModuleRating::default(), BatteryLoad::default());
        m.command(Point::OutputEnable, &Value::Bool(true));
        m.command(Point::VoltageSetpoint, &Value::Number(700.0));
        m.command(Point::CurrentLimit, &Value::Number(40.0));
        m.step(Duration::from_millis(100));
        // 500 V/s: 50 V in 0.1 s, below the battery: no current yet.
        assert!(m.output_current() == 0.0, "{m:?}");
        for _ in 0..300 {
            m.step(STEP);
        }
        // 700 V into a 600 V battery behind 50 mΩ would be 2000 A: current limited to 40 A.
        assert!((m.output_current() - 40.0).abs() < 1e-6, "{m:?}");
        assert!((m.output_voltage() - 602.0).abs() < 0.1, "{m:?}");
        // 30 kW at ~604 V caps a 100 A request at ~49.7 A.
        m.command(Point::CurrentLimit, &Value::Number(100.0));
        for _ in 0..300 {
            m.step(STEP);
        }
        let p = m.output_current() * m.output_voltage();
        assert!(p <= 30_000.0 * 1.001 && p > 29_000.0, "{p} W");
        // Disable: the current drops at once.
        m.command(Point::OutputEnable, &Value::Bool(false));
        m.step(STEP);
        assert_eq!(m.output_current(), 0.0);
        assert_eq!(m.status(), ModuleStatus::Off);
    }

    #[test]
    fn hot_module_derates_and_trips() {
        let mut m = PowerModulePlant::new(ModuleRating::default(), BatteryLoad::default());
        m.set_temperature(65.0);
        assert!((m.available_power_w() - 15_000.0).abs() < 1e-6);
        m.command(Point::OutputEnable, &Value::Bool(true));
        assert_eq!(m.status(), ModuleStatus::Derating);
        m.set_temperature(80.0);
        m.step(STEP);
        assert_eq!(m.status(), ModuleStatus::Fault);
        assert_eq!(m.faults() & module_fault::OVER_TEMPERATURE, 1);
    }

    #[test]
    fn parallel_modules_share_current_by_droop() {
        let module = || PowerModulePlant::new(ModuleRating::default(), BatteryLoad::default());
        let mut bus = ParallelBus::new(vec![module(), module()], BatteryLoad::default(), 0.5);
        for m in &mut bus.modules {
            m.command(Point::OutputEnable, &Value::Bool(true));
            m.command(Point::VoltageSetpoint, &Value::Number(605.0));
            m.command(Point::CurrentLimit, &Value::Number(100.0));
        }
        for _ in 0..300 {
            bus.step(STEP);
        }
        // 2·(605 − V)/0.5 = (V − 600)/0.05 → V ≈ 600.83 V, 8.33 A each.
        let (a, b) = (
            bus.modules[0].output_current(),
            bus.modules[1].output_current(),
        );
        assert!((a - b).abs() < 1e-9 && (a - 8.333).abs() < 0.05, "{a} {b}");
        // Module 2 one volt lower: it takes less, the sum still feeds the battery.
        bus.modules[1].command(Point::VoltageSetpoint, &Value::Number(604.0));
        for _ in 0..300 {
            bus.step(STEP);
        }
        let (a, b) = (
            bus.modules[0].output_current(),
            bus.modules[1].output_current(),
        );
        assert!((a - 8.5).abs() < 0.05 && (b - 6.5).abs() < 0.05, "{a} {b}");
        // A current limit caps one module; the other does not exceed its own.
        bus.modules[0].command(Point::CurrentLimit, &Value::Number(2.0));
        for _ in 0..300 {
            bus.step(STEP);
        }
        let (a, b) = (
            bus.modules[0].output_current(),
            bus.modules[1].output_current(),
        );
        assert!((a - 2.0).abs() < 1e-9 && b > 6.5 && b < 100.0, "{a} {b}");
        assert_eq!(bus.modules[0].output_voltage(), bus.voltage());
    }

    #[test]
    fn meter_integrates_energy() {
        let mut meter = DcMeterPlant::new(1000.0);
        meter.set_measurement(800.0, 450.0); // 360 kW
        for _ in 0..1000 {
            meter.step(STEP); // 10 s
        }
        assert!((meter.energy_wh() - 2000.0).abs() < 1e-6, "{meter:?}");
    }

    #[test]
    fn injected_insulation_fault_raises_the_alarm() {
        let mut imd = InsulationPlant::default();
        assert!(!imd.alarm());
        imd.inject_fault(Some(50_000.0));
        assert!(imd.alarm());
        assert!(imd.resistance_ohm() < 50_000.0);
        imd.inject_fault(None);
        assert!(!imd.alarm());
    }

    #[test]
    fn a_soaked_cooling_unit_reports_its_plant_from_the_first_poll_on() {
        // Polled before its first step (a busy machine), the unit reports the soaked plant,
        // not a placeholder the controller would take for a 15 K jump.
        let c = CoolingPlant::new(Box::new(ConnectorThermal::new(
            ThermalPlantParams {
                ambient_c: 40.0,
                ..ThermalPlantParams::default()
            },
            SensorChainParams::default(),
        )));
        let t = c.temperatures();
        for v in [
            t.pin_dc_plus,
            t.pin_dc_minus,
            t.coolant_inlet,
            t.coolant_outlet,
        ] {
            assert!((v - 40.0).abs() < 0.01, "{t:?}");
        }
    }

    #[test]
    fn pins_heat_with_current_and_cool_with_flow() {
        let mut c = CoolingPlant::new(Box::new(ConnectorThermal::default()));
        c.command(Point::CoolingRun, &Value::Bool(true));
        c.command(Point::PumpSetpoint, &Value::Number(100.0));
        c.command(Point::FanSetpoint, &Value::Number(100.0));
        c.set_current(400.0);
        for _ in 0..4 * 3600 {
            c.step(Duration::from_secs(1));
        }
        // Settled on the plant's analytic equilibrium (through the sensor chain: 0.1 K steps
        // and a little noise).
        let t = c.temperatures().pin_dc_plus;
        let mut plant = ThermalPlant::new(ThermalPlantParams::default());
        plant.set_cooling(true, 1.0, 1.0);
        let want = plant.steady_state(400.0).unwrap().pin_dc_plus;
        assert!((t - want).abs() < 0.3, "{t} vs {want}");
        // The pump at half speed: half the flow reported, and hotter pins.
        c.command(Point::PumpSetpoint, &Value::Number(50.0));
        for _ in 0..3600 {
            c.step(Duration::from_secs(1));
        }
        let flow = c
            .readings()
            .into_iter()
            .find(|(p, _)| *p == Point::CoolantFlow);
        assert_eq!(flow, Some((Point::CoolantFlow, Value::Number(15.0))));
        assert!(c.temperatures().pin_dc_plus > t + 2.0);
        // A degraded pump shows in the flow, and the ambient reaches the model.
        assert!(c.disturb(Disturbance::PumpDegraded { flow_factor: 0.5 }));
        assert!(c.disturb(Disturbance::Ambient { celsius: 45.0 }));
        c.step(Duration::from_secs(1));
        let flow = c
            .readings()
            .into_iter()
            .find(|(p, _)| *p == Point::CoolantFlow);
        assert_eq!(flow, Some((Point::CoolantFlow, Value::Number(7.5))));
    }

    #[test]
    fn an_open_pin_sensor_reads_the_profiles_overrange_sentinel() {
        let mut thermal = ConnectorThermal::default();
        thermal.sensors_mut().set_fault(
            SensorId::PinDcPlus,
            Some(crate::sim::thermal::SensorFault::Open),
        );
        let t = thermal.step(Duration::from_millis(100), 100.0, true, 100.0);
        assert_eq!(t.pin_dc_plus, OPEN_SENSOR_C);
        assert!((t.pin_dc_minus - 25.0).abs() < 1.0, "{t:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// I/O module

/// A digital/analog I/O module: the levels and voltages on its input terminals (set by a test
/// or by whoever plays the wiring) and the state of its relays (set by the client's writes).
/// Its points are the profile's registers marked `io`, by name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IoModulePlant {
    /// Inputs by register name: `Bool` for a digital input, `Number` (V or A) for an analog one.
    inputs: std::collections::BTreeMap<String, Value>,
    outputs: std::collections::BTreeMap<String, bool>,
    /// Digital inputs wired to a relay (an auxiliary contact): input → relay.
    wiring: std::collections::BTreeMap<String, String>,
}

impl IoModulePlant {
    /// Every I/O point of `profile` at rest: inputs low or at zero, relays open.
    pub fn new(profile: &crate::profile::Profile) -> Self {
        use crate::profile::IoKind;
        let mut plant = IoModulePlant::default();
        for r in &profile.registers {
            match r.io {
                Some(IoKind::DigitalInput) => {
                    plant.inputs.insert(r.name.clone(), Value::Bool(false));
                }
                Some(IoKind::AnalogInput) => {
                    plant.inputs.insert(r.name.clone(), Value::Number(0.0));
                }
                Some(IoKind::DigitalOutput) => {
                    plant.outputs.insert(r.name.clone(), false);
                }
                None => {}
            }
        }
        plant
    }

    /// Drive digital input `name`; false if the module has no such digital input.
    pub fn set_input(&mut self, name: &str, level: bool) -> bool {
        match self.inputs.get_mut(name) {
            Some(v @ Value::Bool(_)) => {
                *v = Value::Bool(level);
                true
            }
            _ => false,
        }
    }

    /// Put `value` (in the register's unit, V or A) on analog input `name`; false if the
    /// module has no such analog input.
    pub fn set_analog(&mut self, name: &str, value: f64) -> bool {
        match self.inputs.get_mut(name) {
            Some(v @ Value::Number(_)) => {
                *v = Value::Number(value);
                true
            }
            _ => false,
        }
    }

    /// The state of relay `name`, if the module has it.
    pub fn output(&self, name: &str) -> Option<bool> {
        self.outputs.get(name).copied()
    }

    /// Wire digital input `input` to relay `relay`, as a contactor's auxiliary contact is:
    /// from now on the input reads what the relay switches.
    pub fn wire(&mut self, relay: &str, input: &str) -> Result<(), String> {
        if !self.outputs.contains_key(relay) {
            return Err(format!("{relay}: not a relay of this module"));
        }
        if !matches!(self.inputs.get(input), Some(Value::Bool(_))) {
            return Err(format!("{input}: not a digital input of this module"));
        }
        self.wiring.insert(input.to_string(), relay.to_string());
        self.follow_relays();
        Ok(())
    }

    /// Cut the wire to `input` (a broken auxiliary contact, or one to weld by hand): it keeps
    /// its last level until set. False if it was not wired.
    pub fn unwire(&mut self, input: &str) -> bool {
        self.wiring.remove(input).is_some()
    }

    fn follow_relays(&mut self) {
        for (input, relay) in &self.wiring {
            if let (Some(level), Some(v)) = (self.outputs.get(relay), self.inputs.get_mut(input)) {
                *v = Value::Bool(*level);
            }
        }
    }

    /// One line of `modbus-sim --io-module`'s standard input: `<point> <value>`, a level
    /// (`1`/`0`, `on`/`off`, `true`/`false`) for a digital input, a number (V or A) for an
    /// analog one, e.g. `di3 on` or `ai2 7.25`; `wire <relay> <input>` wires an input to a
    /// relay (an auxiliary contact: `wire do1 di3`), `unwire <input>` cuts it.
    pub fn apply_command(&mut self, line: &str) -> Result<(), String> {
        let words: Vec<&str> = line.split_whitespace().collect();
        let (name, value) = match words.as_slice() {
            ["wire", relay, input] => return self.wire(relay, input),
            ["unwire", input] => {
                return if self.unwire(input) {
                    Ok(())
                } else {
                    Err(format!("{input}: not wired"))
                };
            }
            [name, value] => (*name, *value),
            _ => {
                return Err(format!(
                    "{line:?}: expected `<point> <value>`, `wire <relay> <input>` or \
                     `unwire <input>`"
                ))
            }
        };
        match self.inputs.get(name) {
            Some(Value::Bool(_)) => {
                let level = match value {
                    "1" | "on" | "true" | "high" => true,
                    "0" | "off" | "false" | "low" => false,
                    other => return Err(format!("{name}: {other:?} is not a level (on/off)")),
                };
                self.set_input(name, level);
                Ok(())
            }
            Some(_) => {
                let v: f64 = value
                    .parse()
                    .ok()
                    .filter(|v: &f64| v.is_finite())
                    .ok_or_else(|| format!("{name}: {value:?} is not a number"))?;
                self.set_analog(name, v);
                Ok(())
            }
            None => Err(format!("{name}: not an input of this module")),
        }
    }
}

impl PlantModel for IoModulePlant {
    const ROLE: Role = Role::IoModule;

    fn step(&mut self, _dt: Duration) {}

    fn readings(&self) -> Vec<(Point, Value)> {
        Vec::new()
    }

    fn command(&mut self, _point: Point, _value: &Value) {}

    /// The module's communication timeout: every relay drops, as real modules do so that a
    /// controller that died cannot leave a contactor closed.
    fn comms_lost(&mut self) {
        for level in self.outputs.values_mut() {
            *level = false;
        }
        self.follow_relays();
    }

    fn named_readings(&self) -> Vec<(String, Value)> {
        self.inputs
            .iter()
            .map(|(n, v)| (n.clone(), v.clone()))
            .chain(
                self.outputs
                    .iter()
                    .map(|(n, l)| (n.clone(), Value::Bool(*l))),
            )
            .collect()
    }

    fn named_command(&mut self, register: &str, value: &Value) {
        if let Some(level) = self.outputs.get_mut(register) {
            *level = flag(value);
            self.follow_relays();
        }
    }
}
