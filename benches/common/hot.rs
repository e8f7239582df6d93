//! The hot-path operations of workloads 1 to 3 for every crate: the
//! metrics (process-wide statics, as a service keeps them) and one
//! function per crate and workload. `peers_hot` times them, `peers_memory`
//! counts their allocations.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{LazyLock, Mutex};

use divan::black_box;
use measured::metric::histogram::Thresholds;
use opentelemetry::KeyValue;
use prometheus_client::metrics::counter::Counter as PcCounter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram as PcHistogram;

use super::otel::Otel;
use super::{
    all_combinations, bucket_bounds, hdr, measured_set, pick, MeasuredLabels, MeasuredLabelsSet,
    Method, PcLabels, Pick, Status, BUCKETS, BUCKET_FACTOR, BUCKET_START, COMBINATIONS,
};

// --- tally ---

static TALLY_PLAIN: LazyLock<tally::Counter> = LazyLock::new(tally::Counter::new);
static TALLY_LABELED: LazyLock<tally::Counter<(Method, Status)>> =
    LazyLock::new(tally::Counter::new);
static TALLY_HIST: LazyLock<tally::Histogram> = LazyLock::new(tally::Histogram::new);
static TALLY_HIST_LABELED: LazyLock<tally::Histogram<(Method, Status)>> =
    LazyLock::new(tally::Histogram::new);

// --- baselines ---

static ATOMIC: AtomicU64 = AtomicU64::new(0);
static ATOMICS: [AtomicU64; COMBINATIONS] = [const { AtomicU64::new(0) }; COMBINATIONS];
static HDR: LazyLock<Mutex<hdrhistogram::Histogram<u64>>> = LazyLock::new(|| Mutex::new(hdr()));
static HDRS: LazyLock<Vec<Mutex<hdrhistogram::Histogram<u64>>>> =
    LazyLock::new(|| (0..COMBINATIONS).map(|_| Mutex::new(hdr())).collect());

// --- prometheus-client ---

fn pc_histogram() -> PcHistogram {
    PcHistogram::new(bucket_bounds())
}

static PC_PLAIN: LazyLock<PcCounter> = LazyLock::new(PcCounter::default);
static PC_LABELED: LazyLock<Family<PcLabels, PcCounter>> = LazyLock::new(Family::default);
static PC_HIST: LazyLock<PcHistogram> = LazyLock::new(pc_histogram);
/// A prometheus-client histogram family built by [`pc_histogram`].
type PcHistogramFamily = Family<PcLabels, PcHistogram, fn() -> PcHistogram>;
static PC_HIST_LABELED: LazyLock<PcHistogramFamily> =
    LazyLock::new(|| Family::new_with_constructor(pc_histogram));

// --- prometheus ---

static PROM_PLAIN: LazyLock<prometheus::IntCounter> =
    LazyLock::new(|| prometheus::IntCounter::new("requests_plain_total", "Requests.").unwrap());
static PROM_LABELED: LazyLock<prometheus::IntCounterVec> = LazyLock::new(|| {
    prometheus::IntCounterVec::new(
        prometheus::Opts::new("requests_total", "Requests."),
        &["method", "status"],
    )
    .unwrap()
});
fn prom_hist_opts(name: &str) -> prometheus::HistogramOpts {
    prometheus::HistogramOpts::new(name, "Latency.").buckets(bucket_bounds())
}
static PROM_HIST: LazyLock<prometheus::Histogram> = LazyLock::new(|| {
    prometheus::Histogram::with_opts(prom_hist_opts("latency_plain_seconds")).unwrap()
});
static PROM_HIST_LABELED: LazyLock<prometheus::HistogramVec> = LazyLock::new(|| {
    prometheus::HistogramVec::new(prom_hist_opts("latency_seconds"), &["method", "status"]).unwrap()
});

// --- measured ---

fn thresholds() -> Thresholds<BUCKETS> {
    Thresholds::exponential_buckets(BUCKET_START, BUCKET_FACTOR)
}

static MEAS_PLAIN: LazyLock<measured::Counter> = LazyLock::new(measured::Counter::new);
static MEAS_LABELED: LazyLock<measured::CounterVec<MeasuredLabelsSet>> =
    LazyLock::new(|| measured::CounterVec::with_label_set(measured_set()));
static MEAS_HIST: LazyLock<measured::Histogram<BUCKETS>> =
    LazyLock::new(|| measured::Histogram::with_metadata(thresholds()));
static MEAS_HIST_LABELED: LazyLock<measured::HistogramVec<MeasuredLabelsSet, BUCKETS>> =
    LazyLock::new(|| {
        measured::HistogramVec::with_label_set_and_metadata(measured_set(), thresholds())
    });

// --- OpenTelemetry SDK ---

