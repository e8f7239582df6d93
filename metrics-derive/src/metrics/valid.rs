//! The rules of `#[derive(Metrics)]`, one function per rule, each error
//! spanned on the token that breaks it. The rules themselves are
//! `metrics-core`'s (`name`, `HistogramConfig::problems`, `Window::new`),
//! the ones the registry applies at run time; this module finds the token
//! each refusal belongs on. The result is a [`Plan`]: every name, unit,
//! budget and histogram configuration the expansion needs, already
//! checked.

use std::time::Duration;

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::{Expr, ExprLit, Lit, LitInt, Type};

use super::ast::{Field, Input, Kind};
use super::duration::parse_nanos;
use crate::ctxt::Ctxt;
use crate::objective::{Objective, ObjectiveArgs};
use tally_core::name::{self, UnitError};
use tally_core::{HistogramConfig, HistogramConfigError, MetricKind, Window, WindowError};

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
    /// The name the registry will expose (with the unit suffix).
    pub exposed: String,
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
    /// The family's objective, checked.
    pub objective: Option<ObjectivePlan>,
}

/// A family's checked objective.
pub struct ObjectivePlan {
    /// The objective.
    pub objective: Objective,
    /// A success objective's `success` number, where the const evaluation
    /// that the label set has a `result` label is spanned.
    pub success: Option<Lit>,
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
        let Kind::Family(family) = kind else {
            let flatten_prefix = match &field.flatten_prefix {
                Some(lit) => {
                    let own = lit.value();
                    if let Err(reason) = name::check_metric_name(&own) {
                        cx.error_spanned_by(lit, format!("invalid prefix \"{own}\": {reason}"));
                    }
                    name::join(&prefix, &own)
                }
                None => prefix.clone(),
            };
            fields.push(FieldPlan {
                field,
                name: String::new(),
                exposed: String::new(),
                unit: None,
                budget: 0,
                histogram: None,
                flatten_prefix,
                window: None,
                objective: None,
            });
            continue;
        };
        let unit = check_unit(cx, field, family.histogram());
        let (name, exposed) = check_name(cx, &prefix, field, family.kind, unit.as_deref());
        let budget = check_budget(cx, field, default_budget);
        let histogram = family
            .histogram()
            .then(|| check_histogram(cx, field, unit.as_deref()));
        let window = family.windowed().then(|| check_window(cx, field));
        let objective = field.objective.as_ref().and_then(|o| {
            check_objective(
                cx,
                field,
                family.kind,
                unit.as_deref(),
                histogram.as_ref(),
                &exposed,
                o,
            )
        });
        fields.push(FieldPlan {
            field,
            name,
            exposed,
            unit,
            budget,
            histogram,
            flatten_prefix: String::new(),
            window,
            objective,
        });
    }
    check_unique_names(cx, &fields);
    Plan { fields }
}

/// Rules of a family's objective (`#[metric(objective(...))]`): the keys,
/// percentages and window of a function's objective (one parser, one
/// check: `objective::check`); a success objective only on
/// a counter family, whose label set must have a `result` label (`ok` a
/// success, any other value a failure: checked in const evaluation, the
/// label names being trait constants, spanned on `success`); a latency
/// objective only on a `Histogram` with `unit = "seconds"`, its threshold
/// one of the histogram's classic bucket bounds (its `buckets`, or the
/// exporters' default for seconds), so Prometheus counts the events
/// under it.
fn check_objective(
    cx: &Ctxt,
    field: &Field,
    kind: MetricKind,
    unit: Option<&str>,
    histogram: Option<&HistogramPlan>,
    exposed: &str,
    o: &ObjectiveArgs,
) -> Option<ObjectivePlan> {
    let errors_before = cx.has_errors();
    let mut success = None;
    if kind == MetricKind::Counter {
        if let Some(latency) = &o.latency {
            cx.error_spanned_by(
                latency,
                "a latency objective needs a histogram: declare it on a `Histogram` field with `unit = \"seconds\"`; a counter family takes `success = <percentage>`",
            );
        } else if let Some(target) = &o.latency_target {
            cx.error_spanned_by(
                &target.lit,
                "`latency_target` applies to a latency objective, which needs a `Histogram` field; a counter family takes `success = <percentage>`",
            );
        }
        if let Some(s) = &o.success {
            let unlabeled = matches!(&field.labels, Some(Type::Tuple(t)) if t.elems.is_empty());
            if unlabeled {
                cx.error_spanned_by(
                    &s.lit,
                    "a success objective needs the family's failures: a `result` label (`ok` a success, any other value a failure), e.g. `Counter<Outcome>` with `#[derive(LabelValue)] #[label(name = \"result\")] enum Outcome { Ok, Error }`; this counter has no labels",
                );
            } else {
                success = Some(s.lit.clone());
            }
        }
    } else {
        if let Some(s) = &o.success {
            cx.error_spanned_by(
                &s.lit,
                "a success objective needs a counter family with a `result` label; a histogram takes `latency = \"250ms\", latency_target = 99.0`",
            );
        }
        if let Some(latency) = &o.latency {
            if unit != Some("seconds") || histogram.is_none() {
                cx.error_spanned_by(
                    latency,
                    "a latency objective needs a histogram in seconds: add `unit = \"seconds\"` to the field",
                );
            }
        }
    }
    let buckets = histogram
        .and_then(|h| h.buckets.clone())
        .unwrap_or_else(|| tally_core::instrument::LATENCY_BUCKETS.to_vec());
    let objective = crate::objective::check(cx, o, &buckets, exposed);
    if cx.has_errors() && !errors_before {
        return None;
    }
    Some(ObjectivePlan {
        objective: objective?,
        success,
    })
}

