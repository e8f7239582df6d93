//! Hot-path costs of tally's primitives beside the two baselines they are
//! measured against, in one run on one machine, so each primitive can be
//! stated as a ratio to the baselines of the same run:
//!
//! - `baseline_shared_atomic_fetch_add`: one `AtomicU64::fetch_add` on a
//!   static shared by every thread (a locked instruction; contended at
//!   2 threads);
//! - `baseline_private_load_store`: a load, an add and a plain store to a
//!   thread-private cell (a `const` thread-local `Cell<u64>`, its address
//!   passed through `black_box` so the compiler cannot keep the value in a
//!   register or fold the loop): the cheapest a per-thread increment can
//!   be;
//! - `counter_inc_unlabeled` (`Counter<()>::inc`), `counter_inc_labeled`
//!   (`Counter<(Method, Status)>::with(..).inc()`, labels known at the call
//!   site), `histogram_record` (`Histogram<()>::record` of a varying
//!   nanosecond value), and the windowed variants.
//!
//! The histogram rows take their value from divan's input buffer (a
//! per-thread LCG run outside the timed loop), one sequential load per
//! operation that the counter rows do not have.
//!
//! `cargo bench --bench core` (or `scripts/bench.sh core`, which prints
//! the ratios). Sample sizes are fixed so a thread's one-time first use
//! (slot, shard allocation) lands in one sample instead of skewing divan's
//! calibration. With `threads = [1, 2]` divan runs the body on that many
//! threads at once and reports the time per operation of each thread;
//! aggregate throughput with 2 threads relative to 1 is `2 * t(1) / t(2)`.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use divan::{black_box, Bencher};
use tally::family::RecentClock;
use tally::{
    Counter, Histogram, HistogramConfig, LabelValue, Window, WindowedCounter, WindowedHistogram,
};

fn main() {
    report_memory();
    // Pay one-time costs (lazy statics, this thread's slot and shards)
    // before divan calibrates its iteration counts on the main thread.
    LABELED.with((Method::Get, Status::Ok)).inc();
    DYNAMIC.with((Tenant::admit("acme"), Status::Ok)).inc();
    PLAIN.inc();
    LATENCY.record(1);
    RECENT.with((Method::Get, Status::Ok)).inc();
    RECENT_LATENCY.record(1);
    RECENT_FAST.with((Method::Get, Status::Ok)).inc();
    RECENT_LATENCY_FAST.record(1);
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
tally::dynamic_label!(Session, name = "session", capacity = 64, idle_secs = 3600);
static EXPIRING: std::sync::LazyLock<Counter<(Session, Status)>> =
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
    WindowedHistogram::with_config(
        Window::new(std::time::Duration::from_secs(60), 6).unwrap(),
        HistogramConfig::seconds(),
    )
    .unwrap()
});

thread_local! {
    /// The cell of [`baseline_private_load_store`], one per thread.
    static PRIVATE: Cell<u64> = const { Cell::new(0) };
    /// Each thread's LCG state for the histogram rows' values.
    static LCG: Cell<u64> = const { Cell::new(1_000) };
}

/// The next value a histogram row records: 1 us .. 16.8 ms, in ns (an
/// LCG per thread, called by divan outside the timed loop).
fn next_latency() -> u64 {
    LCG.with(|s| {
        let v = s
            .get()
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        s.set(v);
        (v >> 40) + 1_000
    })
}

// Every row resolves its metric (the `LazyLock`) before the timed loop,
// so the loop holds the operation alone, as with the plain static of the
// fetch_add baseline.

/// Baseline: one `AtomicU64::fetch_add` shared by every thread.
#[divan::bench(threads = [1, 2], sample_size = 4096, sample_count = 200)]
fn baseline_shared_atomic_fetch_add(bencher: Bencher) {
    let a: &AtomicU64 = &SHARED_ATOMIC;
    bencher.bench(move || black_box(a).fetch_add(1, Relaxed));
}

/// Baseline: load + add + store to a thread-private cell (no locked
/// instruction). `black_box` on the cell's address makes every iteration
/// load and store memory.
#[divan::bench(threads = [1, 2], sample_size = 4096, sample_count = 200)]
fn baseline_private_load_store(bencher: Bencher) {
    bencher.bench(move || {
        PRIVATE.with(|c| {
            let c: &Cell<u64> = black_box(c);
            c.set(c.get().wrapping_add(1));
        })
    });
}

/// `Counter<(Method, Status)>`, labels known at the call site.
#[divan::bench(threads = [1, 2], sample_size = 4096, sample_count = 200)]
fn counter_inc_labeled(bencher: Bencher) {
    let c: &Counter<(Method, Status)> = &LABELED;
    bencher.bench(move || black_box(c).with((Method::Get, Status::Ok)).inc());
}

/// `Counter<(Tenant, Status)>` with a runtime-bounded label: the handle
/// is resolved once (`Tenant::admit("acme")`), then recorded with like an
/// enum label.
#[divan::bench(threads = [1, 2], sample_size = 4096, sample_count = 200)]
fn counter_inc_dynamic_label_resolved_handle(bencher: divan::Bencher) {
    let c: &Counter<(Tenant, Status)> = &DYNAMIC;
    let acme = Tenant::admit("acme");
    bencher.bench(move || black_box(c).with((acme, Status::Ok)).inc());
}

/// `Counter<(Session, Status)>` where `Session` expires after an idle
/// hour: a resolved handle records after comparing its thread block's
/// stamp of the series (generation and export epoch). Compare with the row above and with
/// `counter_inc_labeled_runtime_value`.
#[divan::bench(threads = [1, 2], sample_size = 4096, sample_count = 200)]
fn counter_inc_expiring_label_resolved_handle(bencher: divan::Bencher) {
    let c: &Counter<(Session, Status)> = &EXPIRING;
    let s = Session::admit("s-1");
    bencher.bench(move || black_box(c).with((s, Status::Ok)).inc());
}

