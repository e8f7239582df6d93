//! The hot path (`inc`, `add`, `record`) allocates nothing once a thread
//! has recorded into a family: asserted with a counting global allocator.

mod common;
#[path = "common/counting_alloc.rs"]
mod counting_alloc;

use std::time::Duration;

use common::{Method, Status};
use counting_alloc::allocations_during;
use tally_core::{Counter, Gauge, Histogram, MaxGauge};

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
