//! Frame-period jitter of the charger's periodic messages, as the vehicle sees them arrive.
//!
//! Each watched identifier keeps the arrival instant of its previous frame; the interval to the
//! next one is recorded only when both arrivals fall while the session is charging, so the
//! handshake (where the charger starts and stops its messages) does not pollute the figures.
//! Arrival instants are taken when the simulator reads its socket, so their resolution is its
//! poll period (1 ms by default), on top of the daemon's own step (10 ms by default).

use std::time::{Duration, Instant};

use charger_protocol::CanFrame;
use serde::Serialize;

/// A periodic charger message to time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watched {
    /// CAN identifier (11 or 29 bits, as `extended` says).
    pub id: u32,
    pub extended: bool,
    /// Its name in the protocol.
    pub name: &'static str,
    /// The period the standard gives it.
    pub nominal: Duration,
}

impl Watched {
    pub fn matches(&self, frame: &CanFrame) -> bool {
        frame.id() == self.id && frame.is_extended() == self.extended && !frame.is_remote()
    }
}

/// GB/T 27930 CCS (charger charging status, PGN 0x1200, priority 6, charger 0x56 → BMS 0xF4):
/// every 50 ms while charging.
pub const GBT_WATCHED: [Watched; 1] = [Watched {
    id: 0x1812_F456,
    extended: true,
    name: "CCS",
    nominal: Duration::from_millis(50),
}];

/// CHAdeMO 0x108 (charger capability) and 0x109 (charger status): every 100 ms.
pub const CHADEMO_WATCHED: [Watched; 2] = [
    Watched {
        id: 0x108,
        extended: false,
        name: "0x108",
        nominal: Duration::from_millis(100),
    },
    Watched {
        id: 0x109,
        extended: false,
        name: "0x109",
        nominal: Duration::from_millis(100),
    },
];

/// Deviation beyond which an interval counts in [`JitterReport::beyond_5ms`]: half the daemon's
/// default step, so it counts the frames that went out a step early or late.
pub const OFF_STEP_MS: f64 = 5.0;

/// Intervals between arrivals of one watched message.
#[derive(Debug, Clone)]
pub struct JitterTracker {
    watched: Watched,
    last: Option<Instant>,
    intervals_ms: Vec<f64>,
}

impl JitterTracker {
    pub fn new(watched: Watched) -> JitterTracker {
        JitterTracker {
            watched,
            last: None,
            intervals_ms: Vec::new(),
        }
    }

    pub fn watched(&self) -> &Watched {
        &self.watched
    }

    /// A frame of this message arrived at `at`; `charging` says whether the session was.
    pub fn arrival(&mut self, at: Instant, charging: bool) {
        if !charging {
            self.last = None;
            return;
        }
        if let Some(last) = self.last {
            self.intervals_ms
                .push(at.saturating_duration_since(last).as_secs_f64() * 1e3);
        }
        self.last = Some(at);
    }

    /// The session left the charging state: the next arrival starts a new series.
    pub fn pause(&mut self) {
        self.last = None;
    }

    pub fn intervals_ms(&self) -> &[f64] {
        &self.intervals_ms
    }

    pub fn report(&self) -> JitterReport {
        let nominal_ms = self.watched.nominal.as_secs_f64() * 1e3;
        let deviations: Vec<f64> = self
            .intervals_ms
            .iter()
            .map(|i| (i - nominal_ms).abs())
            .collect();
        JitterReport {
            name: self.watched.name,
            id: if self.watched.extended {
                format!("0x{:08X}", self.watched.id)
            } else {
                format!("0x{:03X}", self.watched.id)
            },
            nominal_ms,
            intervals: self.intervals_ms.len(),
            beyond_5ms: deviations.iter().filter(|d| **d > OFF_STEP_MS).count(),
            interval_ms: Spread::of(&self.intervals_ms),
            deviation_ms: Spread::of(&deviations),
        }
    }
}

/// Jitter figures of one message, in milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JitterReport {
    pub name: &'static str,
    /// The identifier, in hex.
    pub id: String,
    pub nominal_ms: f64,
    /// Intervals measured (arrivals while charging, minus one per charging stretch).
    pub intervals: usize,
    /// Intervals more than 5 ms from nominal (a frame sent a daemon step early or late).
    pub beyond_5ms: usize,
    /// The intervals between arrivals; `None` without any.
    pub interval_ms: Option<Spread>,
    /// |interval − nominal|; `None` without any interval.
    pub deviation_ms: Option<Spread>,
}

