//! The Prometheus naming rules, shared by the registry (at run time) and
//! the derive macros (at compile time).

/// Suffixes a non-counter family may not end with: exporters append them
/// to sample names, so a family that already ends with one would collide
/// with another family's samples.
pub const RESERVED_SUFFIXES: &[&str] =
    &["_total", "_bucket", "_count", "_sum", "_created", "_info"];

/// Label names exporters add themselves.
pub const RESERVED_LABELS: &[&str] = &["le", "quantile"];

/// Checks a metric name against `[a-zA-Z_:][a-zA-Z0-9_:]*`; the error says
/// what is wrong in words.
pub fn check_metric_name(name: &str) -> Result<(), &'static str> {
    check_chars(name, true)
}

/// Checks a label name against `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with
/// `__` (reserved for Prometheus internals) and not `le` or `quantile`.
pub fn check_label_name(name: &str) -> Result<(), &'static str> {
    check_chars(name, false)?;
    if name.starts_with("__") {
        return Err("label names starting with `__` are reserved for Prometheus");
    }
    if RESERVED_LABELS.contains(&name) {
        return Err("`le` and `quantile` are reserved for histogram and summary samples");
    }
    Ok(())
}

fn check_chars(name: &str, colons: bool) -> Result<(), &'static str> {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return Err("the name is empty");
    };
    let legal = |c: char| c.is_ascii_alphanumeric() || c == '_' || (colons && c == ':');
    if first.is_ascii_digit() {
        return Err("a name cannot start with a digit");
    }
    if !legal(first) || !chars.all(legal) {
        return Err(if colons {
            "only ASCII letters, digits, `_` and `:` are allowed"
        } else {
            "only ASCII letters, digits and `_` are allowed"
        });
    }
    Ok(())
}

/// The reserved suffix `name` ends with, if any.
pub fn reserved_suffix(name: &str) -> Option<&'static str> {
    RESERVED_SUFFIXES
        .iter()
        .copied()
        .find(|s| name.ends_with(s))
}

/// The base unit to use instead of `unit`, if `unit` is a scaled or
/// non-base unit (`ms` -> `seconds`, `kb` -> `bytes`, `percent` -> `ratio`).
pub fn non_base_unit(unit: &str) -> Option<&'static str> {
    const TIME: &[&str] = &[
        "ns",
        "nanoseconds",
        "us",
        "microseconds",
        "ms",
        "milliseconds",
        "s",
        "sec",
        "secs",
        "second",
        "minutes",
        "minute",
        "hours",
        "hour",
        "days",
        "day",
    ];
    const SIZE: &[&str] = &[
        "bits",
        "bit",
        "byte",
        "kb",
        "kib",
        "kilobytes",
        "mb",
        "mib",
        "megabytes",
        "gb",
        "gib",
        "gigabytes",
    ];
    const RATIO: &[&str] = &["percent", "percentage", "pct"];
    let unit = unit.to_ascii_lowercase();
    let unit = unit.as_str();
    if TIME.contains(&unit) {
        Some("seconds")
    } else if SIZE.contains(&unit) {
        Some("bytes")
    } else if RATIO.contains(&unit) {
        Some("ratio")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_names() {
        assert!(check_metric_name("http_requests").is_ok());
        assert!(check_metric_name("a:b_c9").is_ok());
        assert!(check_metric_name("").is_err());
        assert!(check_metric_name("9lives").is_err());
        assert!(check_metric_name("with-dash").is_err());
        assert!(check_metric_name("naïve").is_err());
    }

    #[test]
    fn label_names() {
        assert!(check_label_name("method").is_ok());
        assert!(check_label_name("a:b").is_err());
        assert!(check_label_name("__name__").is_err());
        assert!(check_label_name("le").is_err());
        assert!(check_label_name("quantile").is_err());
    }

    #[test]
    fn suffixes() {
        assert_eq!(reserved_suffix("x_bucket"), Some("_bucket"));
        assert_eq!(reserved_suffix("x_seconds"), None);
    }

    #[test]
    fn units() {
        assert_eq!(non_base_unit("ms"), Some("seconds"));
        assert_eq!(non_base_unit("KB"), Some("bytes"));
        assert_eq!(non_base_unit("percent"), Some("ratio"));
        assert_eq!(non_base_unit("seconds"), None);
        assert_eq!(non_base_unit("bytes"), None);
    }
}
