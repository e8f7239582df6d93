//! Hot-path cost of tally against its peers, in one run on one machine
//! (workloads 1 to 3 of the side-by-side benchmarks):
//!
//! - `counter_unlabeled`: one counter increment;
//! - `counter_labeled`: a counter over 2 labels, 6 x 3 = 18 combinations,
//!   a random combination per iteration (the workload of measured's own
//!   README);
//! - `histogram_unlabeled` / `histogram_labeled`: one observation of a
//!   log-normal latency (median 20 ms), unlabeled and over the same 18
//!   combinations.
//!
//! Each crate is used the way its docs recommend: tally `Counter<(Method,
//! Status)>::with(..).inc()` and `Histogram::record` (nanoseconds, default
//! HDR configuration); prometheus-client `Family::get_or_create`;
//! prometheus `IntCounterVec` / `HistogramVec::with_label_values` (a label
//! lookup per call, as a random combination needs); metrics `counter!` /
//! `histogram!` against an installed `metrics-exporter-prometheus`
//! recorder; measured `CounterVec` / `HistogramVec` over
//! `FixedCardinalityLabel` enums. Baselines: one shared `AtomicU64` (18 of
//! them when labeled) and `Mutex<hdrhistogram::Histogram<u64>>` with
//! tally's range and precision. The bucketed peers get the same 12
//! exponential buckets (1 ms .. 2 s).
//!
//! The random combinations and latencies come from a precomputed table
//! (`common::TABLE`) handed to the body as a divan input, so the RNG is out
//! of the timed loop and identical for every crate. Every series of every
//! crate is touched once on the main thread before divan starts; sample
//! sizes are fixed so a second thread's one-time first use (tally's shard
//! allocation) lands in one sample instead of skewing divan's calibration.
//! `t=2` reports the time per operation of each of the two threads running
//! at once.
//!
//! `cargo bench --bench peers_hot` (or `scripts/bench.sh`, which runs every
//! `peers_*` bench and prints the table).

mod common;

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{LazyLock, Mutex};

use common::{
    all_combinations, bucket_bounds, hdr, measured_set, next_pick, MeasuredLabels,
    MeasuredLabelsSet, Method, PcLabels, Pick, Status, BUCKETS, BUCKET_FACTOR, BUCKET_START,
    COMBINATIONS,
};
use divan::black_box;
use measured::metric::histogram::Thresholds;
use prometheus_client::metrics::counter::Counter as PcCounter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram as PcHistogram;

fn main() {
    install_metrics_recorder();
    warm_up();
    divan::main();
}

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
static PC_HIST_LABELED: LazyLock<Family<PcLabels, PcHistogram, fn() -> PcHistogram>> =
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

// --- metrics + metrics-exporter-prometheus ---

/// Installs the global `metrics` recorder (histograms with the shared
/// buckets) and runs its upkeep every 5 s on a background thread, as the
/// exporter's `install()` does.
fn install_metrics_recorder() {
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new()
        .set_buckets(&bucket_bounds())
        .unwrap()
        .build_recorder();
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder).unwrap();
    std::thread::spawn(move || loop {
        std::thread::sleep(std::time::Duration::from_secs(5));
        handle.run_upkeep();
    });
}

/// Creates every series of every crate from the main thread, so that
/// divan calibrates on the steady state.
fn warm_up() {
    for p in all_combinations() {
        counter_labeled::tally_op(&p);
        counter_labeled::atomic_op(&p);
        counter_labeled::prometheus_client_op(&p);
        counter_labeled::prometheus_op(&p);
        counter_labeled::metrics_op(&p);
        counter_labeled::measured_op(&p);
        for op in histogram_unlabeled::OPS
            .iter()
            .chain(histogram_labeled::OPS)
        {
            op(&p);
        }
    }
    for op in counter_unlabeled::OPS {
        op();
    }
}

/// Workload 1: an unlabeled counter increment.
#[divan::bench_group(threads = [1, 2], sample_size = 1 << 18, sample_count = 100)]
mod counter_unlabeled {
    use super::*;

    pub(super) const OPS: &[fn()] = &[
        tally_op,
        atomic_op,
        prometheus_client_op,
        prometheus_op,
        metrics_op,
        measured_op,
    ];

    fn tally_op() {
        black_box(&*TALLY_PLAIN).inc();
    }
    fn atomic_op() {
        black_box(&ATOMIC).fetch_add(1, Relaxed);
    }
    fn prometheus_client_op() {
        black_box(&*PC_PLAIN).inc();
    }
    fn prometheus_op() {
        black_box(&*PROM_PLAIN).inc();
    }
    fn metrics_op() {
        metrics::counter!("requests_plain_total").increment(1);
    }
    fn measured_op() {
        black_box(&*MEAS_PLAIN).inc();
    }

    #[divan::bench]
    fn tally() {
        tally_op()
    }
    #[divan::bench]
    fn atomic() {
        atomic_op()
    }
    #[divan::bench]
    fn prometheus_client() {
        prometheus_client_op()
    }
    #[divan::bench]
    fn prometheus() {
        prometheus_op()
    }
    #[divan::bench]
    fn metrics() {
        metrics_op()
    }
    #[divan::bench]
    fn measured() {
        measured_op()
    }
}

