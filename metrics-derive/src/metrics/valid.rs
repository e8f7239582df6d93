//! The rules of `#[derive(Metrics)]`, one function per rule, each error
//! spanned on the token that breaks it. The result is a [`Plan`]: every
//! name, unit, budget and histogram configuration the expansion needs,
//! already checked.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::{Expr, ExprLit, Lit, LitInt};

use super::ast::{Field, Input, Kind};
use super::duration::parse_nanos;
use crate::ctxt::Ctxt;
use metrics_core::name::{check_metric_name, non_base_unit, reserved_suffix};

/// The series budget of a field without `max_series`: generous for a
/// dashboard, small enough that a mistaken label cannot take a process's
/// memory (each series of a counter is a few cache lines per thread).
pub const DEFAULT_MAX_SERIES: u64 = 1024;

/// The highest value of a histogram without a time unit and without
/// `highest`: 2^40 (about 1.1e12, a terabyte in bytes).
pub const DEFAULT_RAW_HIGHEST: u64 = 1 << 40;

/// The checked plan of one struct.
pub struct Plan<'a> {
    /// The fields, in declaration order.
    pub fields: Vec<FieldPlan<'a>>,
}

/// The checked plan of one field.
pub struct FieldPlan<'a> {
    /// The parsed field.
    pub field: &'a Field<'a>,
    /// The family name the `Desc` carries: `prefix_name`, without a
    /// counter's `_total` and without the unit suffix (the registry adds it).
    pub name: String,
    /// The unit, if any.
    pub unit: Option<String>,
    /// The series budget.
    pub budget: u64,
    /// The histogram configuration, for a histogram.
    pub histogram: Option<HistogramPlan>,
    /// For a flattened field: the prefix put before its families' names.
    pub flatten_prefix: String,
    /// For a windowed family: its span in nanoseconds and bucket count.
    pub window: Option<(u64, u64)>,
}

/// A histogram's checked configuration.
pub struct HistogramPlan {
    /// `unit = "seconds"`, or no unit and no bounds (the configuration of
    /// `Histogram::new()`): recorded in nanoseconds, exposed in seconds,
    /// so `record_duration` is exact.
    pub seconds: bool,
    /// `lowest`, if given (recording units).
    pub lowest: Option<u64>,
    /// `highest`, if given, or the raw default (recording units).
    pub highest: Option<u64>,
    /// `precision`, if given.
    pub precision: Option<u8>,
    /// `buckets`, if given.
    pub buckets: Option<Vec<f64>>,
    /// `quantiles`, if given.
    pub quantiles: Option<Vec<f64>>,
}

/// Checks every rule; errors go to `cx`.
pub fn check<'a>(cx: &Ctxt, input: &'a Input<'a>) -> Plan<'a> {
    check_not_generic(cx, input);
    let prefix = check_prefix(cx, input);
    let default_budget = check_struct_budget(cx, input);
    let mut fields = Vec::new();
    for field in &input.fields {
        let Some(kind) = field.kind else { continue };
        if kind == Kind::Flatten {
            let flatten_prefix = match &field.flatten_prefix {
                Some(lit) => {
                    let own = lit.value();
                    if let Err(reason) = check_metric_name(&own) {
                        cx.error_spanned_by(lit, format!("invalid prefix \"{own}\": {reason}"));
                    }
                    join(&prefix, &own)
                }
                None => prefix.clone(),
            };
            fields.push(FieldPlan {
                field,
                name: String::new(),
                unit: None,
                budget: 0,
                histogram: None,
                flatten_prefix,
                window: None,
            });
            continue;
        }
        let unit = check_unit(cx, field);
        let name = check_name(cx, &prefix, field, kind, unit.as_deref());
        let budget = check_budget(cx, field, default_budget);
        let histogram =
            (kind == Kind::Histogram).then(|| check_histogram(cx, field, unit.as_deref()));
        let window = field.windowed.then(|| check_window(cx, field));
        fields.push(FieldPlan {
            field,
            name,
            unit,
            budget,
            histogram,
            flatten_prefix: String::new(),
            window,
        });
    }
    check_unique_names(cx, &fields);
    Plan { fields }
}

