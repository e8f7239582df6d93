//! Hot-path costs of tally's primitives, beside the baselines they are
//! measured against (an `AtomicU64` shared by every thread),
//! in one run on one machine.
//!
//! `cargo bench --bench core`. Sample sizes are fixed so a thread's
//! one-time first use (slot, shard allocation) lands in one sample instead
//! of skewing divan's calibration. With `threads = [1, 2]` divan runs the body
//! on that many threads at once and reports the time per operation of
//! each thread; aggregate throughput with 2 threads relative to 1 is
//! `2 * t(1) / t(2)`.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use divan::black_box;
use tally::{
    Counter, Histogram, HistogramConfig, LabelValue, RecentClock, Window, WindowedCounter,
    WindowedHistogram,
};

fn main() {
    report_memory();
    // Pay one-time costs (lazy statics, this thread's slot and shards)
    // before divan calibrates its iteration counts on the main thread.
    LABELED.with((Method::Get, Status::Ok)).inc();
    DYNAMIC.with((Tenant::get("acme"), Status::Ok)).inc();
    PLAIN.inc();
    LATENCY.record(1);
    RECENT.with((Method::Get, Status::Ok)).inc();
    RECENT_LATENCY.record_value(1);
    RECENT_FAST.with((Method::Get, Status::Ok)).inc();
    RECENT_LATENCY_FAST.record_value(1);
    divan::main();
}

#[derive(Clone, Copy, LabelValue)]
enum Method {
    Get,
    Post,
}

#[derive(Clone, Copy, LabelValue)]
enum Status {
    Ok,
    Error,
}

static LABELED: std::sync::LazyLock<Counter<(Method, Status)>> =
    std::sync::LazyLock::new(Counter::new);
static PLAIN: std::sync::LazyLock<Counter> = std::sync::LazyLock::new(Counter::new);
tally::dynamic_label!(Tenant, name = "tenant", capacity = 64);
static DYNAMIC: std::sync::LazyLock<Counter<(Tenant, Status)>> =
    std::sync::LazyLock::new(Counter::new);
static SHARED_ATOMIC: AtomicU64 = AtomicU64::new(0);
static LATENCY: std::sync::LazyLock<Histogram> = std::sync::LazyLock::new(Histogram::new);
static RECENT: std::sync::LazyLock<WindowedCounter<(Method, Status)>> =
    std::sync::LazyLock::new(|| WindowedCounter::new(Window::default()));
static RECENT_FAST: std::sync::LazyLock<WindowedCounter<(Method, Status), RecentClock>> =
    std::sync::LazyLock::new(|| {
        WindowedCounter::with_clock(Window::default(), RecentClock::start().unwrap())
    });
static RECENT_LATENCY_FAST: std::sync::LazyLock<WindowedHistogram<(), RecentClock>> =
    std::sync::LazyLock::new(|| {
        WindowedHistogram::with_clock(
            Window::new(std::time::Duration::from_secs(60), 6).unwrap(),
            HistogramConfig::seconds(),
            RecentClock::start().unwrap(),
        )
        .unwrap()
    });
static RECENT_LATENCY: std::sync::LazyLock<WindowedHistogram> = std::sync::LazyLock::new(|| {
    WindowedHistogram::new(
        Window::new(std::time::Duration::from_secs(60), 6).unwrap(),
        HistogramConfig::seconds(),
    )
    .unwrap()
});

/// Baseline: one `AtomicU64::fetch_add` shared by every thread.
#[divan::bench(threads = [1, 2], sample_size = 4096, sample_count = 200)]
fn baseline_shared_atomic_fetch_add() {
    black_box(&SHARED_ATOMIC).fetch_add(1, Relaxed);
}

/// `Counter<(Method, Status)>`, labels known at the call site.
#[divan::bench(threads = [1, 2], sample_size = 4096, sample_count = 200)]
fn counter_inc_labeled() {
    black_box(&*LABELED).with((Method::Get, Status::Ok)).inc();
}

/// `Counter<(Tenant, Status)>` with a runtime-bounded label: the handle
/// is resolved once (`Tenant::get("acme")`), then recorded with like an
/// enum label.
#[divan::bench(threads = [1, 2], sample_size = 4096, sample_count = 200)]
fn counter_inc_dynamic_label_resolved_handle(bencher: divan::Bencher) {
    let acme = Tenant::get("acme");
    bencher.bench(|| black_box(&*DYNAMIC).with((acme, Status::Ok)).inc());
}

