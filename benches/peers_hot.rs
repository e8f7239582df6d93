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
//! `FixedCardinalityLabel` enums; the OpenTelemetry SDK `Counter<u64>::add`
//! / `Histogram<f64>::record` with a `[KeyValue; 2]` per combination built
//! once (unlabeled: `&[]`), on a meter provider with a `ManualReader` (see
//! `common/otel.rs`). Baselines: one shared `AtomicU64` (18 of them when
//! labeled) and `Mutex<hdrhistogram::Histogram<u64>>` with tally's range
//! and precision. The bucketed peers get the same 12 exponential buckets
//! (1 ms .. 2 s).
//!
//! The random combinations and latencies come from a precomputed table
//! (`common::TABLE`) handed to the body as a divan input, so the RNG is out
//! of the timed loop and identical for every crate. Every series of every
//! crate is touched once on the main thread before divan starts; sample
//! sizes are fixed so a second thread's one-time first use (tally's shard
//! allocation) lands in one sample instead of skewing divan's calibration.
//!
//! Threads: every row runs at 1, 2 and 8 threads (`t=1`, `t=2`, `t=8`),
//! each reporting the time per operation of one of the threads running at
//! once. **8 threads oversubscribe a 2-CPU machine**: only 2 of the 8 run
//! at any instant, a thread's sample includes any time it was descheduled,
//! and a lock holder can be preempted while the others wait. The `t=8` rows
//! show what a metric costs when a service has more writer threads than
//! cores (the usual case with thread pools), not 8-way parallel scaling;
//! on a machine with 8 or more CPUs they mean the latter.
//!
//! `cargo bench --bench peers_hot` (or `scripts/bench.sh`, which runs every
//! `peers_*` bench and prints the table).

mod common;

use common::{hot, next_pick, Pick};
use divan::{black_box, Bencher};

fn main() {
    hot::install_metrics_recorder(true);
    hot::warm_up();
    divan::main();
}

/// Runs `op` on the calling thread's next random pick (the pick is a divan
/// input: fetched outside the timed loop).
/// Generic over the operation so each bench calls it directly (inlinable),
/// not through a function pointer.
fn with_picks(bencher: Bencher, op: impl Fn(&Pick) + Sync) {
    bencher
        .with_inputs(next_pick)
        .bench_values(|p: &'static Pick| op(black_box(p)));
}

/// Workload 1: an unlabeled counter increment.
#[divan::bench_group(threads = [1, 2, 8], sample_size = 1 << 18, sample_count = 50)]
mod counter_unlabeled {
    use super::*;

    #[divan::bench]
    fn tally() {
        hot::counter_unlabeled::tally()
    }

    #[divan::bench]
    fn atomic() {
        hot::counter_unlabeled::atomic()
    }

    #[divan::bench]
    fn prometheus_client() {
        hot::counter_unlabeled::prometheus_client()
    }

    #[divan::bench]
    fn prometheus() {
        hot::counter_unlabeled::prometheus()
    }

    #[divan::bench]
    fn metrics() {
        hot::counter_unlabeled::metrics()
    }

    #[divan::bench]
    fn measured() {
        hot::counter_unlabeled::measured()
    }

    #[divan::bench]
    fn opentelemetry() {
        hot::counter_unlabeled::opentelemetry()
    }

    /// metrics with its handle registered once (an extra row).
    #[divan::bench]
    fn metrics_handle() {
        hot::counter_unlabeled::metrics_handle()
    }
}

/// Workload 2: a counter over 18 label combinations, a random one per
/// iteration.
#[divan::bench_group(threads = [1, 2, 8], sample_size = 1 << 18, sample_count = 50)]
mod counter_labeled {
    use super::*;

    #[divan::bench]
    fn tally(b: Bencher) {
        with_picks(b, hot::counter_labeled::tally)
    }

    #[divan::bench]
    fn atomic(b: Bencher) {
        with_picks(b, hot::counter_labeled::atomic)
    }

    #[divan::bench]
    fn prometheus_client(b: Bencher) {
        with_picks(b, hot::counter_labeled::prometheus_client)
    }

    #[divan::bench]
    fn prometheus(b: Bencher) {
        with_picks(b, hot::counter_labeled::prometheus)
    }

    #[divan::bench]
    fn metrics(b: Bencher) {
        with_picks(b, hot::counter_labeled::metrics)
    }

    #[divan::bench]
    fn measured(b: Bencher) {
        with_picks(b, hot::counter_labeled::measured)
    }

    #[divan::bench]
    fn opentelemetry(b: Bencher) {
        with_picks(b, hot::counter_labeled::opentelemetry)
    }
}

/// Workload 3a: one unlabeled histogram observation of a latency.
#[divan::bench_group(threads = [1, 2, 8], sample_size = 1 << 18, sample_count = 50)]
mod histogram_unlabeled {
    use super::*;

    #[divan::bench]
    fn tally(b: Bencher) {
        with_picks(b, hot::histogram_unlabeled::tally)
    }

    #[divan::bench]
    fn hdrhistogram(b: Bencher) {
        with_picks(b, hot::histogram_unlabeled::hdrhistogram)
    }

    #[divan::bench]
    fn prometheus_client(b: Bencher) {
        with_picks(b, hot::histogram_unlabeled::prometheus_client)
    }

    #[divan::bench]
    fn prometheus(b: Bencher) {
        with_picks(b, hot::histogram_unlabeled::prometheus)
    }

    #[divan::bench]
    fn metrics(b: Bencher) {
        with_picks(b, hot::histogram_unlabeled::metrics)
    }

    #[divan::bench]
    fn measured(b: Bencher) {
        with_picks(b, hot::histogram_unlabeled::measured)
    }

    #[divan::bench]
    fn opentelemetry(b: Bencher) {
        with_picks(b, hot::histogram_unlabeled::opentelemetry)
    }

    /// metrics with its handle registered once (an extra row).
    #[divan::bench]
    fn metrics_handle(b: Bencher) {
        with_picks(b, hot::histogram_unlabeled::metrics_handle)
    }
}

/// Workload 3b: one histogram observation over 18 label combinations, a
/// random one per iteration.
#[divan::bench_group(threads = [1, 2, 8], sample_size = 1 << 18, sample_count = 50)]
mod histogram_labeled {
    use super::*;

    #[divan::bench]
    fn tally(b: Bencher) {
        with_picks(b, hot::histogram_labeled::tally)
    }

    #[divan::bench]
    fn hdrhistogram(b: Bencher) {
        with_picks(b, hot::histogram_labeled::hdrhistogram)
    }

    #[divan::bench]
    fn prometheus_client(b: Bencher) {
        with_picks(b, hot::histogram_labeled::prometheus_client)
    }

    #[divan::bench]
    fn prometheus(b: Bencher) {
        with_picks(b, hot::histogram_labeled::prometheus)
    }

    #[divan::bench]
    fn metrics(b: Bencher) {
        with_picks(b, hot::histogram_labeled::metrics)
    }

    #[divan::bench]
    fn measured(b: Bencher) {
        with_picks(b, hot::histogram_labeled::measured)
    }

    #[divan::bench]
    fn opentelemetry(b: Bencher) {
        with_picks(b, hot::histogram_labeled::opentelemetry)
    }
}
