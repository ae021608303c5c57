//! A simulated cabinet: power modules shared among connector outputs through a switching
//! matrix, in process.
//!
//! Each output's bus is the simulated connector's own supply model ([`SimPowerSupply`] with its
//! slew and CC/CV physics into the truck's battery): a connector built with
//! [`SimulatedConnector::with_bus`](crate::sim::connector::SimulatedConnector::with_bus)
//! drives it with what the modules whose matrix contactors are really closed ask for together
//! (the highest voltage setpoint, the sum of their current limits within their ratings), and
//! publishes the bus's voltage and current back. Each connected module then reads the bus
//! voltage and its part of the current (in proportion to its limit: parallel modules share by
//! droop). A module off the bus reads its own open-circuit voltage, slewing to its setpoint
//! when enabled and bleeding down when not.
//!
//! The matrix contactors follow their commands after an operating time; faults are injected
//! per module (a fault, no answer, a derating) and per contactor (welded, stuck open).
//!
//! [`SimPowerSupply`]: crate::sim::psu::SimPowerSupply

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use charger_protocol::{PowerCommand, Timestamp};

use crate::module::{ModuleCommand, ModuleReading, PowerModule, SwitchingMatrix, VoltageRange};

/// One simulated module's rating.
#[derive(Debug, Clone, PartialEq)]
pub struct SimModuleParams {
    pub max_power_w: f32,
    pub max_current_a: f32,
    pub max_voltage: f32,
    /// Open-circuit voltage slew, in V/s.
    pub voltage_slew: f32,
    /// How fast its current limit in effect rises and falls, in A/s.
    pub current_rise_rate: f32,
    pub current_fall_rate: f32,
    /// A module with series/parallel ranges (the top of the low range, in V).
    pub low_range_max_voltage: Option<f32>,
    /// Without a command for this long the module switches its output off (its own
    /// communication watchdog).
    pub comms_watchdog: Duration,
}

impl Default for SimModuleParams {
    /// A 30 kW, 100 A, 1000 V module.
    fn default() -> Self {
        SimModuleParams {
            max_power_w: 30_000.0,
            max_current_a: 100.0,
            max_voltage: 1000.0,
            voltage_slew: 2000.0,
            current_rise_rate: 200.0,
            current_fall_rate: 1000.0,
            low_range_max_voltage: None,
            comms_watchdog: Duration::from_secs(1),
        }
    }
}

#[derive(Debug)]
struct ModuleSim {
    params: SimModuleParams,
    cmd: ModuleCommand,
    commanded_at: Timestamp,
    range: Option<VoltageRange>,
    fault: Option<String>,
    /// Not answering: commands are lost and readings no longer refresh.
    silent: bool,
    /// Available power after the module's own derating, in W.
    derated_w: Option<f32>,
    /// Open-circuit voltage at its terminals when off the bus.
    own_voltage: f32,
    reading: ModuleReading,
    /// What it really carries (its reading freezes while it does not answer).
    true_current: f32,
    /// Its current limit in effect, following the commanded one at the module's own slew
    /// (rising slowly, falling fast): what it carries of its bus's current.
    effective: f32,
}

impl ModuleSim {
    fn delivering(&self, now: Timestamp) -> bool {
        self.cmd.enable
            && self.fault.is_none()
            && now.saturating_since(self.commanded_at) <= self.params.comms_watchdog
    }

    fn limit(&self, volts: f32) -> f32 {
        let p = self
            .derated_w
            .unwrap_or(self.params.max_power_w)
            .min(self.params.max_power_w);
        let by_power = if volts > 1.0 {
            p / volts
        } else {
            self.params.max_current_a
        };
        self.cmd
            .current_limit
            .clamp(0.0, self.params.max_current_a)
            .min(by_power)
    }
}

#[derive(Debug)]
struct ContactorSim {
    module: usize,
    output: u32,
    commanded: bool,
    closed: bool,
    changed_at: Timestamp,
    welded: bool,
    stuck_open: bool,
}

