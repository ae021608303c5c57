//! A simulated DC power supply: a constant-voltage / constant-current source with the slow
//! dynamics of real power modules.
//!
//! What the station must cope with on real hardware, and what this model therefore reproduces:
//!
//! - the supply does not jump to a setpoint: its current limit ramps up slowly and down fast,
//!   and its voltage reference slews;
//! - into a battery it is either current-limited (CC, the usual case while charging, the
//!   voltage then being the battery's OCV + I·R) or voltage-limited (CV, near the end);
//! - it cannot sink current: below the battery's OCV it simply delivers nothing;
//! - switched off with nothing connected, its output capacitance bleeds down over a fraction of
//!   a second rather than vanishing, which is what the station's "voltage below 10 V before
//!   unlocking" checks wait for;
//! - it trips, and its current measurement can lie.
//!
//! The model is advanced by [`SimPowerSupply::step`] with the load the connector simulation
//! solved for; [`PowerSupply::command`] only records the setpoint.

use std::time::Duration;

use charger_protocol::{PowerCommand, Timestamp};

use crate::power::{PowerReading, PowerSupply};

/// What is connected to the supply's output.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Load {
    /// Nothing (contactors open, or the vehicle's open): only the output and cable capacitance.
    Open,
    /// A battery through closed contactors: open-circuit voltage in volts, resistance in ohms.
    Battery { ocv: f32, resistance: f32 },
}

/// Rating and dynamics of the simulated supply.
#[derive(Debug, Clone, PartialEq)]
pub struct SimPsuParams {
    /// Highest output voltage; higher commands are clamped. Default 1000 V.
    pub max_voltage: f32,
    /// Highest output current; higher commands are clamped. Default 500 A.
    pub max_current: f32,
    /// How fast the current limit rises towards the command, in A/s. Default 500 A/s.
    pub current_rise_rate: f32,
    /// How fast the current limit falls towards the command (or to zero when disabled), in
    /// A/s. Default 2000 A/s.
    pub current_fall_rate: f32,
    /// How fast the voltage reference follows the command, in V/s. Default 1000 V/s.
    pub voltage_slew_rate: f32,
    /// Time constant of the output capacitance discharging through the bleeder when the
    /// output is off and nothing is connected. Default 200 ms.
    pub bleed_time_constant: Duration,
}

impl Default for SimPsuParams {
    fn default() -> Self {
        SimPsuParams {
            max_voltage: 1000.0,
            max_current: 500.0,
            current_rise_rate: 500.0,
            current_fall_rate: 2000.0,
            voltage_slew_rate: 1000.0,
            bleed_time_constant: Duration::from_millis(200),
        }
    }
}

/// Smallest battery resistance the solver uses, so that a nonsensical zero does not divide.
const MIN_LOAD_RESISTANCE: f32 = 1e-3;

/// A simulated power supply. See the module documentation for the physics.
#[derive(Debug, Clone)]
pub struct SimPowerSupply {
    params: SimPsuParams,
    /// The latest command, clamped to the rating.
    command: PowerCommand,
    fault: Option<String>,
    /// Whether the output stage ran during the last step (to soft-start on a new enable).
    was_running: bool,
    /// Current limit in effect, slewing towards the commanded one.
    current_limit: f32,
    /// Voltage reference in effect, slewing towards the commanded one.
    voltage_reference: f32,
    output_voltage: f32,
    output_current: f32,
    /// Added to the measured current: a lying sensor.
    current_offset: f32,
    last_step: Option<Timestamp>,
    at: Timestamp,
}

impl SimPowerSupply {
    pub fn new(params: SimPsuParams) -> SimPowerSupply {
        SimPowerSupply {
            params,
            command: PowerCommand::OFF,
            fault: None,
            was_running: false,
            current_limit: 0.0,
            voltage_reference: 0.0,
            output_voltage: 0.0,
            output_current: 0.0,
            current_offset: 0.0,
            last_step: None,
            at: Timestamp::ZERO,
        }
    }

    pub fn params(&self) -> &SimPsuParams {
        &self.params
    }

