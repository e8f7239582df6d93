//! Memory of tally against its peers (workload 5 of the side-by-side
//! benchmarks), through a counting global allocator. Prints two markdown
//! tables (`scripts/bench.sh` puts them in `benches/RESULTS.md`):
//!
//! - heap bytes per series: 10,000 counter series (100 families of 10 x
//!   10 label combinations) and 100 histogram series (one family over the
//!   same labels), built in each crate's registry as in the encoding
//!   benchmark, every series written by 1, 2 and 16 writer threads (the
//!   measuring thread, then 1 and 15 spawned threads at once, parked while
//!   the heap is measured): one increment per counter series, the 41
//!   latencies of `registries::span()` (50 us .. 500 ms) per histogram
//!   series and thread. Live bytes after minus before, divided by the
//!   series count (registry and family overhead included; what the parked
//!   threads allocate by themselves is measured apart and subtracted). A
//!   last row measures again after the 15 spawned writers exited: memory
//!   a crate keeps for threads that are gone. Then tally's own
//!   `heap_bytes()` of the histogram family per series at 1, 2, 16
//!   writers;
//! - allocations per hot-path operation: the operations of `peers_hot`
//!   (single thread, after every series was created), counted over 10,000
//!   operations.
//!
//! Baselines: a `Vec<AtomicU64>` for counters, one
//! `Mutex<hdrhistogram::Histogram<u64>>` (tally's range and precision:
//! 1 ns .. 1 h, 2 digits) per histogram series. OpenTelemetry: the SDK's
//! instruments on a meter provider with a `ManualReader`. The per-series
//! table runs metrics' upkeep (which drains its queued histogram samples
//! into buckets) before measuring, as its exporter does every 5 s; the
//! allocation table has no upkeep thread, so its histogram samples stay
//! queued (that queue is what "allocations per op" shows for it).
//!
//! `cargo bench --bench peers_memory`.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Barrier, Mutex};

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

/// Writer-thread counts of the per-series table: the measuring thread
/// plus `n - 1` spawned threads, alive while measured.
const WRITERS: [usize; 3] = [1, 2, 16];

/// Bytes per series of one crate: with each count of [`WRITERS`] alive,
/// and after the spawned writers of the last count exited.
struct PerSeries {
    alive: [f64; WRITERS.len()],
    exited: f64,
}

/// Live bytes that `n` parked threads (and then their exit) add by
/// themselves: subtracted from the measurements so they show the
/// metrics' own growth.
fn thread_noise(n: usize) -> (isize, isize) {
    let (parked, released) = (Barrier::new(n + 1), Barrier::new(n + 1));
    let before = live();
    let mut alive = 0;
    std::thread::scope(|s| {
        for _ in 0..n {
            s.spawn(|| {
                parked.wait();
                released.wait();
            });
        }
        parked.wait();
        alive = live() - before;
        released.wait();
    });
    (alive, live() - before)
}

/// Builds a crate's registry and writes every series from this thread,
/// then from `n - 1` more threads at once; measures the live heap while
/// they are parked and again after they exited. `settle` runs before each
/// measurement (metrics' upkeep, which its exporter runs every 5 s).
fn per_series<T: Sync>(
    series: usize,
    build: impl Fn() -> T,
    touch: impl Fn(&T) + Sync,
    settle: impl Fn(&T),
) -> PerSeries {
    let mut alive = [0.0; WRITERS.len()];
    let mut exited = 0.0;
    for (slot, &n) in WRITERS.iter().enumerate() {
        let (noise_alive, noise_exited) = thread_noise(n - 1);
        let (parked, released) = (Barrier::new(n), Barrier::new(n));
        let before = live();
        let built = build();
        touch(&built);
        let mut grown = 0;
        std::thread::scope(|s| {
            for _ in 1..n {
                s.spawn(|| {
                    touch(&built);
                    parked.wait();
                    released.wait();
                });
            }
            parked.wait();
            settle(&built);
            grown = live() - before - noise_alive;
            released.wait();
        });
        settle(&built);
        alive[slot] = grown.max(0) as f64 / series as f64;
        exited = (live() - before - noise_exited).max(0) as f64 / series as f64;
        drop(built);
    }
    PerSeries { alive, exited }
}

/// No settling needed.
fn nothing<T>(_: &T) {}