#[derive(Debug, Default, Clone, Copy)]
struct Bus {
    voltage: f32,
    current: f32,
}

#[derive(Debug)]
struct Cabinet {
    modules: Vec<ModuleSim>,
    contactors: Vec<ContactorSim>,
    buses: BTreeMap<u32, Bus>,
    operate_time: Duration,
    advanced_to: Option<Timestamp>,
    dynamics_at: Option<Timestamp>,
}

impl Cabinet {
    /// Each module's own dynamics to `now`: its current limit in effect and its open-circuit
    /// voltage. Done before the buses' physics of the same instant (the connectors ask for it
    /// through [`SimBus::command`]), so that what a bus is told and how it is shared agree.
    fn dynamics(&mut self, now: Timestamp) {
        if self.dynamics_at == Some(now) {
            return;
        }
        let dt = self
            .dynamics_at
            .map_or(0.0, |t| now.saturating_since(t).as_secs_f32());
        self.dynamics_at = Some(now);
        for i in 0..self.modules.len() {
            let bus = self.connected(i).and_then(|o| self.buses.get(&o).copied());
            let m = &mut self.modules[i];
            let delivering = m.delivering(now);
            let wanted = if delivering {
                m.limit(bus.map_or(m.cmd.voltage, |b| b.voltage))
            } else {
                0.0
            };
            let (rise, fall) = (
                m.params.current_rise_rate * dt,
                m.params.current_fall_rate * dt,
            );
            m.effective += (wanted - m.effective).clamp(-fall, rise);
            let target = if delivering {
                m.cmd.voltage.clamp(0.0, m.params.max_voltage)
            } else {
                0.0
            };
            let step = m.params.voltage_slew * dt;
            m.own_voltage += (target - m.own_voltage).clamp(-step, step);
        }
    }

    /// Each bus's current (after its physics) shared among its modules in proportion to their
    /// limits in effect; when every one is zero (all ramping down together) the current still
    /// decaying in the bus is carried by all alike.
    fn advance(&mut self, now: Timestamp) {
        self.dynamics(now);
        self.advanced_to = Some(now);
        self.share(now);
    }

    fn share(&mut self, now: Timestamp) {
        for i in 0..self.modules.len() {
            let connected = self.connected(i);
            let (voltage, current) = match connected.and_then(|o| self.buses.get(&o).copied()) {
                Some(bus) => {
                    let on: Vec<usize> = (0..self.modules.len())
                        .filter(|&j| self.connected(j) == connected)
                        .collect();
                    let all: f32 = on.iter().map(|&j| self.modules[j].effective).sum();
                    let share = if all > 0.0 {
                        self.modules[i].effective / all
                    } else {
                        1.0 / on.len().max(1) as f32
                    };
                    (bus.voltage, bus.current * share)
                }
                None => (self.modules[i].own_voltage, 0.0),
            };
            let m = &mut self.modules[i];
            if connected.is_some() {
                m.own_voltage = voltage;
            }
            m.true_current = current;
            if m.silent {
                // The last reading stays (stale); the output follows the module's watchdog.
                continue;
            }
            m.reading = ModuleReading {
                voltage,
                current,
                running: m.delivering(now),
                temperature_c: Some(35.0 + current.abs() * 0.1),
                available_power_w: Some(m.derated_w.unwrap_or(m.params.max_power_w)),
                range: m.range,
                fault: m.fault.clone(),
                stale: false,
                at: now,
            };
        }
    }

    fn connected(&self, module: usize) -> Option<u32> {
        self.contactors
            .iter()
            .find(|c| c.module == module && c.closed)
            .map(|c| c.output)
    }
}

/// The cabinet; clone it to hand out handles. See the module documentation.
#[derive(Debug, Clone)]
pub struct SimCabinet(Arc<Mutex<Cabinet>>);