/// Rules for a windowed family: `window` is a duration, and the window
/// is one `Window::new` accepts (1 to 3600 slots, each at least 1 ms),
/// so `new()` cannot fail.
fn check_window(cx: &Ctxt, field: &Field) -> (u64, u64) {
    let default = Window::default();
    let span = match &field.window {
        None => default.span(),
        Some(lit) => match parse_nanos(&lit.value()) {
            Ok(nanos) => Duration::from_nanos(nanos),
            Err(reason) => {
                cx.error_spanned_by(lit, reason);
                return (0, 0);
            }
        },
    };
    let slots = field
        .window_slots
        .as_ref()
        .map_or(default.slots() as u64, |(n, _)| *n);
    let at = |error: &WindowError| match (error, &field.window, &field.window_slots) {
        (WindowError::Slots(_), _, Some((_, lit))) => lit.to_token_stream(),
        (_, Some(lit), _) => lit.to_token_stream(),
        (_, None, Some((_, lit))) => lit.to_token_stream(),
        (_, None, None) => field.ty.to_token_stream(),
    };
    match Window::new(span, usize::try_from(slots).unwrap_or(usize::MAX)) {
        Ok(window) => (window.span().as_nanos() as u64, window.slots() as u64),
        Err(error) => {
            cx.error_spanned_by(at(&error), format!("invalid window: {error}"));
            (0, 0)
        }
    }
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
    if let Err(reason) = name::check_metric_name(&prefix) {
        cx.error_spanned_by(lit, format!("invalid prefix \"{prefix}\": {reason}"));
        // Field names are not checked against a broken prefix: one
        // mistake, one error.
        return String::new();
    }
    prefix
}

/// Rule: a budget is at least one series.
fn check_struct_budget(cx: &Ctxt, input: &Input) -> u64 {
    budget_at_least_one(cx, &input.max_series, DEFAULT_MAX_SERIES)
}

fn check_budget(cx: &Ctxt, field: &Field, default: u64) -> u64 {
    budget_at_least_one(cx, &field.max_series, default)
}

fn budget_at_least_one(cx: &Ctxt, max_series: &Option<(u64, LitInt)>, default: u64) -> u64 {
    match max_series {
        Some((0, lit)) => {
            cx.error_spanned_by(lit, "`max_series` must be at least 1");
            default
        }
        Some((n, _)) => *n,
        None => default,
    }
}

/// Rule: the unit passes the registry's unit rule (`name::check_unit`):
/// lowercase `[a-z0-9_]`, a base unit.
fn check_unit(cx: &Ctxt, field: &Field, histogram: bool) -> Option<String> {
    let lit = field.unit.as_ref()?;
    let unit = lit.value();
    match name::check_unit(&unit) {
        Ok(()) => Some(unit),
        Err(UnitError::Chars) => {
            cx.error_spanned_by(
                lit,
                format!("invalid unit \"{unit}\": a unit is lowercase ASCII letters, digits and `_`, e.g. \"seconds\" or \"bytes\""),
            );
            None
        }
        Err(UnitError::NotBase(base)) => {
            let advice = if base == "seconds" && histogram {
                " (a `seconds` histogram records nanoseconds with `record_duration` and exposes seconds)"
            } else {
                ""
            };
            cx.error_spanned_by(
                lit,
                format!("\"{unit}\" is not a base unit: use `unit = \"{base}\"` instead, Prometheus names carry base units{advice}"),
            );
            None
        }
    }
}