    /// Advance the supply to `now` with `load` on its output.
    pub fn step(&mut self, now: Timestamp, load: Load) {
        let dt = self
            .last_step
            .map_or(Duration::ZERO, |last| now.saturating_since(last))
            .as_secs_f32();
        self.last_step = Some(now);
        self.at = now;

        let running = self.is_running();
        if running && !self.was_running {
            // Soft start from whatever is on the output now, as real modules do.
            self.voltage_reference = self.output_voltage;
        }
        self.was_running = running;

        let current_target = if running { self.command.current } else { 0.0 };
        self.current_limit = slew(
            self.current_limit,
            current_target,
            self.params.current_rise_rate * dt,
            self.params.current_fall_rate * dt,
        );
        if running {
            let step = self.params.voltage_slew_rate * dt;
            self.voltage_reference = slew(self.voltage_reference, self.command.voltage, step, step);
        }

        match load {
            Load::Battery { ocv, resistance } => {
                let ocv = if ocv.is_finite() { ocv.max(0.0) } else { 0.0 };
                let r = if resistance.is_finite() {
                    resistance.max(MIN_LOAD_RESISTANCE)
                } else {
                    MIN_LOAD_RESISTANCE
                };
                // Constant voltage unless that needs more than the current limit (then constant
                // current); never negative, since the supply cannot sink.
                let current = ((self.voltage_reference - ocv) / r).clamp(0.0, self.current_limit);
                self.output_current = current;
                self.output_voltage = ocv + current * r;
            }
            Load::Open => {
                self.output_current = 0.0;
                if running {
                    // Charging the cable capacitance takes microcoulombs: the output follows the
                    // reference whatever the current limit.
                    self.output_voltage = self.voltage_reference;
                } else {
                    self.output_voltage *= bleed_factor(dt, self.params.bleed_time_constant);
                }
            }
        }
    }

    /// Trip the supply: the output stops at once and stays off until [`clear_fault`](Self::clear_fault).
    pub fn trip(&mut self, reason: impl Into<String>) {
        self.fault = Some(reason.into());
        self.current_limit = 0.0;
        self.output_current = 0.0;
        self.was_running = false;
    }

    /// Reset a trip. If the command still says enabled, the output restarts (soft start) on the
    /// next step.
    pub fn clear_fault(&mut self) {
        self.fault = None;
    }

    /// Make the current measurement read `amps` more than what flows (0 for an honest sensor).
    pub fn set_current_measurement_offset(&mut self, amps: f32) {
        self.current_offset = if amps.is_finite() { amps } else { 0.0 };
    }

    /// The current that really flows, in amperes (what the battery receives).
    pub fn true_current(&self) -> f32 {
        self.output_current
    }

    /// The voltage really on the output, in volts.
    pub fn output_voltage(&self) -> f32 {
        self.output_voltage
    }

    /// The current limit in effect after slewing, in amperes.
    pub fn current_limit(&self) -> f32 {
        self.current_limit
    }

    /// The latest command, after clamping to the rating.
    pub fn last_command(&self) -> PowerCommand {
        self.command
    }

    pub fn fault(&self) -> Option<&str> {
        self.fault.as_deref()
    }

    fn is_running(&self) -> bool {
        self.command.enabled && self.fault.is_none()
    }
}

impl Default for SimPowerSupply {
    fn default() -> Self {
        SimPowerSupply::new(SimPsuParams::default())
    }
}

impl PowerSupply for SimPowerSupply {
    /// Record the setpoint, clamped to the rating (a non-finite value counts as zero). It takes
    /// effect through the supply's dynamics on the following steps.
    fn command(&mut self, cmd: PowerCommand, _now: Timestamp) {
        self.command = PowerCommand {
            enabled: cmd.enabled,
            voltage: clamp_setpoint(cmd.voltage, self.params.max_voltage),
            current: clamp_setpoint(cmd.current, self.params.max_current),
        };
    }

    fn reading(&self) -> PowerReading {
        PowerReading {
            voltage: self.output_voltage,
            current: self.output_current + self.current_offset,
            enabled: self.is_running(),
            fault: self.fault.clone(),
            at: self.at,
        }
    }
}