/// The same counter, resolving the `&str` on every increment (a lock-free
/// hash probe of the admitted values), then incrementing.
#[divan::bench(threads = [1, 2], sample_size = 4096, sample_count = 200)]
fn counter_inc_dynamic_label_resolve_str(bencher: Bencher) {
    let c: &Counter<(Tenant, Status)> = &DYNAMIC;
    bencher.bench(move || {
        black_box(c)
            .with((Tenant::admit(black_box("acme")), Status::Ok))
            .inc()
    });
}

/// `Counter<(Method, Status)>` with the method known only at run time
/// (through `black_box`): the enum-labeled row a resolved runtime label
/// handle compares with.
#[divan::bench(threads = [1, 2], sample_size = 4096, sample_count = 200)]
fn counter_inc_labeled_runtime_value(bencher: Bencher) {
    let c: &Counter<(Method, Status)> = &LABELED;
    bencher.bench(move || {
        black_box(c)
            .with((black_box(Method::Post), Status::Ok))
            .inc()
    });
}

/// Unlabeled `Counter::inc`.
#[divan::bench(threads = [1, 2], sample_size = 4096, sample_count = 200)]
fn counter_inc_unlabeled(bencher: Bencher) {
    let c: &Counter = &PLAIN;
    bencher.bench(move || black_box(c).inc());
}

/// `Histogram::record` of a varying latency in nanoseconds (`bench_values`,
/// not `bench_local`: divan runs `bench_local` bodies on one thread only,
/// whatever `threads` says).
#[divan::bench(threads = [1, 2], sample_size = 4096, sample_count = 200)]
fn histogram_record(bencher: Bencher) {
    let h: &Histogram = &LATENCY;
    bencher
        .with_inputs(next_latency)
        .bench_values(move |v| black_box(h).record(v));
}

/// `Counter::add_with_exemplar`: the increment plus a latest-wins
/// exemplar (trace and span id, a clock read): the opt-in path, beside
/// `counter_inc_labeled`, which never touches exemplar storage.
#[divan::bench(threads = [1, 2], sample_size = 4096, sample_count = 200)]
fn counter_inc_with_exemplar(bencher: Bencher) {
    let c: &Counter<(Method, Status)> = &LABELED;
    bencher.bench(move || {
        black_box(c)
            .with((Method::Get, Status::Ok))
            .add_with_exemplar(1, TRACE_ID, SPAN_ID)
    });
}

/// `Histogram::record_with_exemplar`, beside `histogram_record`.
#[divan::bench(threads = [1, 2], sample_size = 4096, sample_count = 200)]
fn histogram_record_with_exemplar(bencher: Bencher) {
    let h: &Histogram = &LATENCY;
    bencher.with_inputs(next_latency).bench_values(move |v| {
        black_box(h)
            .with(())
            .record_with_exemplar(v, TRACE_ID, SPAN_ID)
    });
}

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN_ID: &str = "00f067aa0ba902b7";

/// `WindowedCounter<(Method, Status)>` (5 minutes in 5 buckets): the
/// same increment plus a coarse clock read and the epoch check.
#[divan::bench(threads = [1, 2], sample_size = 4096, sample_count = 200)]
fn windowed_counter_inc_labeled(bencher: Bencher) {
    let c: &WindowedCounter<(Method, Status)> = &RECENT;
    bencher.bench(move || black_box(c).with((Method::Get, Status::Ok)).inc());
}

/// `WindowedHistogram::record` (1 minute in 6 buckets).
#[divan::bench(threads = [1, 2], sample_size = 4096, sample_count = 200)]
fn windowed_histogram_record(bencher: Bencher) {
    let h: &WindowedHistogram = &RECENT_LATENCY;
    bencher
        .with_inputs(next_latency)
        .bench_values(move |v| black_box(h).record(v));
}

/// The windowed counter on the opt-in [`RecentClock`] (a load instead of
/// a clock read).
#[divan::bench(threads = [1, 2], sample_size = 4096, sample_count = 200)]
fn windowed_counter_inc_labeled_recent_clock(bencher: Bencher) {
    let c: &WindowedCounter<(Method, Status), RecentClock> = &RECENT_FAST;
    bencher.bench(move || black_box(c).with((Method::Get, Status::Ok)).inc());
}

/// The windowed histogram on the opt-in [`RecentClock`].
#[divan::bench(threads = [1, 2], sample_size = 4096, sample_count = 200)]
fn windowed_histogram_record_recent_clock(bencher: Bencher) {
    let h: &WindowedHistogram<(), RecentClock> = &RECENT_LATENCY_FAST;
    bencher
        .with_inputs(next_latency)
        .bench_values(move |v| black_box(h).with(()).record(v));
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
    let wh = WindowedHistogram::<()>::with_config(
        Window::new(std::time::Duration::from_secs(60), 6).unwrap(),
        HistogramConfig::seconds(),
    )
    .unwrap();
    let before_wh = wh.heap_bytes();
    std::thread::scope(|s| {
        s.spawn(|| wh.record(1));
    });
    eprintln!(
        "memory: windowed counter (4 series, 5 buckets) {} B per active thread; \
         windowed histogram {} B per series per active thread per bucket written",
        w.heap_bytes() - before_w,
        wh.heap_bytes() - before_wh,
    );
    eprintln!(
        "memory: histogram (default config, first value) {} B per series per active thread; \
         unlabeled counter {} B per active thread; family tables {} B (histogram) / {} B (counter)",
        per_thread,
        c.heap_bytes() - before_c,
        before,
        before_c,
    );
}
