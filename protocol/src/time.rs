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
    /// From seconds since the Unix epoch, through the `time` crate's proleptic Gregorian
    /// calendar. Saturates at the calendar's ends (years -9999 and 9999): a hostile clock value
    /// gives a far date, never a panic.
    pub fn from_unix_secs(secs: i64) -> CivilTime {
        let t = time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(if secs < 0 {
            time::PrimitiveDateTime::MIN.assume_utc()
        } else {
            time::PrimitiveDateTime::MAX.assume_utc()
        });
        CivilTime {
            year: i64::from(t.year()),
            month: u8::from(t.month()),
            day: t.day(),
            hour: t.hour(),
            minute: t.minute(),
            second: t.second(),
        }
    }

    /// Seconds since the Unix epoch (the inverse of [`from_unix_secs`](Self::from_unix_secs)).
    /// `None` for a date that does not exist (30 February, month 13) or a time of day out of
    /// range; a leap second (:60, which RFC 3339 allows) counts as :59.
    pub fn to_unix_secs(self) -> Option<i64> {
        let year = i32::try_from(self.year).ok()?;
        let month = time::Month::try_from(self.month).ok()?;
        let date = time::Date::from_calendar_date(year, month, self.day).ok()?;
        let time_of_day = time::Time::from_hms(self.hour, self.minute, self.second.min(59)).ok()?;
        Some(
            time::PrimitiveDateTime::new(date, time_of_day)
                .assume_utc()
                .unix_timestamp(),
        )
    }
}

/// Format a Unix time in milliseconds as RFC 3339 UTC (`2026-11-25T14:16:31.123Z`).
pub fn rfc3339_utc(unix_ms: i64) -> String {
    let c = CivilTime::from_unix_secs(unix_ms.div_euclid(1000));
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        c.year,
        c.month,
        c.day,
        c.hour,
        c.minute,
        c.second,
        unix_ms.rem_euclid(1000)
    )
}

/// Unix milliseconds from an RFC 3339 time ("2026-11-25T15:09:33.123Z", an offset, or none =
/// UTC). `None` if it is not one.
pub fn parse_rfc3339_ms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b'T' || b[10] == b't' || b[10] == b' ')
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let mut rest = &s[19..];
    let mut ms = 0i64;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits: String = frac.chars().take_while(char::is_ascii_digit).collect();
        if digits.is_empty() {
            return None;
        }
        let scaled: String = digits
            .chars()
            .chain(std::iter::repeat('0'))
            .take(3)
            .collect();
        ms = scaled.parse().ok()?;
        rest = &frac[digits.len()..];
    }
    let offset_min = match rest {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let oh: i64 = rest.get(1..3)?.parse().ok()?;
            let om: i64 = rest.get(4..6)?.parse().ok()?;
            sign * (oh * 60 + om)
        }
    };
    let civil = CivilTime {
        year: y,
        month: u8::try_from(mo).ok()?,
        day: u8::try_from(d).ok()?,
        hour: u8::try_from(h).ok()?,
        minute: u8::try_from(mi).ok()?,
        second: u8::try_from(se).ok()?,
    };
    Some((civil.to_unix_secs()? - offset_min * 60) * 1000 + ms)
}

#[cfg(test)]
mod civil_tests {
    use super::{parse_rfc3339_ms, rfc3339_utc, CivilTime};

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
            assert_eq!(c.to_unix_secs(), Some(secs));
        }
    }

    #[test]
    fn impossible_dates_and_hostile_clocks_are_refused_or_saturated() {
        let feb30 = CivilTime {
            year: 2026,
            month: 2,
            day: 30,
            hour: 0,
            minute: 0,
            second: 0,
        };
        assert_eq!(feb30.to_unix_secs(), None);
        assert_eq!(CivilTime { month: 13, ..feb30 }.to_unix_secs(), None);
        assert_eq!(
            CivilTime {
                hour: 24,
                day: 1,
                ..feb30
            }
            .to_unix_secs(),
            None
        );
        let leap_second = CivilTime {
            day: 28,
            hour: 23,
            minute: 59,
            second: 60,
            ..feb30
        };
        assert_eq!(
            leap_second.to_unix_secs(),
            CivilTime {
                second: 59,
                ..leap_second
            }
            .to_unix_secs()
        );
        assert_eq!(CivilTime::from_unix_secs(i64::MAX).year, 9999);
        assert_eq!(CivilTime::from_unix_secs(i64::MIN).year, -9999);
    }

    #[test]
    fn formats_rfc3339() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_utc(1_795_702_591_123), "2026-11-26T14:16:31.123Z");
        assert_eq!(rfc3339_utc(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn parses_what_it_formats_and_offsets() {
        for ms in [0, 1_795_702_591_123, 951_782_400_000] {
            assert_eq!(parse_rfc3339_ms(&rfc3339_utc(ms)), Some(ms));
        }
        assert_eq!(
            parse_rfc3339_ms("2026-11-26T15:16:31.123+01:00"),
            Some(1_795_702_591_123)
        );
        assert_eq!(parse_rfc3339_ms("2026-13-01T00:00:00Z"), None);
        // A date that does not exist is not a time (it used to count as 2 March).
        assert_eq!(parse_rfc3339_ms("2026-02-30T00:00:00Z"), None);
        assert_eq!(parse_rfc3339_ms("yesterday"), None);
    }
}