fn clamp_setpoint(value: f32, max: f32) -> f32 {
    if value.is_finite() {
        value.clamp(0.0, max.max(0.0))
    } else {
        0.0
    }
}

/// Move `value` towards `target` by at most `up` (rising) or `down` (falling).
fn slew(value: f32, target: f32, up: f32, down: f32) -> f32 {
    if target > value {
        (value + up.max(0.0)).min(target)
    } else {
        (value - down.max(0.0)).max(target)
    }
}

/// exp(−dt/τ); an instant discharge for a zero τ.
fn bleed_factor(dt: f32, tau: Duration) -> f32 {
    let tau = tau.as_secs_f32();
    if tau > 0.0 {
        (-dt / tau).exp()
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEP_MS: u64 = 10;

    /// Run the supply from `from` for `ms` milliseconds with a fixed load; returns the end time.
    fn run(psu: &mut SimPowerSupply, from: Timestamp, ms: u64, load: Load) -> Timestamp {
        let mut t = from;
        for _ in 0..ms / STEP_MS {
            t += Duration::from_millis(STEP_MS);
            psu.step(t, load);
        }
        t
    }

    fn on(voltage: f32, current: f32) -> PowerCommand {
        PowerCommand::on(voltage, current)
    }

    #[test]
    fn voltage_slews_into_an_open_output() {
        let mut psu = SimPowerSupply::default();
        psu.step(Timestamp::ZERO, Load::Open);
        psu.command(on(600.0, 2.0), Timestamp::ZERO);
        let t = run(&mut psu, Timestamp::ZERO, 300, Load::Open);
        let v = psu.reading().voltage;
        assert!((v - 300.0).abs() < 1.0, "{v}");
        assert_eq!(psu.reading().current, 0.0);
        run(&mut psu, t, 400, Load::Open);
        assert_eq!(psu.reading().voltage, 600.0);
        assert!(psu.reading().enabled);
    }

    #[test]
    fn current_ramps_up_slowly_and_down_fast_into_a_battery() {
        let battery = Load::Battery {
            ocv: 600.0,
            resistance: 0.06,
        };
        let mut psu = SimPowerSupply::default();
        psu.step(Timestamp::ZERO, battery);
        psu.command(on(740.0, 250.0), Timestamp::ZERO);
        // Voltage reference must first climb from the battery's voltage; then CC at the limit.
        let t = run(&mut psu, Timestamp::ZERO, 200, battery);
        let i = psu.reading().current;
        assert!((i - 100.0).abs() < 1.0, "after 200 ms at 500 A/s: {i}");
        let t = run(&mut psu, t, 400, battery);
        let r = psu.reading();
        assert!((r.current - 250.0).abs() < 0.01, "{}", r.current);
        assert!(
            (r.voltage - (600.0 + 250.0 * 0.06)).abs() < 0.01,
            "{}",
            r.voltage
        );
        // Down: 2000 A/s.
        psu.command(on(740.0, 50.0), t);
        let t = run(&mut psu, t, 50, battery);
        assert!((psu.reading().current - 150.0).abs() < 1.0);
        run(&mut psu, t, 100, battery);
        assert!((psu.reading().current - 50.0).abs() < 0.01);
    }

    #[test]
    fn constant_voltage_when_the_battery_nears_the_setpoint() {
        let mut psu = SimPowerSupply::default();
        let load = Load::Battery {
            ocv: 700.0,
            resistance: 0.05,
        };
        psu.step(Timestamp::ZERO, load);
        psu.command(on(705.0, 250.0), Timestamp::ZERO);
        run(&mut psu, Timestamp::ZERO, 2000, load);
        let r = psu.reading();
        // (705 − 700) / 0.05 = 100 A, below the 250 A limit: CV.
        assert!((r.current - 100.0).abs() < 0.01, "{}", r.current);
        assert!((r.voltage - 705.0).abs() < 0.01);
        // Setpoint below the battery: nothing flows, the battery holds the voltage.
        let later = Timestamp::from_secs(10);
        psu.command(on(600.0, 250.0), later);
        run(&mut psu, later, 1000, load);
        assert_eq!(psu.reading().current, 0.0);
        assert_eq!(psu.reading().voltage, 700.0);
    }

    #[test]
    fn disabling_ramps_current_down_fast_then_output_bleeds() {
        let load = Load::Battery {
            ocv: 600.0,
            resistance: 0.06,
        };
        let mut psu = SimPowerSupply::default();
        psu.step(Timestamp::ZERO, load);
        psu.command(on(740.0, 200.0), Timestamp::ZERO);
        let t = run(&mut psu, Timestamp::ZERO, 1000, load);
        assert!((psu.true_current() - 200.0).abs() < 0.01);
        psu.command(PowerCommand::OFF, t);
        let t = run(&mut psu, t, 50, load);
        assert!((psu.true_current() - 100.0).abs() < 1.0);
        assert!(!psu.reading().enabled);
        let t = run(&mut psu, t, 50, load);
        assert_eq!(psu.true_current(), 0.0);
        assert_eq!(psu.output_voltage(), 600.0);
        // Contactors open: the output capacitance bleeds with τ = 200 ms.
        let t = run(&mut psu, t, 200, Load::Open);
        let v = psu.output_voltage();
        assert!((v - 600.0 * (-1.0f32).exp()).abs() < 1.0, "{v}");
        run(&mut psu, t, 1000, Load::Open);
        assert!(psu.output_voltage() < 2.0);
    }

    #[test]
    fn commands_are_clamped_to_the_rating() {
        let mut psu = SimPowerSupply::default();
        psu.command(on(5000.0, 9999.0), Timestamp::ZERO);
        assert_eq!(psu.last_command().voltage, 1000.0);
        assert_eq!(psu.last_command().current, 500.0);
        psu.command(on(f32::NAN, -3.0), Timestamp::ZERO);
        assert_eq!(psu.last_command().voltage, 0.0);
        assert_eq!(psu.last_command().current, 0.0);
    }

    #[test]
    fn a_trip_stops_the_output_until_cleared() {
        let load = Load::Battery {
            ocv: 600.0,
            resistance: 0.06,
        };
        let mut psu = SimPowerSupply::default();
        psu.step(Timestamp::ZERO, load);
        psu.command(on(740.0, 200.0), Timestamp::ZERO);
        let t = run(&mut psu, Timestamp::ZERO, 1000, load);
        psu.trip("DC link over-voltage");
        let t = run(&mut psu, t, 10, load);
        let r = psu.reading();
        assert_eq!(r.current, 0.0);
        assert!(!r.enabled);
        assert_eq!(r.fault.as_deref(), Some("DC link over-voltage"));
        let t = run(&mut psu, t, 1000, load);
        assert_eq!(psu.true_current(), 0.0);
        psu.clear_fault();
        run(&mut psu, t, 1000, load);
        assert!(psu.reading().fault.is_none());
        assert!(psu.true_current() > 100.0);
    }

    #[test]
    fn the_current_measurement_can_lie() {
        let mut psu = SimPowerSupply::default();
        psu.set_current_measurement_offset(80.0);
        psu.step(Timestamp::from_millis(5), Load::Open);
        let r = psu.reading();
        assert_eq!(r.current, 80.0);
        assert_eq!(psu.true_current(), 0.0);
        assert_eq!(r.at, Timestamp::from_millis(5));
    }

    #[test]
    fn re_enabling_soft_starts_from_the_present_voltage() {
        let mut psu = SimPowerSupply::default();
        psu.step(Timestamp::ZERO, Load::Open);
        psu.command(on(500.0, 10.0), Timestamp::ZERO);
        let t = run(&mut psu, Timestamp::ZERO, 1000, Load::Open);
        psu.command(PowerCommand::OFF, t);
        let t = run(&mut psu, t, 200, Load::Open);
        let before = psu.output_voltage();
        psu.command(on(500.0, 10.0), t);
        run(&mut psu, t, 10, Load::Open);
        let after = psu.output_voltage();
        assert!(
            after > before && after - before <= 10.0 + 1e-3,
            "{before} → {after}"
        );
    }
}
