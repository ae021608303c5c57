//! A truck traction battery, as the simulated vehicle carries it.
//!
//! The model is the simplest one that still exercises a charger properly: an open-circuit
//! voltage that follows the state of charge along a lithium-ion (NMC-like) curve, in series with
//! one internal resistance. Coulomb counting moves the state of charge. That is enough for the
//! station to see the things that matter to it: the battery voltage it must precharge to, the
//! voltage rise under current (I·R), and a session that really ends when the pack is full.
//!
//! Internal state is kept in `f64`: a 10 ms step at 250 A moves a 350 kWh pack by about
//! 0.0001 % SOC, which `f32` would round away over a 30-minute session.

use std::time::Duration;

use crate::connector::TruckSpec;

/// Normalised OCV curve of a lithium-ion (NMC) cell: `(SOC %, fraction)`, where the fraction
/// runs from 0 (empty) to 1 (full) and maps onto [`OCV_EMPTY`]..[`OCV_FULL`] of the pack's
/// maximum voltage. Steep at both ends, flat in the middle, as a real cell.
const OCV_CURVE: [(f32, f32); 12] = [
    (0.0, 0.0),
    (5.0, 0.12),
    (10.0, 0.22),
    (20.0, 0.33),
    (30.0, 0.41),
    (40.0, 0.48),
    (50.0, 0.54),
    (60.0, 0.61),
    (70.0, 0.69),
    (80.0, 0.78),
    (90.0, 0.88),
    (100.0, 1.0),
];

/// OCV of an empty pack, as a fraction of its maximum voltage (about 3.1 V of a 4.15 V cell).
pub const OCV_EMPTY: f32 = 0.75;
/// OCV of a full pack, as a fraction of its maximum voltage: the BMS keeps headroom above it
/// for the I·R rise under charge current.
pub const OCV_FULL: f32 = 0.95;

/// Internal resistance of the reference pack ([`REFERENCE_CAPACITY_KWH`] at
/// [`REFERENCE_MAX_VOLTAGE`]), in ohms. Typical of a heavy-truck pack of a few hundred kWh.
pub const REFERENCE_RESISTANCE_OHMS: f32 = 0.060;
/// Capacity of the reference pack, in kWh.
pub const REFERENCE_CAPACITY_KWH: f32 = 350.0;
/// Maximum voltage of the reference pack, in volts.
pub const REFERENCE_MAX_VOLTAGE: f32 = 750.0;

/// Smallest capacity the model accepts; a smaller (or invalid) spec is raised to it so that
/// coulomb counting never divides by zero.
const MIN_CAPACITY_KWH: f32 = 1.0;
/// Smallest maximum voltage the model accepts, for the same reason.
const MIN_MAX_VOLTAGE: f32 = 10.0;

/// A traction battery: OCV(SOC) in series with an internal resistance, coulomb counted.
#[derive(Debug, Clone, PartialEq)]
pub struct Battery {
    max_voltage: f32,
    capacity_kwh: f32,
    /// Charge capacity in ampere-hours, derived from energy capacity and nominal voltage.
    capacity_ah: f64,
    resistance_ohms: f32,
    /// State of charge, in percent, 0..=100.
    soc_percent: f64,
    /// Net energy that entered the pack at its terminals since it was built, in kWh.
    energy_charged_kwh: f64,
}

impl Battery {
    /// Build the pack a [`TruckSpec`] describes, at the spec's state of charge.
    ///
    /// The spec comes from a technician; values that would break the physics (non-finite,
    /// zero or negative capacity or voltage, SOC outside 0..=100) are brought into range
    /// rather than rejected, since rejecting is the job of whoever validates the spec.
    pub fn new(spec: &TruckSpec) -> Battery {
        let max_voltage = finite_or(spec.max_voltage, REFERENCE_MAX_VOLTAGE).max(MIN_MAX_VOLTAGE);
        let capacity_kwh =
            finite_or(spec.capacity_kwh, REFERENCE_CAPACITY_KWH).max(MIN_CAPACITY_KWH);
        let soc_percent = finite_or(spec.soc_percent, 0.0).clamp(0.0, 100.0);
        // The nominal voltage is the mean OCV over the whole SOC range, so that charging from
        // empty to full stores exactly `capacity_kwh` (at open-circuit voltage).
        let nominal_voltage = f64::from(max_voltage) * mean_ocv_fraction();
        let capacity_ah = f64::from(capacity_kwh) * 1000.0 / nominal_voltage;
        Battery {
            max_voltage,
            capacity_kwh,
            capacity_ah,
            resistance_ohms: pack_resistance(capacity_kwh, max_voltage),
            soc_percent: f64::from(soc_percent),
            energy_charged_kwh: 0.0,
        }
    }

