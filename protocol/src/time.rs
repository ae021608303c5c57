//! Time as a value: a monotonic instant in milliseconds since an arbitrary epoch.
//!
//! The shells turn their clock (tokio's, possibly paused) into a `Timestamp`; tests build them
//! from plain numbers. Millisecond resolution is enough for every CAN period we speak (the
//! shortest, GB/T's CST, is 10 ms).

use std::ops::{Add, AddAssign, Sub};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A monotonic instant, in milliseconds since an epoch chosen by whoever drives the clock.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Timestamp(u64);

impl Timestamp {
    pub const ZERO: Timestamp = Timestamp(0);

    pub const fn from_millis(ms: u64) -> Self {
        Timestamp(ms)
    }

    pub const fn from_secs(s: u64) -> Self {
        Timestamp(s * 1000)
    }

    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// Time elapsed since `earlier`, zero if `earlier` is in the future.
    pub fn saturating_since(self, earlier: Timestamp) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

impl Add<Duration> for Timestamp {
    type Output = Timestamp;
    fn add(self, rhs: Duration) -> Timestamp {
        let ms = u64::try_from(rhs.as_millis()).unwrap_or(u64::MAX);
        Timestamp(self.0.saturating_add(ms))
    }
}

impl AddAssign<Duration> for Timestamp {
    fn add_assign(&mut self, rhs: Duration) {
        *self = *self + rhs;
    }
}

impl Sub<Timestamp> for Timestamp {
    type Output = Duration;
    /// Saturating: an instant before `rhs` gives zero.
    fn sub(self, rhs: Timestamp) -> Duration {
        self.saturating_since(rhs)
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{:03}s", self.0 / 1000, self.0 % 1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates() {
        let t = Timestamp::from_millis(1500);
        assert_eq!(t + Duration::from_millis(500), Timestamp::from_secs(2));
        assert_eq!(Timestamp::ZERO - t, Duration::ZERO);
        assert_eq!(t - Timestamp::from_secs(1), Duration::from_millis(500));
        assert_eq!(t.to_string(), "1.500s");
    }
}

/// A UTC calendar date and time of day, for the wire formats that carry wall-clock time
/// (GB/T CTS, OCPP timestamps, the journal).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CivilTime {
    pub year: i64,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
}

impl CivilTime {
    /// From seconds since the Unix epoch (Howard Hinnant's days-to-civil; proleptic Gregorian).
    pub fn from_unix_secs(secs: i64) -> CivilTime {
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400);
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = (if mp < 10 { mp + 3 } else { mp - 9 }) as u8;
        CivilTime {
            year: yoe + era * 400 + i64::from(month <= 2),
            month,
            day,
            hour: (sod / 3600) as u8,
            minute: ((sod % 3600) / 60) as u8,
            second: (sod % 60) as u8,
        }
    }

    /// Seconds since the Unix epoch (the inverse of [`from_unix_secs`](Self::from_unix_secs)).
    pub fn to_unix_secs(self) -> i64 {
        let (m, d) = (i64::from(self.month), i64::from(self.day));
        let y = if m <= 2 { self.year - 1 } else { self.year };
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
    }
}

#[cfg(test)]
mod civil_tests {
    use super::CivilTime;

    #[test]
    fn round_trips_known_dates() {
        for (secs, y, mo, d) in [
            (0, 1970, 1, 1),
            (1_795_619_373, 2026, 11, 25),
            (1_709_251_199, 2024, 2, 29),
            (-1, 1969, 12, 31),
        ] {
            let c = CivilTime::from_unix_secs(secs);
            assert_eq!((c.year, c.month, c.day), (y, mo, d), "{secs}");
            assert_eq!(c.to_unix_secs(), secs);
        }
    }
}
