//! The same series in each crate's registry, for the encoding (workload
//! 4) and memory (workload 5) benchmarks:
//!
//! - counters: `families` counter families `requests_NN_total`, each over
//!   two labels `route` x `code` of 10 values each (100 series a family;
//!   100 families make the 10,000 series of workload 4), every series
//!   incremented once by a deterministic value;
//! - histograms: one latency family `request_latency_seconds` over the
//!   same two labels (100 series), `observations` log-normal latencies per
//!   series, with the 12 bounds of [`BOUNDS`](super::BOUNDS) wherever a
//!   crate exposes classic buckets.
//!
//! Each crate's `touch()` writes every series once more from the calling
//! thread: a counter increment, and for histograms the [`span`] of
//! latencies (50 us .. 500 ms), as a writer thread of a service would.

use measured::label::StaticLabelSet;
use measured::metric::histogram::Thresholds;
use measured::metric::name::MetricName;
use measured::metric::MetricFamilyEncoding;
use measured::text::BufferedTextEncoder;
use prometheus_client::metrics::counter::Counter as PcCounter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram as PcHistogram;
use std::sync::Arc;
use std::time::Duration;

use opentelemetry::KeyValue;
use tally::LabelValue;

use super::{latencies, BOUNDS, BUCKETS};

/// A request route: 10 values.
#[derive(
    Clone,
    Copy,
    Debug,
    Hash,
    PartialEq,
    Eq,
    tally::LabelValue,
    measured::FixedCardinalityLabel,
    prometheus_client::encoding::EncodeLabelValue,
)]
pub enum Route {
    Users,
    Orders,
    Items,
    Carts,
    Search,
    Login,
    Logout,
    Health,
    Status,
    Admin,
}

/// A response code class: 10 values.
#[derive(
    Clone,
    Copy,
    Debug,
    Hash,
    PartialEq,
    Eq,
    tally::LabelValue,
    measured::FixedCardinalityLabel,
    prometheus_client::encoding::EncodeLabelValue,
)]
pub enum Code {
    Ok,
    Created,
    Accepted,
    NoContent,
    Moved,
    NotModified,
    BadRequest,
    Forbidden,
    NotFound,
    Unavailable,
}

const ROUTES: [Route; 10] = [
    Route::Users,
    Route::Orders,
    Route::Items,
    Route::Carts,
    Route::Search,
    Route::Login,
    Route::Logout,
    Route::Health,
    Route::Status,
    Route::Admin,
];
const CODES: [Code; 10] = [
    Code::Ok,
    Code::Created,
    Code::Accepted,
    Code::NoContent,
    Code::Moved,
    Code::NotModified,
    Code::BadRequest,
    Code::Forbidden,
    Code::NotFound,
    Code::Unavailable,
];

/// Series per family.
pub const SERIES: usize = ROUTES.len() * CODES.len();

/// How many latencies [`span`] yields.
pub const SPAN_VALUES: usize = 41;

/// The latencies each `touch()` records into every histogram series, in
/// seconds: 50 us .. 500 ms, 10 a decade, log-spaced (the span of a
/// service's request latencies).
pub fn span() -> impl Iterator<Item = f64> {
    (0..SPAN_VALUES).map(|i| 50e-6 * 10f64.powf(i as f64 / 10.0))
}

/// Every `(route, code)` pair with its series number.
fn pairs() -> impl Iterator<Item = (usize, Route, Code)> {
    ROUTES
        .iter()
        .flat_map(|r| CODES.iter().map(move |c| (*r, *c)))
        .enumerate()
        .map(|(i, (r, c))| (i, r, c))
}

fn counter_value(family: usize, series: usize) -> u64 {
    (family * 7919 + series * 104_729) as u64 % 1_000_000 + 1
}

fn counter_name(family: usize) -> String {
    format!("requests_{family:02}_total")
}

const COUNTER_HELP: &str = "Requests served, by route and code.";
const HISTOGRAM_NAME: &str = "request_latency_seconds";
const HISTOGRAM_HELP: &str = "Request latency.";

/// prometheus-client's label set.
#[derive(Clone, Debug, Hash, PartialEq, Eq, prometheus_client::encoding::EncodeLabelSet)]
pub struct PcRouteCode {
    route: Route,
    code: Code,
}

