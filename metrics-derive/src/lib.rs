//! tally's derive macros. Use them through the facade: `tally::LabelValue`,
//! `tally::LabelSet`, `tally::Metrics`.
//!
//! Each derive parses its input, checks every rule (collecting all errors,
//! each spanned on the offending token) and then expands; on any error it
//! emits the errors plus stub impls so the type's uses elsewhere do not
//! produce follow-up errors. Generated code names only
//! `::tally::__private::...` and `::core::...` paths (the facade path can be
//! changed with `crate = "..."`), so it works in crates that shadow prelude
//! names or use `#![no_implicit_prelude]`.

#![forbid(unsafe_code)]

mod attr;
mod case;
mod ctxt;
mod instrument;
mod label_set;
mod label_value;
mod metrics;
mod nested;
mod objective;
mod suggest;

use proc_macro::TokenStream;

use syn::{parse_macro_input, DeriveInput};

/// Derives `LabelValue` for a fieldless enum: a label whose values are the
/// enum's variants, so a family labelled by it has a fixed number of series.
///
/// ```
/// #[derive(tally::LabelValue, Clone, Copy)]
/// #[label(name = "method", rename_all = "SCREAMING_SNAKE_CASE")]
/// enum Method {
///     Get,
///     Post,
///     #[label(rename = "OTHER")]
///     Unknown,
/// }
///
/// use tally::LabelValue;
/// assert_eq!(Method::NAME, "method");
/// assert_eq!(Method::VALUES, &["GET", "POST", "OTHER"]);
/// assert_eq!(Method::Post.ordinal(), 1);
/// ```
///
/// # Attributes
///
/// On the enum, `#[label(...)]`:
///
/// | key | value | default |
/// |-----|-------|---------|
/// | `name` | the label name, a valid Prometheus label name (`[a-zA-Z_][a-zA-Z0-9_]*`, not `le`, `quantile` or `__*`) | the type name in snake_case (`HttpMethod` -> `http_method`) |
/// | `rename_all` | how variant names become values: `"snake_case"`, `"lowercase"`, `"SCREAMING_SNAKE_CASE"` or `"kebab-case"` | `"snake_case"` |
/// | `crate` | the path of the tally facade, for crates that rename or re-export it | `"::tally"` |
///
/// On a variant, `#[label(rename = "...")]` sets its exposed value.
///
/// # Compile errors
///
/// A variant with fields, a generic or empty enum, two variants exposing
/// the same value (or an empty value), an invalid or reserved label name,
/// an unknown or repeated key.
#[proc_macro_derive(LabelValue, attributes(label))]
pub fn derive_label_value(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    label_value::derive(&input).into()
}

/// Derives `LabelSet` for a struct whose fields are labels (`LabelValue`
/// types: derived enums or `bool`). The field names are the label names,
/// the first field most significant in the series index; the cardinality
/// is the product of the fields' cardinalities.
///
/// ```
/// #[derive(tally::LabelValue, Clone, Copy)]
/// enum Method { Get, Post }
///
/// #[derive(tally::LabelSet)]
/// struct Request {
///     method: Method,
///     #[label(rename = "cached")]
///     hit: bool,
/// }
///
/// use tally::LabelSet;
/// assert_eq!(Request::CARDINALITY, 4);
/// assert_eq!(Request::DESC.names, &["method", "cached"]);
/// assert_eq!(Request { method: Method::Post, hit: false }.index(), 2);
/// ```
///
/// # Attributes
///
/// - On the struct, `#[label(crate = "path")]`: the facade path (default
///   `::tally`).
/// - On a field, `#[label(rename = "...")]`: its label name (default: the
///   field name), a valid, unreserved Prometheus label name.
///
/// # Compile errors
///
/// A field whose type is not a `LabelValue` (`String`, integers, `Option`,
/// ...: unbounded) is refused with the trait's message, on the field's
/// type. Also: tuple, unit or generic structs, enums, unions, invalid or
/// repeated label names.
#[proc_macro_derive(LabelSet, attributes(label))]
pub fn derive_label_set(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    label_set::derive(&input).into()
}

