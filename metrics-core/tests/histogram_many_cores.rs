//! The worst-case formula of `Histogram`'s rustdoc, checked as on a
//! 64-core machine: 64 threads record into an 18-series family and the
//! heap bytes (self-accounted, and counted by the allocator) stay within
//! it. One test in its own binary: it sizes every shard table for 64 CPUs
//! and counts the whole process' allocations.

mod common;

use std::sync::{Arc, Barrier};

use common::{Method, Status};
use tally_core::__test_hooks::CountingAlloc;
use tally_core::{Histogram, LabelValue};

#[global_allocator]
static ALLOCATOR: CountingAlloc = CountingAlloc;

#[test]
fn sixty_four_threads_on_a_64_core_machine_stay_within_the_stated_bound() {
    assert!(tally_core::__test_hooks::force_cpus(64));
    assert_eq!(tally_core::__test_hooks::histogram_shards(), 64);
    let before = CountingAlloc::live();
    let h = Arc::new(Histogram::<(Method, Status)>::new());
    let barrier = Arc::new(Barrier::new(64));
    let handles: Vec<_> = (0..64)
        .map(|t| {
            let (h, barrier) = (h.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                for s in 0..18 {
                    let labels = (
                        Method::from_ordinal(s / 3).unwrap(),
                        Status::from_ordinal(s % 3).unwrap(),
                    );
                    // Every thread spans 50 us..500 ms, shifted a little.
                    for i in 0..=400u64 {
                        let ns = 50_000.0 * 10f64.powf(i as f64 / 100.0);
                        h.with(labels).record(ns as u64 + t);
                    }
                }
                barrier.wait(); // 64 slots held at once: none reused
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    let heap = h.heap_bytes();
    // The rustdoc formula, written out: H = 64 owned slots, S = 18 series,
    // P = 38 pages for 1 ns..1 h at 32 cells per power of two.
    let (owned, series, pages) = (64usize, 18usize, 38usize);
    let slab = 4096usize.max((2 * (40 + 8 * pages).max(512) + 48).next_multiple_of(128));
    // C = clamp(4 * 64, 16, 256) = 256 table entries, plus the null one.
    let formula = 8 * (256 + 1) + 56 * owned + (owned + 1) * (series * (112 + 552 * pages) + slab);
    assert_eq!(h.memory_bound(), formula);
    assert!(heap <= formula, "{heap} B > {formula} B");
    // What 64 threads x 18 series x 14-15 pages actually hold: every
    // thread its own block, whose slabs hold each series' directory
    // (40 + 8 * 38 bytes) and pages (128 bytes) with little unused.
    let per_block = |pages: usize| series * (8 + 344 + 128 * pages);
    let (low, high) = (per_block(14), per_block(15) * 11 / 10 + 4096);
    assert!(
        (48 * owned + owned * low..=48 * owned + owned * high).contains(&heap),
        "{heap} B"
    );
    // The allocator agrees with the family's own accounting (the slot
    // pool and thread bookkeeping add a little).
    let counted = (CountingAlloc::live() - before) as usize;
    assert!(
        counted >= heap && counted <= heap + 16 * 1024,
        "allocator {counted} B vs heap_bytes {heap} B"
    );
    println!("64 threads x 18 series: {heap} B (bound {formula} B)");
}
