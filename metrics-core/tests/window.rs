//! Windowed counters and histograms on an injected clock: rotation while
//! threads write gives exact per-window totals, stale buckets read as
//! zero after idle gaps, and histograms merge buckets (not quantiles).

mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Barrier;
use std::thread;
use std::time::Duration;

use common::Method;
use tally_core::{
    Desc, HistogramConfig, ManualClock, MetricKind, Registry, Value, Window, WindowedCounter,
    WindowedHistogram,
};

const SECOND: Duration = Duration::from_secs(1);

fn window(seconds: u64, buckets: usize) -> Window {
    Window::new(Duration::from_secs(seconds), buckets).unwrap()
}

#[test]
fn rotation_while_threads_write_keeps_exact_per_window_totals() {
    // 4 one-second buckets. In phase p (clock at p seconds) every thread
    // adds p + 1 per write; the window at phase p covers phases p-3..=p.
    let clock = ManualClock::new();
    let counter = WindowedCounter::<Method, _>::with_clock(window(4, 4), clock.clone());
    let threads = 4;
    let writes = 5_000u64;
    let phases = 12u64;
    let barrier = Barrier::new(threads + 1);
    let done = AtomicBool::new(false);
    let mut seen = Vec::new();
    thread::scope(|s| {
        // A reader snapshots all along; it must never see more than the
        // most a window can hold.
        s.spawn(|| {
            let bound = threads as u64 * writes * (phases + phases - 1 + phases - 2 + phases - 3);
            while !done.load(Ordering::Relaxed) {
                let total: u64 = counter.values().iter().sum();
                assert!(total <= bound, "reader saw {total} > {bound}");
            }
        });
        for t in 0..threads {
            let (counter, barrier) = (&counter, &barrier);
            s.spawn(move || {
                let method = if t % 2 == 0 {
                    Method::Get
                } else {
                    Method::Post
                };
                for phase in 0..phases {
                    barrier.wait(); // clock set for this phase
                    for _ in 0..writes {
                        counter.with(method).add(phase + 1);
                    }
                    barrier.wait(); // phase written
                }
            });
        }
        // Record what each phase's window reads; assert after the scope, so
        // a failure cannot leave writers blocked on the barrier.
        for phase in 0..phases {
            clock.set_nanos(phase * 1_000_000_000 + 500_000_000);
            barrier.wait();
            barrier.wait();
            let values = counter.values();
            seen.push((values[Method::Get as usize], values[Method::Post as usize]));
        }
        done.store(true, Ordering::Relaxed);
    });
    for (phase, &(get, post)) in seen.iter().enumerate() {
        let phase = phase as u64;
        let expected_per_thread: u64 = (phase.saturating_sub(3)..=phase)
            .map(|p| writes * (p + 1))
            .sum();
        assert_eq!(
            (get, post),
            (2 * expected_per_thread, 2 * expected_per_thread),
            "phase {phase}"
        );
    }
}

#[test]
fn clock_moving_during_writes_loses_nothing() {
    let clock = ManualClock::new();
    let counter = WindowedCounter::<(), _>::with_clock(window(60, 60), clock.clone());
    let writers = 4;
    let stop = AtomicBool::new(false);
    let started = AtomicU64::new(0);
    let written = AtomicU64::new(0);
    thread::scope(|s| {
        for _ in 0..writers {
            s.spawn(|| {
                counter.inc();
                let mut n = 1;
                started.fetch_add(1, Ordering::Relaxed);
                while !stop.load(Ordering::Relaxed) {
                    counter.inc();
                    n += 1;
                }
                written.fetch_add(n, Ordering::Relaxed);
            });
        }
        while started.load(Ordering::Relaxed) < writers {
            thread::yield_now();
        }
        // 50 seconds pass in 1 ms steps while every writer is writing.
        for step in 0..50_000 {
            clock.advance(Duration::from_millis(1));
            if step % 64 == 0 {
                thread::yield_now();
            }
        }
        stop.store(true, Ordering::Relaxed);
    });
    // The 60 s window still covers every epoch written.
    assert_eq!(counter.get(), written.load(Ordering::Relaxed));
}

