//! Plausibility of each temperature reading: open/short circuit, range, rate of rise, DC+/DC−
//! disagreement, pin colder than coolant, stale. Pure; the controller keeps one
//! [`SensorTracker`] per sensor.

use charger_hal::CoolingReading;
use charger_protocol::Timestamp;
use serde::{Deserialize, Serialize};

use super::settings::ThermalSettings;

/// The temperature sensors of a liquid-cooled connector and its cooling unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sensor {
    PinDcPlus,
    PinDcMinus,
    CoolantInlet,
    CoolantOutlet,
}

impl Sensor {
    pub const ALL: [Sensor; 4] = [
        Sensor::PinDcPlus,
        Sensor::PinDcMinus,
        Sensor::CoolantInlet,
        Sensor::CoolantOutlet,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Sensor::PinDcPlus => "pin DC+",
            Sensor::PinDcMinus => "pin DC-",
            Sensor::CoolantInlet => "coolant inlet",
            Sensor::CoolantOutlet => "coolant outlet",
        }
    }

    pub fn is_pin(self) -> bool {
        matches!(self, Sensor::PinDcPlus | Sensor::PinDcMinus)
    }

    pub(crate) fn index(self) -> usize {
        match self {
            Sensor::PinDcPlus => 0,
            Sensor::PinDcMinus => 1,
            Sensor::CoolantInlet => 2,
            Sensor::CoolantOutlet => 3,
        }
    }

    /// The raw value of this sensor in a reading.
    pub fn raw(self, r: &CoolingReading) -> Option<f32> {
        match self {
            Sensor::PinDcPlus => r.pin_dc_plus_c,
            Sensor::PinDcMinus => r.pin_dc_minus_c,
            Sensor::CoolantInlet => r.coolant_inlet_c,
            Sensor::CoolantOutlet => r.coolant_outlet_c,
        }
    }
}

/// Why a reading is (not) believed. Only `Valid` and `Disagreement` readings carry a usable
/// temperature (a disagreeing pair is used by its hotter pin: the worst case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Validity {
    Valid,
    /// No value: the device reported its open/short-circuit sentinel, or has no such sensor.
    Missing,
    /// NaN or infinite.
    NotFinite,
    /// Outside `sensor_min_c..=sensor_max_c` (Pt1000 open circuit reads over range, a short
    /// under range).
    OutOfRange,
    /// Changed faster than `max_rate_k_per_s`, by more than `rate_noise_k` (within
    /// `implausible_hold_ms` of the jump).
    RateOfRise,
    /// DC+ and DC− differ by more than `max_pin_disagreement_k`.
    Disagreement,
    /// A pin colder than the flowing coolant by more than `pin_below_coolant_margin_k`.
    BelowCoolant,
    /// The whole reading is stale.
    Stale,
}

impl Validity {
    pub fn name(self) -> &'static str {
        match self {
            Validity::Valid => "valid",
            Validity::Missing => "open/short",
            Validity::NotFinite => "not a number",
            Validity::OutOfRange => "out of range",
            Validity::RateOfRise => "rate of rise",
            Validity::Disagreement => "DC+/DC- disagree",
            Validity::BelowCoolant => "colder than coolant",
            Validity::Stale => "stale",
        }
    }

    /// The value may be used for control (as a worst case, for a disagreeing pair).
    pub fn usable(self) -> bool {
        matches!(self, Validity::Valid | Validity::Disagreement)
    }
}

/// One sensor's value and its validity, as the controller judged it in its last step.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SensorStatus {
    pub sensor: Sensor,
    /// The raw value (finite only: NaN and infinities are shown as absent).
    pub value_c: Option<f32>,
    pub validity: Validity,
}

/// The baseline of the sustained-rate check: the allowance for noise is spent once per this
/// window, so a ramp in steps below the allowance cannot climb faster than
/// `max_rate_k_per_s + rate_noise_k / 1 s`.
const RATE_WINDOW_MS: u64 = 1_000;

/// The memory a rate-of-rise check needs.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SensorTracker {
    /// The last in-range value and the reading time it came with.
    last: Option<(f32, Timestamp)>,
    /// An older value, moved on once it is [`RATE_WINDOW_MS`] old.
    anchor: Option<(f32, Timestamp)>,
    /// When the sensor last jumped.
    jumped_at: Option<Timestamp>,
}

/// A value in range, or why not.
pub(crate) fn range_check(s: &ThermalSettings, raw: Option<f32>) -> Result<f32, Validity> {
    let v = raw.ok_or(Validity::Missing)?;
    if !v.is_finite() {
        return Err(Validity::NotFinite);
    }
    if v < s.sensor_min_c || v > s.sensor_max_c {
        return Err(Validity::OutOfRange);
    }
    Ok(v)
}

impl SensorTracker {
    /// Range and rate-of-rise checks of one sensor's value from a reading taken at `at`.
    pub(crate) fn check(
        &mut self,
        s: &ThermalSettings,
        raw: Option<f32>,
        at: Timestamp,
        now: Timestamp,
    ) -> Result<f32, Validity> {
        let v = range_check(s, raw)?;
        // Faster than the rate allows, beyond the noise allowance: the allowance, not the
        // quotient, so that two readings a millisecond apart one quantisation step apart are
        // no jump.
        let too_fast = |(from, from_at): (f32, Timestamp)| {
            let dt = at.saturating_since(from_at).as_secs_f32();
            (v - from).abs() > s.max_rate_k_per_s * dt + s.rate_noise_k
        };
        match self.last {
            // Only a newer reading says anything about the rate (the same poll seen twice
            // does not; an older one is ignored).
            Some((_, prev_at)) if at <= prev_at => {}
            Some(prev) => {
                // A jump from the last reading, or a climb in steps each within the allowance
                // from the window's baseline.
                if too_fast(prev) || self.anchor.is_some_and(too_fast) {
                    self.jumped_at = Some(now);
                }
                self.last = Some((v, at));
                if self.anchor.is_none_or(|(_, anchor_at)| {
                    at.saturating_since(anchor_at).as_millis() >= u128::from(RATE_WINDOW_MS)
                }) {
                    self.anchor = Some((v, at));
                }
            }
            None => {
                self.last = Some((v, at));
                self.anchor = Some((v, at));
            }
        }
        match self.jumped_at {
            Some(j)
                if now.saturating_since(j).as_millis()
                    < u128::from(s.implausible_hold_ms.max(1)) =>
            {
                Err(Validity::RateOfRise)
            }
            _ => Ok(v),
        }
    }
}

/// Is the reading too old to act on? Flagged by the device, older than `stale_after_ms`, or
/// stamped in the future by more than that (a clock that cannot be trusted).
pub fn is_stale(s: &ThermalSettings, r: &CoolingReading, now: Timestamp) -> bool {
    let age = now.saturating_since(r.at).as_millis();
    let ahead = r.at.saturating_since(now).as_millis();
    r.stale || age > u128::from(s.stale_after_ms) || ahead > u128::from(s.stale_after_ms)
}
