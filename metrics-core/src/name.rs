//! The Prometheus naming rules, shared by the registry (at run time) and
//! the derive macros (at compile time, some of them in const evaluation):
//! each rule is written once, here.

use crate::kind::MetricKind;

/// Suffixes exporters append to the samples of a family: `_total`
/// (counters), `_bucket`, `_count`, `_sum` (histograms and summaries) and
/// `_created` (OpenMetrics). A non-counter family that already ends with
/// one would collide with another family's samples.
///
/// `_info` is not among them: the 0.0.4 text format gives it no meaning,
/// and in OpenMetrics it is the one sample of an Info family, whose
/// conventional shape (`build_info{version="..."} 1`) is exactly a gauge
/// named `*_info`.
pub const RESERVED_SUFFIXES: &[&str] = &["_total", "_bucket", "_count", "_sum", "_created"];

/// Label names exporters add themselves.
pub const RESERVED_LABELS: &[&str] = &["le", "quantile"];

/// Checks a metric name against `[a-zA-Z_:][a-zA-Z0-9_:]*`; the error says
/// what is wrong in words.
pub const fn check_metric_name(name: &str) -> Result<(), &'static str> {
    check_chars(name.as_bytes(), true)
}

/// Checks a label name against `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with
/// `__` (reserved for Prometheus internals) and not `le` or `quantile`.
/// A `const fn`, so derived families check the names of their label
/// types (known only as trait constants) at compile time.
pub const fn check_label_name(name: &str) -> Result<(), &'static str> {
    let bytes = name.as_bytes();
    if let Err(reason) = check_chars(bytes, false) {
        return Err(reason);
    }
    if bytes.len() >= 2 && bytes[0] == b'_' && bytes[1] == b'_' {
        return Err("label names starting with `__` are reserved for Prometheus");
    }
    let mut i = 0;
    while i < RESERVED_LABELS.len() {
        if str_eq(name, RESERVED_LABELS[i]) {
            return Err("`le` and `quantile` are reserved for histogram and summary samples");
        }
        i += 1;
    }
    Ok(())
}

/// promtool's lint of label names: snake_case, not camelCase (a lowercase
/// letter followed by an uppercase one). A `const fn`: derived families
/// apply it to their label types' names at compile time; the registry
/// does not (see [`lint_metric_name`]).
pub const fn lint_label_name(name: &str) -> Result<(), &'static str> {
    let bytes = name.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        if bytes[i - 1].is_ascii_lowercase() && bytes[i].is_ascii_uppercase() {
            return Err("label names are snake_case, not camelCase");
        }
        i += 1;
    }
    Ok(())
}

/// The index of the first label name in `names` that repeats an earlier
/// one, if any: the labels of one series must have distinct names.
pub const fn repeated_label(names: &[&str]) -> Option<usize> {
    let mut i = 1;
    while i < names.len() {
        let mut j = 0;
        while j < i {
            if str_eq(names[i], names[j]) {
                return Some(i);
            }
            j += 1;
        }
        i += 1;
    }
    None
}

/// Byte equality of two strings, usable in const evaluation (the naming
/// rules here and the derives' compile-time checks).
#[doc(hidden)]
pub const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

const fn check_chars(name: &[u8], colons: bool) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("the name is empty");
    }
    if name[0].is_ascii_digit() {
        return Err("a name cannot start with a digit");
    }
    let mut i = 0;
    while i < name.len() {
        let c = name[i];
        if !(c.is_ascii_alphanumeric() || c == b'_' || (colons && c == b':')) {
            return Err(if colons {
                "only ASCII letters, digits, `_` and `:` are allowed"
            } else {
                "only ASCII letters, digits and `_` are allowed"
            });
        }
        i += 1;
    }
    Ok(())
}

/// The reserved suffix the exposed name of a family of `kind` ends with,
/// if any. Counters are exempt: their `_total` is dropped from the family
/// name and added back by exporters.
pub fn reserved_suffix(kind: MetricKind, name: &str) -> Option<&'static str> {
    // Counters and info families are exposed with their own suffix
    // (`_total`, `_info`) after the name, so theirs is never reserved.
    if matches!(kind, MetricKind::Counter | MetricKind::Info) {
        return None;
    }
    RESERVED_SUFFIXES
        .iter()
        .copied()
        .find(|s| name.ends_with(s))
}

/// `prefix_name`, or `name` when the prefix is empty.
pub fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}_{name}")
    }
}