/// The SDK's meter provider, with a `ManualReader` so it aggregates.
static OTEL: LazyLock<Otel> = LazyLock::new(Otel::new);
static OTEL_PLAIN: LazyLock<opentelemetry::metrics::Counter<u64>> =
    LazyLock::new(|| OTEL.meter.u64_counter("requests_plain").build());
static OTEL_LABELED: LazyLock<opentelemetry::metrics::Counter<u64>> =
    LazyLock::new(|| OTEL.meter.u64_counter("requests").build());
static OTEL_HIST: LazyLock<opentelemetry::metrics::Histogram<f64>> = LazyLock::new(|| {
    OTEL.meter
        .f64_histogram("latency_plain")
        .with_unit("s")
        .with_boundaries(bucket_bounds())
        .build()
});
static OTEL_HIST_LABELED: LazyLock<opentelemetry::metrics::Histogram<f64>> = LazyLock::new(|| {
    OTEL.meter
        .f64_histogram("latency")
        .with_unit("s")
        .with_boundaries(bucket_bounds())
        .build()
});
/// The attributes of each label combination, built once (as a service
/// keeps its attribute arrays), indexed by [`Pick::index`].
static OTEL_ATTRS: LazyLock<Vec<[KeyValue; 2]>> = LazyLock::new(|| {
    (0..COMBINATIONS)
        .map(|i| {
            let p = pick(i, 0.0);
            [
                KeyValue::new("method", p.method_str),
                KeyValue::new("status", p.status_str),
            ]
        })
        .collect()
});

// --- metrics + metrics-exporter-prometheus ---

/// Installs the global `metrics` recorder (histograms with the shared
/// buckets) and runs its upkeep every 5 s on a background thread, as the
/// exporter's `install()` does (`upkeep`: false in the memory bench, whose
/// counting allocator must see the benchmarked thread alone).
pub fn install_metrics_recorder(upkeep: bool) {
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new()
        .set_buckets(&bucket_bounds())
        .unwrap()
        .build_recorder();
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder).unwrap();
    if upkeep {
        std::thread::spawn(move || loop {
            std::thread::sleep(std::time::Duration::from_secs(5));
            handle.run_upkeep();
        });
    }
}

/// The crates of every workload, in table order (the baseline is a
/// shared `AtomicU64` for counters, `Mutex<hdrhistogram::Histogram>` for
/// histograms).
pub const CRATES: [&str; 7] = [
    "tally",
    "baseline",
    "prometheus_client",
    "prometheus",
    "metrics",
    "measured",
    "opentelemetry",
];

/// One operation of a workload, on a pick (ignored where unlabeled).
pub type Op = fn(&Pick);

/// Every workload with its operations, in [`CRATES`] order.
pub const WORKLOADS: [(&str, [Op; 7]); 4] = [
    (
        "counter_unlabeled",
        [
            |_| counter_unlabeled::tally(),
            |_| counter_unlabeled::atomic(),
            |_| counter_unlabeled::prometheus_client(),
            |_| counter_unlabeled::prometheus(),
            |_| counter_unlabeled::metrics(),
            |_| counter_unlabeled::measured(),
            |_| counter_unlabeled::opentelemetry(),
        ],
    ),
    (
        "counter_labeled",
        [
            counter_labeled::tally,
            counter_labeled::atomic,
            counter_labeled::prometheus_client,
            counter_labeled::prometheus,
            counter_labeled::metrics,
            counter_labeled::measured,
            counter_labeled::opentelemetry,
        ],
    ),
    (
        "histogram_unlabeled",
        [
            histogram_unlabeled::tally,
            histogram_unlabeled::hdrhistogram,
            histogram_unlabeled::prometheus_client,
            histogram_unlabeled::prometheus,
            histogram_unlabeled::metrics,
            histogram_unlabeled::measured,
            histogram_unlabeled::opentelemetry,
        ],
    ),
    (
        "histogram_labeled",
        [
            histogram_labeled::tally,
            histogram_labeled::hdrhistogram,
            histogram_labeled::prometheus_client,
            histogram_labeled::prometheus,
            histogram_labeled::metrics,
            histogram_labeled::measured,
            histogram_labeled::opentelemetry,
        ],
    ),
];

/// metrics' handles registered once (its docs' way to skip the per-call
/// lookup): extra rows beside the macro per call, unlabeled workloads
/// only (with a random combination per call, a lookup is the idiom).
pub static METRICS_COUNTER: LazyLock<metrics::Counter> =
    LazyLock::new(|| metrics::counter!("requests_plain_total"));
/// See [`METRICS_COUNTER`].
pub static METRICS_HISTOGRAM: LazyLock<metrics::Histogram> =
    LazyLock::new(|| metrics::histogram!("latency_plain_seconds"));

