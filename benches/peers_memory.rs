//! Memory of tally against its peers (workload 5 of the side-by-side
//! benchmarks), through a counting global allocator. Prints two markdown
//! tables (`scripts/bench.sh` puts them in `benches/RESULTS.md`):
//!
//! - heap bytes per series: 10,000 counter series (100 families of 10 x
//!   10 label combinations) and 100 histogram series (one family over the
//!   same labels), built in each crate's registry as in the encoding
//!   benchmark, each series touched once from the measuring thread; live
//!   bytes after minus before, divided by the series count (registry and
//!   family overhead included). Then every series is touched once more
//!   from a second thread, and the growth is reported as "+ per extra
//!   writer thread" (tally shards per thread; the peers share one cell);
//! - allocations per hot-path operation: the operations of `peers_hot`
//!   (single thread, after every series was created), counted over 10,000
//!   operations.
//!
//! Baselines: a `Vec<AtomicU64>` for counters, one
//! `Mutex<hdrhistogram::Histogram<u64>>` (tally's range and precision:
//! 1 ns .. 1 h, 2 digits) per histogram series. The metrics recorder has
//! no upkeep thread here, so its histogram samples stay queued (that
//! queue is what "allocations per op" shows for it).
//!
//! `cargo bench --bench peers_memory`.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::Mutex;

use common::registries::{self, SERIES};
use common::{hot, TABLE};

/// Counts allocation calls and bytes, then defers to the system allocator.
struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);
static ALLOCATED: AtomicUsize = AtomicUsize::new(0);
static FREED: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged, so `System`'s guarantees carry over; the counters are plain
// atomics and never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        ALLOCATED.fetch_add(layout.size(), Relaxed);
        // SAFETY: forwarded as is (see the impl).
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        ALLOCATED.fetch_add(layout.size(), Relaxed);
        // SAFETY: forwarded as is (see the impl).
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        FREED.fetch_add(layout.size(), Relaxed);
        // SAFETY: forwarded as is (see the impl).
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        ALLOCATED.fetch_add(new_size, Relaxed);
        FREED.fetch_add(layout.size(), Relaxed);
        // SAFETY: forwarded as is (see the impl).
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Heap bytes live now.
fn live() -> isize {
    ALLOCATED.load(Relaxed) as isize - FREED.load(Relaxed) as isize
}

/// Counter families of the per-series measurement (100 series each).
const FAMILIES: usize = 100;

/// Bytes per series of a crate: built and touched from this thread, then
/// the growth when a second thread touches every series once more.
struct PerSeries {
    one_thread: f64,
    extra_thread: f64,
}

fn per_series<T: Sync>(
    series: usize,
    build: impl FnOnce() -> T,
    touch: impl Fn(&T) + Sync,
) -> PerSeries {
    // What spawning and joining a thread alone leaves behind.
    let before = live();
    std::thread::scope(|s| {
        s.spawn(|| ());
    });
    let spawn = live() - before;

    let before = live();
    let built = build();
    let one = live() - before;
    std::thread::scope(|s| {
        s.spawn(|| touch(&built));
    });
    let two = live() - before - spawn;
    drop(built);
    PerSeries {
        one_thread: one as f64 / series as f64,
        extra_thread: (two - one).max(0) as f64 / series as f64,
    }
}

fn counters() -> [PerSeries; 6] {
    let n = FAMILIES * SERIES;
    [
        per_series(n, || registries::tally(FAMILIES, false, 0), |r| r.touch()),
        per_series(
            n,
            || (0..n).map(|_| AtomicU64::new(1)).collect::<Vec<_>>(),
            |v| v.iter().for_each(|a| _ = a.fetch_add(1, Relaxed)),
        ),
        per_series(
            n,
            || registries::prometheus_client(FAMILIES, false, 0),
            |r| r.touch(),
        ),
        per_series(
            n,
            || registries::prometheus(FAMILIES, false, 0),
            |r| r.touch(),
        ),
        per_series(n, || registries::metrics(FAMILIES, false, 0), |r| r.touch()),
        per_series(
            n,
            || registries::measured(FAMILIES, false, 0),
            |r| r.touch(),
        ),
    ]
}

