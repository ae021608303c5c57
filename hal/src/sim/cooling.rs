//! The in-process simulated cooling unit of a liquid-cooled connector: the connector's
//! [`ThermalPlant`] seen through the [`SensorChain`], behind the same
//! [`CoolingUnit`] trait the Modbus backend implements.
//!
//! A [`SimulatedConnector`](crate::sim::connector::SimulatedConnector) owns one and drives
//! its plant with the output's actual current on every step; the station commands its pump
//! and fan and reads the measured (lagged, noisy, quantised, polled) temperatures: never the
//! true ones, which only tests and the benchmark look at ([`SimCoolingUnit::plant`]).
//!
//! Faults ([`SimFault`](crate::SimFault)): `pin-sensor-open` (the DC+ pin's Pt1000 reads its
//! open-circuit sentinel), `pump-degraded` (the pump delivers a fraction of its flow),
//! `coolant-inlet-step` (the coolant's inlet steps up by some kelvin); and the ambient
//! temperature ([`SimCommand::Ambient`](crate::SimCommand::Ambient)).

use std::time::Duration;

use charger_protocol::Timestamp;

use crate::module::{CoolingCommand, CoolingReading, CoolingUnit};
use crate::sim::thermal::{
    Disturbance, Measured, MeasuredTemperatures, SensorChain, SensorChainParams, SensorFault,
    SensorId, ThermalPlant, ThermalPlantParams,
};

/// Alarm name for a running loop with (almost) no flow, as the shipped profile names it.
pub const LOW_FLOW_ALARM: &str = "low_flow";

/// A simulated cooling unit's make-up.
#[derive(Debug, Clone, PartialEq)]
pub struct SimCoolingParams {
    pub plant: ThermalPlantParams,
    pub sensors: SensorChainParams,
    /// Fraction of its flow the pump delivers under `pump-degraded`. Default 0.5.
    pub degraded_flow_factor: f64,
    /// The coolant inlet step of `coolant-inlet-step`, K. Default +10.
    pub inlet_step_k: f64,
    /// Reservoir level reported, 0–1. Default 0.95.
    pub level: f64,
}

impl Default for SimCoolingParams {
    fn default() -> Self {
        SimCoolingParams {
            plant: ThermalPlantParams::default(),
            sensors: SensorChainParams::default(),
            degraded_flow_factor: 0.5,
            inlet_step_k: 10.0,
            level: 0.95,
        }
    }
}

/// The in-process cooling unit. See the module documentation.
#[derive(Debug, Clone)]
pub struct SimCoolingUnit {
    params: SimCoolingParams,
    plant: ThermalPlant,
    sensors: SensorChain,
    command: CoolingCommand,
    /// When the held sample was taken (a poll).
    sampled_at: Timestamp,
    last_step: Option<Timestamp>,
}

impl SimCoolingUnit {
    pub fn new(params: SimCoolingParams) -> Self {
        SimCoolingUnit {
            plant: ThermalPlant::new(params.plant.clone()),
            sensors: SensorChain::new(params.sensors.clone()),
            params,
            command: CoolingCommand::default(),
            sampled_at: Timestamp::ZERO,
            last_step: None,
        }
    }

    /// Advance the plant and the sensors to `now`, the connector carrying `current_a`
    /// (amperes) since the last step.
    pub fn advance(&mut self, now: Timestamp, current_a: f64) {
        let dt = self
            .last_step
            .map_or(Duration::ZERO, |last| now.saturating_since(last));
        self.last_step = Some(now);
        self.advance_by(dt, now, current_a);
    }

    /// Advance by `dt`, ending at `now` (the scenario runner's fixed steps).
    pub fn advance_by(&mut self, dt: Duration, now: Timestamp, current_a: f64) {
        self.plant.set_current(current_a);
        self.plant.step(dt);
        if self.sensors.step(dt, &self.plant.temperatures()) {
            self.sampled_at = now;
        }
    }

    /// The true plant (tests, the benchmark's optimum): a controller must not look here.
    pub fn plant(&self) -> &ThermalPlant {
        &self.plant
    }

    pub fn plant_mut(&mut self) -> &mut ThermalPlant {
        &mut self.plant
    }

    pub fn sensors_mut(&mut self) -> &mut SensorChain {
        &mut self.sensors
    }

    /// The last command, as the unit applies it.
    pub fn last_command(&self) -> CoolingCommand {
        self.command
    }

    /// The DC+ pin's sensor fails open (`true`) or is repaired.
    pub fn set_pin_sensor_open(&mut self, open: bool) {
        self.sensors
            .set_fault(SensorId::PinDcPlus, open.then_some(SensorFault::Open));
    }

    /// The pump delivers only its degraded share of the flow (`true`), or all of it.
    pub fn set_pump_degraded(&mut self, degraded: bool) {
        let flow_factor = if degraded {
            self.params.degraded_flow_factor
        } else {
            1.0
        };
        self.plant
            .disturb(Disturbance::PumpDegraded { flow_factor });
    }

    /// The coolant inlet steps up by the configured step.
    pub fn step_coolant_inlet(&mut self) {
        self.plant.disturb(Disturbance::CoolantInletStep {
            kelvin: self.params.inlet_step_k,
        });
    }

    /// The ambient temperature, °C (clamped to −30–60).
    pub fn set_ambient(&mut self, celsius: f64) {
        self.plant.disturb(Disturbance::Ambient { celsius });
    }

    /// Repair every sensor and undo the pump and coolant faults (the ambient stays).
    pub fn clear_faults(&mut self) {
        self.sensors.clear_faults();
        self.plant.clear_disturbances();
    }
}

