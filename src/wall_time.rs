//! Wall-clock time as text: RFC 3339 formatting and parsing, in one place for the journal, the
//! OCPP messages and the daemon. Calendar arithmetic is `charger_protocol::time::CivilTime`.

/// Format a Unix time in milliseconds as RFC 3339 UTC (`2026-11-25T14:16:31.123Z`).
pub fn rfc3339_utc(unix_ms: i64) -> String {
    let c = charger_protocol::time::CivilTime::from_unix_secs(unix_ms.div_euclid(1000));
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
    let civil = charger_protocol::time::CivilTime {
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
mod tests {
    use super::*;

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