/// The family name of `name` under `prefix`: `prefix_name`, without a
/// counter's `_total` or an info family's `_info` (exporters add them to
/// the samples).
pub fn family_name(prefix: &str, name: &str, kind: MetricKind) -> String {
    let mut name = join(prefix, name);
    let suffix = match kind {
        MetricKind::Counter => "_total",
        MetricKind::Info => "_info",
        _ => "",
    };
    if !suffix.is_empty() && name.ends_with(suffix) {
        name.truncate(name.len() - suffix.len());
    }
    name
}

/// The name a family is exposed under: its [`family_name`] followed by
/// `_unit`, unless it already ends with `_unit`.
pub fn exposed_name(prefix: &str, name: &str, kind: MetricKind, unit: Option<&str>) -> String {
    let name = family_name(prefix, name, kind);
    match unit {
        Some(unit) if unit_stem(&name, unit).is_none() => join(&name, unit),
        _ => name,
    }
}

/// `name` without its `_unit` suffix, if it ends with one (`x_seconds`
/// -> `x`; `xseconds` does not end with `_seconds`).
pub fn unit_stem<'a>(name: &'a str, unit: &str) -> Option<&'a str> {
    name.strip_suffix(unit)?.strip_suffix('_')
}

/// Why a unit was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitError {
    /// Not `[a-z0-9_]+`.
    #[error("a unit is lowercase ASCII letters, digits and `_`")]
    Chars,
    /// A scaled or non-base unit, with the base unit to use instead.
    #[error("use the base unit `{0}` instead")]
    NotBase(&'static str),
}

/// Checks a unit: lowercase `[a-z0-9_]`, and a base unit (`seconds`, not
/// `ms`; `bytes`, not `kb`), as Prometheus names carry base units.
pub fn check_unit(unit: &str) -> Result<(), UnitError> {
    if unit.is_empty()
        || !unit
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(UnitError::Chars);
    }
    match non_base_unit(unit) {
        Some(base) => Err(UnitError::NotBase(base)),
        None => Ok(()),
    }
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

/// The base unit of `word` if it is a base unit with an SI or binary
/// prefix (`milliseconds`, `kilobytes`, `mebibytes`): a word that is
/// only ever a unit. (promtool also refuses `minutes`, `hours`, `days`,
/// which in names like `requests_last_minute` describe a window, not a
/// unit: ambiguous, so not refused.)
fn scaled_base_unit(word: &str) -> Option<&'static str> {
    const PREFIXES: &[&str] = &[
        "pico", "nano", "micro", "milli", "centi", "deci", "kilo", "kibi", "mega", "mebi", "giga",
        "gibi", "tera", "tebi", "peta", "pebi",
    ];
    const BASES: &[&str] = &[
        "seconds", "bytes", "meters", "grams", "joules", "volts", "amperes",
    ];
    let rest = PREFIXES.iter().find_map(|p| word.strip_prefix(p))?;
    BASES.iter().copied().find(|b| *b == rest)
}

/// Unit abbreviations promtool refuses in metric names (`_ms`, `_kb`, ...).
const ABBREVIATED_UNITS: &[&str] = &[
    "s", "ms", "us", "ns", "sec", "b", "kb", "mb", "gb", "tb", "pb", "m", "h", "d",
];

