//! Histogram memory follows what is recorded, and never grows with
//! threads that came and went: per-series bytes at the default and the
//! coarsest precision, 16 writer threads, 1,000 threads churning with 16
//! alive, and `spawn_blocking` bursts, each checked against
//! `Histogram::memory_bound` and the per-block cost of the values written.

mod common;

use std::sync::{Arc, Barrier};
use std::time::Duration;

use common::{Method, Status};
use tally_core::__test_hooks::histogram_shards;
use tally_core::{Histogram, HistogramConfig, LabelValue};

/// Values spanning 50 us..500 ms, every page of the range touched.
fn latencies() -> impl Iterator<Item = Duration> {
    (0..=400).map(|i| Duration::from_nanos((50_000.0 * 10f64.powf(i as f64 / 100.0)) as u64))
}

fn record_all(h: &Histogram<(Method, Status)>, series: usize) {
    for s in 0..series {
        let labels = (
            Method::from_ordinal(s / 3).unwrap(),
            Status::from_ordinal(s % 3).unwrap(),
        );
        for d in latencies() {
            h.with(labels).record_duration(d);
        }
    }
}

/// Bytes one writer adds for one series spanning 50 us..500 ms.
fn one_series(config: HistogramConfig) -> usize {
    let h = Histogram::<()>::with_config(config).unwrap();
    let table = h.heap_bytes();
    for d in latencies() {
        h.record_duration(d);
    }
    h.heap_bytes() - table
}

#[test]
fn a_series_spanning_four_decades_costs_under_3_kb_per_writer_thread() {
    let default = one_series(HistogramConfig::seconds());
    assert!(default <= 3000, "default precision: {default} B");
    // The first paged layout held 3,992 B (64-bit cells, a heap
    // allocation per page); before it, the whole 1 ns..1 h range: 37,016 B.
    let coarsest = one_series(HistogramConfig::seconds().with_precision_bits(2));
    assert!(coarsest <= 1024, "coarsest precision: {coarsest} B");
    println!("per series per writer thread: default {default} B, coarsest {coarsest} B");
}

/// Runs `threads` writers, at most `alive` at a time, each recording every
/// series once; returns the family.
fn churn(threads: usize, alive: usize, series: usize) -> Histogram<(Method, Status)> {
    let h = Arc::new(Histogram::<(Method, Status)>::new());
    for wave in 0..threads.div_ceil(alive) {
        let n = alive.min(threads - wave * alive);
        let barrier = Arc::new(Barrier::new(n));
        let handles: Vec<_> = (0..n)
            .map(|_| {
                let (h, barrier) = (h.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait(); // all of the wave alive at once
                    record_all(&h, series);
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
    }
    Arc::try_unwrap(h).ok().unwrap()
}

/// What `blocks` blocks hold when each wrote `series` of the 18 series
/// over the 50 us..500 ms range (at most 15 pages each), plus the slot
/// table: each series' directory (32 + 8 * 38 bytes) and pages (128
/// bytes each), with a tenth plus one slab (4 KiB) of slack per block
/// for the slabs' headers and unused tails.
fn expected_bound(blocks: usize, series: usize) -> usize {
    let table = 8 * histogram_shards() + 56 * blocks;
    let carved = series * (336 + 15 * 128);
    table + blocks * (18 * 8 + carved + carved / 10 + 4096)
}

#[test]
fn sixteen_writer_threads_hold_at_most_one_block_per_owned_slot_plus_the_shared_one() {
    let h = churn(16, 16, 18);
    let blocks = histogram_shards().min(16) + 1;
    let bytes = h.heap_bytes();
    assert!(bytes <= expected_bound(blocks, 18), "{bytes} B");
    assert!(bytes <= h.memory_bound());
    let snap_count: u64 = (0..18)
        .map(|s| {
            h.with((
                Method::from_ordinal(s / 3).unwrap(),
                Status::from_ordinal(s % 3).unwrap(),
            ))
            .snapshot()
            .count()
        })
        .sum();
    assert_eq!(snap_count, 16 * 18 * latencies().count() as u64);
}

#[test]
fn a_thousand_threads_churning_sixteen_at_a_time_reuse_their_blocks() {
    let h = churn(1_000, 16, 2);
    let blocks = histogram_shards().min(16) + 1;
    let bytes = h.heap_bytes();
    assert!(
        bytes <= expected_bound(blocks, 2),
        "{bytes} B after 1,000 threads"
    );
    let total: u64 = (0..2)
        .map(|s| {
            h.with((
                Method::from_ordinal(0).unwrap(),
                Status::from_ordinal(s).unwrap(),
            ))
            .snapshot()
            .count()
        })
        .sum();
    assert_eq!(total, 1_000 * 2 * latencies().count() as u64);
}

#[test]
fn spawn_blocking_bursts_do_not_pin_a_block_per_blocking_thread() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(200)
        .build()
        .unwrap();
    let h = Arc::new(Histogram::<(Method, Status)>::new());
    for _burst in 0..3 {
        runtime.block_on(async {
            let tasks: Vec<_> = (0..200)
                .map(|_| {
                    let h = h.clone();
                    tokio::task::spawn_blocking(move || {
                        record_all(&h, 18);
                        std::thread::sleep(Duration::from_millis(20)); // keep 200 alive
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        });
    }
    let blocks = histogram_shards() + 1;
    let bytes = h.heap_bytes();
    assert!(
        bytes <= expected_bound(blocks, 18),
        "{bytes} B after 600 tasks"
    );
    assert!(bytes <= h.memory_bound());
}