/// Creates every series of every crate from the calling thread (every
/// operation on every combination once).
pub fn warm_up() {
    LazyLock::force(&METRICS_COUNTER);
    LazyLock::force(&METRICS_HISTOGRAM);
    for p in all_combinations() {
        for (_, ops) in &WORKLOADS {
            for op in ops {
                op(&p);
            }
        }
    }
}

/// Workload 1: an unlabeled counter increment.
pub mod counter_unlabeled {
    use super::*;

    pub fn tally() {
        black_box(&*TALLY_PLAIN).inc();
    }
    pub fn atomic() {
        black_box(&ATOMIC).fetch_add(1, Relaxed);
    }
    pub fn prometheus_client() {
        black_box(&*PC_PLAIN).inc();
    }
    pub fn prometheus() {
        black_box(&*PROM_PLAIN).inc();
    }
    pub fn metrics() {
        metrics::counter!("requests_plain_total").increment(1);
    }
    pub fn measured() {
        black_box(&*MEAS_PLAIN).inc();
    }
    pub fn opentelemetry() {
        black_box(&*OTEL_PLAIN).add(1, &[]);
    }
    pub fn metrics_handle() {
        black_box(&*METRICS_COUNTER).increment(1);
    }
}

/// Workload 2: a counter over 18 label combinations.
pub mod counter_labeled {
    use super::*;

    pub fn tally(p: &Pick) {
        TALLY_LABELED.with((p.method, p.status)).inc();
    }
    pub fn atomic(p: &Pick) {
        ATOMICS[p.index].fetch_add(1, Relaxed);
    }
    pub fn prometheus_client(p: &Pick) {
        PC_LABELED
            .get_or_create(&PcLabels {
                method: p.method,
                status: p.status,
            })
            .inc();
    }
    pub fn prometheus(p: &Pick) {
        PROM_LABELED
            .with_label_values(&[p.method_str, p.status_str])
            .inc();
    }
    pub fn metrics(p: &Pick) {
        metrics::counter!("requests_total", "method" => p.method_str, "status" => p.status_str)
            .increment(1);
    }
    pub fn measured(p: &Pick) {
        MEAS_LABELED.inc(MeasuredLabels {
            method: p.method,
            status: p.status,
        });
    }
    pub fn opentelemetry(p: &Pick) {
        OTEL_LABELED.add(1, &OTEL_ATTRS[p.index]);
    }
}

/// Workload 3a: one unlabeled histogram observation.
pub mod histogram_unlabeled {
    use super::*;

    pub fn tally(p: &Pick) {
        TALLY_HIST.record(p.nanos);
    }
    pub fn hdrhistogram(p: &Pick) {
        HDR.lock().unwrap().saturating_record(p.nanos);
    }
    pub fn prometheus_client(p: &Pick) {
        PC_HIST.observe(p.secs);
    }
    pub fn prometheus(p: &Pick) {
        PROM_HIST.observe(p.secs);
    }
    pub fn metrics(p: &Pick) {
        metrics::histogram!("latency_plain_seconds").record(p.secs);
    }
    pub fn measured(p: &Pick) {
        MEAS_HIST.observe(p.secs);
    }
    pub fn opentelemetry(p: &Pick) {
        OTEL_HIST.record(p.secs, &[]);
    }
    pub fn metrics_handle(p: &Pick) {
        black_box(&*METRICS_HISTOGRAM).record(p.secs);
    }
}

/// Workload 3b: one histogram observation over 18 label combinations.
pub mod histogram_labeled {
    use super::*;

    pub fn tally(p: &Pick) {
        TALLY_HIST_LABELED
            .with((p.method, p.status))
            .record(p.nanos);
    }
    pub fn hdrhistogram(p: &Pick) {
        HDRS[p.index].lock().unwrap().saturating_record(p.nanos);
    }
    pub fn prometheus_client(p: &Pick) {
        PC_HIST_LABELED
            .get_or_create(&PcLabels {
                method: p.method,
                status: p.status,
            })
            .observe(p.secs);
    }
    pub fn prometheus(p: &Pick) {
        PROM_HIST_LABELED
            .with_label_values(&[p.method_str, p.status_str])
            .observe(p.secs);
    }
    pub fn metrics(p: &Pick) {
        metrics::histogram!("latency_seconds", "method" => p.method_str, "status" => p.status_str)
            .record(p.secs);
    }
    pub fn measured(p: &Pick) {
        MEAS_HIST_LABELED.observe(
            MeasuredLabels {
                method: p.method,
                status: p.status,
            },
            p.secs,
        );
    }
    pub fn opentelemetry(p: &Pick) {
        OTEL_HIST_LABELED.record(p.secs, &OTEL_ATTRS[p.index]);
    }
}