fn histograms() -> [PerSeries; 6] {
    let n = SERIES;
    [
        per_series(n, || registries::tally(0, true, 1), |r| r.touch()),
        per_series(
            n,
            || {
                (0..n)
                    .map(|_| {
                        let mut h = common::hdr();
                        h.saturating_record(20_000_000);
                        Mutex::new(h)
                    })
                    .collect::<Vec<_>>()
            },
            |v| {
                v.iter()
                    .for_each(|h| h.lock().unwrap().saturating_record(20_000_000))
            },
        ),
        per_series(
            n,
            || registries::prometheus_client(0, true, 1),
            |r| r.touch(),
        ),
        per_series(n, || registries::prometheus(0, true, 1), |r| r.touch()),
        per_series(n, || registries::metrics(0, true, 1), |r| r.touch()),
        per_series(n, || registries::measured(0, true, 1), |r| r.touch()),
    ]
}

/// Allocation calls and bytes per operation over `OPS` operations.
fn allocs_per_op(op: hot::Op) -> (f64, f64) {
    const OPS: usize = 10_000;
    for p in TABLE.iter() {
        op(p);
    }
    let (calls, bytes) = (ALLOCS.load(Relaxed), ALLOCATED.load(Relaxed));
    for p in TABLE.iter().cycle().take(OPS) {
        op(p);
    }
    (
        (ALLOCS.load(Relaxed) - calls) as f64 / OPS as f64,
        (ALLOCATED.load(Relaxed) - bytes) as f64 / OPS as f64,
    )
}

fn bytes(b: f64) -> String {
    if b < NOISE {
        "0 B".to_string()
    } else if b >= 100.0 {
        format!("{:.0} B", b)
    } else {
        format!("{:.1} B", b)
    }
}

/// Below this many bytes per series a row shows 0 (thread spawn noise).
const NOISE: f64 = 0.05;

fn ratio(peer: f64, tally: f64) -> String {
    if tally < NOISE || peer < NOISE {
        return String::new();
    }
    let r = peer / tally;
    if r >= 0.1 {
        format!(" ({r:.2}x)")
    } else if r >= 0.001 {
        format!(" ({r:.4}x)")
    } else {
        " (<0.001x)".to_string()
    }
}

const HEADER: &str = "| tally | baseline | prometheus-client | prometheus | metrics | measured |";
const RULE: &str = "|---|---:|---:|---:|---:|---:|---:|";

fn main() {
    println!("| bytes per series (ratio to tally) {HEADER}");
    println!("{RULE}");
    for (what, rows) in [("counter", counters()), ("histogram", histograms())] {
        for (when, pick) in [
            (
                "1 writer thread",
                (|r: &PerSeries| r.one_thread) as fn(&PerSeries) -> f64,
            ),
            ("+ per extra writer thread", |r: &PerSeries| r.extra_thread),
        ] {
            let tally = pick(&rows[0]);
            let cells: Vec<String> = rows
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let v = pick(r);
                    if i == 0 {
                        bytes(v)
                    } else {
                        format!("{}{}", bytes(v), ratio(v, tally))
                    }
                })
                .collect();
            println!("| {what} series, {when} | {} |", cells.join(" | "));
        }
    }
    println!();

    hot::install_metrics_recorder(false);
    hot::warm_up();
    println!("| allocations per operation (bytes per operation) {HEADER}");
    println!("{RULE}");
    for (workload, ops) in hot::WORKLOADS {
        let cells: Vec<String> = ops
            .iter()
            .map(|op| {
                let (calls, b) = allocs_per_op(*op);
                format!("{calls:.3} ({})", bytes(b))
            })
            .collect();
        println!("| {workload}, 1 thread | {} |", cells.join(" | "));
    }
}