/// Runs `op` on the calling thread's next random pick (the pick is a divan
/// input: fetched outside the timed loop).
fn with_picks(bencher: divan::Bencher, op: fn(&Pick)) {
    bencher
        .with_inputs(next_pick)
        .bench_values(|p: &'static Pick| op(black_box(p)));
}

/// Workload 2: a counter over 18 label combinations, a random one per
/// iteration.
#[divan::bench_group(threads = [1, 2], sample_size = 1 << 18, sample_count = 100)]
mod counter_labeled {
    use super::*;

    pub(super) fn tally_op(p: &Pick) {
        TALLY_LABELED.with((p.method, p.status)).inc();
    }
    pub(super) fn atomic_op(p: &Pick) {
        ATOMICS[p.index].fetch_add(1, Relaxed);
    }
    pub(super) fn prometheus_client_op(p: &Pick) {
        PC_LABELED
            .get_or_create(&PcLabels {
                method: p.method,
                status: p.status,
            })
            .inc();
    }
    pub(super) fn prometheus_op(p: &Pick) {
        PROM_LABELED
            .with_label_values(&[p.method_str, p.status_str])
            .inc();
    }
    pub(super) fn metrics_op(p: &Pick) {
        metrics::counter!("requests_total", "method" => p.method_str, "status" => p.status_str)
            .increment(1);
    }
    pub(super) fn measured_op(p: &Pick) {
        MEAS_LABELED.inc(MeasuredLabels {
            method: p.method,
            status: p.status,
        });
    }

    #[divan::bench]
    fn tally(b: divan::Bencher) {
        with_picks(b, tally_op)
    }
    #[divan::bench]
    fn atomic(b: divan::Bencher) {
        with_picks(b, atomic_op)
    }
    #[divan::bench]
    fn prometheus_client(b: divan::Bencher) {
        with_picks(b, prometheus_client_op)
    }
    #[divan::bench]
    fn prometheus(b: divan::Bencher) {
        with_picks(b, prometheus_op)
    }
    #[divan::bench]
    fn metrics(b: divan::Bencher) {
        with_picks(b, metrics_op)
    }
    #[divan::bench]
    fn measured(b: divan::Bencher) {
        with_picks(b, measured_op)
    }
}

/// Workload 3a: one unlabeled histogram observation of a latency.
#[divan::bench_group(threads = [1, 2], sample_size = 1 << 18, sample_count = 100)]
mod histogram_unlabeled {
    use super::*;

    pub(super) const OPS: &[fn(&Pick)] = &[
        tally_op,
        hdrhistogram_op,
        prometheus_client_op,
        prometheus_op,
        metrics_op,
        measured_op,
    ];

    fn tally_op(p: &Pick) {
        TALLY_HIST.record(p.nanos);
    }
    fn hdrhistogram_op(p: &Pick) {
        HDR.lock().unwrap().saturating_record(p.nanos);
    }
    fn prometheus_client_op(p: &Pick) {
        PC_HIST.observe(p.secs);
    }
    fn prometheus_op(p: &Pick) {
        PROM_HIST.observe(p.secs);
    }
    fn metrics_op(p: &Pick) {
        metrics::histogram!("latency_plain_seconds").record(p.secs);
    }
    fn measured_op(p: &Pick) {
        MEAS_HIST.observe(p.secs);
    }

    #[divan::bench]
    fn tally(b: divan::Bencher) {
        with_picks(b, tally_op)
    }
    #[divan::bench]
    fn hdrhistogram(b: divan::Bencher) {
        with_picks(b, hdrhistogram_op)
    }
    #[divan::bench]
    fn prometheus_client(b: divan::Bencher) {
        with_picks(b, prometheus_client_op)
    }
    #[divan::bench]
    fn prometheus(b: divan::Bencher) {
        with_picks(b, prometheus_op)
    }
    #[divan::bench]
    fn metrics(b: divan::Bencher) {
        with_picks(b, metrics_op)
    }
    #[divan::bench]
    fn measured(b: divan::Bencher) {
        with_picks(b, measured_op)
    }
}

/// Workload 3b: one histogram observation over 18 label combinations, a
/// random one per iteration.
#[divan::bench_group(threads = [1, 2], sample_size = 1 << 18, sample_count = 100)]
mod histogram_labeled {
    use super::*;

    pub(super) const OPS: &[fn(&Pick)] = &[
        tally_op,
        hdrhistogram_op,
        prometheus_client_op,
        prometheus_op,
        metrics_op,
        measured_op,
    ];

    fn tally_op(p: &Pick) {
        TALLY_HIST_LABELED
            .with((p.method, p.status))
            .record(p.nanos);
    }
    fn hdrhistogram_op(p: &Pick) {
        HDRS[p.index].lock().unwrap().saturating_record(p.nanos);
    }
    fn prometheus_client_op(p: &Pick) {
        PC_HIST_LABELED
            .get_or_create(&PcLabels {
                method: p.method,
                status: p.status,
            })
            .observe(p.secs);
    }
    fn prometheus_op(p: &Pick) {
        PROM_HIST_LABELED
            .with_label_values(&[p.method_str, p.status_str])
            .observe(p.secs);
    }
    fn metrics_op(p: &Pick) {
        metrics::histogram!("latency_seconds", "method" => p.method_str, "status" => p.status_str)
            .record(p.secs);
    }
    fn measured_op(p: &Pick) {
        MEAS_HIST_LABELED.observe(
            MeasuredLabels {
                method: p.method,
                status: p.status,
            },
            p.secs,
        );
    }

    #[divan::bench]
    fn tally(b: divan::Bencher) {
        with_picks(b, tally_op)
    }
    #[divan::bench]
    fn hdrhistogram(b: divan::Bencher) {
        with_picks(b, hdrhistogram_op)
    }
    #[divan::bench]
    fn prometheus_client(b: divan::Bencher) {
        with_picks(b, prometheus_client_op)
    }
    #[divan::bench]
    fn prometheus(b: divan::Bencher) {
        with_picks(b, prometheus_op)
    }
    #[divan::bench]
    fn metrics(b: divan::Bencher) {
        with_picks(b, metrics_op)
    }
    #[divan::bench]
    fn measured(b: divan::Bencher) {
        with_picks(b, measured_op)
    }
}
