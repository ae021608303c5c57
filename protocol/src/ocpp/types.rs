//! Hand-written value types the generated OCPP messages ([`super::v16`], [`super::v201`]) use
//! where the schemas only say "string".

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::time::{parse_rfc3339_ms, rfc3339_utc};

/// An OCPP `date-time`: an instant, held as Unix milliseconds. Parsed from RFC 3339 (any
/// offset, any number of fraction digits, kept to the millisecond); written as UTC with
/// milliseconds (`2026-12-07T18:00:00.000Z`), as every OCPP peer reads it. Years 0000–9999
/// only: what RFC 3339 can write, so that any value, even one built from a hostile number,
/// formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime {
    unix_ms: i64,
}

impl DateTime {
    /// 0000-01-01T00:00:00.000Z.
    pub const MIN_UNIX_MS: i64 = -62_167_219_200_000;
    /// 9999-12-31T23:59:59.999Z.
    pub const MAX_UNIX_MS: i64 = 253_402_300_799_999;

    /// The instant `unix_ms`, clamped to years 0000–9999.
    pub const fn from_unix_ms(unix_ms: i64) -> DateTime {
        let unix_ms = if unix_ms < Self::MIN_UNIX_MS {
            Self::MIN_UNIX_MS
        } else if unix_ms > Self::MAX_UNIX_MS {
            Self::MAX_UNIX_MS
        } else {
            unix_ms
        };
        DateTime { unix_ms }
    }

    pub const fn unix_ms(self) -> i64 {
        self.unix_ms
    }

    /// The instant an RFC 3339 text names; `None` if it names none.
    pub fn parse(text: &str) -> Option<DateTime> {
        let ms = parse_rfc3339_ms(text)?;
        (Self::MIN_UNIX_MS..=Self::MAX_UNIX_MS)
            .contains(&ms)
            .then_some(DateTime { unix_ms: ms })
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&rfc3339_utc(self.unix_ms))
    }
}

impl Serialize for DateTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&rfc3339_utc(self.unix_ms))
    }
}

impl<'de> Deserialize<'de> for DateTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<DateTime, D::Error> {
        let text = String::deserialize(d)?;
        DateTime::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format_args!("{text:?} is not an RFC 3339 date-time"))
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_date_time_reads_any_offset_and_writes_utc_milliseconds() {
        let t: DateTime = serde_json::from_str("\"2026-12-07T19:00:00.123456+01:00\"").unwrap();
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            "\"2026-12-07T18:00:00.123Z\""
        );
        assert!(serde_json::from_str::<DateTime>("\"tomorrow\"").is_err());
        assert!(serde_json::from_str::<DateTime>("\"2026-02-30T00:00:00Z\"").is_err());
    }

    #[test]
    fn a_hostile_instant_is_clamped_and_still_formats() {
        for ms in [i64::MIN, i64::MAX, DateTime::MAX_UNIX_MS + 1] {
            let t = DateTime::from_unix_ms(ms);
            let text = t.to_string();
            assert_eq!(DateTime::parse(&text), Some(t), "{text}");
        }
        assert_eq!(
            DateTime::from_unix_ms(i64::MAX).to_string(),
            "9999-12-31T23:59:59.999Z"
        );
        assert_eq!(
            DateTime::from_unix_ms(i64::MIN).to_string(),
            "0000-01-01T00:00:00.000Z"
        );
    }
}
