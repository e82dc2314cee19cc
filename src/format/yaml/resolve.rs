//! How go-yaml v3 types a plain scalar (`resolve.go`), and the extra checks its encoder makes
//! before it prints a string without quotes.
//!
//! go-yaml reads YAML 1.2-ish: `true`/`false` (three spellings) are bools, `yes`/`on` are not;
//! integers go through Go's `strconv.ParseInt(s, 0, 64)` after dropping `_` (so `0x1F`, `0o17`,
//! `0b101` and the old octal `017` work); floats must look like `1.5`, `.5`, `1e3`; timestamps
//! are the four layouts go-yaml tries with `time.Parse`.

/// What a plain scalar means to go-yaml.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved {
    Null,
    Bool(bool),
    Int(i64),
    /// Fits u64 but not i64: go-yaml yields a `uint64`, which sops cannot encrypt.
    Uint(u64),
    Float(f64),
    /// RFC 3339 text as Go's `time.Time.MarshalText` prints it.
    Timestamp(String),
    /// The merge key `<<`.
    Merge,
    Str,
}

/// The first-character hint table of go-yaml's resolver: which scalars are worth a closer look.
fn hint(s: &str) -> u8 {
    match s.as_bytes().first() {
        None => b'N',
        Some(b'+' | b'-') => b'S',
        Some(b'0'..=b'9') => b'D',
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~') => b'M',
        Some(b'.') => b'.',
        Some(_) => 0,
    }
}

fn lookup(s: &str) -> Option<Resolved> {
    Some(match s {
        "true" | "True" | "TRUE" => Resolved::Bool(true),
        "false" | "False" | "FALSE" => Resolved::Bool(false),
        "" | "~" | "null" | "Null" | "NULL" => Resolved::Null,
        ".nan" | ".NaN" | ".NAN" => Resolved::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Resolved::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Resolved::Float(f64::NEG_INFINITY),
        "<<" => Resolved::Merge,
        _ => return None,
    })
}

/// Types an untagged plain scalar the way go-yaml v3 does.
pub fn resolve_plain(s: &str) -> Resolved {
    let h = hint(s);
    if h == 0 {
        return Resolved::Str;
    }
    if let Some(r) = lookup(s) {
        return r;
    }
    match h {
        b'.' => match go_parse_float(s) {
            Some(f) => Resolved::Float(f),
            None => Resolved::Str,
        },
        b'D' | b'S' => resolve_number(s),
        _ => Resolved::Str,
    }
}

fn resolve_number(s: &str) -> Resolved {
    if let Some(t) = parse_timestamp(s) {
        return Resolved::Timestamp(t);
    }
    let plain: String = s.chars().filter(|&c| c != '_').collect();
    if let Some(i) = go_parse_int(&plain, 0) {
        return Resolved::Int(i);
    }
    if let Some(u) = go_parse_uint(&plain, 0) {
        return Resolved::Uint(u);
    }
    if yaml_style_float(&plain) {
        if let Some(f) = go_parse_float(&plain) {
            return Resolved::Float(f);
        }
    }
    // Fallbacks go-yaml keeps for binary and YAML 1.2 octal spellings `ParseInt` missed
    // (the digits after the prefix may carry their own sign there).
    for (prefix, base, negate) in [
        ("0b", 2, false),
        ("-0b", 2, true),
        ("0o", 8, false),
        ("-0o", 8, true),
    ] {
        if let Some(rest) = plain.strip_prefix(prefix) {
            let text = if negate {
                format!("-{rest}")
            } else {
                rest.to_string()
            };
            if let Some(i) = go_parse_int(&text, base) {
                return Resolved::Int(i);
            }
            if !negate {
                if let Some(u) = go_parse_uint(&text, base) {
                    return Resolved::Uint(u);
                }
            }
            break;
        }
    }
    Resolved::Str
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            digits(&mut i);
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Go `strconv.ParseFloat(s, 64)` for the decimal forms go-yaml hands it (overflow is an error).
fn go_parse_float(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let body = b
        .strip_prefix(b"+")
        .or_else(|| b.strip_prefix(b"-"))
        .unwrap_or(b);
    // Only plain decimal text reaches here in practice; refuse anything Rust would accept
    // but Go would not (or the other way round), e.g. "inf" words or hex.
    if body.is_empty()
        || !body
            .iter()
            .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    let v: f64 = s.parse().ok()?;
    if v.is_infinite() {
        return None;
    }
    Some(v)
}

fn digit_value(c: u8) -> Option<u32> {
    match c {
        b'0'..=b'9' => Some((c - b'0') as u32),
        b'a'..=b'z' => Some((c - b'a' + 10) as u32),
        b'A'..=b'Z' => Some((c - b'A' + 10) as u32),
        _ => None,
    }
}

/// Go `strconv.ParseUint(s, base, 64)` with base 0 meaning "from the prefix" (no sign allowed).
fn go_parse_uint(s: &str, base: u32) -> Option<u64> {
    let b = s.as_bytes();
    let (base, digits) = if base == 0 {
        if b.len() >= 2 && b[0] == b'0' {
            match b[1] {
                b'x' | b'X' => (16, &b[2..]),
                b'b' | b'B' => (2, &b[2..]),
                b'o' | b'O' => (8, &b[2..]),
                _ => (8, &b[1..]),
            }
        } else {
            (10, b)
        }
    } else {
        (base, b)
    };
    if digits.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        let d = digit_value(c)?;
        if d >= base {
            return None;
        }
        v = v.checked_mul(base as u64)?.checked_add(d as u64)?;
    }
    Some(v)
}