#[test]
fn stale_buckets_read_as_zero_after_an_idle_gap() {
    let clock = ManualClock::new();
    let counter = WindowedCounter::<(), _>::with_clock(window(5, 5), clock.clone());
    for _ in 0..5 {
        counter.add(10);
        clock.advance(SECOND);
    }
    assert_eq!(
        counter.get(),
        40,
        "the oldest second has just left the window"
    );
    clock.advance(Duration::from_secs(3_600));
    assert_eq!(counter.get(), 0, "an hour later every bucket is stale");
    // The ring comes back to life; the stale buckets are reset on reuse.
    counter.add(7);
    assert_eq!(counter.get(), 7);
    clock.advance(Duration::from_secs(2));
    counter.add(1);
    assert_eq!(counter.get(), 8);
}

#[test]
fn threads_past_the_owned_shards_share_a_locked_ring_exactly() {
    let clock = ManualClock::new();
    let counter = WindowedCounter::<(), _>::with_clock(window(10, 10), clock.clone());
    thread::scope(|s| {
        for _ in 0..48 {
            s.spawn(|| {
                for _ in 0..2_000 {
                    counter.inc();
                }
            });
        }
        for _ in 0..5 {
            clock.advance(SECOND);
            thread::yield_now();
        }
    });
    assert_eq!(counter.get(), 48 * 2_000);
}

#[test]
fn windowed_histogram_merges_buckets_of_the_window() {
    let clock = ManualClock::new();
    let config = HistogramConfig::raw(1, 1 << 30).with_precision_digits(3);
    let h = WindowedHistogram::<(), _>::with_clock(window(2, 2), config, clock.clone()).unwrap();
    for v in 1..=1_000 {
        h.record(v);
    }
    clock.advance(SECOND);
    for v in 1_001..=2_000 {
        h.record(v);
    }
    let both = h.snapshot();
    assert_eq!(both.count(), 2_000);
    assert_eq!(both.sum(), 2_000 * 2_001 / 2);
    assert_eq!((both.min(), both.max()), (1, 2_000));
    assert!(both.hdr().equivalent(both.value_at_quantile(0.5), 1_000));
    clock.advance(SECOND);
    let newer = h.snapshot();
    assert_eq!(newer.count(), 1_000, "the first second left the window");
    assert_eq!((newer.min(), newer.max()), (1_001, 2_000));
    clock.advance(Duration::from_secs(10));
    assert_eq!(h.snapshot().count(), 0);
}

#[test]
fn windowed_families_are_exposed_as_gauge_and_summary() {
    let clock = ManualClock::new();
    let registry = Registry::new();
    let requests = registry
        .register(
            Desc::new("requests_last_5m", "Requests in the last 5 minutes."),
            WindowedCounter::<Method, _>::with_clock(Window::default(), clock.clone()),
        )
        .unwrap();
    let latency = registry
        .register(
            Desc::new("latency_last_1m", "Latency over the last minute."),
            WindowedHistogram::<Method, _>::with_clock(
                window(60, 6),
                HistogramConfig::seconds(),
                clock.clone(),
            )
            .unwrap(),
        )
        .unwrap();
    requests.with(Method::Get).add(3);
    latency
        .with(Method::Put)
        .record_duration(Duration::from_millis(5));
    let snap = registry.snapshot();
    let (r, l) = (&snap.families[0], &snap.families[1]);
    assert_eq!(r.kind, MetricKind::Gauge);
    assert!(matches!(r.series[0].value, Value::Gauge(3)));
    assert_eq!(l.kind, MetricKind::Summary);
    assert_eq!(l.series.len(), 1);
    assert_eq!(
        l.label_pairs(&l.series[0]).collect::<Vec<_>>(),
        [("method", "PUT")]
    );
    let Value::Summary(s) = &l.series[0].value else {
        panic!("not a summary")
    };
    assert_eq!(s.count(), 1);
    assert!((s.sum_scaled() - 0.005).abs() < 1e-12);
}

#[test]
fn invalid_windows_are_errors() {
    assert!(Window::new(Duration::from_secs(60), 0).is_err());
    assert!(Window::new(Duration::from_secs(60), 10_000).is_err());
    assert!(Window::new(Duration::from_millis(5), 10).is_err());
    assert_eq!(Window::default().span(), Duration::from_secs(300));
}