/// Rules: the name is a legal metric name; the exposed name (joined and
/// suffixed as the registry does) does not end with a suffix exporters
/// reserve for another kind's samples, and passes promtool's
/// unambiguous lints (`name::lint_metric_name`). Returns the `Desc` name
/// and the exposed name.
fn check_name(
    cx: &Ctxt,
    prefix: &str,
    field: &Field,
    kind: MetricKind,
    unit: Option<&str>,
) -> (String, String) {
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
    if let Err(reason) = name::check_metric_name(&own) {
        cx.error_spanned_by(span, format!("invalid metric name \"{own}\": {reason}"));
        return (own.clone(), own);
    }
    let desc_name = name::family_name(prefix, &own, kind);
    let exposed = name::exposed_name(prefix, &own, kind, unit);
    if let Err(reason) = name::check_metric_name(&exposed) {
        // A counter named `_total` is exposed as nothing at all.
        cx.error_spanned_by(
            span,
            format!(
                "metric name \"{own}\" is exposed as \"{exposed}\", which is invalid: {reason}"
            ),
        );
    } else if let Some(suffix) = name::reserved_suffix(kind, &exposed) {
        let why = if suffix == "_total" {
            "only counters end in `_total`".to_owned()
        } else {
            format!("exporters append `{suffix}` to the samples of histograms and summaries")
        };
        cx.error_spanned_by(
            span,
            format!("metric name \"{exposed}\" ends with the reserved suffix `{suffix}`: {why}; choose another name"),
        );
    } else if let Err(lint) = name::lint_metric_name(kind, &exposed) {
        cx.error_spanned_by(span, format!("metric name \"{exposed}\": {lint}"));
    }
    (desc_name, exposed)
}

/// Rule: two fields never expose the same name (counting the unit suffix
/// and a counter's dropped `_total`), and two flattened fields never nest
/// one struct under one prefix. The second one is reported.
fn check_unique_names(cx: &Ctxt, fields: &[FieldPlan]) {
    let families: Vec<&FieldPlan> = fields
        .iter()
        .filter(|f| f.field.kind != Some(Kind::Flatten))
        .collect();
    for (i, f) in families.iter().enumerate() {
        if let Some(first) = families[..i].iter().find(|g| g.exposed == f.exposed) {
            let span = match &f.field.name {
                Some(lit) => lit.to_token_stream(),
                None => f.field.member.to_token_stream(),
            };
            cx.error_spanned_by(
                span,
                format!(
                    "field `{}` exposes the metric name \"{}\", already exposed by field `{}`",
                    f.field.member, f.exposed, first.field.member
                ),
            );
        }
    }
    // Two flattened fields of one type under one prefix expose the same
    // families (both nested structs name them alike).
    let nested: Vec<&FieldPlan> = fields
        .iter()
        .filter(|f| f.field.kind == Some(Kind::Flatten))
        .collect();
    let ty = |f: &FieldPlan| f.field.ty.to_token_stream().to_string();
    for (i, f) in nested.iter().enumerate() {
        if let Some(first) = nested[..i]
            .iter()
            .find(|g| g.flatten_prefix == f.flatten_prefix && ty(g) == ty(f))
        {
            cx.error_spanned_by(
                f.field.member,
                format!(
                    "field `{}` flattens the same struct as field `{}` under the same prefix, so both expose the same metric names; give one `#[metric(flatten, prefix = \"...\")]`",
                    f.field.member, first.field.member
                ),
            );
        }
    }
}