    /// Voltage at the terminals with no current flowing, in volts.
    pub fn open_circuit_voltage(&self) -> f32 {
        ocv_at(self.max_voltage, self.soc_percent as f32)
    }

    /// Internal resistance, in ohms.
    ///
    /// Scaled from a reference pack: resistance grows with the number of cells in series
    /// (∝ voltage) and falls with the number in parallel (∝ capacity / voltage), so
    /// R ∝ V² / E.
    pub fn internal_resistance(&self) -> f32 {
        self.resistance_ohms
    }

    /// Voltage at the terminals while `current` amperes flow into the pack (negative when
    /// discharging), in volts.
    pub fn terminal_voltage(&self, current: f32) -> f32 {
        self.open_circuit_voltage() + current * self.resistance_ohms
    }

    /// State of charge, in percent.
    pub fn soc_percent(&self) -> f32 {
        self.soc_percent as f32
    }

    /// Net energy that entered the pack at its terminals (including the I²R loss inside it),
    /// in kWh; what a DC meter at the inlet would count.
    pub fn energy_charged_kwh(&self) -> f32 {
        self.energy_charged_kwh as f32
    }

    /// Highest voltage the pack tolerates at its terminals, in volts.
    pub fn max_voltage(&self) -> f32 {
        self.max_voltage
    }

    /// Usable capacity, in kWh.
    pub fn capacity_kwh(&self) -> f32 {
        self.capacity_kwh
    }

    /// Usable capacity, in ampere-hours.
    pub fn capacity_ah(&self) -> f32 {
        self.capacity_ah as f32
    }

    /// Let `current_a` amperes (positive when charging) flow for `dt`.
    ///
    /// A non-finite current is treated as no current: the model must survive whatever a
    /// broken caller feeds it.
    pub fn step(&mut self, current_a: f32, dt: Duration) {
        let current = if current_a.is_finite() {
            current_a
        } else {
            0.0
        };
        let seconds = dt.as_secs_f64();
        // Energy at the terminals uses the voltage at the start of the step; at 10 ms steps
        // the error is far below anything a meter would resolve.
        let power_w = f64::from(self.terminal_voltage(current)) * f64::from(current);
        self.energy_charged_kwh += power_w * seconds / 3.6e6;
        let delta_ah = f64::from(current) * seconds / 3600.0;
        self.soc_percent =
            (self.soc_percent + delta_ah / self.capacity_ah * 100.0).clamp(0.0, 100.0);
    }
}

/// OCV of a pack with maximum voltage `max_voltage` at `soc_percent`, by linear interpolation
/// of [`OCV_CURVE`].
fn ocv_at(max_voltage: f32, soc_percent: f32) -> f32 {
    let soc = soc_percent.clamp(0.0, 100.0);
    let mut fraction = 1.0;
    for pair in OCV_CURVE.windows(2) {
        let (s0, f0) = pair[0];
        let (s1, f1) = pair[1];
        if soc <= s1 {
            fraction = f0 + (f1 - f0) * (soc - s0) / (s1 - s0);
            break;
        }
    }
    max_voltage * (OCV_EMPTY + (OCV_FULL - OCV_EMPTY) * fraction)
}

/// Mean of the OCV curve over 0..=100 % SOC, as a fraction of the maximum voltage
/// (trapezoidal integration of the piecewise-linear curve, which is exact for it).
fn mean_ocv_fraction() -> f64 {
    let area: f64 = OCV_CURVE
        .windows(2)
        .map(|pair| {
            let (s0, f0) = pair[0];
            let (s1, f1) = pair[1];
            f64::from(s1 - s0) * f64::from(f0 + f1) / 2.0
        })
        .sum();
    f64::from(OCV_EMPTY) + f64::from(OCV_FULL - OCV_EMPTY) * area / 100.0
}

/// Internal resistance scaled from the reference pack (R ∝ V² / E), kept within what any
/// real traction pack has.
fn pack_resistance(capacity_kwh: f32, max_voltage: f32) -> f32 {
    let voltage_ratio = max_voltage / REFERENCE_MAX_VOLTAGE;
    let r = REFERENCE_RESISTANCE_OHMS * voltage_ratio * voltage_ratio * REFERENCE_CAPACITY_KWH
        / capacity_kwh;
    r.clamp(0.005, 1.0)
}