/// measured's label group.
#[derive(Clone, Copy, Debug, measured::LabelGroup)]
#[label(set = RouteCodeSet)]
pub struct MeasuredRouteCode {
    route: Route,
    code: Code,
}

fn route_code_set() -> RouteCodeSet {
    RouteCodeSet {
        route: StaticLabelSet::new(),
        code: StaticLabelSet::new(),
    }
}

/// tally: a registry of typed families. The histogram uses the default
/// HDR configuration (1 ns .. 1 h, 2 digits), exposed with [`BOUNDS`].
pub struct Tally {
    pub registry: tally::Registry,
    counters: Vec<Arc<tally::Counter<(Route, Code)>>>,
    histograms: Vec<Arc<tally::Histogram<(Route, Code)>>>,
}

/// The name of histogram family `k` (`request_latency` for the first,
/// the one every workload but the scale benchmark has), before the unit.
fn histogram_base(k: usize) -> String {
    if k == 0 {
        "request_latency".into()
    } else {
        format!("request_latency_{k:02}")
    }
}

/// Builds tally's registry.
pub fn tally(families: usize, histograms: bool, observations: usize) -> Tally {
    tally_mix(families, usize::from(histograms), observations)
}

/// Builds tally's registry with `histograms` histogram families of 100
/// series each.
pub fn tally_mix(families: usize, histograms: usize, observations: usize) -> Tally {
    let registry = tally::Registry::new();
    let mut counters = Vec::new();
    for f in 0..families {
        let c = registry
            .register(
                tally::registry::Desc::new(counter_name(f), COUNTER_HELP),
                tally::Counter::<(Route, Code)>::new(),
            )
            .unwrap();
        for (i, r, k) in pairs() {
            c.with((r, k)).add(counter_value(f, i));
        }
        counters.push(c);
    }
    let histograms = (0..histograms).map(|k| {
        let h = registry
            .register(
                tally::registry::Desc::new(histogram_base(k), HISTOGRAM_HELP)
                    .with_unit(tally::Unit::SECONDS),
                tally::Histogram::<(Route, Code)>::with_config(
                    tally::HistogramConfig::seconds().with_classic_buckets(&BOUNDS),
                )
                .unwrap(),
            )
            .unwrap();
        for (i, r, k) in pairs() {
            for v in latencies(i as u64, observations) {
                h.with((r, k)).record_f64(v);
            }
        }
        h
    });
    let histograms = histograms.collect();
    Tally {
        registry,
        counters,
        histograms,
    }
}

impl Tally {
    /// Every series once more, from the calling thread.
    pub fn touch(&self) {
        for c in &self.counters {
            for (_, r, k) in pairs() {
                c.with((r, k)).inc();
            }
        }
        for h in &self.histograms {
            for (_, r, k) in pairs() {
                for v in span() {
                    h.with((r, k)).record_duration(Duration::from_secs_f64(v));
                }
            }
        }
    }

    /// The histogram families' own `heap_bytes()` (0 without one).
    pub fn histogram_heap_bytes(&self) -> usize {
        self.histograms.iter().map(|h| h.heap_bytes()).sum()
    }

    /// Snapshot + Prometheus text (0.0.4) into `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.clear();
        tally::encoding::encode(
            tally::encoding::Format::PrometheusText,
            &self.registry.snapshot(),
            out,
        );
    }

    /// A scrape read and encoded one family at a time
    /// (`encoding::encode_registry`): the same bytes as [`encode`](Self::encode),
    /// without holding every family's snapshot at once.
    pub fn encode_streaming(&self, out: &mut Vec<u8>) {
        out.clear();
        tally::encoding::encode_registry(
            tally::encoding::Format::PrometheusText,
            &self.registry,
            &tally::encoding::EncodeOptions::default(),
            out,
        );
    }
}

/// prometheus-client: a registry of `Family`s.
pub struct PrometheusClient {
    pub registry: prometheus_client::registry::Registry,
    counters: Vec<Family<PcRouteCode, PcCounter>>,
    histograms: Vec<PcHistogramFamily>,
}

type PcHistogramFamily = Family<PcRouteCode, PcHistogram, fn() -> PcHistogram>;