/// Derives the metrics of a stats struct: every field is a metric family
/// (or a nested stats struct), named after the field and described by its
/// doc comment.
///
/// ```
/// use tally::{Counter, Gauge, Histogram, Registry};
///
/// #[derive(tally::LabelValue, Clone, Copy)]
/// enum Method { Get, Post }
///
/// #[derive(tally::Metrics)]
/// #[metrics(prefix = "db")]
/// struct DbStats {
///     /// Queries run.
///     queries: Counter,
/// }
///
/// #[derive(tally::Metrics)]
/// #[metrics(prefix = "http")]
/// struct HttpStats {
///     /// Requests served, by method.
///     requests: Counter<Method>,                 // http_requests (exposed as http_requests_total)
///     /// Request latency.
///     #[metric(unit = "seconds", highest = "60s", precision = 3)]
///     latency: Histogram<Method>,                // http_latency_seconds
///     /// Requests in flight.
///     in_flight: Gauge,                          // http_in_flight
///     #[metric(flatten)]
///     db: DbStats,                               // http_db_queries
/// }
///
/// let registry = Registry::new();
/// let stats = HttpStats::register(&registry).unwrap();
/// stats.requests.with(Method::Get).inc();
/// stats.latency.with(Method::Get).record_duration(std::time::Duration::from_millis(3));
/// stats.db.queries.inc();
/// let names: Vec<String> = registry.snapshot().families.into_iter().map(|f| f.name).collect();
/// assert_eq!(names, ["http_requests", "http_latency_seconds", "http_in_flight", "http_db_queries"]);
/// ```
///
/// # What it generates
///
/// - `new()` and `Default`: every family empty, not registered.
/// - `register(&Registry) -> Result<Arc<Self>, RegistryError>`: a new
///   instance with all its families registered, or none of them if any
///   name is taken (the registry is then unchanged).
/// - `global() -> &'static Self`: the process-wide instance, registered
///   into `Registry::global()` on first use. It never panics: if the
///   registration fails (a name conflict), the instance still records but
///   is not exported, and the error is printed once to stderr.
/// - `try_global() -> Result<&'static Self, RegistryError>`: the same
///   instance, or the registration error.
/// - `impl Collector`: the families in field order, for the registry.
///
/// # Field types
///
/// Recognized by the last segment of the type's path: `Counter`,
/// `FloatCounter`, `Gauge`, `FloatGauge`, `MaxGauge`, `MinGauge`,
/// `Histogram`, `WindowedCounter` (exposed as a gauge: the total over the
/// window) and `WindowedHistogram` (exposed as a summary over the window),
/// each with an optional label set type argument (default `()`: one
/// series). A nested `#[derive(Metrics)]` struct needs
/// `#[metric(flatten)]`. Anything else is a compile error.
///
/// # Names
///
/// A family is named `prefix_field` (or `prefix_name` with `name = "..."`).
/// A counter's trailing `_total` is dropped (exporters add it to counter
/// samples, so `requests` and `requests_total` are the same counter); the
/// unit is appended by the registry (`latency` with `unit = "seconds"` is
/// exposed as `latency_seconds`; a name already ending with the unit is
/// kept). A flattened struct's families get the parent's prefix (and the
/// field's `prefix`, if any) in front of their own names. HELP is the
/// field's doc comment, lines trimmed and joined by a space; a field
/// without doc comment has an empty HELP.
///
/// # Struct attributes: `#[metrics(...)]`
///
/// | key | value | default |
/// |-----|-------|---------|
/// | `prefix` | put `prefix_` before every family name | none |
/// | `max_series` | the series budget of every field without its own | 1024 |
/// | `crate` | the path of the tally facade | `"::tally"` |
///
/// # Field attributes: `#[metric(...)]`
///
/// | key | on | value |
/// |-----|----|-------|
/// | `name` | families | the family name instead of the field name |
/// | `help` | families | the HELP text instead of the doc comment |
/// | `unit` | families | a base unit: `"seconds"`, `"bytes"`, `"ratio"`, ... (`ms`, `kb`, `percent` are refused with the base unit to use) |
/// | `max_series` | families | the series budget: the label set's cardinality must not exceed it (default 1024, or the struct's `max_series`) |
/// | `flatten` | nested structs | the field is a nested `#[derive(Metrics)]` struct |
/// | `prefix` | flattened fields | an extra prefix for the nested struct's families |
/// | `lowest` | histograms | the lowest discernible value (default 1 ns, or 1) |
/// | `highest` | histograms | the highest trackable value; larger values are clamped and counted (default 1 h for `seconds`, 2^40 otherwise) |
/// | `precision` | histograms | significant decimal digits, 1 to 5, as HdrHistogram takes them: 1 is 16 cells per power of two (a quantile within 3.1%), 2 is 128 (0.4%), 3 is 1,024 (0.05%); without the key, 32 cells per power of two (within 1.6%) |
/// | `buckets` | `Histogram` (not windowed: a summary has no buckets) | classic bucket upper bounds in exposed units, e.g. `[0.005, 0.01, 0.1, 1]` (strictly ascending) |
/// | `quantiles` | histograms | summary quantiles to expose too, e.g. `[0.5, 0.99]` (each in 0..=1, none twice) |
/// | `window` | windowed families | the span read, a duration: `"5m"`, `"60s"` (default `"5m"`) |
/// | `window_slots` | windowed families | the number of time slots the span is cut into, 1 to 3600, each at least 1 ms (default 5) |
///
/// A histogram with `unit = "seconds"` records nanoseconds
/// (`record_duration`) and is exposed in seconds; its `lowest`/`highest`
/// are durations: `"100ns"`, `"10us"`, `"500ms"`, `"60s"`, `"2min"`,
/// `"1h"`. Any other histogram records plain integers and its bounds are
/// integers. `highest` must be at least twice `lowest`. The histogram
/// keys but `buckets` apply to `WindowedHistogram` fields too.
///
/// ```
/// use tally::{Metrics, WindowedCounter, WindowedHistogram};
///
/// #[derive(Metrics)]
/// #[metrics(prefix = "api")]
/// struct Recent {
///     /// Requests in the last 5 minutes (five 1-minute slots).
///     #[metric(window = "5m", window_slots = 5)]
///     requests_recent: WindowedCounter,
///     /// Latency over the last minute.
///     #[metric(unit = "seconds", window = "1m", window_slots = 6)]
///     latency_recent: WindowedHistogram,
/// }
///
/// let recent = Recent::new();
/// recent.requests_recent.inc();
/// recent.latency_recent.record_duration(std::time::Duration::from_millis(3));
/// assert_eq!(recent.requests_recent.get(), 1);
/// ```
///
/// # Compile errors
///
/// Every rule is checked when the macro expands, each error on the
/// offending token: unknown keys (with "did you mean"), repeated keys,
/// keys that do not apply to the field's family type, invalid metric
/// names or prefixes, reserved suffixes on non-counters (`_total`,
/// `_bucket`, `_count`, `_sum`, `_created`; `*_info` gauges are fine),
/// promtool's naming lints (`:`, camelCase, the type or an abbreviated or
/// scaled unit in the name), two fields exposing one name, non-base
/// units, histogram configurations `HistogramConfig` refuses (bounds,
/// precision, repeated or unordered buckets, repeated or out-of-range
/// quantiles), windows `Window::new` refuses, a field type that is not a
/// family, generic structs, tuple structs, enums and unions. A family
/// whose label set has more series than its budget, or whose labels
/// share a name or have one the registry refuses, fails to compile
/// (const evaluation) with a message naming the field.
#[proc_macro_derive(Metrics, attributes(metrics, metric))]
pub fn derive_metrics(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    metrics::derive(&input).into()
}