/// The window of a windowed family when its field names none: 5 minutes.
pub const DEFAULT_WINDOW_NANOS: u64 = 300_000_000_000;
/// The bucket count of a window when its field names none.
pub const DEFAULT_WINDOW_BUCKETS: u64 = 5;

/// Rules for a windowed family: `window` is a duration, `window_buckets`
/// is 1 to 3600, and each bucket lasts at least 1 ms (what
/// `Window::new` checks at run time, so `new()` cannot fail).
fn check_window(cx: &Ctxt, field: &Field) -> (u64, u64) {
    let span = match &field.window {
        None => DEFAULT_WINDOW_NANOS,
        Some(lit) => match super::duration::parse_nanos(&lit.value()) {
            Ok(nanos) => nanos,
            Err(reason) => {
                cx.error_spanned_by(lit, reason);
                return (DEFAULT_WINDOW_NANOS, DEFAULT_WINDOW_BUCKETS);
            }
        },
    };
    let buckets = match &field.window_buckets {
        None => DEFAULT_WINDOW_BUCKETS,
        Some((n, lit)) => {
            if !(1..=3600).contains(n) {
                cx.error_spanned_by(lit, format!("`window_buckets` must be 1 to 3600, not {n}"));
                return (span, DEFAULT_WINDOW_BUCKETS);
            }
            *n
        }
    };
    if span / buckets < 1_000_000 {
        let at = match (&field.window, &field.window_buckets) {
            (Some(lit), _) => lit.to_token_stream(),
            (None, Some((_, lit))) => lit.to_token_stream(),
            (None, None) => field.ty.to_token_stream(),
        };
        cx.error_spanned_by(
            at,
            format!("each window bucket must last at least 1 ms, but {span} ns / {buckets} buckets is shorter"),
        );
    }
    (span, buckets)
}

/// Rule: no generic parameters. `global()` keeps the instance in a
/// `static`, and statics cannot be generic.
fn check_not_generic(cx: &Ctxt, input: &Input) {
    if !input.generics.params.is_empty() {
        cx.error_spanned_by(
            input.generics,
            "`Metrics` cannot be derived for a generic struct: its `global()` instance lives in a `static`, which cannot be generic",
        );
    }
}

/// Rule: the prefix is itself a legal metric name.
fn check_prefix(cx: &Ctxt, input: &Input) -> String {
    let Some(lit) = &input.prefix else {
        return String::new();
    };
    let prefix = lit.value();
    if let Err(reason) = check_metric_name(&prefix) {
        cx.error_spanned_by(lit, format!("invalid prefix \"{prefix}\": {reason}"));
        // Field names are not checked against a broken prefix: one
        // mistake, one error.
        return String::new();
    }
    prefix
}

/// Rule: a budget is at least one series.
fn check_struct_budget(cx: &Ctxt, input: &Input) -> u64 {
    match &input.max_series {
        Some((0, lit)) => {
            cx.error_spanned_by(lit, "`max_series` must be at least 1");
            DEFAULT_MAX_SERIES
        }
        Some((n, _)) => *n,
        None => DEFAULT_MAX_SERIES,
    }
}

fn check_budget(cx: &Ctxt, field: &Field, default: u64) -> u64 {
    match &field.max_series {
        Some((0, lit)) => {
            cx.error_spanned_by(lit, "`max_series` must be at least 1");
            default
        }
        Some((n, _)) => *n,
        None => default,
    }
}

