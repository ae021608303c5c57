//! From a detection voltage to a connection state: bands with hysteresis, and a fault for a
//! voltage in no band, never a guess.
//!
//! GB/T 18487.1 CC1 (detection point 1, measured by the charger): about 12 V with no vehicle
//! connector, about 6 V with the connector inserted but its latch (switch S) not closed, about
//! 4 V inserted and latched. Only *latched* counts as plugged: the session starts, and the
//! contactors may close, only on a latched connector. A CHAdeMO proximity read through an ADC
//! uses the same classifier with two bands (no latch band).
//!
//! Pure: the caller passes each reading's voltage and time, and keeps the [`Classifier`].

use charger_protocol::Timestamp;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A voltage range, inclusive, at the connector (after the divider).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    pub low: f32,
    pub high: f32,
}

impl Band {
    pub const fn new(low: f32, high: f32) -> Self {
        Band { low, high }
    }

    fn contains(&self, v: f32, margin: f32) -> bool {
        v >= self.low - margin && v <= self.high + margin
    }
}

/// What the detection voltage says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Connection {
    Unplugged,
    /// Inserted, latch not closed (GB/T ≈ 6 V); for a two-band proximity, simply plugged.
    Inserted,
    /// Inserted and latched (GB/T ≈ 4 V).
    Latched,
    /// In no band (open or shorted wire, wrong resistor, bad ADC) for longer than
    /// [`Thresholds::fault_after`], or no reading yet.
    Fault,
}

/// A detection input's bands, as configured.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    pub unplugged: Band,
    pub inserted: Band,
    /// The latched band; `None` for a proximity input without a latch (plugged = inserted).
    pub latched: Option<Band>,
    /// How far beyond its band a voltage may go before the present state is left (volts).
    pub hysteresis: f32,
    /// How long a voltage may stay in no band before it is a fault: the voltage crosses the
    /// gap between two bands while the latch closes, which is no fault.
    pub fault_after: Duration,
}

impl Thresholds {
    /// GB/T 27930 / 18487.1 CC1 at detection point 1.
    pub const GBT_CC1: Thresholds = Thresholds {
        unplugged: Band::new(10.8, 13.2),
        inserted: Band::new(5.2, 6.8),
        latched: Some(Band::new(3.2, 4.8)),
        hysteresis: 0.15,
        fault_after: Duration::from_millis(200),
    };

    fn bands(&self) -> impl Iterator<Item = (Connection, Band)> + '_ {
        [
            Some((Connection::Unplugged, self.unplugged)),
            Some((Connection::Inserted, self.inserted)),
            self.latched.map(|b| (Connection::Latched, b)),
        ]
        .into_iter()
        .flatten()
    }

    fn band(&self, c: Connection) -> Option<Band> {
        self.bands().find(|(k, _)| *k == c).map(|(_, b)| b)
    }

    /// Each band non-empty and finite, hysteresis non-negative, and no two bands, each
    /// widened by the hysteresis, overlapping (else one voltage would be two states).
    pub fn check(&self) -> Result<(), String> {
        if !self.hysteresis.is_finite() || self.hysteresis < 0.0 {
            return Err(format!(
                "hysteresis {} V must be zero or more",
                self.hysteresis
            ));
        }
        let bands: Vec<(Connection, Band)> = self.bands().collect();
        for (c, b) in &bands {
            if !b.low.is_finite() || !b.high.is_finite() || b.low >= b.high {
                return Err(format!(
                    "band {c:?} [{}, {}] V must have low < high",
                    b.low, b.high
                ));
            }
        }
        for (i, (c1, b1)) in bands.iter().enumerate() {
            for (c2, b2) in bands.iter().skip(i + 1) {
                let h = self.hysteresis;
                if b1.low - h < b2.high + h && b2.low - h < b1.high + h {
                    return Err(format!(
                        "bands {c1:?} [{}, {}] V and {c2:?} [{}, {}] V overlap with the \
                         hysteresis of {h} V",
                        b1.low, b1.high, b2.low, b2.high
                    ));
                }
            }
        }
        Ok(())
    }

    /// Whether `c` means a vehicle is plugged in for the station: latched where there is a
    /// latch band, inserted where there is none.
    pub fn plugged(&self, c: Connection) -> bool {
        match self.latched {
            Some(_) => c == Connection::Latched,
            None => c == Connection::Inserted,
        }
    }
}

/// The classifier's state between readings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Classifier {
    pub state: Connection,
    /// Since when the voltage has been in no band, while the state is not yet a fault.
    outside_since: Option<Timestamp>,
    /// The last state that was not a fault: a detection fault (a broken CC1 wire) is a fault,
    /// not an unplug, so the vehicle counts as where it was last seen.
    last_known: Connection,
}

impl Default for Classifier {
    /// No reading yet: a fault until one arrives.
    fn default() -> Self {
        Classifier {
            state: Connection::Fault,
            outside_since: None,
            last_known: Connection::Unplugged,
        }
    }
}

impl Classifier {
    /// The state after a reading of `volts` taken at `at`.
    pub fn next(self, volts: f32, at: Timestamp, t: &Thresholds) -> Classifier {
        let mut c = self.classify(volts, at, t);
        c.last_known = if c.state == Connection::Fault {
            self.last_known
        } else {
            c.state
        };
        c
    }

    /// The state, or during a fault the last state before it.
    pub fn last_known(&self) -> Connection {
        if self.state == Connection::Fault {
            self.last_known
        } else {
            self.state
        }
    }