/// A reading as the cooling unit's converter and flow meter report it: sentinels become
/// `None`, exactly as the Modbus backend maps its profile's sentinels.
pub fn reading_of(
    measured: Option<&MeasuredTemperatures>,
    plant: &ThermalPlant,
    level: f64,
    at: Timestamp,
) -> CoolingReading {
    let temp = |id: SensorId| -> Option<f32> {
        measured
            .map(|m| m.get(id))
            .and_then(Measured::value)
            .map(|v| v as f32)
    };
    let flow = plant.flow_l_min();
    let (run, ..) = plant.cooling();
    let nominal = plant.params().nominal_flow_l_min;
    let mut alarms = Vec::new();
    if run && flow < 0.1 * nominal {
        alarms.push(LOW_FLOW_ALARM.to_string());
    }
    CoolingReading {
        pin_dc_plus_c: temp(SensorId::PinDcPlus),
        pin_dc_minus_c: temp(SensorId::PinDcMinus),
        coolant_inlet_c: temp(SensorId::CoolantInlet),
        coolant_outlet_c: temp(SensorId::CoolantOutlet),
        flow_l_min: Some(flow as f32),
        // 1.5 bar static plus the pump's head (as the Modbus cooling simulator reports).
        pressure_bar: Some((1.5 + 0.02 * flow) as f32),
        level: Some(level as f32),
        alarms,
        electrical_power_w: Some(plant.cooling_unit_power_w() as f32),
        stale: false,
        at,
    }
}

impl CoolingUnit for SimCoolingUnit {
    fn command(&mut self, cmd: CoolingCommand, _now: Timestamp) {
        let ratio = |v: f32| {
            if v.is_finite() {
                f64::from(v).clamp(0.0, 1.0)
            } else {
                0.0
            }
        };
        self.command = cmd;
        self.plant
            .set_cooling(cmd.run, ratio(cmd.pump), ratio(cmd.fan));
    }

    fn reading(&self) -> CoolingReading {
        reading_of(
            self.sensors.measured().as_ref(),
            &self.plant,
            self.params.level,
            self.sampled_at,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(ms: u64) -> Duration {
        Duration::from_millis(ms)
    }

    fn run(u: &mut SimCoolingUnit, from: Timestamp, secs: u64, current: f64) -> Timestamp {
        let mut t = from;
        for _ in 0..secs * 10 {
            t += ms(100);
            u.advance(t, current);
        }
        t
    }

    #[test]
    fn the_pins_heat_with_current_and_the_station_sees_them_late_and_polled() {
        let mut u = SimCoolingUnit::new(SimCoolingParams::default());
        let t = Timestamp::ZERO;
        u.advance(t, 0.0);
        let r = u.reading();
        assert!(
            r.pin_dc_plus_c.is_some_and(|v| (v - 25.0).abs() < 0.3),
            "{r:?}"
        );
        u.command(
            CoolingCommand {
                run: true,
                pump: 1.0,
                fan: 1.0,
            },
            t,
        );
        let t = run(&mut u, t, 600, 450.0);
        let truth = u.plant().temperatures();
        assert!(truth.pin_dc_plus > 60.0, "{truth:?}");
        let r = u.reading();
        let seen = f64::from(r.pin_dc_plus_c.unwrap());
        // Close to the truth, not the truth itself (lag, noise, 0.1 K steps).
        assert!((seen - truth.pin_dc_plus).abs() < 1.0, "{seen} {truth:?}");
        assert_ne!(seen, truth.pin_dc_plus);
        assert_eq!(r.flow_l_min, Some(30.0));
        assert!(r.alarms.is_empty() && !r.stale);
        assert!(
            r.at <= t && t.saturating_since(r.at) <= ms(100),
            "{:?} {t:?}",
            r.at
        );
        // Between polls the reading holds.
        let held = u.reading();
        u.advance(t + ms(10), 450.0);
        assert_eq!(u.reading(), held);
    }

    #[test]
    fn faults_reach_the_reading_and_the_plant_and_clear() {
        let mut u = SimCoolingUnit::new(SimCoolingParams::default());
        let mut t = Timestamp::ZERO;
        u.command(
            CoolingCommand {
                run: true,
                pump: 1.0,
                fan: 1.0,
            },
            t,
        );
        t = run(&mut u, t, 60, 300.0);
        u.set_pin_sensor_open(true);
        u.set_pump_degraded(true);
        let coolant = u.plant().temperatures().coolant;
        u.step_coolant_inlet();
        assert!((u.plant().temperatures().coolant - coolant - 10.0).abs() < 1e-6);
        t = run(&mut u, t, 1, 300.0);
        let r = u.reading();
        assert_eq!(r.pin_dc_plus_c, None, "open sensor: sentinel, no value");
        assert!(r.pin_dc_minus_c.is_some());
        assert_eq!(r.flow_l_min, Some(15.0));
        u.set_ambient(45.0);
        assert_eq!(u.plant().ambient_c(), 45.0);
        // The pump stopped while the loop runs: low-flow alarm.
        u.command(
            CoolingCommand {
                run: true,
                pump: 0.0,
                fan: 1.0,
            },
            t,
        );
        assert_eq!(u.reading().alarms, vec![LOW_FLOW_ALARM.to_string()]);
        u.clear_faults();
        u.command(
            CoolingCommand {
                run: true,
                pump: 1.0,
                fan: f32::NAN,
            },
            t,
        );
        run(&mut u, t, 1, 300.0);
        let r = u.reading();
        assert!(r.pin_dc_plus_c.is_some() && r.alarms.is_empty());
        assert_eq!(r.flow_l_min, Some(30.0));
        assert_eq!(u.plant().cooling(), (true, 1.0, 0.0), "NaN fan: stopped");
    }
}