/// Median, 99th percentile and extremes of a sample (linear interpolation between ranks).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spread {
    pub min: f64,
    pub median: f64,
    pub p99: f64,
    pub max: f64,
}

impl Spread {
    /// `None` for an empty sample; non-finite values are ignored.
    pub fn of(sample: &[f64]) -> Option<Spread> {
        let mut sorted: Vec<f64> = sample.iter().copied().filter(|v| v.is_finite()).collect();
        sorted.sort_by(f64::total_cmp);
        let (&min, &max) = (sorted.first()?, sorted.last()?);
        Some(Spread {
            min,
            median: quantile(&sorted, 0.5),
            p99: quantile(&sorted, 0.99),
            max,
        })
    }
}

/// The `q` quantile of a sorted, non-empty sample, interpolating between the closest ranks.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let Some(&last) = sorted.last() else {
        return f64::NAN;
    };
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let frac = pos - lo as f64;
    match (sorted.get(lo), sorted.get(lo + 1)) {
        (Some(&a), Some(&b)) => a + (b - a) * frac,
        (Some(&a), None) => a,
        _ => last,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_between_ranks() {
        let s = Spread::of(&[4.0, 1.0, 3.0, 2.0]).unwrap();
        assert_eq!((s.min, s.max), (1.0, 4.0));
        assert!((s.median - 2.5).abs() < 1e-12);
        assert!((s.p99 - 3.97).abs() < 1e-9, "{s:?}");
        let one = Spread::of(&[7.0]).unwrap();
        assert_eq!((one.median, one.p99), (7.0, 7.0));
        assert!(Spread::of(&[]).is_none());
        assert!(Spread::of(&[f64::NAN]).is_none());
    }

    #[test]
    fn intervals_count_only_while_charging() {
        let t0 = Instant::now();
        let ms = |m: u64| t0 + Duration::from_millis(m);
        let mut j = JitterTracker::new(GBT_WATCHED[0]);
        j.arrival(ms(0), false);
        j.arrival(ms(50), true); // first while charging: no interval yet
        j.arrival(ms(100), true);
        j.arrival(ms(160), true);
        j.pause();
        j.arrival(ms(500), true); // a new stretch
        j.arrival(ms(545), true);
        j.arrival(ms(600), false);
        j.arrival(ms(650), true);
        let r = j.report();
        assert_eq!(r.intervals, 3);
        assert_eq!(r.beyond_5ms, 1);
        assert_eq!(r.id, "0x1812F456");
        assert_eq!(r.nominal_ms, 50.0);
        let i = r.interval_ms.unwrap();
        assert!((i.median - 50.0).abs() < 1e-6, "{i:?}");
        assert!((i.max - 60.0).abs() < 1e-6, "{i:?}");
        let d = r.deviation_ms.unwrap();
        assert!((d.median - 5.0).abs() < 1e-6, "{d:?}");
        assert!((d.min - 0.0).abs() < 1e-6, "{d:?}");
        assert!((d.max - 10.0).abs() < 1e-6, "{d:?}");
    }

    #[test]
    fn matches_by_id_and_format() {
        let ccs = CanFrame::extended(0x1812_F456, &[0; 8]).unwrap();
        let other = CanFrame::extended(0x1812_F457, &[0; 8]).unwrap();
        assert!(GBT_WATCHED[0].matches(&ccs));
        assert!(!GBT_WATCHED[0].matches(&other));
        let s108 = CanFrame::standard(0x108, &[0; 8]).unwrap();
        let e108 = CanFrame::extended(0x108, &[0; 8]).unwrap();
        assert!(CHADEMO_WATCHED[0].matches(&s108));
        assert!(!CHADEMO_WATCHED[0].matches(&e108));
        assert_eq!(CHADEMO_WATCHED[1].report_id(), "0x109");
    }

    impl Watched {
        fn report_id(&self) -> String {
            JitterTracker::new(*self).report().id
        }
    }
}