fn finite_or(value: f32, fallback: f32) -> f32 {
    if value.is_finite() {
        value
    } else {
        fallback
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(soc: f32) -> TruckSpec {
        TruckSpec {
            soc_percent: soc,
            ..TruckSpec::default()
        }
    }

    #[test]
    fn ocv_spans_the_expected_range_and_rises_monotonically() {
        let empty = Battery::new(&spec(0.0)).open_circuit_voltage();
        let full = Battery::new(&spec(100.0)).open_circuit_voltage();
        assert!((empty - 0.75 * 750.0).abs() < 0.01, "{empty}");
        assert!((full - 0.95 * 750.0).abs() < 0.01, "{full}");
        let mut last = 0.0;
        for soc in 0..=100 {
            let v = Battery::new(&spec(soc as f32)).open_circuit_voltage();
            assert!(v > last, "OCV not rising at {soc} %");
            last = v;
        }
        // Flat middle, steep ends.
        let v = |s: f32| Battery::new(&spec(s)).open_circuit_voltage();
        assert!(v(10.0) - v(0.0) > v(50.0) - v(40.0));
        assert!(v(100.0) - v(90.0) > v(50.0) - v(40.0));
    }

    #[test]
    fn resistance_is_a_truck_packs_and_scales_with_capacity() {
        let default = Battery::new(&TruckSpec::default()).internal_resistance();
        assert!((0.040..=0.080).contains(&default), "{default}");
        let big = Battery::new(&TruckSpec {
            capacity_kwh: 700.0,
            ..TruckSpec::default()
        })
        .internal_resistance();
        assert!(big < default);
    }

    #[test]
    fn terminal_voltage_includes_ir_rise() {
        let b = Battery::new(&spec(50.0));
        let r = b.internal_resistance();
        let ocv = b.open_circuit_voltage();
        assert!((b.terminal_voltage(200.0) - (ocv + 200.0 * r)).abs() < 1e-3);
        assert!(b.terminal_voltage(-100.0) < ocv);
    }

    #[test]
    fn coulomb_counting_moves_soc_and_energy() {
        let mut b = Battery::new(&spec(20.0));
        let ah = f64::from(b.capacity_ah());
        // One hour at a current that should add exactly 10 % SOC, in 10 ms steps.
        let current = (ah * 0.1) as f32;
        for _ in 0..360_000 {
            b.step(current, Duration::from_millis(10));
        }
        assert!((b.soc_percent() - 30.0).abs() < 0.01, "{}", b.soc_percent());
        // About 10 % of 350 kWh: a little less because the OCV between 20 and 30 % is below
        // the pack's mean, a little more for the I²R loss.
        let e = b.energy_charged_kwh();
        assert!((33.0..36.0).contains(&e), "{e}");
    }

    #[test]
    fn full_charge_stores_the_rated_capacity() {
        let mut b = Battery::new(&spec(0.0));
        let current = b.capacity_ah() / 10.0;
        // Ten hours at C/10, in one-second steps; subtract the I²R loss to get stored energy.
        let mut loss_kwh = 0.0f64;
        for _ in 0..36_000 {
            b.step(current, Duration::from_secs(1));
            loss_kwh += f64::from(current * current * b.internal_resistance()) / 3.6e6;
        }
        let stored = f64::from(b.energy_charged_kwh()) - loss_kwh;
        assert!((stored - 350.0).abs() < 1.0, "{stored}");
    }

    #[test]
    fn soc_is_clamped() {
        let mut b = Battery::new(&spec(99.9));
        b.step(1000.0, Duration::from_secs(3600));
        assert_eq!(b.soc_percent(), 100.0);
        b.step(-10_000.0, Duration::from_secs(3600));
        assert_eq!(b.soc_percent(), 0.0);
    }

    #[test]
    fn survives_nonsense_specs_and_inputs() {
        let mut b = Battery::new(&TruckSpec {
            soc_percent: f32::NAN,
            target_soc_percent: 80.0,
            capacity_kwh: -5.0,
            max_voltage: 0.0,
            max_current: 250.0,
        });
        b.step(f32::INFINITY, Duration::from_secs(1));
        assert!(b.open_circuit_voltage().is_finite());
        assert!(b.soc_percent().is_finite());
        assert!(b.internal_resistance() > 0.0);
    }
}
