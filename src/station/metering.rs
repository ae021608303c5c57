//! A connector's energy from its DC meter, and the gaps when the meter cannot be believed.
//!
//! Pure: the connector feeds each step's [`MeterReading`] with the time. The meter's register
//! goes through [`EnergyCounter`] (wraps, a replaced or reset meter, implausible jumps); what
//! it counted advances the connector's energy register. While the reading is stale (the
//! backend says so, or it is older than `max_reading_age`: a frozen meter), or its energy is
//! implausible, nothing is counted and a gap is open: it records when the meter's data ended,
//! when it came back, the station's own V × I estimate for the time between (for the operator,
//! never counted), and what the meter's cumulative register carried across when it answered
//! again (nothing is lost then), or nothing when the register could not carry it (a replaced
//! or reset meter, or the transaction ended first).

use std::time::Duration;

use charger_hal::energy::{CounterEvent, CounterStep, EnergyCounter};
use charger_hal::MeterReading;
use charger_protocol::Timestamp;

/// A gap that is still open.
#[derive(Debug, Clone, PartialEq)]
struct OpenGap {
    since: Timestamp,
    estimated_wh: f64,
    cause: String,
}

/// A gap that ended.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ClosedGap {
    pub started_at: Timestamp,
    pub ended_at: Timestamp,
    pub estimated_wh: f64,
    pub counted_wh: Option<f64>,
    pub cause: String,
}

/// What one step of the meter did.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct MeterStep {
    /// Energy the meter counted since the last step, in Wh.
    pub delta_wh: f64,
    /// A gap ended this step.
    pub closed: Option<ClosedGap>,
    /// Something the transaction should record (a replaced or reset meter).
    pub note: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Metering {
    counter: EnergyCounter,
    /// The meter's time of the last reading the counter took.
    last_at: Option<Timestamp>,
    gap: Option<OpenGap>,
}

impl Metering {
    pub(crate) fn new(wrap_wh: Option<f64>, max_power_w: f64) -> Self {
        Metering {
            counter: EnergyCounter::new(wrap_wh, max_power_w),
            last_at: None,
            gap: None,
        }
    }

    /// Why the meter cannot be believed now, if it cannot (the fault's detail).
    pub(crate) fn gap_cause(&self) -> Option<&str> {
        self.gap.as_ref().map(|g| g.cause.as_str())
    }

    /// Feed this step's reading. `estimate_wh` is what the station's own V × I says flowed
    /// during the step (kept with a gap, never counted).
    pub(crate) fn step(
        &mut self,
        reading: &MeterReading,
        estimate_wh: f64,
        max_age: Duration,
        now: Timestamp,
    ) -> MeterStep {
        let mut out = MeterStep::default();
        let age = now.saturating_since(reading.at);
        let energy = reading
            .energy_wh
            .filter(|_| !reading.stale && age <= max_age);
        let Some(energy_wh) = energy else {
            let cause = if reading.stale || reading.energy_wh.is_none() {
                "not answering".to_string()
            } else {
                format!("reading {:.1} s old", age.as_secs_f64())
            };
            self.open_gap(cause, now);
            self.add_estimate(estimate_wh);
            return out;
        };
        if self.last_at.is_some_and(|t| reading.at <= t) {
            // The same reading as before: nothing new, nothing wrong (yet).
            self.add_estimate(estimate_wh);
            return out;
        }
        let elapsed = self
            .last_at
            .map_or(Duration::ZERO, |t| reading.at.saturating_since(t));
        let step = self
            .counter
            .update(energy_wh, reading.serial.as_deref(), elapsed);
        match step {
            CounterStep::Energy { delta_wh, .. } => {
                out.delta_wh = delta_wh;
                out.closed = self.close_gap(Some(delta_wh), reading.at);
            }
            CounterStep::NoEnergy(CounterEvent::Implausible { delta_wh, max_wh }) => {
                // Compared with the last good reading next time: keep its time.
                self.open_gap(
                    format!(
                        "implausible jump of {delta_wh:.0} Wh (at most {max_wh:.0} Wh possible)"
                    ),
                    now,
                );
                self.add_estimate(estimate_wh);
                return out;
            }
            CounterStep::NoEnergy(CounterEvent::Invalid) => {
                self.open_gap("invalid energy reading".into(), now);
                self.add_estimate(estimate_wh);
                return out;
            }
            CounterStep::NoEnergy(CounterEvent::Baseline) => {
                out.closed = self.close_gap(None, reading.at);
            }
            CounterStep::NoEnergy(CounterEvent::Replaced { old, new }) => {
                out.note = Some(format!(
                    "DC meter replaced ({old} → {new}): counting restarted"
                ));
                out.closed = self.close_gap(None, reading.at);
            }
            CounterStep::NoEnergy(CounterEvent::Reset {
                previous_wh,
                now_wh,
            }) => {
                out.note = Some(format!(
                    "DC meter register reset ({previous_wh:.0} → {now_wh:.0} Wh): counting restarted"
                ));
                out.closed = self.close_gap(None, reading.at);
            }
        }
        self.last_at = Some(reading.at);
        out
    }