/// Go `strconv.ParseInt(s, base, 64)`: optional sign, then as `ParseUint`, range-checked.
fn go_parse_int(s: &str, base: u32) -> Option<i64> {
    let (neg, rest) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let u = go_parse_uint(rest, base)?;
    if neg {
        if u <= 1u64 << 63 {
            Some((u as i64).wrapping_neg())
        } else {
            None
        }
    } else if u <= i64::MAX as u64 {
        Some(u as i64)
    } else {
        None
    }
}

fn days_in(month: u32, year: i64) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ => {
            if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 {
                29
            } else {
                28
            }
        }
    }
}

/// Reads 1 or 2 digits the way Go's `getnum(s, false)` does.
fn num12(b: &[u8], i: &mut usize) -> Option<u32> {
    if *i >= b.len() || !b[*i].is_ascii_digit() {
        return None;
    }
    let mut v = (b[*i] - b'0') as u32;
    *i += 1;
    if *i < b.len() && b[*i].is_ascii_digit() {
        v = v * 10 + (b[*i] - b'0') as u32;
        *i += 1;
    }
    Some(v)
}

/// go-yaml's timestamp layouts (`2006-1-2T15:4:5.999999999Z07:00`, the same with `t`,
/// `2006-1-2 15:4:5.999999999` and `2006-1-2`), returned as Go's RFC 3339 (nano) text.
pub fn parse_timestamp(s: &str) -> Option<String> {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return None;
    }
    let year: i64 = s[..4].parse().ok()?;
    let mut i = 5;
    let month = num12(b, &mut i)?;
    if b.get(i) != Some(&b'-') {
        return None;
    }
    i += 1;
    let day = num12(b, &mut i)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in(month, year) {
        return None;
    }
    let (mut hour, mut min, mut sec, mut nanos, mut offset) = (0, 0, 0, 0u32, 0i32);
    let mut frac_digits = String::new();
    if i < b.len() {
        let sep = b[i];
        if !matches!(sep, b'T' | b't' | b' ') {
            return None;
        }
        i += 1;
        hour = num12(b, &mut i)?;
        if b.get(i) != Some(&b':') {
            return None;
        }
        i += 1;
        min = num12(b, &mut i)?;
        if b.get(i) != Some(&b':') {
            return None;
        }
        i += 1;
        sec = num12(b, &mut i)?;
        if hour > 23 || min > 59 || sec > 59 {
            return None;
        }
        if i + 1 < b.len() && matches!(b[i], b'.' | b',') && b[i + 1].is_ascii_digit() {
            i += 1;
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let mut d: String = s[start..i].chars().take(9).collect();
            while d.len() < 9 {
                d.push('0');
            }
            nanos = d.parse().ok()?;
        }
        if sep != b' ' {
            // Zone: `Z` or `±hh:mm`.
            if b.get(i) == Some(&b'Z') {
                i += 1;
            } else {
                if b.len() < i + 6 || b[i + 3] != b':' || !matches!(b[i], b'+' | b'-') {
                    return None;
                }
                let two = |j: usize| -> Option<i32> {
                    if b[j].is_ascii_digit() && b[j + 1].is_ascii_digit() {
                        Some(((b[j] - b'0') * 10 + (b[j + 1] - b'0')) as i32)
                    } else {
                        None
                    }
                };
                let hh = two(i + 1)?;
                let mm = two(i + 4)?;
                if hh > 24 || mm > 60 {
                    return None;
                }
                offset = (hh * 60 + mm) * 60;
                if b[i] == b'-' {
                    offset = -offset;
                }
                i += 6;
            }
        }
    }
    if i != b.len() {
        return None;
    }
    if nanos > 0 {
        frac_digits = format!("{nanos:09}");
        while frac_digits.ends_with('0') {
            frac_digits.pop();
        }
    }
    let mut out = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{min:02}:{sec:02}");
    if !frac_digits.is_empty() {
        out.push('.');
        out.push_str(&frac_digits);
    }
    if offset == 0 {
        out.push('Z');
    } else {
        let sign = if offset < 0 { '-' } else { '+' };
        let a = offset.abs() / 60;
        out.push_str(&format!("{sign}{:02}:{:02}", a / 60, a % 60));
    }
    Some(out)
}

