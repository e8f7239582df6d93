//! No increment or record is lost, whatever the concurrency: T threads x
//! N operations with snapshots taken all along give exact totals. Covers
//! threads past the owned shard range (the shared shard) and threads that
//! exit and hand their shard over to new ones.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;

use common::{Method, Status};
use tally_core::{Counter, Desc, Histogram, HistogramConfig, LabelValue, Registry, Value};

const PER_THREAD: u64 = 20_000;

/// Runs `threads` writers (each calling `write(thread, i)` PER_THREAD
/// times) while a reader snapshots `registry` in a loop; returns how many
/// snapshots the reader took.
fn hammer(registry: &Registry, threads: usize, write: impl Fn(usize, u64) + Sync) -> u64 {
    hammer_bounded(registry, threads, u64::MAX, write)
}

/// [`hammer`], with the reader checking that no snapshot sees more than
/// `bound` recorded units (counter increments plus histogram records).
fn hammer_bounded(
    registry: &Registry,
    threads: usize,
    bound: u64,
    write: impl Fn(usize, u64) + Sync,
) -> u64 {
    let stop = AtomicBool::new(false);
    let start = Barrier::new(threads + 1);
    thread::scope(|s| {
        let reader = s.spawn(|| {
            start.wait();
            // At least one snapshot overlaps the writers (do-while): on a
            // busy machine they may finish before the reader is scheduled.
            // Every snapshot sees no more than was written, and never less
            // than an earlier one: shards only grow, and a histogram's
            // merged cell range only widens.
            let (mut snapshots, mut previous) = (0, 0);
            loop {
                let snap = registry.snapshot();
                assert!(!snap.families.is_empty());
                let seen = recorded(&snap);
                assert!(
                    seen >= previous,
                    "a snapshot went backwards: {seen} < {previous}"
                );
                assert!(
                    seen <= bound,
                    "a snapshot saw {seen} of at most {bound} writes"
                );
                previous = seen;
                snapshots += 1;
                if stop.load(Ordering::Relaxed) {
                    break snapshots;
                }
            }
        });
        let writers: Vec<_> = (0..threads)
            .map(|t| {
                let (start, write) = (&start, &write);
                s.spawn(move || {
                    start.wait();
                    for i in 0..PER_THREAD {
                        write(t, i);
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        stop.store(true, Ordering::Relaxed);
        reader.join().unwrap()
    })
}

/// Counter totals plus histogram counts over every family of a snapshot.
fn recorded(snap: &tally_core::RegistrySnapshot) -> u64 {
    snap.families
        .iter()
        .flat_map(|f| &f.series)
        .map(|s| match &s.value {
            Value::Counter(v) => *v,
            Value::Histogram(h) => h.count(),
            other => panic!("unexpected value {other:?}"),
        })
        .sum()
}

fn counter_total(registry: &Registry) -> u64 {
    registry.snapshot().families[0]
        .series
        .iter()
        .map(|s| match s.value {
            Value::Counter(v) => v,
            ref other => panic!("not a counter: {other:?}"),
        })
        .sum()
}

#[test]
fn labeled_counter_is_exact_with_concurrent_snapshots() {
    let registry = Registry::new();
    let counter = registry
        .register(
            Desc::new("requests", "Requests."),
            Counter::<(Method, Status)>::new(),
        )
        .unwrap();
    let threads = 8;
    let snapshots = hammer_bounded(&registry, threads, threads as u64 * PER_THREAD, |t, i| {
        let method = Method::from_ordinal(t % 6).unwrap();
        let status = Status::from_ordinal(i as usize % 3).unwrap();
        counter.with((method, status)).inc();
    });
    assert!(snapshots > 0);
    assert_eq!(counter_total(&registry), threads as u64 * PER_THREAD);
    // Per series: thread t writes method t % 6, statuses round-robin.
    let get = counter.with((Method::Get, Status::Ok)).get();
    let threads_on_get = (0..threads).filter(|t| t % 6 == 0).count() as u64;
    assert_eq!(get, threads_on_get * PER_THREAD.div_ceil(3));
}

#[test]
fn more_threads_than_owned_shards_still_exact() {
    // 48 live threads exceed the owned shard range on small machines
    // (16 slots on 2 cores), so some record through the shared shard.
    let registry = Registry::new();
    let counter = registry
        .register(Desc::new("ops", "Ops."), Counter::<()>::new())
        .unwrap();
    hammer_bounded(&registry, 48, 48 * PER_THREAD * 2, |_, _| counter.add(2));
    assert_eq!(counter.get(), 48 * PER_THREAD * 2);
}

#[test]
fn shards_handed_over_between_thread_generations_keep_every_increment() {
    let counter = Arc::new(Counter::<bool>::new());
    let mut expected = 0;
    for generation in 0..20u64 {
        // Each generation's threads exit before the next starts, so the
        // next takes over their slots (and their shards' counts).
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let counter = counter.clone();
                thread::spawn(move || {
                    for _ in 0..1_000 {
                        counter.with(t % 2 == 0).inc();
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        expected += 4_000;
        assert_eq!(
            counter.with(true).get() + counter.with(false).get(),
            expected,
            "generation {generation}"
        );
    }
}

#[test]
fn histogram_count_and_sum_are_exact_with_concurrent_snapshots() {
    let registry = Registry::new();
    let config = HistogramConfig::raw(1, 1 << 40);
    let histogram = registry
        .register(
            Desc::new("latency", "Latency."),
            Histogram::<Method>::with_config(config).unwrap(),
        )
        .unwrap();
    let threads = 6;
    hammer_bounded(&registry, threads, threads as u64 * PER_THREAD, |t, i| {
        histogram
            .with(Method::from_ordinal(t).unwrap())
            .record(i + 1);
    });
    let per_thread_sum = PER_THREAD * (PER_THREAD + 1) / 2;
    let mut total = 0;
    for t in 0..threads {
        let snap = histogram.with(Method::from_ordinal(t).unwrap()).snapshot();
        assert_eq!(snap.count(), PER_THREAD);
        assert_eq!(snap.sum(), per_thread_sum);
        // Min and max are the bounds of the outermost non-empty cells.
        assert_eq!(snap.min(), 1);
        assert!(
            (PER_THREAD..=PER_THREAD + PER_THREAD / 32).contains(&snap.max()),
            "max {} not within a cell of {PER_THREAD}",
            snap.max()
        );
        total += snap.count();
    }
    assert_eq!(total, threads as u64 * PER_THREAD);
    assert_eq!(histogram.clamped(), 0);
}

#[test]
fn one_histogram_series_from_many_threads_is_exact() {
    let histogram = Histogram::<()>::new();
    hammer(&registry_with_one_family(), 40, |_, i| {
        histogram.record(1_000 + i)
    });
    let snap = histogram.snapshot();
    assert_eq!(snap.count(), 40 * PER_THREAD);
    assert_eq!(
        snap.sum(),
        40 * (1_000 * PER_THREAD + PER_THREAD * (PER_THREAD - 1) / 2)
    );
    assert_eq!(snap.hdr().len(), 40 * PER_THREAD);
}

/// A registry with one family, so the reader in `hammer` has work.
fn registry_with_one_family() -> Registry {
    let registry = Registry::new();
    registry
        .register(Desc::new("dummy", "Dummy."), Counter::<()>::new())
        .unwrap();
    registry
}