/// promtool's naming lints (`promtool check metrics`) that are
/// unambiguous for a family's exposed `name` of `kind`; the derive
/// refuses a name that fails one. The registry does not apply them: they
/// are advice to whoever names a metric in source, not properties every
/// legal exposition has.
///
/// - no `:` (reserved for recording rules);
/// - snake_case, not camelCase;
/// - the family's type is not part of its name (`_counter`, `_gauge`, ...);
/// - no abbreviated units (`_ms`, `_kb`, `_s`, ...) and no scaled
///   units (`_milliseconds`, `_kilobytes`, ...).
pub fn lint_metric_name(kind: MetricKind, name: &str) -> Result<(), String> {
    if name.contains(':') {
        return Err("`:` is reserved for the names of recording rules".into());
    }
    if name
        .as_bytes()
        .windows(2)
        .any(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase())
    {
        return Err("metric names are snake_case, not camelCase".into());
    }
    let lower = name.to_ascii_lowercase();
    let typename = match kind {
        MetricKind::Counter => "counter",
        MetricKind::Gauge => "gauge",
        MetricKind::Histogram => "histogram",
        MetricKind::Summary => "summary",
        MetricKind::Info => "info",
    };
    let parts: Vec<&str> = lower.split('_').collect();
    // The first part is the name's stem, never a suffix.
    let tail = parts.get(1..).unwrap_or_default();
    if tail.contains(&typename) {
        return Err(format!(
            "the type is not part of a metric name; remove `_{typename}`"
        ));
    }
    if let Some(part) = tail.iter().find(|p| ABBREVIATED_UNITS.contains(p)) {
        return Err(match non_base_unit(part) {
            Some(base) => format!("`_{part}` is an abbreviated unit; use the base unit `{base}`"),
            None => format!("`_{part}` is an abbreviated unit; spell out the base unit"),
        });
    }
    if let Some((part, base)) = tail
        .iter()
        .find_map(|p| scaled_base_unit(p).map(|b| (p, b)))
    {
        return Err(format!(
            "`_{part}` is a scaled unit; use the base unit `{base}` (Prometheus names carry base units)"
        ));
    }
    Ok(())
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
        assert!(check_label_name("_x").is_ok());
        const CHECKED: Result<(), &str> = check_label_name("le");
        assert!(CHECKED.is_err());
    }

    #[test]
    fn label_lints() {
        assert!(lint_label_name("http_method").is_ok());
        assert!(lint_label_name("HTTP").is_ok());
        assert!(lint_label_name("httpMethod").is_err());
    }

    #[test]
    fn repeated_labels() {
        assert_eq!(repeated_label(&[]), None);
        assert_eq!(repeated_label(&["a", "b", "c"]), None);
        assert_eq!(repeated_label(&["a", "b", "a"]), Some(2));
        const AT: Option<usize> = repeated_label(&["flag", "flag"]);
        assert_eq!(AT, Some(1));
    }

    #[test]
    fn suffixes() {
        use MetricKind::*;
        assert_eq!(reserved_suffix(Gauge, "x_bucket"), Some("_bucket"));
        assert_eq!(reserved_suffix(Histogram, "x_total"), Some("_total"));
        assert_eq!(reserved_suffix(Gauge, "x_seconds"), None);
        assert_eq!(reserved_suffix(Counter, "x_count"), None);
        // `build_info` is the conventional info-style gauge.
        assert_eq!(reserved_suffix(Gauge, "build_info"), None);
    }

    #[test]
    fn names_join_like_the_registry() {
        use MetricKind::*;
        assert_eq!(join("", "requests"), "requests");
        assert_eq!(join("http", "requests"), "http_requests");
        assert_eq!(family_name("app", "hits_total", Counter), "app_hits");
        assert_eq!(family_name("app", "hits_total", Gauge), "app_hits_total");
        let s = Some("seconds");
        assert_eq!(
            exposed_name("http", "latency", Histogram, s),
            "http_latency_seconds"
        );
        assert_eq!(
            exposed_name("", "latency_seconds", Gauge, s),
            "latency_seconds"
        );
        // Not a `_seconds` suffix, so the unit is appended.
        assert_eq!(
            exposed_name("", "fractionseconds", Gauge, s),
            "fractionseconds_seconds"
        );
        assert_eq!(exposed_name("", "busy_total", Counter, s), "busy_seconds");
        assert_eq!(unit_stem("x_seconds", "seconds"), Some("x"));
        assert_eq!(unit_stem("xseconds", "seconds"), None);
    }

    #[test]
    fn units() {
        assert_eq!(non_base_unit("ms"), Some("seconds"));
        assert_eq!(non_base_unit("KB"), Some("bytes"));
        assert_eq!(non_base_unit("percent"), Some("ratio"));
        assert_eq!(non_base_unit("seconds"), None);
        assert_eq!(non_base_unit("bytes"), None);
        assert_eq!(check_unit("seconds"), Ok(()));
        assert_eq!(check_unit("Seconds"), Err(UnitError::Chars));
        assert_eq!(check_unit(""), Err(UnitError::Chars));
        assert_eq!(check_unit("ms"), Err(UnitError::NotBase("seconds")));
    }

    #[test]
    fn promtool_lints() {
        use MetricKind::*;
        assert!(lint_metric_name(Counter, "http_requests").is_ok());
        assert!(lint_metric_name(Gauge, "build_info").is_ok());
        assert!(lint_metric_name(Histogram, "latency_seconds").is_ok());
        assert!(lint_metric_name(Gauge, "job:rate").is_err());
        assert!(lint_metric_name(Gauge, "queueDepth").is_err());
        assert!(lint_metric_name(Gauge, "queue_gauge").is_err());
        assert!(lint_metric_name(Counter, "requests_counter_x").is_err());
        // Another type's name is not this type's.
        assert!(lint_metric_name(Gauge, "open_counter").is_ok());
        assert!(lint_metric_name(Gauge, "wait_ms").is_err());
        assert!(lint_metric_name(Gauge, "uptime_milliseconds").is_err());
        assert!(lint_metric_name(Gauge, "heap_kibibytes").is_err());
        // A window, not a unit.
        assert!(lint_metric_name(Gauge, "requests_last_minute").is_ok());
        assert!(
            lint_metric_name(Gauge, "mb_used").is_ok(),
            "the stem is not a unit"
        );
    }
}
