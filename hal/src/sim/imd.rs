//! A simulated insulation monitoring device.
//!
//! A real IMD injects a measuring signal between the DC output and protective earth and needs
//! a while (one to several seconds) before its first result is trustworthy; the station's cable
//! check has to wait for that, so the model does too. After it has settled it follows the
//! simulated insulation resistance continuously, so a fault injected during charging is seen
//! at once. The cable voltage it reports is set by the connector simulation on every step.

use std::time::Duration;

use charger_protocol::Timestamp;

use crate::imd::{ImdReading, InsulationMonitor};

/// Behaviour of the simulated IMD.
#[derive(Debug, Clone, PartialEq)]
pub struct SimImdParams {
    /// Time from the start of a measurement to its first result. Default 1.5 s.
    pub settle_time: Duration,
    /// Insulation resistance of a healthy output, in ohms. Default 10 MΩ.
    pub healthy_insulation_ohms: f32,
}

impl Default for SimImdParams {
    fn default() -> Self {
        SimImdParams {
            settle_time: Duration::from_millis(1500),
            healthy_insulation_ohms: 10.0e6,
        }
    }
}

/// A simulated IMD; advance it with [`step`](Self::step).
#[derive(Debug, Clone)]
pub struct SimInsulationMonitor {
    params: SimImdParams,
    /// The insulation resistance the plant really has, in ohms.
    insulation_ohms: f32,
    /// When the running measurement started, if one runs.
    measuring_since: Option<Timestamp>,
    settled: bool,
    cable_voltage: f32,
    device_fault: bool,
    now: Timestamp,
    /// While the device does not answer: the last reading it gave, repeated with its old
    /// time (what a cached device reading does), so the station sees it go stale.
    silent: Option<ImdReading>,
}

impl SimInsulationMonitor {
    pub fn new(params: SimImdParams) -> SimInsulationMonitor {
        let insulation_ohms = params.healthy_insulation_ohms;
        SimInsulationMonitor {
            params,
            insulation_ohms,
            measuring_since: None,
            settled: false,
            cable_voltage: 0.0,
            device_fault: false,
            now: Timestamp::ZERO,
            silent: None,
        }
    }

    /// Advance to `now`: a running measurement settles once `settle_time` has passed.
    pub fn step(&mut self, now: Timestamp) {
        self.now = now;
        if let Some(since) = self.measuring_since {
            if now.saturating_since(since) >= self.params.settle_time {
                self.settled = true;
            }
        }
    }

    /// Set the plant's real insulation resistance (fault injection), in ohms.
    pub fn set_insulation(&mut self, ohms: f32) {
        self.insulation_ohms = if ohms.is_finite() { ohms.max(0.0) } else { 0.0 };
    }

    /// Back to the healthy insulation of the parameters.
    pub fn restore_insulation(&mut self) {
        self.insulation_ohms = self.params.healthy_insulation_ohms;
    }

    pub fn insulation(&self) -> f32 {
        self.insulation_ohms
    }

    /// The voltage on the cable side of the output contactors, from the circuit solution.
    pub fn set_cable_voltage(&mut self, volts: f32) {
        self.cable_voltage = if volts.is_finite() { volts } else { 0.0 };
    }

    /// Make the device report (or stop reporting) an internal fault. A faulty IMD gives no
    /// resistance.
    pub fn set_device_fault(&mut self, fault: bool) {
        self.device_fault = fault;
    }

    /// Make the device stop (or start again) answering: its reading freezes, time included.
    pub fn set_silent(&mut self, silent: bool) {
        match (silent, self.silent.is_some()) {
            (true, false) => self.silent = Some(self.live_reading()),
            (false, true) => self.silent = None,
            _ => {}
        }
    }

    fn live_reading(&self) -> ImdReading {
        let measuring = self.measuring_since.is_some();
        let resistance_ohms =
            (measuring && self.settled && !self.device_fault).then_some(self.insulation_ohms);
        ImdReading {
            measuring,
            resistance_ohms,
            cable_voltage: self.cable_voltage,
            device_fault: self.device_fault,
            stale: false,
            at: self.now,
        }
    }
}

impl Default for SimInsulationMonitor {
    fn default() -> Self {
        SimInsulationMonitor::new(SimImdParams::default())
    }
}

impl InsulationMonitor for SimInsulationMonitor {
    /// Starting a measurement that already runs changes nothing; stopping discards the result,
    /// so a later measurement settles again from the start.
    fn set_measuring(&mut self, on: bool, now: Timestamp) {
        match (on, self.measuring_since) {
            (true, None) => {
                self.measuring_since = Some(now);
                self.settled = false;
            }
            (false, Some(_)) => {
                self.measuring_since = None;
                self.settled = false;
            }
            _ => {}
        }
    }

    fn reading(&self) -> ImdReading {
        self.silent.unwrap_or_else(|| self.live_reading())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Timestamp {
        Timestamp::from_millis(v)
    }

    #[test]
    fn measurement_settles_after_the_settle_time() {
        let mut imd = SimInsulationMonitor::default();
        imd.step(ms(1000));
        assert!(!imd.reading().measuring);
        imd.set_measuring(true, ms(1000));
        imd.step(ms(1010));
        let r = imd.reading();
        assert!(r.measuring);
        assert_eq!(r.resistance_ohms, None);
        imd.step(ms(2490));
        assert_eq!(imd.reading().resistance_ohms, None);
        // Asking again while measuring does not restart the clock.
        imd.set_measuring(true, ms(2490));
        imd.step(ms(2500));
        let r = imd.reading();
        assert_eq!(r.resistance_ohms, Some(10.0e6));
        assert_eq!(r.at, ms(2500));
    }

    #[test]
    fn follows_insulation_faults_once_settled_and_resets_when_stopped() {
        let mut imd = SimInsulationMonitor::default();
        imd.set_measuring(true, ms(0));
        imd.step(ms(2000));
        imd.set_insulation(20_000.0);
        imd.step(ms(2010));
        assert_eq!(imd.reading().resistance_ohms, Some(20_000.0));
        imd.set_measuring(false, ms(2020));
        imd.step(ms(2020));
        assert_eq!(imd.reading().resistance_ohms, None);
        assert!(!imd.reading().measuring);
        imd.set_measuring(true, ms(3000));
        imd.step(ms(3100));
        assert_eq!(imd.reading().resistance_ohms, None);
        imd.restore_insulation();
        imd.step(ms(4500));
        assert_eq!(imd.reading().resistance_ohms, Some(10.0e6));
    }

    #[test]
    fn reports_cable_voltage_and_device_faults() {
        let mut imd = SimInsulationMonitor::default();
        imd.set_cable_voltage(612.5);
        imd.set_measuring(true, ms(0));
        imd.step(ms(2000));
        imd.set_device_fault(true);
        let r = imd.reading();
        assert_eq!(r.cable_voltage, 612.5);
        assert!(r.device_fault);
        assert_eq!(r.resistance_ohms, None);
        imd.set_device_fault(false);
        assert_eq!(imd.reading().resistance_ohms, Some(10.0e6));
        imd.set_cable_voltage(f32::NAN);
        assert_eq!(imd.reading().cable_voltage, 0.0);
    }
}
