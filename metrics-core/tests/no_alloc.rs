//! The hot path (`inc`, `add`, `record`) allocates nothing once a thread
//! has recorded into a family: asserted with a counting global allocator.
#![allow(unsafe_code)]

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::Duration;

use common::{Method, Status};
use metrics_core::{Counter, Gauge, Histogram, MaxGauge};

/// Counts this thread's allocations (other test threads don't interfere).
struct CountingAlloc;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: delegates every call to the system allocator unchanged; the
// counter is a const-initialised thread-local without destructor, so
// touching it never allocates or recurses.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        // SAFETY: forwarded with the caller's layout.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

fn allocations_during(f: impl FnOnce()) -> u64 {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

#[test]
fn hot_path_does_not_allocate_after_first_use() {
    let counter = Counter::<(Method, Status)>::new();
    let plain = Counter::<()>::new();
    let histogram = Histogram::<Method>::new();
    let gauge = Gauge::<Method>::new();
    let max = MaxGauge::<()>::new();

    let ops = || {
        for i in 0..10_000u64 {
            counter.with((Method::Get, Status::Ok)).inc();
            counter.with((Method::Get, Status::ServerError)).add(i);
            plain.inc();
            plain.add(3);
            histogram.with(Method::Get).record(i * 1_000);
            histogram
                .with(Method::Get)
                .record_duration(Duration::from_nanos(i));
            histogram.with(Method::Get).record(u64::MAX); // clamped path too
            gauge.with(Method::Put).inc();
            max.observe(i as i64);
        }
    };
    // First use by this thread allocates its shards (and its slot), and
    // the histogram's pages where its values land.
    let first = allocations_during(ops);
    assert!(first > 0, "the counting allocator is not counting");
    // The same values again: every page exists, nothing is allocated.
    let steady = allocations_during(ops);
    assert_eq!(steady, 0, "allocations on the hot path");
    assert_eq!(plain.get(), 2 * 4 * 10_000);
}

#[test]
fn a_new_series_allocates_once_per_thread() {
    let histogram = Histogram::<Method>::new();
    histogram.with(Method::Get).record(1);
    // Another series of the same family: its cells are allocated lazily...
    assert!(allocations_during(|| histogram.with(Method::Post).record(1)) > 0);
    // ...once.
    assert_eq!(
        allocations_during(|| histogram.with(Method::Post).record(2)),
        0
    );
}
