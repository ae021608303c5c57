//! Energy from a meter's counter register: wrap-around, a meter replaced or reset, and
//! implausible jumps. Pure: the caller gives each reading and the time since the last one.
//!
//! A session's energy is the sum of the deltas this returns. A meter counter is cumulative, so
//! a gap in readings loses nothing: the first good reading after it carries the whole increase,
//! if that increase is physically possible in the time that passed. What it never does is
//! invent energy: a counter that went backwards, a new meter, or an impossible jump yields no
//! energy and an event saying why.

use std::time::Duration;

/// Why a reading added no energy.
#[derive(Debug, Clone, PartialEq)]
pub enum CounterEvent {
    /// The first reading (or the first after a re-baseline): nothing to compare with.
    Baseline,
    /// The serial number changed: another meter. Counting restarts from its reading.
    Replaced { old: String, new: String },
    /// The counter went backwards without wrapping and without a new serial (meter reset):
    /// counting restarts from the new reading.
    Reset { previous_wh: f64, now_wh: f64 },
    /// More energy than the connector's maximum power could deliver in the time that passed:
    /// garbage or a wrong profile. Not counted; the next reading is compared with the last good.
    Implausible { delta_wh: f64, max_wh: f64 },
    /// Not a finite, non-negative number.
    Invalid,
}

/// What one reading contributed.
#[derive(Debug, Clone, PartialEq)]
pub enum CounterStep {
    Energy { delta_wh: f64, wrapped: bool },
    NoEnergy(CounterEvent),
}

/// Tracks one meter's energy counter.
#[derive(Debug, Clone, PartialEq)]
pub struct EnergyCounter {
    /// The counter's modulus in Wh (e.g. 2³² Wh for a u32 register in Wh); `None` if it never
    /// wraps within the meter's life (u64, f64).
    wrap_wh: Option<f64>,
    /// The most the connector can deliver, for the plausibility bound.
    max_power_w: f64,
    last: Option<(f64, Option<String>)>,
}

impl EnergyCounter {
    pub fn new(wrap_wh: Option<f64>, max_power_w: f64) -> Self {
        EnergyCounter {
            wrap_wh,
            max_power_w: max_power_w.max(0.0),
            last: None,
        }
    }

    /// Feed one reading in Wh, with the meter's serial number if the profile reads it and
    /// the time since the previous reading.
    pub fn update(&mut self, now_wh: f64, serial: Option<&str>, elapsed: Duration) -> CounterStep {
        if !now_wh.is_finite() || now_wh < 0.0 {
            return CounterStep::NoEnergy(CounterEvent::Invalid);
        }
        let serial = serial.map(str::to_string);
        let Some((prev, prev_serial)) = self.last.take() else {
            self.last = Some((now_wh, serial));
            return CounterStep::NoEnergy(CounterEvent::Baseline);
        };
        if let (Some(old), Some(new)) = (&prev_serial, &serial) {
            if old != new {
                let event = CounterEvent::Replaced {
                    old: old.clone(),
                    new: new.clone(),
                };
                self.last = Some((now_wh, serial));
                return CounterStep::NoEnergy(event);
            }
        }
        let serial = serial.or(prev_serial);
        let (delta, wrapped) = if now_wh >= prev {
            (now_wh - prev, false)
        } else {
            match self.wrap_wh {
                // Wrapped: the fall is more than half the range (a reset is a small number
                // after a large one too, but then the delta below is implausible or small).
                Some(m) if prev - now_wh > m / 2.0 => (m - prev + now_wh, true),
                _ => {
                    self.last = Some((now_wh, serial));
                    return CounterStep::NoEnergy(CounterEvent::Reset {
                        previous_wh: prev,
                        now_wh,
                    });
                }
            }
        };
        // 10 % and one watt-hour of slack for meter and clock jitter.
        let max_wh = self.max_power_w * elapsed.as_secs_f64() / 3600.0 * 1.1 + 1.0;
        if delta > max_wh {
            self.last = Some((prev, serial));
            return CounterStep::NoEnergy(CounterEvent::Implausible {
                delta_wh: delta,
                max_wh,
            });
        }
        self.last = Some((now_wh, serial));
        CounterStep::Energy {
            delta_wh: delta,
            wrapped,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const S: Duration = Duration::from_secs(1);
    const U32: f64 = 4_294_967_296.0;

    fn energy(step: CounterStep) -> f64 {
        match step {
            CounterStep::Energy { delta_wh, .. } => delta_wh,
            CounterStep::NoEnergy(_) => 0.0,
        }
    }

    #[test]
    fn a_u32_counter_wraps_without_losing_energy() {
        let mut c = EnergyCounter::new(Some(U32), 1_000_000.0);
        assert_eq!(
            c.update(U32 - 100.0, None, S),
            CounterStep::NoEnergy(CounterEvent::Baseline)
        );
        assert_eq!(
            c.update(50.0, None, S),
            CounterStep::Energy {
                delta_wh: 150.0,
                wrapped: true
            }
        );
    }

    #[test]
    fn a_replaced_meter_restarts_counting_and_says_so() {
        let mut c = EnergyCounter::new(None, 400_000.0);
        c.update(1_000_000.0, Some("A1"), S);
        assert_eq!(energy(c.update(1_000_050.0, Some("A1"), S)), 50.0);
        assert_eq!(
            c.update(12.0, Some("B7"), S),
            CounterStep::NoEnergy(CounterEvent::Replaced {
                old: "A1".into(),
                new: "B7".into()
            })
        );
        assert_eq!(energy(c.update(20.0, Some("B7"), S)), 8.0);
    }

    #[test]
    fn a_counter_going_backwards_is_a_reset_not_negative_energy() {
        let mut c = EnergyCounter::new(None, 400_000.0);
        c.update(5000.0, None, S);
        assert!(matches!(
            c.update(10.0, None, S),
            CounterStep::NoEnergy(CounterEvent::Reset { .. })
        ));
        assert_eq!(energy(c.update(30.0, None, S)), 20.0);
    }

    #[test]
    fn an_impossible_jump_is_not_counted() {
        // 400 kW for 1 s is 111 Wh; a 1 MWh jump is garbage.
        let mut c = EnergyCounter::new(None, 400_000.0);
        c.update(0.0, None, S);
        assert!(matches!(
            c.update(1_000_000.0, None, S),
            CounterStep::NoEnergy(CounterEvent::Implausible { .. })
        ));
        // Compared with the last good reading, not with the garbage.
        assert_eq!(energy(c.update(100.0, None, S)), 100.0);
        // After a 10-minute gap, the whole increase is counted if it was possible.
        assert_eq!(
            energy(c.update(60_100.0, None, Duration::from_secs(600))),
            60_000.0
        );
        assert_eq!(
            c.update(f64::NAN, None, S),
            CounterStep::NoEnergy(CounterEvent::Invalid)
        );
    }

    proptest! {
        /// The sum of deltas equals the energy actually delivered, across any number of wraps.
        #[test]
        fn deltas_sum_to_the_delivered_energy_across_wraps(
            start in 0u64..(1u64 << 32),
            steps in prop::collection::vec(0u64..100_000, 1..200),
        ) {
            let mut c = EnergyCounter::new(Some(U32), 400_000.0);
            c.update(start as f64, None, S);
            let mut raw = start;
            let mut total = 0.0;
            for s in &steps {
                raw = (raw + s) % (1u64 << 32);
                // One reading per hour: any step is within 400 kW.
                total += energy(c.update(raw as f64, None, Duration::from_secs(3600)));
            }
            let delivered: u64 = steps.iter().sum();
            prop_assert_eq!(total, delivered as f64);
        }
    }
}