impl SimCabinet {
    /// `contactors` lists each matrix contactor as (module index, output id).
    pub fn new(modules: Vec<SimModuleParams>, contactors: &[(usize, u32)]) -> SimCabinet {
        let modules = modules
            .into_iter()
            .map(|params| ModuleSim {
                range: params.low_range_max_voltage.map(|_| VoltageRange::High),
                params,
                cmd: ModuleCommand::OFF,
                commanded_at: Timestamp::ZERO,
                fault: None,
                silent: false,
                derated_w: None,
                own_voltage: 0.0,
                reading: ModuleReading::default(),
                true_current: 0.0,
                effective: 0.0,
            })
            .collect();
        let contactors = contactors
            .iter()
            .map(|&(module, output)| ContactorSim {
                module,
                output,
                commanded: false,
                closed: false,
                changed_at: Timestamp::ZERO,
                welded: false,
                stuck_open: false,
            })
            .collect();
        SimCabinet(Arc::new(Mutex::new(Cabinet {
            modules,
            contactors,
            buses: BTreeMap::new(),
            operate_time: Duration::from_millis(20),
            advanced_to: None,
            dynamics_at: None,
        })))
    }

    fn lock(&self) -> MutexGuard<'_, Cabinet> {
        // A panic elsewhere while holding the lock leaves plain data behind: keep using it.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn module(&self, index: usize) -> SimModule {
        SimModule {
            cabinet: self.clone(),
            index,
        }
    }

    /// Every module's handle, in order.
    pub fn modules(&self) -> Vec<SimModule> {
        (0..self.lock().modules.len())
            .map(|i| self.module(i))
            .collect()
    }

    pub fn matrix(&self) -> SimMatrix {
        SimMatrix(self.clone())
    }

    pub fn bus(&self, output: u32) -> SimBus {
        SimBus {
            cabinet: self.clone(),
            output,
        }
    }

    /// Inject (or with `None` clear) a module fault.
    pub fn set_module_fault(&self, index: usize, fault: Option<&str>) {
        if let Some(m) = self.lock().modules.get_mut(index) {
            m.fault = fault.map(str::to_string);
        }
    }

    /// The module stops (or resumes) answering.
    pub fn set_module_silent(&self, index: usize, silent: bool) {
        if let Some(m) = self.lock().modules.get_mut(index) {
            m.silent = silent;
        }
    }

    /// The module's own derating: what it can deliver now, in W (`None`: its rating).
    pub fn set_module_derating(&self, index: usize, watts: Option<f32>) {
        if let Some(m) = self.lock().modules.get_mut(index) {
            m.derated_w = watts;
        }
    }

    /// Weld contactor `index`: once closed it never opens again.
    pub fn weld_contactor(&self, index: usize) {
        if let Some(c) = self.lock().contactors.get_mut(index) {
            c.welded = true;
        }
    }

    /// Contactor `index` no longer closes.
    pub fn stick_open(&self, index: usize) {
        if let Some(c) = self.lock().contactors.get_mut(index) {
            c.stuck_open = true;
        }
    }

    /// Which output each module is really connected to (for invariant checks).
    pub fn connections(&self) -> Vec<Vec<u32>> {
        let cab = self.lock();
        (0..cab.modules.len())
            .map(|i| {
                cab.contactors
                    .iter()
                    .filter(|c| c.module == i && c.closed)
                    .map(|c| c.output)
                    .collect()
            })
            .collect()
    }

    /// Each module's real output current (for invariant checks).
    pub fn module_currents(&self) -> Vec<f32> {
        self.lock().modules.iter().map(|m| m.true_current).collect()
    }
}

/// One module of a [`SimCabinet`].
#[derive(Debug)]
pub struct SimModule {
    cabinet: SimCabinet,
    index: usize,
}

impl PowerModule for SimModule {
    fn command(&mut self, cmd: ModuleCommand, now: Timestamp) {
        let mut cab = self.cabinet.lock();
        if let Some(m) = cab.modules.get_mut(self.index) {
            if !m.silent {
                m.cmd = cmd;
                m.commanded_at = now;
            }
        }
    }

