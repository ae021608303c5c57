//! A simulated DC energy meter on a connector's output: it measures the cable voltage and the
//! current into the battery, integrates them into its own energy register (which may wrap),
//! and answers with a serial number, like a real meter behind its Modbus backend.
//!
//! Faults a test or `chargerctl sim fault` injects:
//! * **silent** ([`SimFault::MeterSilent`](crate::SimFault::MeterSilent)): the meter stops
//!   answering; the backend marks its last reading `stale`. The register keeps counting inside
//!   the meter (it is cumulative), so the first answer after the silence carries what it
//!   counted meanwhile;
//! * **frozen** ([`SimFault::MeterFrozen`](crate::SimFault::MeterFrozen)): the meter answers
//!   but its values and its update time stop moving (a snapshot counter that stopped): the
//!   station finds it by the reading's age;
//! * **replaced** ([`SimFault::MeterReplaced`](crate::SimFault::MeterReplaced)): another meter
//!   is fitted: a new serial number and a register that restarts from the new meter's value;
//! * **jump** ([`SimFault::MeterJump`](crate::SimFault::MeterJump)): one garbage reading, far
//!   above the register, as a bad frame or a wrong scale would give.

use std::time::Duration;

use charger_protocol::Timestamp;

use crate::module::{DcMeter, MeterReading};

/// A simulated meter's make-up.
#[derive(Debug, Clone, PartialEq)]
pub struct SimMeterParams {
    /// Serial number of the first meter.
    pub serial: String,
    /// Its register at start, in Wh.
    pub start_wh: f64,
    /// The register's modulus in Wh (e.g. 2³² for a u32 Wh register); `None` never wraps.
    pub wrap_wh: Option<f64>,
    /// Register of a meter fitted by [`SimDcMeter::replace`], in Wh.
    pub replacement_start_wh: f64,
    /// How far above the register a [`SimDcMeter::jump`] reads, in Wh.
    pub jump_wh: f64,
}

impl Default for SimMeterParams {
    /// A meter with a u32 Wh register, already 12 345 kWh into its life.
    fn default() -> Self {
        SimMeterParams {
            serial: "SIM-M-0001".into(),
            start_wh: 12_345_000.0,
            wrap_wh: Some(4_294_967_296.0),
            replacement_start_wh: 0.0,
            jump_wh: 1_000_000.0,
        }
    }
}

/// The simulated meter. See the module documentation.
#[derive(Debug, Clone)]
pub struct SimDcMeter {
    params: SimMeterParams,
    register_wh: f64,
    serial: String,
    replacements: u32,
    silent: bool,
    frozen: bool,
    /// The next reading is garbage this far above the register.
    jump_pending: bool,
    reading: MeterReading,
    last_step: Option<Timestamp>,
}

impl SimDcMeter {
    pub fn new(params: SimMeterParams) -> Self {
        let register_wh = wrap(params.start_wh, params.wrap_wh);
        SimDcMeter {
            serial: params.serial.clone(),
            register_wh,
            params,
            replacements: 0,
            silent: false,
            frozen: false,
            jump_pending: false,
            reading: MeterReading::default(),
            last_step: None,
        }
    }

    /// The meter's true register, whatever it answers, in Wh.
    pub fn register_wh(&self) -> f64 {
        self.register_wh
    }

    pub fn serial(&self) -> &str {
        &self.serial
    }

    /// Measure `voltage` × `current` since the last step and update what the meter answers.
    pub fn measure(&mut self, voltage: f32, current: f32, now: Timestamp) {
        let dt = self
            .last_step
            .map_or(Duration::ZERO, |t| now.saturating_since(t));
        self.last_step = Some(now);
        // A meter counts what flows forward; a negative current is not charging energy.
        let power_w = f64::from(voltage.max(0.0)) * f64::from(current.max(0.0));
        self.register_wh = wrap(
            self.register_wh + power_w * dt.as_secs_f64() / 3600.0,
            self.params.wrap_wh,
        );
        if self.silent {
            // The backend keeps the last reading and says it is old.
            self.reading.stale = true;
            return;
        }
        if self.frozen {
            // It answers, so the backend does not call it stale; only the age tells.
            self.reading.stale = false;
            return;
        }
        let energy_wh = if std::mem::take(&mut self.jump_pending) {
            wrap(self.register_wh + self.params.jump_wh, self.params.wrap_wh)
        } else {
            // A register counts whole units: a Wh register reads the integer part.
            self.register_wh.floor()
        };
        self.reading = MeterReading {
            energy_wh: Some(energy_wh),
            voltage: Some(voltage),
            current: Some(current),
            power_w: Some(power_w as f32),
            serial: Some(self.serial.clone()),
            stale: false,
            at: now,
        };
    }