/// Rule: a unit is lowercase `[a-z0-9_]` and a base unit (`seconds`, not
/// `ms`; `bytes`, not `kb`), as Prometheus names carry base units.
fn check_unit(cx: &Ctxt, field: &Field) -> Option<String> {
    let lit = field.unit.as_ref()?;
    let unit = lit.value();
    if unit.is_empty()
        || !unit
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        cx.error_spanned_by(
            lit,
            format!("invalid unit \"{unit}\": a unit is lowercase ASCII letters, digits and `_`, e.g. \"seconds\" or \"bytes\""),
        );
        return None;
    }
    if let Some(base) = non_base_unit(&unit) {
        let advice = if base == "seconds" && field.kind == Some(Kind::Histogram) {
            " (a `seconds` histogram records nanoseconds with `record_duration` and exposes seconds)"
        } else {
            ""
        };
        cx.error_spanned_by(
            lit,
            format!("\"{unit}\" is not a base unit: use `unit = \"{base}\"` instead, Prometheus names carry base units{advice}"),
        );
        return None;
    }
    Some(unit)
}

/// Rules: the exposed name (`prefix_name`, plus the unit suffix) is a
/// legal metric name, and a non-counter does not end with a suffix
/// exporters reserve (`_total`, `_bucket`, `_count`, `_sum`, ...). A
/// counter's own `_total` is dropped: exporters add it.
fn check_name(cx: &Ctxt, prefix: &str, field: &Field, kind: Kind, unit: Option<&str>) -> String {
    let (own, span): (String, TokenStream) = match &field.name {
        Some(lit) => (lit.value(), lit.to_token_stream()),
        None => {
            let s = field.member.to_string();
            (
                s.strip_prefix("r#").unwrap_or(&s).to_owned(),
                field.member.to_token_stream(),
            )
        }
    };
    if let Err(reason) = check_metric_name(&own) {
        cx.error_spanned_by(span, format!("invalid metric name \"{own}\": {reason}"));
        return own;
    }
    let mut name = join(prefix, &own);
    if kind == Kind::Counter {
        if let Some(stripped) = name.strip_suffix("_total") {
            name = stripped.to_owned();
        }
    }
    let exposed = exposed(&name, unit);
    if kind != Kind::Counter {
        if let Some(suffix) = reserved_suffix(&exposed) {
            let why = if suffix == "_total" {
                "only counters end in `_total`".to_owned()
            } else {
                format!("exporters append `{suffix}` to the samples of histograms and summaries")
            };
            cx.error_spanned_by(
                span,
                format!("metric name \"{exposed}\" ends with the reserved suffix `{suffix}`: {why}; choose another name"),
            );
        }
    }
    name
}

/// Rule: two fields never expose the same name (counting the unit suffix
/// and a counter's dropped `_total`). The second one is reported.
fn check_unique_names(cx: &Ctxt, fields: &[FieldPlan]) {
    let families: Vec<&FieldPlan> = fields
        .iter()
        .filter(|f| f.field.kind != Some(Kind::Flatten))
        .collect();
    for (i, f) in families.iter().enumerate() {
        let name = exposed(&f.name, f.unit.as_deref());
        if let Some(first) = families[..i]
            .iter()
            .find(|g| exposed(&g.name, g.unit.as_deref()) == name)
        {
            let span = match &f.field.name {
                Some(lit) => lit.to_token_stream(),
                None => f.field.member.to_token_stream(),
            };
            cx.error_spanned_by(
                span,
                format!(
                    "field `{}` exposes the metric name \"{name}\", already exposed by field `{}`",
                    f.field.member, first.field.member
                ),
            );
        }
    }
}