    fn set_range(&mut self, range: VoltageRange, _now: Timestamp) {
        let mut cab = self.cabinet.lock();
        if let Some(m) = cab.modules.get_mut(self.index) {
            // A real module refuses a range change under load; so does this one.
            if !m.silent
                && m.params.low_range_max_voltage.is_some()
                && m.reading.current.abs() < 1.0
            {
                m.range = Some(range);
            }
        }
    }

    fn reset_fault(&mut self, _now: Timestamp) {
        let mut cab = self.cabinet.lock();
        if let Some(m) = cab.modules.get_mut(self.index) {
            if !m.silent {
                m.fault = None;
            }
        }
    }

    fn reading(&self) -> ModuleReading {
        let cab = self.cabinet.lock();
        cab.modules
            .get(self.index)
            .map(|m| ModuleReading {
                stale: m.silent,
                ..m.reading.clone()
            })
            .unwrap_or(ModuleReading {
                stale: true,
                ..ModuleReading::default()
            })
    }

    fn step(&mut self, now: Timestamp) {
        // The whole cabinet advances once per instant, whichever module is stepped first, so
        // that every module's share of its bus is computed from the same state.
        let mut cab = self.cabinet.lock();
        if cab.advanced_to != Some(now) {
            cab.advance(now);
        }
    }
}

/// The switching matrix of a [`SimCabinet`].
#[derive(Debug)]
pub struct SimMatrix(SimCabinet);

impl SwitchingMatrix for SimMatrix {
    fn set(&mut self, index: usize, closed: bool, now: Timestamp) {
        let mut cab = self.0.lock();
        if let Some(c) = cab.contactors.get_mut(index) {
            if c.commanded != closed {
                c.commanded = closed;
                c.changed_at = now;
            }
        }
    }

    fn feedback(&self, index: usize) -> Option<bool> {
        self.0.lock().contactors.get(index).map(|c| c.closed)
    }

    fn step(&mut self, now: Timestamp) {
        let mut cab = self.0.lock();
        let operate = cab.operate_time;
        for c in &mut cab.contactors {
            if now.saturating_since(c.changed_at) < operate {
                continue;
            }
            c.closed = if c.commanded {
                !c.stuck_open
            } else {
                c.closed && c.welded
            };
        }
    }
}

/// One output's bus, as the simulated connector sees it.
#[derive(Debug)]
pub struct SimBus {
    cabinet: SimCabinet,
    output: u32,
}

impl SimBus {
    /// What the modules really connected to this output ask for together.
    pub fn command(&self, now: Timestamp) -> PowerCommand {
        let mut cab = self.cabinet.lock();
        cab.dynamics(now);
        let mut cmd = PowerCommand::OFF;
        for (i, m) in cab.modules.iter().enumerate() {
            if cab.connected(i) != Some(self.output) {
                continue;
            }
            if m.delivering(now) {
                cmd.enabled = true;
                cmd.voltage = cmd
                    .voltage
                    .max(m.cmd.voltage.clamp(0.0, m.params.max_voltage));
            }
            // What it delivers now: its limit in effect (at the bus's voltage).
            cmd.current += m.effective;
        }
        cmd
    }

    /// The bus's voltage and current after the connector's physics stepped.
    pub fn publish(&self, voltage: f32, current: f32) {
        let mut cab = self.cabinet.lock();
        cab.buses.insert(self.output, Bus { voltage, current });
        // The modules' readings follow at once (whoever reads them: the Rig's module handles,
        // or a Modbus simulator serving the cabinet).
        if let Some(now) = cab.dynamics_at {
            cab.share(now);
        }
    }
}

/// A module of a [`SimCabinet`] behind a Modbus simulator (`hal::sim::modbus`): the register
/// bank of its profile reads the cabinet's module and writes its commands, so the station can
/// drive the simulated cabinet over real Modbus TCP while the physics stays the cabinet's (the
/// buses of the simulated connectors and their trucks).
#[derive(Debug, Clone)]
pub struct CabinetModulePlant {
    cabinet: SimCabinet,
    index: usize,
}