/// The same counter, resolving the `&str` on every increment (a lock-free
/// hash probe of the admitted values), then incrementing.
#[divan::bench(threads = [1, 2], sample_size = 4096, sample_count = 200)]
fn counter_inc_dynamic_label_resolve_str() {
    black_box(&*DYNAMIC)
        .with((Tenant::get(black_box("acme")), Status::Ok))
        .inc();
}

/// Unlabeled `Counter::inc`.
#[divan::bench(threads = [1, 2], sample_size = 4096, sample_count = 200)]
fn counter_inc_unlabeled() {
    black_box(&*PLAIN).inc();
}

/// `Histogram::record` of a varying latency in nanoseconds.
#[divan::bench(threads = [1, 2], sample_size = 4096, sample_count = 200)]
fn histogram_record(bencher: divan::Bencher) {
    let mut v = 1_000u64;
    bencher.bench_local(|| {
        v = v
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        black_box(&*LATENCY).record((v >> 40) + 1_000);
    });
}

/// `WindowedCounter<(Method, Status)>` (5 minutes in 5 buckets): the
/// same increment plus a coarse clock read and the epoch check.
#[divan::bench(threads = [1, 2], sample_size = 4096, sample_count = 200)]
fn windowed_counter_inc_labeled() {
    black_box(&*RECENT).with((Method::Get, Status::Ok)).inc();
}

/// `WindowedHistogram::record` (1 minute in 6 buckets).
#[divan::bench(threads = [1, 2], sample_size = 4096, sample_count = 200)]
fn windowed_histogram_record(bencher: divan::Bencher) {
    let mut v = 1_000u64;
    bencher.bench_local(|| {
        v = v
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        black_box(&*RECENT_LATENCY).record_value((v >> 40) + 1_000);
    });
}

/// The windowed counter on the opt-in [`RecentClock`] (a load instead of
/// a clock read).
#[divan::bench(threads = [1, 2], sample_size = 4096, sample_count = 200)]
fn windowed_counter_inc_labeled_recent_clock() {
    black_box(&*RECENT_FAST)
        .with((Method::Get, Status::Ok))
        .inc();
}

/// The windowed histogram on the opt-in [`RecentClock`].
#[divan::bench(threads = [1, 2], sample_size = 4096, sample_count = 200)]
fn windowed_histogram_record_recent_clock(bencher: divan::Bencher) {
    let mut v = 1_000u64;
    bencher.bench_local(|| {
        v = v
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        black_box(&*RECENT_LATENCY_FAST)
            .with(())
            .record((v >> 40) + 1_000);
    });
}

/// Prints heap bytes per histogram and counter series per active thread.
fn report_memory() {
    let h = Histogram::<()>::new();
    let before = h.heap_bytes();
    std::thread::scope(|s| {
        s.spawn(|| h.record(1));
    });
    let per_thread = h.heap_bytes() - before;
    let c = Counter::<()>::new();
    let before_c = c.heap_bytes();
    std::thread::scope(|s| {
        s.spawn(|| c.inc());
    });
    let w = WindowedCounter::<(Method, Status)>::new(Window::default());
    let before_w = w.heap_bytes();
    std::thread::scope(|s| {
        s.spawn(|| w.with((Method::Get, Status::Ok)).inc());
    });
    let wh = WindowedHistogram::<()>::new(
        Window::new(std::time::Duration::from_secs(60), 6).unwrap(),
        HistogramConfig::seconds(),
    )
    .unwrap();
    let before_wh = wh.heap_bytes();
    std::thread::scope(|s| {
        s.spawn(|| wh.record_value(1));
    });
    eprintln!(
        "memory: windowed counter (4 series, 5 buckets) {} B per active thread; \
         windowed histogram {} B per series per active thread per bucket written",
        w.heap_bytes() - before_w,
        wh.heap_bytes() - before_wh,
    );
    eprintln!(
        "memory: histogram (default config, precision 2) {} B per series per active thread; \
         unlabeled counter {} B per active thread; family tables {} B (histogram) / {} B (counter)",
        per_thread,
        c.heap_bytes() - before_c,
        before,
        before_c,
    );
}
