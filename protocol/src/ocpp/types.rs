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

    /// The instant an RFC 3339 text names (clamped to years 0000–9999: `0000-01-01T00:00:00
    /// +01:00` is valid RFC 3339 and lies before them); `None` if it names none.
    pub fn parse(text: &str) -> Option<DateTime> {
        parse_rfc3339_ms(text).map(DateTime::from_unix_ms)
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

/// An integer as JSON Schema draft-06 sees one: `3` and also `3.0`, which serde_json keeps a
/// float (the RPC layer's validator is stricter and refuses it on the wire; a stored message
/// read back may still carry one). A float with a fraction, or beyond ±2^53 where floats stop
/// being exact, is refused, and so is a number no `i64` holds: never a wrap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Integer(i64);

impl<'de> Deserialize<'de> for Integer {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Integer, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Integer;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer an i64 holds")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Integer, E> {
                Ok(Integer(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Integer, E> {
                i64::try_from(v)
                    .map(Integer)
                    .map_err(|_| E::custom(format_args!("{v} is beyond what an i64 holds")))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Integer, E> {
                if v.fract() == 0.0 && v.abs() < 9.0e15 {
                    Ok(Integer(v as i64))
                } else {
                    Err(E::custom(format_args!("{v} is not an exact integer")))
                }
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// `deserialize_with` for a required integer field ([`Integer`]'s rules).
pub fn de_integer<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Integer::deserialize(d).map(|i| i.0)
}

/// ... for an optional one.
pub fn de_opt_integer<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Option::<Integer>::deserialize(d).map(|o| o.map(|i| i.0))
}

/// ... for an array of them.
pub fn de_integers<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<i64>, D::Error> {
    Vec::<Integer>::deserialize(d).map(|v| v.into_iter().map(|i| i.0).collect())
}

/// ... for an optional array of them.
pub fn de_opt_integers<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<i64>>, D::Error> {
    Option::<Vec<Integer>>::deserialize(d).map(|o| o.map(|v| v.into_iter().map(|i| i.0).collect()))
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
    fn an_integer_is_what_json_schema_calls_one_and_fits_an_i64() {
        let int = |text: &str| de_integer(&mut serde_json::Deserializer::from_str(text));
        assert_eq!(int("3").unwrap(), 3);
        assert_eq!(int("3.0").unwrap(), 3);
        assert_eq!(int("-9223372036854775808").unwrap(), i64::MIN);
        assert!(int("3.5").is_err());
        assert!(int("9223372036854775808").is_err());
        assert!(int("1e300").is_err());
        assert!(int("\"3\"").is_err());
    }

    #[test]
    fn a_hostile_instant_is_clamped_and_still_formats() {
        assert_eq!(
            DateTime::parse("0000-01-01T00:00:00+01:00"),
            Some(DateTime::from_unix_ms(DateTime::MIN_UNIX_MS))
        );
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