fn pc_histogram() -> PcHistogram {
    PcHistogram::new(BOUNDS)
}

/// Builds prometheus-client's registry.
pub fn prometheus_client(
    families: usize,
    histograms: bool,
    observations: usize,
) -> PrometheusClient {
    prometheus_client_mix(families, usize::from(histograms), observations)
}

/// Builds prometheus-client's registry with `histograms` histogram
/// families of 100 series each.
pub fn prometheus_client_mix(
    families: usize,
    histograms: usize,
    observations: usize,
) -> PrometheusClient {
    let mut registry = prometheus_client::registry::Registry::default();
    let mut counters = Vec::new();
    for f in 0..families {
        let family = Family::<PcRouteCode, PcCounter>::default();
        for (i, route, code) in pairs() {
            family
                .get_or_create(&PcRouteCode { route, code })
                .inc_by(counter_value(f, i));
        }
        // prometheus-client appends `_total` to counters itself.
        registry.register(format!("requests_{f:02}"), COUNTER_HELP, family.clone());
        counters.push(family);
    }
    let histograms = (0..histograms).map(|k| {
        let family = PcHistogramFamily::new_with_constructor(pc_histogram);
        for (i, route, code) in pairs() {
            let h = family.get_or_create(&PcRouteCode { route, code });
            for v in latencies(i as u64, observations) {
                h.observe(v);
            }
        }
        registry.register_with_unit(
            histogram_base(k),
            HISTOGRAM_HELP,
            prometheus_client::registry::Unit::Seconds,
            family.clone(),
        );
        family
    });
    let histograms = histograms.collect();
    PrometheusClient {
        registry,
        counters,
        histograms,
    }
}

impl PrometheusClient {
    /// Every series once more, from the calling thread.
    pub fn touch(&self) {
        for c in &self.counters {
            for (_, route, code) in pairs() {
                c.get_or_create(&PcRouteCode { route, code }).inc();
            }
        }
        for h in &self.histograms {
            for (_, route, code) in pairs() {
                let h = h.get_or_create(&PcRouteCode { route, code });
                span().for_each(|v| h.observe(v));
            }
        }
    }

    /// Its Prometheus text (0.0.4) encoder into `out`, the format every
    /// other row writes.
    pub fn encode(&self, out: &mut String) {
        out.clear();
        prometheus_client::encoding::prometheus_text::encode(out, &self.registry).unwrap();
    }
}

/// prometheus: a registry of `IntCounterVec`s and a `HistogramVec`.
pub struct Prometheus {
    pub registry: prometheus::Registry,
    counters: Vec<prometheus::IntCounterVec>,
    histogram: Option<prometheus::HistogramVec>,
}

fn str_labels(r: Route, k: Code) -> [&'static str; 2] {
    [Route::VALUES[r.ordinal()], Code::VALUES[k.ordinal()]]
}

/// Builds prometheus' registry.
pub fn prometheus(families: usize, histograms: bool, observations: usize) -> Prometheus {
    let registry = prometheus::Registry::new();
    let mut counters = Vec::new();
    for f in 0..families {
        let vec = prometheus::IntCounterVec::new(
            prometheus::Opts::new(counter_name(f), COUNTER_HELP),
            &["route", "code"],
        )
        .unwrap();
        for (i, r, k) in pairs() {
            vec.with_label_values(&str_labels(r, k))
                .inc_by(counter_value(f, i));
        }
        registry.register(Box::new(vec.clone())).unwrap();
        counters.push(vec);
    }
    let histogram = histograms.then(|| {
        let vec = prometheus::HistogramVec::new(
            prometheus::HistogramOpts::new(HISTOGRAM_NAME, HISTOGRAM_HELP).buckets(BOUNDS.to_vec()),
            &["route", "code"],
        )
        .unwrap();
        for (i, r, k) in pairs() {
            let h = vec.with_label_values(&str_labels(r, k));
            for v in latencies(i as u64, observations) {
                h.observe(v);
            }
        }
        registry.register(Box::new(vec.clone())).unwrap();
        vec
    });
    Prometheus {
        registry,
        counters,
        histogram,
    }
}

