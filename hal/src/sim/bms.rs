//! The simulated truck's battery management system: how much current it asks for.
//!
//! A real BMS requests its full current while the cells are far from full, tapers the request
//! as the cells approach their upper voltage, and asks for nothing once the driver's target is
//! reached. The taper is what makes the station's power allocation interesting (a tapering truck
//! frees modules for the one next to it), so it is modelled, if simply.

use crate::connector::TruckSpec;
use crate::sim::battery::Battery;

/// SOC at which the request starts to taper, in percent.
pub const TAPER_START_SOC: f32 = 75.0;
/// Fraction of the maximum current still requested at 100 % SOC.
pub const TAPER_END_FRACTION: f32 = 0.15;
/// Headroom the BMS keeps below the pack's maximum voltage, as a fraction of it: the request
/// is reduced so that the terminal voltage under current stays below `max × (1 − margin)`.
pub const VOLTAGE_MARGIN: f32 = 0.01;

/// The BMS of one simulated truck.
#[derive(Debug, Clone, PartialEq)]
pub struct Bms {
    max_current: f32,
    target_soc_percent: f32,
    charge_voltage_limit: f32,
}

impl Bms {
    /// The BMS for the truck a [`TruckSpec`] describes. Out-of-range values are brought into
    /// range (current ≥ 0, target within 0..=100) so the requests are always sane.
    pub fn new(spec: &TruckSpec) -> Bms {
        let max_current = if spec.max_current.is_finite() {
            spec.max_current.max(0.0)
        } else {
            0.0
        };
        let target_soc_percent = if spec.target_soc_percent.is_finite() {
            spec.target_soc_percent.clamp(0.0, 100.0)
        } else {
            100.0
        };
        let max_voltage = if spec.max_voltage.is_finite() {
            spec.max_voltage.max(0.0)
        } else {
            0.0
        };
        Bms {
            max_current,
            target_soc_percent,
            charge_voltage_limit: max_voltage * (1.0 - VOLTAGE_MARGIN),
        }
    }

    /// Highest current the BMS ever requests, in amperes.
    pub fn max_current(&self) -> f32 {
        self.max_current
    }

    /// SOC at which charging ends, in percent.
    pub fn target_soc_percent(&self) -> f32 {
        self.target_soc_percent
    }

    /// Highest terminal voltage the BMS allows under charge, in volts; what a truck would
    /// announce as its target voltage.
    pub fn charge_voltage_limit(&self) -> f32 {
        self.charge_voltage_limit
    }

    /// The target state of charge has been reached: the truck ends the charge.
    pub fn target_reached(&self, battery: &Battery) -> bool {
        battery.soc_percent() >= self.target_soc_percent
    }

    /// The current the BMS requests now, in amperes: the taper curve, limited so that the
    /// terminal voltage stays below the charge voltage limit, and zero once the target is
    /// reached.
    pub fn desired_current(&self, battery: &Battery) -> f32 {
        if self.target_reached(battery) {
            return 0.0;
        }
        let soc = battery.soc_percent();
        let taper = if soc <= TAPER_START_SOC {
            1.0
        } else {
            let progress = (soc - TAPER_START_SOC) / (100.0 - TAPER_START_SOC);
            1.0 - (1.0 - TAPER_END_FRACTION) * progress.clamp(0.0, 1.0)
        };
        let by_taper = self.max_current * taper;
        let r = battery.internal_resistance();
        let by_voltage = if r > 0.0 {
            (self.charge_voltage_limit - battery.open_circuit_voltage()) / r
        } else {
            f32::INFINITY
        };
        by_taper.min(by_voltage).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(soc: f32) -> (Bms, Battery) {
        let spec = TruckSpec {
            soc_percent: soc,
            target_soc_percent: 100.0,
            ..TruckSpec::default()
        };
        (Bms::new(&spec), Battery::new(&spec))
    }

    #[test]
    fn full_current_at_low_soc_then_tapers() {
        let (bms, b) = at(20.0);
        assert_eq!(bms.desired_current(&b), 250.0);
        let (bms, b) = at(75.0);
        assert_eq!(bms.desired_current(&b), 250.0);
        let (bms, b85) = at(85.0);
        let i85 = bms.desired_current(&b85);
        let (_, b95) = at(95.0);
        let i95 = bms.desired_current(&b95);
        assert!(i85 < 250.0 && i95 < i85 && i95 > 0.0, "{i85} {i95}");
    }

    #[test]
    fn request_keeps_terminal_voltage_below_max() {
        for soc in 0..100 {
            let (bms, b) = at(soc as f32);
            let i = bms.desired_current(&b);
            assert!(b.terminal_voltage(i) <= 750.0 * (1.0 - VOLTAGE_MARGIN) + 1e-3);
        }
        // A pack with a high resistance is held back by voltage, not by taper.
        let spec = TruckSpec {
            soc_percent: 60.0,
            target_soc_percent: 100.0,
            capacity_kwh: 20.0,
            ..TruckSpec::default()
        };
        let (bms, b) = (Bms::new(&spec), Battery::new(&spec));
        let i = bms.desired_current(&b);
        assert!(i < 250.0);
        assert!((b.terminal_voltage(i) - bms.charge_voltage_limit()).abs() < 0.1);
    }

    #[test]
    fn stops_at_target() {
        let spec = TruckSpec::default();
        let bms = Bms::new(&spec);
        let mut b = Battery::new(&spec);
        assert!(!bms.target_reached(&b));
        while !bms.target_reached(&b) {
            let i = bms.desired_current(&b);
            assert!(i > 0.0);
            b.step(i, std::time::Duration::from_secs(10));
        }
        assert_eq!(bms.desired_current(&b), 0.0);
        assert!(b.soc_percent() >= 80.0 && b.soc_percent() < 80.2);
    }
}