    pub fn set_silent(&mut self, silent: bool) {
        self.silent = silent;
    }

    pub fn set_frozen(&mut self, frozen: bool) {
        self.frozen = frozen;
    }

    /// Fit another meter: a new serial and a register starting from its own value.
    pub fn replace(&mut self) {
        self.replacements = self.replacements.saturating_add(1);
        self.serial = format!("{}-R{}", self.params.serial, self.replacements);
        self.register_wh = wrap(self.params.replacement_start_wh, self.params.wrap_wh);
    }

    /// The next reading is garbage.
    pub fn jump(&mut self) {
        self.jump_pending = true;
    }

    /// Silent and frozen end; a replacement stays fitted.
    pub fn clear_faults(&mut self) {
        self.silent = false;
        self.frozen = false;
        self.jump_pending = false;
    }
}

impl DcMeter for SimDcMeter {
    fn reading(&self) -> MeterReading {
        self.reading.clone()
    }
}

fn wrap(wh: f64, modulus: Option<f64>) -> f64 {
    match modulus {
        Some(m) if m > 0.0 => wh.rem_euclid(m),
        _ => wh,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(m: &mut SimDcMeter, from: Timestamp, secs: u64, v: f32, a: f32) -> Timestamp {
        let mut t = from;
        for _ in 0..secs * 10 {
            t += Duration::from_millis(100);
            m.measure(v, a, t);
        }
        t
    }

    #[test]
    fn integrates_power_and_wraps_its_register() {
        let mut m = SimDcMeter::new(SimMeterParams {
            start_wh: 4_294_967_296.0 - 100.0,
            ..SimMeterParams::default()
        });
        let t = run(&mut m, Timestamp::ZERO, 0, 0.0, 0.0);
        m.measure(0.0, 0.0, t);
        // 600 V × 200 A for 6 s = 200 Wh: past the top of a u32.
        let t = run(&mut m, t, 6, 600.0, 200.0);
        assert!((m.register_wh() - 100.0).abs() < 0.5, "{}", m.register_wh());
        let r = m.reading();
        assert_eq!(r.energy_wh, Some(m.register_wh().floor()));
        assert_eq!(r.serial.as_deref(), Some("SIM-M-0001"));
        assert_eq!((r.at, r.stale), (t, false));
    }

    #[test]
    fn silent_frozen_replaced_and_jump() {
        let mut m = SimDcMeter::new(SimMeterParams::default());
        let t = run(&mut m, Timestamp::ZERO, 1, 600.0, 100.0);
        let before = m.reading();
        m.set_silent(true);
        let t2 = run(&mut m, t, 10, 600.0, 100.0);
        let r = m.reading();
        assert!(r.stale);
        assert_eq!((r.energy_wh, r.at), (before.energy_wh, before.at));
        m.set_silent(false);
        m.set_frozen(true);
        let t3 = run(&mut m, t2, 1, 600.0, 100.0);
        assert_eq!(m.reading().at, before.at, "frozen: no update");
        assert!(!m.reading().stale);
        m.clear_faults();
        m.measure(600.0, 100.0, t3);
        // It counted all along: 600 V × 100 A for 11 s is 183.3 Wh (whole Wh read).
        let counted = m.reading().energy_wh.unwrap() - before.energy_wh.unwrap();
        assert!((counted - 183.3).abs() <= 1.0, "{counted}");
        m.jump();
        m.measure(600.0, 100.0, t3);
        assert!(m.reading().energy_wh.unwrap() > m.register_wh() + 999_000.0);
        m.measure(600.0, 100.0, t3);
        assert_eq!(m.reading().energy_wh, Some(m.register_wh().floor()));
        m.replace();
        m.measure(600.0, 100.0, t3);
        assert_eq!(m.reading().serial.as_deref(), Some("SIM-M-0001-R1"));
        assert_eq!(m.reading().energy_wh, Some(0.0));
    }
}