impl Prometheus {
    /// Every series once more, from the calling thread.
    pub fn touch(&self) {
        for c in &self.counters {
            for (_, r, k) in pairs() {
                c.with_label_values(&str_labels(r, k)).inc();
            }
        }
        if let Some(h) = &self.histogram {
            for (_, r, k) in pairs() {
                let h = h.with_label_values(&str_labels(r, k));
                span().for_each(|v| h.observe(v));
            }
        }
    }

    /// `gather()` + its `TextEncoder` into `out`.
    pub fn encode(&self, out: &mut String) {
        use prometheus::Encoder;
        out.clear();
        let families = self.registry.gather();
        let mut buf = std::mem::take(out).into_bytes();
        prometheus::TextEncoder::new()
            .encode(&families, &mut buf)
            .unwrap();
        *out = String::from_utf8(buf).unwrap();
    }
}

/// metrics: a `metrics-exporter-prometheus` recorder (not installed
/// globally: the series are created through `with_local_recorder`).
pub struct Metrics {
    pub recorder: metrics_exporter_prometheus::PrometheusRecorder,
    pub handle: metrics_exporter_prometheus::PrometheusHandle,
    families: usize,
    histograms: bool,
}

/// A `metrics-exporter-prometheus` recorder with [`BOUNDS`] as buckets.
pub fn metrics_recorder() -> metrics_exporter_prometheus::PrometheusRecorder {
    metrics_exporter_prometheus::PrometheusBuilder::new()
        .set_buckets(&BOUNDS)
        .unwrap()
        .build_recorder()
}

/// Builds the metrics recorder's series.
pub fn metrics(families: usize, histograms: bool, observations: usize) -> Metrics {
    let recorder = metrics_recorder();
    let handle = recorder.handle();
    metrics::with_local_recorder(&recorder, || {
        for f in 0..families {
            let name = counter_name(f);
            metrics::describe_counter!(name.clone(), COUNTER_HELP);
            for (i, r, k) in pairs() {
                metrics::counter!(
                    name.clone(),
                    "route" => Route::VALUES[r.ordinal()],
                    "code" => Code::VALUES[k.ordinal()]
                )
                .increment(counter_value(f, i));
            }
        }
        if histograms {
            metrics::describe_histogram!(HISTOGRAM_NAME, metrics::Unit::Seconds, HISTOGRAM_HELP);
            for (i, r, k) in pairs() {
                let h = metrics::histogram!(
                    HISTOGRAM_NAME,
                    "route" => Route::VALUES[r.ordinal()],
                    "code" => Code::VALUES[k.ordinal()]
                );
                for v in latencies(i as u64, observations) {
                    h.record(v);
                }
            }
        }
    });
    Metrics {
        recorder,
        handle,
        families,
        histograms,
    }
}

impl Metrics {
    /// Every series once more, from the calling thread (through the
    /// macros, as the hot path does).
    pub fn touch(&self) {
        metrics::with_local_recorder(&self.recorder, || {
            for f in 0..self.families {
                let name = counter_name(f);
                for (_, r, k) in pairs() {
                    let [route, code] = str_labels(r, k);
                    metrics::counter!(name.clone(), "route" => route, "code" => code).increment(1);
                }
            }
            if self.histograms {
                for (_, r, k) in pairs() {
                    let [route, code] = str_labels(r, k);
                    let h = metrics::histogram!(HISTOGRAM_NAME, "route" => route, "code" => code);
                    span().for_each(|v| h.record(v));
                }
            }
        });
    }

    /// The handle's `render()` (drains pending histogram samples first).
    pub fn encode(&self) -> String {
        self.handle.render()
    }
}

/// measured: `CounterVec`s and a `HistogramVec` over
/// `FixedCardinalityLabel` enums (dense storage).
pub struct Measured {
    pub counters: Vec<(String, measured::CounterVec<RouteCodeSet>)>,
    pub histograms: Vec<(String, measured::HistogramVec<RouteCodeSet, BUCKETS>)>,
}

/// Builds measured's metrics.
pub fn measured(families: usize, histograms: bool, observations: usize) -> Measured {
    measured_mix(families, usize::from(histograms), observations)
}