/// YAML 1.1 sexagesimal floats (`190:20:30`), which go-yaml still quotes on output:
/// `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`.
fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    if i >= b.len() || !b[i].is_ascii_digit() {
        return false;
    }
    i += 1;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while i < b.len() && b[i] == b':' {
        i += 1;
        // [0-5]?[0-9]: one digit, or two digits with the first in 0..=5.
        if i < b.len() && b[i].is_ascii_digit() {
            if i + 1 < b.len() && b[i + 1].is_ascii_digit() && b[i] <= b'5' {
                i += 2;
            } else {
                i += 1;
            }
        } else {
            return false;
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

/// YAML 1.1 booleans go-yaml v3 still quotes on output.
fn is_old_bool(s: &str) -> bool {
    matches!(
        s,
        "y" | "Y"
            | "yes"
            | "Yes"
            | "YES"
            | "on"
            | "On"
            | "ON"
            | "n"
            | "N"
            | "no"
            | "No"
            | "NO"
            | "off"
            | "Off"
            | "OFF"
    )
}

/// Whether go-yaml's encoder would print the string `s` unquoted (it may still be quoted later
/// by the emitter's own analysis of indicators and spaces).
pub fn can_use_plain(s: &str) -> bool {
    resolve_plain(s) == Resolved::Str && !is_base60_float(s) && !is_old_bool(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_like_go_yaml_v3() {
        assert_eq!(resolve_plain("0o17"), Resolved::Int(15));
        assert_eq!(resolve_plain("0x1F"), Resolved::Int(31));
        assert_eq!(resolve_plain("0123"), Resolved::Int(83));
        assert_eq!(resolve_plain("1_000"), Resolved::Int(1000));
        assert_eq!(resolve_plain("+1"), Resolved::Int(1));
        assert_eq!(resolve_plain("-0"), Resolved::Int(0));
        assert_eq!(resolve_plain("0b101"), Resolved::Int(5));
        assert_eq!(resolve_plain("09"), Resolved::Float(9.0));
        assert_eq!(resolve_plain("1e3"), Resolved::Float(1000.0));
        assert_eq!(resolve_plain(".5"), Resolved::Float(0.5));
        assert_eq!(resolve_plain("1."), Resolved::Float(1.0));
        assert_eq!(resolve_plain("1e400"), Resolved::Str);
        assert_eq!(resolve_plain("yes"), Resolved::Str);
        assert_eq!(resolve_plain("True"), Resolved::Bool(true));
        assert_eq!(resolve_plain("~"), Resolved::Null);
        assert_eq!(resolve_plain(""), Resolved::Null);
        assert_eq!(resolve_plain("<<"), Resolved::Str);
        assert_eq!(
            resolve_plain("18446744073709551615"),
            Resolved::Uint(u64::MAX)
        );
        assert_eq!(
            resolve_plain("18446744073709551616"),
            Resolved::Float(18446744073709551616.0)
        );
        assert_eq!(resolve_plain("0x1FFFFFFFFFFFFFFFFF"), Resolved::Str);
        assert!(matches!(resolve_plain(".nan"), Resolved::Float(f) if f.is_nan()));
    }

    #[test]
    fn timestamps_print_as_rfc3339() {
        let t = |s| parse_timestamp(s);
        assert_eq!(t("2024-01-02").as_deref(), Some("2024-01-02T00:00:00Z"));
        assert_eq!(
            t("2001-12-14t21:59:43.10-05:00").as_deref(),
            Some("2001-12-14T21:59:43.1-05:00")
        );
        assert_eq!(
            t("2001-12-14 21:59:43.10").as_deref(),
            Some("2001-12-14T21:59:43.1Z")
        );
        assert_eq!(
            t("2001-1-2T3:4:5Z").as_deref(),
            Some("2001-01-02T03:04:05Z")
        );
        assert_eq!(t("2001-12-14 21:59:43.10 -5"), None);
        assert_eq!(t("2001-02-30"), None);
        assert_eq!(t("2000-02-29").as_deref(), Some("2000-02-29T00:00:00Z"));
        assert_eq!(
            t("2001-12-14T21:59:43+00:00").as_deref(),
            Some("2001-12-14T21:59:43Z")
        );
    }

    #[test]
    fn plain_output_checks() {
        assert!(!can_use_plain("12:30"));
        assert!(!can_use_plain("190:20:30"));
        assert!(!can_use_plain("yes"));
        assert!(!can_use_plain("123"));
        assert!(can_use_plain("<<"));
        assert!(can_use_plain("a:b"));
        assert!(can_use_plain("2001-12-14 21:59:43.10 -5"));
    }
}