/// Rules for a histogram: `lowest`/`highest` are durations for a
/// `seconds` histogram and integers otherwise; `1 <= lowest`, `2 * lowest
/// <= highest`; `precision` in 1..=5; buckets finite and ascending;
/// quantiles in 0..=1. The same checks `HistogramConfig::validate` makes
/// at run time, so `new()` cannot fail.
fn check_histogram(cx: &Ctxt, field: &Field, unit: Option<&str>) -> HistogramPlan {
    let seconds = unit == Some("seconds");
    let bound = |expr: &Option<Expr>| -> Option<u64> {
        let expr = expr.as_ref()?;
        let value = bound_value(cx, expr, seconds)?;
        if value == 0 {
            cx.error_spanned_by(expr, "histogram bounds must be at least 1 (recording unit)");
            return None;
        }
        Some(value)
    };
    let lowest = bound(&field.lowest);
    let highest = bound(&field.highest);
    let precision = match &field.precision {
        Some((p, lit)) if !(1..=5).contains(p) => {
            cx.error_spanned_by(
                lit,
                format!("precision must be 1 to 5 significant digits, not {p} (memory per series grows about 8x per digit)"),
            );
            None
        }
        Some((p, _)) => Some(*p as u8),
        None => None,
    };
    let (default_lowest, default_highest) = if seconds {
        let d = metrics_core::HistogramConfig::seconds();
        (d.lowest_value(), d.highest_value())
    } else {
        (1, DEFAULT_RAW_HIGHEST)
    };
    let (lo, hi) = (
        lowest.unwrap_or(default_lowest),
        highest.unwrap_or(default_highest),
    );
    // Only bounds that parsed are compared: one mistake, one error.
    let parsed = (field.lowest.is_none() || lowest.is_some())
        && (field.highest.is_none() || highest.is_some());
    if parsed && hi / 2 < lo {
        let describe = |v: u64| {
            if seconds {
                format!("{v}ns")
            } else {
                v.to_string()
            }
        };
        let span = field
            .highest
            .as_ref()
            .or(field.lowest.as_ref())
            .map(|e| e.to_token_stream())
            .unwrap_or_else(|| field.ty.to_token_stream());
        cx.error_spanned_by(
            span,
            format!(
                "histogram range makes no sense: `highest` ({}) must be at least twice `lowest` ({})",
                describe(hi),
                describe(lo)
            ),
        );
    }
    if let (Some(_), Some(lowest_expr)) = (lowest, &field.lowest) {
        let p = precision.unwrap_or(2);
        let sub_bits = (2 * 10u64.pow(u32::from(p))).next_power_of_two().ilog2();
        if lo.ilog2() + sub_bits > 63 {
            cx.error_spanned_by(
                lowest_expr,
                format!("`lowest` is too large to keep {p} significant digits"),
            );
        }
    }
    let buckets = field.buckets.as_ref().and_then(|e| {
        let values = float_list(cx, e, "buckets")?;
        if values.is_empty() {
            cx.error_spanned_by(
                e,
                "`buckets` needs at least one upper bound (`+Inf` is implied)",
            );
            return None;
        }
        if let ArrayExpr::Array(array) = ArrayExpr::of(e) {
            for (i, w) in values.windows(2).enumerate() {
                if w[0] >= w[1] {
                    cx.error_spanned_by(
                        &array.elems[i + 1],
                        format!(
                            "bucket bounds must be strictly ascending: {} comes after {}",
                            w[1], w[0]
                        ),
                    );
                }
            }
        }
        Some(values)
    });
    let quantiles = field.quantiles.as_ref().and_then(|e| {
        let values = float_list(cx, e, "quantiles")?;
        if let ArrayExpr::Array(array) = ArrayExpr::of(e) {
            for (i, q) in values.iter().enumerate() {
                if !(0.0..=1.0).contains(q) {
                    cx.error_spanned_by(
                        &array.elems[i],
                        format!("quantile {q} is not between 0 and 1"),
                    );
                }
            }
        }
        Some(values)
    });
    // A histogram with neither unit nor bounds records what
    // `Histogram::new()` records: nanoseconds (durations exactly).
    let seconds = seconds || (unit.is_none() && field.lowest.is_none() && field.highest.is_none());
    HistogramPlan {
        seconds,
        lowest,
        highest: highest.or((!seconds).then_some(DEFAULT_RAW_HIGHEST)),
        precision,
        buckets,
        quantiles,
    }
}