/// Builds measured's metrics with `histograms` histogram families of 100
/// series each.
pub fn measured_mix(families: usize, histograms: usize, observations: usize) -> Measured {
    let counters = (0..families)
        .map(|f| {
            let vec = measured::CounterVec::with_label_set(route_code_set());
            for (i, route, code) in pairs() {
                vec.inc_by(MeasuredRouteCode { route, code }, counter_value(f, i));
            }
            (counter_name(f), vec)
        })
        .collect();
    let histograms = (0..histograms).map(|k| {
        let vec = measured::HistogramVec::with_label_set_and_metadata(
            route_code_set(),
            Thresholds::with_buckets(BOUNDS),
        );
        for (i, route, code) in pairs() {
            for v in latencies(i as u64, observations) {
                vec.observe(MeasuredRouteCode { route, code }, v);
            }
        }
        (format!("{}_seconds", histogram_base(k)), vec)
    });
    let histograms = histograms.collect();
    Measured {
        counters,
        histograms,
    }
}

impl Measured {
    /// Every series once more, from the calling thread.
    pub fn touch(&self) {
        for (_, c) in &self.counters {
            for (_, route, code) in pairs() {
                c.inc(MeasuredRouteCode { route, code });
            }
        }
        for (_, h) in &self.histograms {
            for (_, route, code) in pairs() {
                span().for_each(|v| h.observe(MeasuredRouteCode { route, code }, v));
            }
        }
    }

    /// Every family into its `BufferedTextEncoder`, then `finish()`;
    /// returns the length of the text.
    pub fn encode(&self, enc: &mut BufferedTextEncoder) -> usize {
        use measured::metric::group::Encoding;
        for (name, vec) in &self.counters {
            let name = MetricName::try_from_str(name).unwrap();
            enc.write_help(name, COUNTER_HELP).unwrap();
            vec.collect_family_into(name, enc).unwrap();
        }
        for (name, h) in &self.histograms {
            let name = MetricName::try_from_str(name).unwrap();
            enc.write_help(name, HISTOGRAM_HELP).unwrap();
            h.collect_family_into(name, enc).unwrap();
        }
        enc.finish().len()
    }
}

/// The OpenTelemetry SDK: one `Counter<u64>` per family and one
/// `Histogram<f64>` (the same 12 bounds), the attribute arrays of the 100
/// `(route, code)` pairs built once, read by a `ManualReader`.
pub struct OpenTelemetry {
    pub otel: super::otel::Otel,
    attributes: Vec<[KeyValue; 2]>,
    counters: Vec<opentelemetry::metrics::Counter<u64>>,
    histogram: Option<opentelemetry::metrics::Histogram<f64>>,
}

/// Builds the OpenTelemetry SDK's instruments.
pub fn opentelemetry(families: usize, histograms: bool, observations: usize) -> OpenTelemetry {
    let otel = super::otel::Otel::new();
    let attributes: Vec<[KeyValue; 2]> = pairs()
        .map(|(_, r, k)| {
            let [route, code] = str_labels(r, k);
            [KeyValue::new("route", route), KeyValue::new("code", code)]
        })
        .collect();
    let counters = (0..families)
        .map(|f| {
            // OpenTelemetry names counters without `_total` (an exporter
            // to Prometheus appends it).
            let c = otel
                .meter
                .u64_counter(format!("requests_{f:02}"))
                .with_description(COUNTER_HELP)
                .build();
            for (i, attrs) in attributes.iter().enumerate() {
                c.add(counter_value(f, i), attrs);
            }
            c
        })
        .collect();
    let histogram = histograms.then(|| {
        let h = otel
            .meter
            .f64_histogram("request_latency")
            .with_description(HISTOGRAM_HELP)
            .with_unit("s")
            .with_boundaries(BOUNDS.to_vec())
            .build();
        for (i, attrs) in attributes.iter().enumerate() {
            for v in latencies(i as u64, observations) {
                h.record(v, attrs);
            }
        }
        h
    });
    OpenTelemetry {
        otel,
        attributes,
        counters,
        histogram,
    }
}

impl OpenTelemetry {
    /// Every series once more, from the calling thread.
    pub fn touch(&self) {
        for c in &self.counters {
            for attrs in &self.attributes {
                c.add(1, attrs);
            }
        }
        if let Some(h) = &self.histogram {
            for attrs in &self.attributes {
                span().for_each(|v| h.record(v, attrs));
            }
        }
    }
}
