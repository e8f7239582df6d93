//! Durations in histogram bounds: `"60s"`, `"500ms"`, `"1.5h"`, `"10us"`,
//! `"100ns"`, converted to nanoseconds (a `seconds` histogram's recording
//! unit).

/// The accepted suffixes and their length in nanoseconds.
const SUFFIXES: &[(&str, u64)] = &[
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("min", 60_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
];

/// Nanoseconds in `text`, or why it is not a duration.
pub fn parse_nanos(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let number = number.replace('_', "");
    let Some(&(_, nanos)) = SUFFIXES.iter().find(|(s, _)| *s == suffix.trim()) else {
        return Err(format!(
            "`{text}` is not a duration: expected a number with a unit suffix (`ns`, `us`, `ms`, `s`, `min`, `h`), e.g. \"60s\" or \"500ms\""
        ));
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration: `{number}` is not a number"))?;
    let total = value * nanos as f64;
    if !(total.is_finite() && total < u64::MAX as f64) {
        return Err(format!("`{text}` is too long for a histogram bound"));
    }
    if total.fract() != 0.0 {
        return Err(format!("`{text}` is not a whole number of nanoseconds"));
    }
    Ok(total as u64)
}

#[cfg(test)]
mod tests {
    use super::parse_nanos;

    #[test]
    fn durations() {
        assert_eq!(parse_nanos("60s"), Ok(60_000_000_000));
        assert_eq!(parse_nanos("500ms"), Ok(500_000_000));
        assert_eq!(parse_nanos("1h"), Ok(3_600_000_000_000));
        assert_eq!(parse_nanos("10us"), Ok(10_000));
        assert_eq!(parse_nanos("100ns"), Ok(100));
        assert_eq!(parse_nanos("1.5s"), Ok(1_500_000_000));
        assert_eq!(parse_nanos("2min"), Ok(120_000_000_000));
        assert!(parse_nanos("60").is_err());
        assert!(parse_nanos("60 parsecs").is_err());
        assert!(parse_nanos("0.5ns").is_err());
    }
}
