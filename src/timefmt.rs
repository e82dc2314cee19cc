//! RFC 3339 timestamps as Go formats them (`lastmodified`, `created_at`).

use std::time::{SystemTime, UNIX_EPOCH};

/// Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Formats seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_utc(secs: i64) -> String {
    let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The current time, UTC, whole seconds: what sops writes as `lastmodified`.
pub fn now_utc() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    format_utc(secs)
}

/// Parses an RFC 3339 timestamp and prints it back with Go's `time.RFC3339` layout:
/// fractional seconds dropped, a zero offset written `Z`. `None` if it does not parse.
pub fn normalize_rfc3339(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<&str> {
        let s = text.get(r)?;
        s.bytes().all(|c| c.is_ascii_digit()).then_some(s)
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    // Go's time.Parse checks every field's range ("month out of range", ...).
    let num = |s: &str| s.parse::<u32>().unwrap_or(u32::MAX);
    let (y, m, d) = (num(year), num(month), num(day));
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let month_days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if d == 0 || d > month_days || num(hour) > 23 || num(minute) > 59 || num(second) > 59 {
        return None;
    }
    let date = format!("{year}-{month}-{day}");
    let time = format!("{hour}:{minute}:{second}");
    let mut rest = &text[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        rest = &frac[n..];
    }
    let zone = match rest {
        "Z" | "z" | "+00:00" | "-00:00" => "Z".to_string(),
        _ => {
            let rb = rest.as_bytes();
            if rb.len() != 6 || !matches!(rb[0], b'+' | b'-') || rb[3] != b':' {
                return None;
            }
            digits(20..22)?;
            digits(23..25)?;
            rest.to_string()
        }
    };
    Some(format!("{date}T{time}{zone}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc() {
        assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_utc(1_795_418_117), "2026-11-23T07:15:17Z");
        assert_eq!(format_utc(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn normalizes_like_go() {
        assert_eq!(
            normalize_rfc3339("2026-11-23T07:15:23Z").unwrap(),
            "2026-11-23T07:15:23Z"
        );
        assert_eq!(
            normalize_rfc3339("2026-11-23T07:15:23.123Z").unwrap(),
            "2026-11-23T07:15:23Z"
        );
        assert_eq!(
            normalize_rfc3339("2026-11-23T07:15:23+01:00").unwrap(),
            "2026-11-23T07:15:23+01:00"
        );
        assert_eq!(normalize_rfc3339("yesterday"), None);
        assert_eq!(normalize_rfc3339("2026-11-23"), None);
        for out_of_range in [
            "2026-13-02T03:05:04Z",
            "2026-12-82T03:05:04Z",
            "2025-02-29T03:05:04Z",
            "2026-12-02T24:05:04Z",
            "2026-12-02T03:60:04Z",
            "2026-12-02T03:05:60Z",
        ] {
            assert_eq!(normalize_rfc3339(out_of_range), None, "{out_of_range}");
        }
        assert!(normalize_rfc3339("2024-02-29T03:05:04Z").is_some());
    }
}
