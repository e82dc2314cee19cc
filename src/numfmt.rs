//! Float text exactly as Go's `strconv.FormatFloat` prints it, which is what sops writes.
//!
//! Rust and Go both print the shortest digits that round-trip; they differ only in layout
//! (exponent style, `+Inf`), so every format here starts from Rust's `{:e}` digits.

/// Shortest round-trip digits and the decimal exponent: `value = 0.d1d2… × 10^(point)`.
struct Digits {
    negative: bool,
    digits: String,
    /// Position of the decimal point relative to the digit string (Go's `dp`).
    point: i32,
}

fn digits(v: f64) -> Digits {
    let sci = format!("{:e}", v);
    let (mantissa, exp) = sci.split_once('e').expect("{:e} always has an exponent");
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let exp: i32 = exp.parse().expect("{:e} exponent is an integer");
    Digits {
        negative,
        digits,
        point: exp + 1,
    }
}

fn special(v: f64) -> Option<&'static str> {
    if v.is_nan() {
        Some("NaN")
    } else if v == f64::INFINITY {
        Some("+Inf")
    } else if v == f64::NEG_INFINITY {
        Some("-Inf")
    } else {
        None
    }
}

fn fixed(d: &Digits) -> String {
    let mut out = String::with_capacity(d.digits.len() + 4);
    if d.negative {
        out.push('-');
    }
    let nd = d.digits.len() as i32;
    if d.point <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-d.point) as usize));
        out.push_str(&d.digits);
    } else if d.point >= nd {
        out.push_str(&d.digits);
        out.extend(std::iter::repeat_n('0', (d.point - nd) as usize));
    } else {
        out.push_str(&d.digits[..d.point as usize]);
        out.push('.');
        out.push_str(&d.digits[d.point as usize..]);
    }
    out
}

fn exponent(d: &Digits, e: char) -> String {
    let mut out = String::with_capacity(d.digits.len() + 6);
    if d.negative {
        out.push('-');
    }
    out.push_str(&d.digits[..1]);
    if d.digits.len() > 1 {
        out.push('.');
        out.push_str(&d.digits[1..]);
    }
    out.push(e);
    let exp = if d.digits == "0" { 0 } else { d.point - 1 };
    out.push(if exp < 0 { '-' } else { '+' });
    let abs = exp.unsigned_abs();
    if abs < 10 {
        out.push('0');
    }
    out.push_str(&abs.to_string());
    out
}

/// Go `FormatFloat(v, 'f', -1, 64)`: never an exponent. sops encrypts floats as this text.
pub fn go_f(v: f64) -> String {
    match special(v) {
        Some(s) => s.to_string(),
        None => fixed(&digits(v)),
    }
}

fn go_g_with(v: f64, e: char) -> String {
    if let Some(s) = special(v) {
        return s.to_string();
    }
    let d = digits(v);
    // With shortest formatting Go picks %e when the exponent is < -4 or >= 6.
    let exp = d.point - 1;
    if d.digits != "0" && !(-4..6).contains(&exp) {
        exponent(&d, e)
    } else {
        fixed(&d)
    }
}

/// Go `FormatFloat(v, 'g', -1, 64)`: how go-yaml prints floats (before YAML's `.inf` names).
pub fn go_g(v: f64) -> String {
    go_g_with(v, 'e')
}

/// How go-yaml v3 prints a float scalar.
pub fn yaml_float(v: f64) -> String {
    match go_g(v).as_str() {
        "+Inf" => ".inf".to_string(),
        "-Inf" => "-.inf".to_string(),
        "NaN" => ".nan".to_string(),
        s => s.to_string(),
    }
}

/// How Go's `encoding/json` prints a float (`None` for Inf/NaN, which it cannot encode).
pub fn json_float(v: f64) -> Option<String> {
    if special(v).is_some() {
        return None;
    }
    let abs = v.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let mut s = exponent(&digits(v), 'e');
        // Go cleans up e-09 to e-9 (only for negative exponents).
        let n = s.len();
        if s.as_bytes()[n - 3] == b'-' && s.as_bytes()[n - 2] == b'0' {
            s.remove(n - 2);
        }
        Some(s)
    } else {
        Some(go_f(v))
    }
}

/// sops' `ValToString` for floats (dotenv, INI, exec-env): `%G`, with `.0` added when that
/// shows neither a point nor an exponent.
pub fn flat_float(v: f64) -> String {
    let g = go_g_with(v, 'E');
    if g.contains('.') || g.contains('E') || special(v).is_some() {
        g
    } else {
        format!("{g}.0")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_never_uses_exponents() {
        assert_eq!(go_f(1.0), "1");
        assert_eq!(go_f(1e10), "10000000000");
        assert_eq!(go_f(1e21), "1000000000000000000000");
        assert_eq!(go_f(1e-7), "0.0000001");
        assert_eq!(go_f(0.1), "0.1");
        assert_eq!(
            go_f(1.2345678901234568e29),
            "123456789012345680000000000000"
        );
        assert_eq!(go_f(-0.0), "-0");
        assert_eq!(go_f(f64::INFINITY), "+Inf");
        assert_eq!(go_f(f64::NEG_INFINITY), "-Inf");
        assert_eq!(go_f(f64::NAN), "NaN");
        assert_eq!(go_f(2.5), "2.5");
    }

    #[test]
    fn yaml_uses_go_g() {
        assert_eq!(yaml_float(1e10), "1e+10");
        assert_eq!(yaml_float(1234567.0), "1.234567e+06");
        assert_eq!(yaml_float(1e-5), "1e-05");
        assert_eq!(yaml_float(0.0001), "0.0001");
        assert_eq!(yaml_float(100000.0), "100000");
        assert_eq!(yaml_float(1.0), "1");
        assert_eq!(yaml_float(-0.0), "-0");
        assert_eq!(yaml_float(0.0), "0");
        assert_eq!(yaml_float(1e-7), "1e-07");
        assert_eq!(yaml_float(1.5e300), "1.5e+300");
        assert_eq!(yaml_float(2.5125), "2.5125");
        assert_eq!(yaml_float(f64::INFINITY), ".inf");
        assert_eq!(yaml_float(f64::NEG_INFINITY), "-.inf");
        assert_eq!(yaml_float(f64::NAN), ".nan");
        assert_eq!(yaml_float(12345678.0), "1.2345678e+07");
        assert_eq!(yaml_float(123456.5), "123456.5");
    }

    #[test]
    fn json_switches_to_exponent_outside_1e_minus6_to_1e21() {
        assert_eq!(json_float(1e21).unwrap(), "1e+21");
        assert_eq!(json_float(1e-7).unwrap(), "1e-7");
        assert_eq!(json_float(0.000001).unwrap(), "0.000001");
        assert_eq!(json_float(1e20).unwrap(), "100000000000000000000");
        assert_eq!(json_float(5432.0).unwrap(), "5432");
        assert_eq!(json_float(0.0).unwrap(), "0");
        assert_eq!(json_float(1.5e-300).unwrap(), "1.5e-300");
        assert!(json_float(f64::NAN).is_none());
    }

    #[test]
    fn flat_floats_always_show_a_point_or_exponent() {
        assert_eq!(flat_float(1.0), "1.0");
        assert_eq!(flat_float(0.1), "0.1");
        assert_eq!(flat_float(1e21), "1E+21");
        assert_eq!(flat_float(1.5e-7), "1.5E-07");
        assert_eq!(flat_float(100000.0), "100000.0");
    }
}
