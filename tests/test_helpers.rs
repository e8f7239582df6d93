//! The per-test registry pattern holds under parallelism: derived stats
//! registered into separate registries by concurrent threads never see
//! each other's values; and the facade exposes the build-info macro.

use std::sync::Barrier;

use tally::{Counter, LabelValue, Metrics, Registry};

#[derive(LabelValue, Clone, Copy)]
enum Kind {
    Read,
    Write,
}

#[derive(Metrics)]
#[metrics(prefix = "store")]
struct StoreStats {
    /// Operations, by kind.
    ops: Counter<Kind>,
}

#[test]
fn parallel_tests_with_their_own_registries_do_not_share_values() {
    let barrier = Barrier::new(8);
    std::thread::scope(|scope| {
        for t in 0..8u32 {
            let barrier = &barrier;
            scope.spawn(move || {
                let registry = Registry::new();
                let stats = StoreStats::register(&registry).unwrap();
                barrier.wait();
                for _ in 0..(t + 1) * 100 {
                    stats.ops.with(Kind::Read).inc();
                }
                stats.ops.with(Kind::Write).add(u64::from(t));
                barrier.wait();
                let s = registry.snapshot();
                let reads = s.value("store_ops_total", &[("kind", "read")]);
                assert_eq!(reads, Some(f64::from((t + 1) * 100)));
                assert_eq!(
                    s.value("store_ops", &[("kind", "write")]),
                    Some(f64::from(t))
                );
                assert_eq!(
                    s.sum("store_ops_total", &[]),
                    Some(f64::from((t + 1) * 100 + t))
                );
            });
        }
    });
}

#[cfg(feature = "serve")]
#[test]
fn build_info_through_the_facade() {
    let registry = Registry::new();
    tally::collectors::register_build_info!(&registry, "store").unwrap();
    let snapshot = registry.snapshot();
    let info = snapshot.find("store_build_info", &[]).unwrap();
    assert_eq!(info.value(), Some(1.0));
    let labels: Vec<_> = info.labels().collect();
    assert_eq!(labels[0], ("version", env!("CARGO_PKG_VERSION")));
    assert_eq!(labels[2], ("rustc", tally::collectors::RUSTC_VERSION));
}
