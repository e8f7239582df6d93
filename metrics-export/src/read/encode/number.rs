//! Numbers as the text formats print them: integers with `itoa`, floats
//! with `ryu` (shortest round-trip), and the canonical Go-`%g` form that
//! OpenMetrics asks for in `le` and `quantile` label values.

/// Appends an unsigned integer.
#[inline]
pub(crate) fn write_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// Appends a signed integer.
#[inline]
pub(crate) fn write_i64(out: &mut Vec<u8>, v: i64) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// Integral floats below this magnitude print as integers (exact in f64).
const EXACT_INT: f64 = 9_007_199_254_740_992.0; // 2^53

/// Appends a sample value: `NaN`, `+Inf`, `-Inf`, integral values as
/// integers (`3`, not `3.0`), others in ryu's shortest form (`0.25`,
/// `1.5e-7`, `1e16`), all of which Prometheus (Go `ParseFloat`) and
/// OpenMetrics parsers read.
#[inline]
pub(crate) fn write_f64(out: &mut Vec<u8>, v: f64) {
    if v.is_nan() {
        out.extend_from_slice(b"NaN");
    } else if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 { b"+Inf" } else { b"-Inf" });
    } else if v.fract() == 0.0 && v.abs() < EXACT_INT {
        write_i64(out, v as i64);
    } else {
        out.extend_from_slice(ryu::Buffer::new().format_finite(v).as_bytes());
    }
}

/// Appends `v` as Go's `strconv.FormatFloat(v, 'g', -1, 64)` with `.0`
/// added when that has neither `.` nor exponent: the canonical number of
/// OpenMetrics (`0.005`, `1.0`, `10.0`, `100000.0`, `1e+06`, `1e-05`),
/// and `+Inf`, `-Inf`, `NaN`.
pub(crate) fn write_canonical(out: &mut Vec<u8>, v: f64) {
    if !v.is_finite() {
        return write_f64(out, v);
    }
    if v == 0.0 {
        out.extend_from_slice(if v.is_sign_negative() {
            b"-0.0"
        } else {
            b"0.0"
        });
        return;
    }
    // Shortest digits and decimal exponent from ryu's output.
    let mut buf = ryu::Buffer::new();
    let s = buf.format_finite(v.abs());
    let (mantissa, exp) = match s.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (s, 0),
    };
    let mut digits = [0u8; 32];
    let mut nd = 0usize;
    // Position of the decimal point relative to the first digit kept.
    let mut dp: i32 = 0;
    let mut seen_point = false;
    for &b in mantissa.as_bytes() {
        if b == b'.' {
            seen_point = true;
            continue;
        }
        if nd == 0 && b == b'0' {
            // A leading zero: moves the point left if after it.
            if seen_point {
                dp -= 1;
            }
            continue;
        }
        digits[nd] = b;
        nd += 1;
        if !seen_point {
            dp += 1;
        }
    }
    while nd > 1 && digits[nd - 1] == b'0' {
        nd -= 1;
    }
    let dp = dp + exp; // value = 0.d1d2..dn * 10^dp
    if v < 0.0 {
        out.push(b'-');
    }
    let x = dp - 1;
    if !(-4..6).contains(&x) {
        // %e: d[.ddd]e±XX
        out.push(digits[0]);
        if nd > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..nd]);
        }
        out.push(b'e');
        out.push(if x < 0 { b'-' } else { b'+' });
        let ax = x.unsigned_abs();
        if ax < 10 {
            out.push(b'0');
        }
        write_u64(out, u64::from(ax));
        return;
    }
    // %f with the shortest digits, then `.0` if integral.
    if dp <= 0 {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', (-dp) as usize));
        out.extend_from_slice(&digits[..nd]);
    } else {
        let dp = dp as usize;
        if nd <= dp {
            out.extend_from_slice(&digits[..nd]);
            out.extend(std::iter::repeat_n(b'0', dp - nd));
            out.extend_from_slice(b".0");
        } else {
            out.extend_from_slice(&digits[..dp]);
            out.push(b'.');
            out.extend_from_slice(&digits[dp..nd]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(v: f64) -> String {
        let mut out = Vec::new();
        write_canonical(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    fn value(v: f64) -> String {
        let mut out = Vec::new();
        write_f64(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn canonical_examples_of_the_openmetrics_spec() {
        let cases = [
            (0.001, "0.001"),
            (0.002, "0.002"),
            (0.01, "0.01"),
            (0.1, "0.1"),
            (0.9, "0.9"),
            (0.95, "0.95"),
            (0.99, "0.99"),
            (0.999, "0.999"),
            (1.0, "1.0"),
            (1.7, "1.7"),
            (10.0, "10.0"),
            (1e-10, "1e-10"),
            (1e-9, "1e-09"),
            (1e-6, "1e-06"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (100.0, "100.0"),
            (100000.0, "100000.0"),
            (1e6, "1e+06"),
            (1e10, "1e+10"),
            (2.5e-6, "2.5e-06"),
            (0.0025, "0.0025"),
            (123456789.0, "1.23456789e+08"),
            (0.0, "0.0"),
            (-2.5, "-2.5"),
            (1e100, "1e+100"),
            (f64::INFINITY, "+Inf"),
        ];
        for (v, want) in cases {
            assert_eq!(canon(v), want, "{v}");
        }
    }

    #[test]
    fn sample_values() {
        assert_eq!(value(3.0), "3");
        assert_eq!(value(-3.0), "-3");
        assert_eq!(value(0.25), "0.25");
        assert_eq!(value(f64::NAN), "NaN");
        assert_eq!(value(f64::INFINITY), "+Inf");
        assert_eq!(value(f64::NEG_INFINITY), "-Inf");
        assert_eq!(value(1e300), "1e300");
        assert_eq!(value(1.5e-7), "1.5e-7");
        for v in [0.1, 1e300, 1.5e-7, 123.456, 1e16 + 2.0] {
            assert_eq!(value(v).parse::<f64>().unwrap(), v);
        }
    }
}