    fn classify(self, volts: f32, at: Timestamp, t: &Thresholds) -> Classifier {
        let stay = |c: Classifier| Classifier {
            outside_since: None,
            ..c
        };
        if !volts.is_finite() {
            return Classifier {
                state: Connection::Fault,
                outside_since: None,
                ..self
            };
        }
        // Inside the present band widened by the hysteresis: unchanged.
        if t.band(self.state)
            .is_some_and(|b| b.contains(volts, t.hysteresis))
        {
            return stay(self);
        }
        if let Some((state, _)) = t.bands().find(|(_, b)| b.contains(volts, 0.0)) {
            return Classifier {
                state,
                outside_since: None,
                ..self
            };
        }
        // In no band: the old state holds for `fault_after`, then it is a fault.
        let since = self.outside_since.unwrap_or(at);
        if self.state == Connection::Fault || at - since >= t.fault_after {
            Classifier {
                state: Connection::Fault,
                outside_since: None,
                ..self
            }
        } else {
            Classifier {
                state: self.state,
                outside_since: Some(since),
                ..self
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Timestamp {
        Timestamp::from_millis(v)
    }

    fn run(t: &Thresholds, volts: &[(u64, f32)]) -> Vec<Connection> {
        let mut c = Classifier::default();
        volts
            .iter()
            .map(|&(at, v)| {
                c = c.next(v, ms(at), t);
                c.state
            })
            .collect()
    }

    #[test]
    fn cc1_bands_are_unplugged_inserted_and_latched_and_only_latched_is_plugged() {
        let t = Thresholds::GBT_CC1;
        t.check().unwrap();
        use Connection::*;
        assert_eq!(
            run(&t, &[(0, 12.0), (10, 6.0), (20, 4.0), (30, 12.1)]),
            vec![Unplugged, Inserted, Latched, Unplugged]
        );
        assert!(!t.plugged(Unplugged));
        assert!(!t.plugged(Inserted));
        assert!(t.plugged(Latched));
        assert!(!t.plugged(Fault));
    }

    #[test]
    fn hysteresis_holds_the_state_just_beyond_its_band_and_not_further() {
        let t = Thresholds::GBT_CC1;
        use Connection::*;
        // Latched band 3.2–4.8 V, hysteresis 0.15 V: 4.9 V and 3.1 V stay latched.
        assert_eq!(
            run(&t, &[(0, 4.0), (10, 4.9), (20, 3.1), (30, 4.0)]),
            vec![Latched, Latched, Latched, Latched]
        );
        // Coming from inserted (5.2–6.8 V), 5.1 V is inside its hysteresis: still inserted,
        // where from latched it would not be.
        assert_eq!(run(&t, &[(0, 6.0), (10, 5.1)]), vec![Inserted, Inserted]);
        // Entering a band needs the band itself: from unplugged, 6.9 V is not inserted yet.
        assert_eq!(
            run(&t, &[(0, 12.0), (10, 6.9), (20, 6.8)]),
            vec![Unplugged, Unplugged, Inserted]
        );
    }

    #[test]
    fn a_voltage_in_no_band_is_a_fault_after_the_transit_time_not_a_guess() {
        let t = Thresholds::GBT_CC1;
        use Connection::*;
        // Latching: 6 V → 5.0 V (the gap) briefly → 4 V: never a fault.
        assert_eq!(
            run(&t, &[(0, 6.0), (10, 5.0), (60, 5.0), (110, 4.0)]),
            vec![Inserted, Inserted, Inserted, Latched]
        );
        // A broken wire: 0 V from 1000 ms on. Latched holds 199 ms, a fault at 200 ms.
        assert_eq!(
            run(&t, &[(0, 4.0), (1000, 0.0), (1199, 0.0), (1200, 0.0)]),
            vec![Latched, Latched, Latched, Fault]
        );
        // 9 V: between unplugged and inserted, after the transit time a fault.
        assert_eq!(
            run(&t, &[(0, 12.0), (10, 9.0), (210, 9.0)]),
            vec![Unplugged, Unplugged, Fault]
        );
        // No reading yet, or one in no band, is a fault at once; so is a NaN.
        assert_eq!(run(&t, &[(0, 9.0)]), vec![Fault]);
        assert_eq!(run(&t, &[(0, 4.0), (10, f32::NAN)]), vec![Latched, Fault]);
        // A fault clears as soon as the voltage is back in a band.
        assert_eq!(run(&t, &[(0, 9.0), (10, 4.0)]), vec![Fault, Latched]);
    }

    #[test]
    fn a_proximity_without_a_latch_band_is_plugged_when_inserted() {
        let t = Thresholds {
            unplugged: Band::new(8.0, 10.0),
            inserted: Band::new(1.0, 3.0),
            latched: None,
            hysteresis: 0.3,
            fault_after: Duration::from_millis(100),
        };
        t.check().unwrap();
        assert_eq!(
            run(&t, &[(0, 9.0), (10, 2.0), (20, 3.2)]),
            vec![
                Connection::Unplugged,
                Connection::Inserted,
                Connection::Inserted
            ]
        );
        assert!(t.plugged(Connection::Inserted));
    }

    #[test]
    fn overlapping_or_empty_bands_are_rejected() {
        let mut t = Thresholds::GBT_CC1;
        t.hysteresis = 0.25; // 4.8 + 0.25 > 5.2 − 0.25: latched and inserted overlap.
        assert!(t.check().unwrap_err().contains("overlap"));
        let mut t = Thresholds::GBT_CC1;
        t.inserted = Band::new(6.8, 5.2);
        assert!(t.check().unwrap_err().contains("low < high"));
        let mut t = Thresholds::GBT_CC1;
        t.hysteresis = -0.1;
        assert!(t.check().is_err());
    }
}