/// A bound: a duration string for `seconds` histograms (nanoseconds), an
/// integer otherwise.
fn bound_value(cx: &Ctxt, expr: &Expr, seconds: bool) -> Option<u64> {
    match (expr, seconds) {
        (
            Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            }),
            true,
        ) => parse_nanos(&s.value())
            .map_err(|e| cx.error_spanned_by(s, e))
            .ok(),
        (
            Expr::Lit(ExprLit {
                lit: Lit::Int(i), ..
            }),
            true,
        ) => {
            cx.error_spanned_by(
                i,
                format!("a `seconds` histogram's bounds are durations: write \"{}s\" (or \"ms\", \"us\", \"ns\")", i.base10_digits()),
            );
            None
        }
        (
            Expr::Lit(ExprLit {
                lit: Lit::Int(i), ..
            }),
            false,
        ) => int(cx, i),
        (
            Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            }),
            false,
        ) => {
            cx.error_spanned_by(
                s,
                "this histogram has no time unit, so its bounds are plain integers; for durations add `unit = \"seconds\"`",
            );
            None
        }
        _ => {
            cx.error_spanned_by(
                expr,
                if seconds {
                    "expected a duration such as \"60s\""
                } else {
                    "expected an integer"
                },
            );
            None
        }
    }
}

fn int(cx: &Ctxt, lit: &LitInt) -> Option<u64> {
    lit.base10_parse().map_err(|e| cx.syn_error(e)).ok()
}

/// `[0.005, 0.01, 1]`: numeric literals, optionally negative.
fn float_list(cx: &Ctxt, expr: &Expr, key: &str) -> Option<Vec<f64>> {
    let ArrayExpr::Array(array) = ArrayExpr::of(expr) else {
        cx.error_spanned_by(
            expr,
            format!("expected a list of numbers: `{key} = [0.5, 0.9, 0.99]`"),
        );
        return None;
    };
    let mut values = Vec::new();
    let mut ok = true;
    for elem in &array.elems {
        match number(elem) {
            Some(v) if v.is_finite() => values.push(v),
            _ => {
                cx.error_spanned_by(
                    elem,
                    format!("expected a number literal: `{key}` is checked when the macro expands, so named constants cannot be used"),
                );
                ok = false;
            }
        }
    }
    ok.then_some(values)
}

fn number(expr: &Expr) -> Option<f64> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Float(f), ..
        }) => f.base10_parse().ok(),
        Expr::Lit(ExprLit {
            lit: Lit::Int(i), ..
        }) => i.base10_parse::<u64>().ok().map(|v| v as f64),
        Expr::Unary(syn::ExprUnary {
            op: syn::UnOp::Neg(_),
            expr,
            ..
        }) => number(expr).map(|v| -v),
        Expr::Paren(p) => number(&p.expr),
        Expr::Group(g) => number(&g.expr),
        _ => None,
    }
}

/// An array expression seen through reference and grouping (`&[...]` is
/// accepted too).
enum ArrayExpr<'a> {
    Array(&'a syn::ExprArray),
    Other,
}

impl<'a> ArrayExpr<'a> {
    fn of(expr: &'a Expr) -> ArrayExpr<'a> {
        match expr {
            Expr::Array(a) => ArrayExpr::Array(a),
            Expr::Reference(r) => ArrayExpr::of(&r.expr),
            Expr::Group(g) => ArrayExpr::of(&g.expr),
            _ => ArrayExpr::Other,
        }
    }
}

/// `prefix_name`, or `name` without a prefix.
pub fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}_{name}")
    }
}

/// The name the registry exposes: `name` plus `_unit` unless it already
/// ends with it (the registry's rule).
pub fn exposed(name: &str, unit: Option<&str>) -> String {
    match unit {
        Some(unit) if !name.strip_suffix(unit).is_some_and(|n| n.ends_with('_')) => {
            format!("{name}_{unit}")
        }
        _ => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::{exposed, join};

    #[test]
    fn exposed_names_follow_the_registry() {
        assert_eq!(
            exposed("http_latency", Some("seconds")),
            "http_latency_seconds"
        );
        assert_eq!(
            exposed("latency_seconds", Some("seconds")),
            "latency_seconds"
        );
        // Not a `_seconds` suffix, so the unit is appended.
        assert_eq!(
            exposed("fractionseconds", Some("seconds")),
            "fractionseconds_seconds"
        );
        assert_eq!(exposed("requests", None), "requests");
        assert_eq!(join("", "requests"), "requests");
        assert_eq!(join("http", "requests"), "http_requests");
    }
}