/// Instruments a function, a method or every function of an `impl`
/// block, sync or `async`: calls by result, errors by kind, an HDR latency
/// histogram and an in-flight gauge, in four families shared by every
/// instrumented function of the program and labelled by `function`:
///
/// | family | labels |
/// |--------|--------|
/// | `function_calls_total` | `function`, `result` = `ok`, `error` (an `Err`), `cancelled` (a future dropped before completion), `panicked` |
/// | `function_calls_errors_total` | `function`, `error_kind`: the variant, when the error type implements `LabelValue` |
/// | `function_calls_duration_seconds` | `function` (histogram; an `async fn`'s whole future, across awaits) |
/// | `function_calls_concurrent` | `function` (gauge) |
///
/// The `function` label takes its values from the instrumented functions
/// of the program (each declares a `static`; nothing comes from run-time
/// input): the function's name, `Type::method` in an `impl` block, or the
/// `name = "..."` given. The families join `Registry::global()` on the
/// first call of any instrumented function; `tally::instrumented::register`
/// adds them to another registry.
///
/// ```
/// #[derive(tally::LabelValue, Clone, Copy, Debug)]
/// enum CheckoutError { OutOfStock, PaymentDeclined }
///
/// #[tally::instrument(objective(success = 99.9, latency = "250ms", latency_target = 99.0))]
/// fn checkout(items: u32) -> Result<u32, CheckoutError> {
///     if items == 0 { return Err(CheckoutError::OutOfStock); }
///     Ok(items * 100)
/// }
///
/// struct Store;
///
/// #[tally::instrument]
/// impl Store {
///     fn get(&self, key: u32) -> Option<u32> { Some(key) }
///     async fn load(&self) -> Result<(), std::io::Error> { Ok(()) }
/// }
///
/// assert_eq!(checkout(2).unwrap(), 200);
/// assert!(checkout(0).is_err());
/// assert_eq!(Store.get(1), Some(1));
/// let snapshot = tally::Registry::global().snapshot();
/// assert!(snapshot.families.iter().any(|f| f.name == "function_calls_errors"));
/// ```
///
/// # Arguments
///
/// | key | value |
/// |-----|-------|
/// | `name` | the `function` label value (default: the name, or `Type::method`) |
/// | `objective(...)` | a service-level objective: `success = 99.9` (percent of calls not failing), `latency = "250ms"` with `latency_target = 99.0` (percent of calls at or under it; the latency must be a bucket bound of the histogram: 1ms, 2.5ms, 5ms, 10ms, 25ms, 50ms, 100ms, 250ms, 500ms, 1s, 2.5s, ...), `window = "30d"` (default) |
/// | `crate` | the path of the tally facade (default `"::tally"`) |
///
/// On an `impl` block, the arguments apply to every method; a method may
/// carry its own `#[instrument(...)]`; `const fn`s of the block are left
/// as they are.
///
/// # Compile errors
///
/// On anything but a function or an `impl` block (a struct, an enum, ...),
/// on a `const fn`, an unknown or repeated key (with "did you mean"), an
/// objective that cannot be met or measured (a percentage not strictly
/// between 0 and 100, a latency that is not a bucket bound, a latency
/// without its target, a window under a minute): each on its token.
#[proc_macro_attribute]
pub fn instrument(args: TokenStream, item: TokenStream) -> TokenStream {
    instrument::instrument(args.into(), item.into()).into()
}