fn counters() -> [PerSeries; 7] {
    let n = FAMILIES * SERIES;
    [
        per_series(
            n,
            || registries::tally(FAMILIES, false, 0),
            |r| r.touch(),
            nothing,
        ),
        per_series(
            n,
            || (0..n).map(|_| AtomicU64::new(1)).collect::<Vec<_>>(),
            |v| v.iter().for_each(|a| _ = a.fetch_add(1, Relaxed)),
            nothing,
        ),
        per_series(
            n,
            || registries::prometheus_client(FAMILIES, false, 0),
            |r| r.touch(),
            nothing,
        ),
        per_series(
            n,
            || registries::prometheus(FAMILIES, false, 0),
            |r| r.touch(),
            nothing,
        ),
        per_series(
            n,
            || registries::metrics(FAMILIES, false, 0),
            |r| r.touch(),
            |r| r.handle.run_upkeep(),
        ),
        per_series(
            n,
            || registries::measured(FAMILIES, false, 0),
            |r| r.touch(),
            nothing,
        ),
        per_series(
            n,
            || registries::opentelemetry(FAMILIES, false, 0),
            |r| r.touch(),
            nothing,
        ),
    ]
}

fn histograms() -> [PerSeries; 7] {
    let n = SERIES;
    [
        per_series(n, || registries::tally(0, true, 0), |r| r.touch(), nothing),
        per_series(
            n,
            || {
                (0..n)
                    .map(|_| Mutex::new(common::hdr()))
                    .collect::<Vec<_>>()
            },
            |v| {
                for h in v {
                    let mut h = h.lock().unwrap();
                    registries::span().for_each(|s| h.saturating_record((s * 1e9) as u64));
                }
            },
            nothing,
        ),
        per_series(
            n,
            || registries::prometheus_client(0, true, 0),
            |r| r.touch(),
            nothing,
        ),
        per_series(
            n,
            || registries::prometheus(0, true, 0),
            |r| r.touch(),
            nothing,
        ),
        per_series(
            n,
            || registries::metrics(0, true, 0),
            |r| r.touch(),
            |r| r.handle.run_upkeep(),
        ),
        per_series(
            n,
            || registries::measured(0, true, 0),
            |r| r.touch(),
            nothing,
        ),
        per_series(
            n,
            || registries::opentelemetry(0, true, 0),
            |r| r.touch(),
            nothing,
        ),
    ]
}

/// tally's own account of its histogram family (`heap_bytes()`) per
/// series, with each count of [`WRITERS`] alive: the figure its memory
/// bound is stated in.
fn tally_heap_bytes() -> Vec<f64> {
    WRITERS
        .iter()
        .map(|&n| {
            let built = registries::tally(0, true, 0);
            built.touch();
            let (parked, released) = (Barrier::new(n), Barrier::new(n));
            let mut bytes = 0;
            std::thread::scope(|s| {
                for _ in 1..n {
                    s.spawn(|| {
                        built.touch();
                        parked.wait();
                        released.wait();
                    });
                }
                parked.wait();
                bytes = built.histogram_heap_bytes();
                released.wait();
            });
            bytes as f64 / SERIES as f64
        })
        .collect()
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

const HEADER: &str =
    "| tally | baseline | prometheus-client | prometheus | metrics | measured | OpenTelemetry SDK |";
const RULE: &str = "|---|---:|---:|---:|---:|---:|---:|---:|";

fn main() {
    println!("| bytes per series (ratio to tally) {HEADER}");
    println!("{RULE}");
    for (what, rows) in [("counter", counters()), ("histogram", histograms())] {
        let mut lines: Vec<(String, Vec<f64>)> = WRITERS
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let when = if *n == 1 {
                    "1 writer thread".to_string()
                } else {
                    format!("{n} writer threads")
                };
                (when, rows.iter().map(|r| r.alive[i]).collect())
            })
            .collect();
        lines.push((
            format!(
                "{} writer threads, after {} exited",
                WRITERS[2],
                WRITERS[2] - 1
            ),
            rows.iter().map(|r| r.exited).collect(),
        ));
        for (when, values) in lines {
            let tally = values[0];
            let cells: Vec<String> = values
                .iter()
                .enumerate()
                .map(|(i, &v)| {
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

    println!("| tally histogram family, `heap_bytes()` per series | 1 writer thread | 2 writer threads | 16 writer threads |");
    println!("|---|---:|---:|---:|");
    let own: Vec<String> = tally_heap_bytes().into_iter().map(bytes).collect();
    println!(
        "| default configuration, values 50 us .. 500 ms | {} |",
        own.join(" | ")
    );
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