impl SimCabinet {
    /// Module `index` as a Modbus simulator's plant. The cabinet's physics is stepped by the
    /// connectors' buses; the plant only reads and commands it.
    pub fn module_plant(&self, index: usize) -> CabinetModulePlant {
        // Served over Modbus, the module's communication watchdog is the profile's (the
        // simulator calls `comms_lost` when no keep-alive came), not the cabinet's own.
        if let Some(m) = self.lock().modules.get_mut(index) {
            m.params.comms_watchdog = Duration::from_secs(24 * 3600);
        }
        CabinetModulePlant {
            cabinet: self.clone(),
            index,
        }
    }
}

impl crate::sim::modbus::plant::PlantModel for CabinetModulePlant {
    const ROLE: crate::profile::Role = crate::profile::Role::PowerModule;

    fn step(&mut self, _dt: Duration) {}

    fn readings(&self) -> Vec<(crate::profile::Point, crate::profile::Value)> {
        use crate::profile::{Point, Value};
        use crate::sim::modbus::plant::{module_fault, ModuleStatus};
        let cab = self.cabinet.lock();
        let Some(m) = cab.modules.get(self.index) else {
            return Vec::new();
        };
        let now = cab.dynamics_at.unwrap_or(Timestamp::ZERO);
        let available = m
            .derated_w
            .unwrap_or(m.params.max_power_w)
            .min(m.params.max_power_w);
        let status = if m.fault.is_some() {
            ModuleStatus::Fault
        } else if !m.delivering(now) {
            ModuleStatus::Off
        } else if available < m.params.max_power_w {
            ModuleStatus::Derating
        } else {
            ModuleStatus::Running
        };
        let faults = if m.fault.is_some() {
            module_fault::OVER_TEMPERATURE
        } else {
            0
        };
        let n = |v: f32| Value::Number(f64::from(v));
        vec![
            (Point::OutputEnable, Value::Bool(m.cmd.enable)),
            (Point::VoltageSetpoint, n(m.cmd.voltage)),
            (Point::CurrentLimit, n(m.cmd.current_limit)),
            (Point::OutputVoltage, n(m.reading.voltage)),
            (Point::OutputCurrent, n(m.true_current)),
            (
                Point::ModuleTemperature,
                n(m.reading.temperature_c.unwrap_or(35.0)),
            ),
            (Point::ModuleStatus, Value::Number(f64::from(status as u8))),
            (Point::ModuleFaults, Value::Number(f64::from(faults))),
            (Point::AvailablePower, n(available)),
            (Point::InputVoltage, Value::Number(400.0)),
        ]
    }

    fn command(&mut self, point: crate::profile::Point, value: &crate::profile::Value) {
        use crate::profile::{Point, Value};
        let mut cab = self.cabinet.lock();
        let now = cab.dynamics_at.unwrap_or(Timestamp::ZERO);
        let Some(m) = cab.modules.get_mut(self.index) else {
            return;
        };
        if m.silent {
            return;
        }
        let number = match value {
            Value::Number(v) if v.is_finite() => Some(*v as f32),
            Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
            _ => None,
        };
        // Every accepted write counts as the controller talking (the module's watchdog).
        m.commanded_at = now;
        match (point, number) {
            (Point::OutputEnable, Some(v)) => m.cmd.enable = v != 0.0,
            (Point::VoltageSetpoint, Some(v)) => m.cmd.voltage = v,
            (Point::CurrentLimit, Some(v)) => m.cmd.current_limit = v,
            (Point::FaultReset, Some(v)) if v != 0.0 => m.fault = None,
            _ => {}
        }
    }

    fn comms_lost(&mut self) {
        let mut cab = self.cabinet.lock();
        if let Some(m) = cab.modules.get_mut(self.index) {
            m.cmd.enable = false;
        }
    }
}