/// Rules for a histogram: `lowest`/`highest` are durations for a
/// `seconds` histogram and integers otherwise, lists are number
/// literals; then the configuration is the one `HistogramConfig`
/// accepts (`problems()`: the check `Histogram::with_config` makes at run
/// time, so `new()` cannot fail), each problem on its token.
fn check_histogram(cx: &Ctxt, field: &Field, unit: Option<&str>) -> HistogramPlan {
    let seconds = unit == Some("seconds");
    let bound = |expr: &Option<Expr>| -> Option<u64> { bound_value(cx, expr.as_ref()?, seconds) };
    let lowest = bound(&field.lowest);
    let highest = bound(&field.highest);
    let precision = field
        .precision
        .as_ref()
        .map(|(p, _)| u8::try_from(*p).unwrap_or(u8::MAX));
    let buckets = field
        .buckets
        .as_ref()
        .and_then(|e| float_list(cx, e, "buckets"));
    let quantiles = field
        .quantiles
        .as_ref()
        .and_then(|e| float_list(cx, e, "quantiles"));

    // A histogram with neither unit nor bounds records what
    // `Histogram::new()` records: nanoseconds (durations exactly).
    let seconds = seconds || (unit.is_none() && field.lowest.is_none() && field.highest.is_none());
    let plan = HistogramPlan {
        seconds,
        lowest,
        highest: highest.or((!seconds).then_some(DEFAULT_RAW_HIGHEST)),
        precision,
        buckets,
        quantiles,
    };
    // Only bounds that parsed are compared: one mistake, one error.
    let parsed = (field.lowest.is_none() || lowest.is_some())
        && (field.highest.is_none() || highest.is_some());
    let config = plan.config();
    for problem in config.problems() {
        use HistogramConfigError::*;
        let element = |list: &Option<Expr>, index: usize| {
            let list = list.as_ref().expect("a list problem comes from a list");
            match ArrayExpr::of(list) {
                ArrayExpr::Array(array) => array.elems[index].to_token_stream(),
                ArrayExpr::Other => list.to_token_stream(),
            }
        };
        let lowest_or_type = || {
            field
                .lowest
                .as_ref()
                .map_or_else(|| field.ty.to_token_stream(), |e| e.to_token_stream())
        };
        let (span, advice) = match &problem {
            LowestIsZero => (lowest_or_type(), ""),
            HighestTooLow { .. } if parsed => (
                field
                    .highest
                    .as_ref()
                    .map_or_else(lowest_or_type, |e| e.to_token_stream()),
                if seconds {
                    " (in nanoseconds, a `seconds` histogram's recording unit)"
                } else {
                    ""
                },
            ),
            LowestTooLargeForPrecision { .. } if parsed => (lowest_or_type(), ""),
            HighestTooLow { .. } | LowestTooLargeForPrecision { .. } => continue,
            Precision(_) => (
                field.precision.as_ref().expect("set").1.to_token_stream(),
                " (memory per series grows about 8x per digit)",
            ),
            NoBuckets => (field.buckets.to_token_stream(), ""),
            BucketNotFinite { index, .. }
            | RepeatedBucket { index, .. }
            | BucketsNotAscending { index, .. } => (element(&field.buckets, *index), ""),
            Quantile { index, .. } | RepeatedQuantile { index, .. } => {
                (element(&field.quantiles, *index), "")
            }
            // The derive sets no scale or precision in bits of its own.
            Scale(_) | PrecisionBits(_) => (field.ty.to_token_stream(), ""),
        };
        cx.error_spanned_by(span, format!("{problem}{advice}"));
    }
    plan
}

impl HistogramPlan {
    /// The configuration `new()` will build, to check it with the core's
    /// own rules. Lists are leaked: `HistogramConfig` holds `'static`
    /// slices, and a macro expansion's few numbers are small.
    pub fn config(&self) -> HistogramConfig {
        let mut config = if self.seconds {
            let mut config = HistogramConfig::seconds();
            if let Some(lowest) = self.lowest {
                config = config.with_lowest(lowest);
            }
            if let Some(highest) = self.highest {
                config = config.with_highest(highest);
            }
            config
        } else {
            HistogramConfig::raw(
                self.lowest.unwrap_or(1),
                self.highest.unwrap_or(DEFAULT_RAW_HIGHEST),
            )
        };
        if let Some(precision) = self.precision {
            config = config.with_precision_digits(precision);
        }
        if let Some(buckets) = &self.buckets {
            config = config.with_classic_buckets(Vec::leak(buckets.clone()));
        }
        if let Some(quantiles) = &self.quantiles {
            config = config.with_quantiles(Vec::leak(quantiles.clone()));
        }
        config
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