    /// The transaction ends with a gap open: the part so far is closed (nothing counted for
    /// it), and the gap goes on from `now` for whatever comes next.
    pub(crate) fn split_gap(&mut self, now: Timestamp) -> Option<ClosedGap> {
        let gap = self.gap.as_mut()?;
        let closed = ClosedGap {
            started_at: gap.since,
            ended_at: now,
            estimated_wh: gap.estimated_wh,
            counted_wh: None,
            cause: gap.cause.clone(),
        };
        gap.since = now;
        gap.estimated_wh = 0.0;
        Some(closed)
    }

    fn open_gap(&mut self, cause: String, now: Timestamp) {
        if self.gap.is_none() {
            self.gap = Some(OpenGap {
                // The meter's data ends with its last good reading.
                since: self.last_at.unwrap_or(now),
                estimated_wh: 0.0,
                cause,
            });
        }
    }

    fn add_estimate(&mut self, wh: f64) {
        if let Some(g) = self.gap.as_mut() {
            g.estimated_wh += wh.max(0.0);
        }
    }

    fn close_gap(&mut self, counted_wh: Option<f64>, at: Timestamp) -> Option<ClosedGap> {
        let gap = self.gap.take()?;
        Some(ClosedGap {
            started_at: gap.since,
            ended_at: at,
            estimated_wh: gap.estimated_wh,
            counted_wh,
            cause: gap.cause,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AGE: Duration = Duration::from_secs(2);

    fn reading(wh: f64, serial: &str, at_ms: u64, stale: bool) -> MeterReading {
        MeterReading {
            energy_wh: Some(wh),
            serial: Some(serial.into()),
            stale,
            at: Timestamp::from_millis(at_ms),
            ..MeterReading::default()
        }
    }

    #[test]
    fn a_silent_meter_opens_a_gap_that_its_register_fills_when_it_answers() {
        let mut m = Metering::new(None, 400_000.0);
        let t = Timestamp::from_millis;
        assert_eq!(
            m.step(&reading(1000.0, "A", 0, false), 1.0, AGE, t(0))
                .delta_wh,
            0.0
        );
        assert_eq!(
            m.step(&reading(1010.0, "A", 1000, false), 10.0, AGE, t(1000))
                .delta_wh,
            10.0
        );
        // Silent for 20 s: the last reading, marked stale.
        for s in 2..22 {
            let r = m.step(&reading(1010.0, "A", 1000, true), 10.0, AGE, t(s * 1000));
            assert_eq!(r.delta_wh, 0.0);
            assert!(r.closed.is_none());
        }
        assert_eq!(m.gap_cause(), Some("not answering"));
        let r = m.step(&reading(1220.0, "A", 22_000, false), 10.0, AGE, t(22_000));
        assert_eq!(r.delta_wh, 210.0);
        let gap = r.closed.unwrap();
        assert_eq!((gap.started_at, gap.ended_at), (t(1000), t(22_000)));
        assert_eq!(gap.estimated_wh, 200.0);
        assert_eq!(gap.counted_wh, Some(210.0));
        assert!(m.gap_cause().is_none());
    }

    #[test]
    fn a_frozen_meter_is_stale_by_age_and_a_jump_is_a_gap() {
        let mut m = Metering::new(None, 400_000.0);
        let t = Timestamp::from_millis;
        m.step(&reading(0.0, "A", 0, false), 0.0, AGE, t(0));
        m.step(&reading(0.0, "A", 0, false), 0.0, AGE, t(2000));
        assert!(m.gap_cause().is_none(), "not older than the limit yet");
        m.step(&reading(0.0, "A", 0, false), 0.0, AGE, t(2001));
        assert_eq!(m.gap_cause(), Some("reading 2.0 s old"));
        let r = m.step(&reading(100.0, "A", 3000, false), 0.0, AGE, t(3000));
        assert_eq!(r.delta_wh, 100.0);
        assert!(r.closed.is_some());
        let r = m.step(&reading(1e9, "A", 3100, false), 0.0, AGE, t(3100));
        assert_eq!(r.delta_wh, 0.0);
        assert!(m.gap_cause().unwrap().starts_with("implausible"));
        let r = m.step(&reading(110.0, "A", 3200, false), 0.0, AGE, t(3200));
        assert_eq!(r.delta_wh, 10.0);
        assert_eq!(r.closed.unwrap().counted_wh, Some(10.0));
    }
}
