//! Windowed families declared in a derived struct are registered and
//! exposed: the windowed counter as a gauge of the window's total, the
//! windowed histogram as a summary over the window.

use std::time::Duration;

use tally::registry::MetricKind;
use tally::snapshot::Value;
use tally::{LabelValue, Metrics, Registry, WindowedCounter, WindowedHistogram};

#[derive(Clone, Copy, LabelValue)]
enum Route {
    Home,
    Api,
}

#[derive(Metrics)]
#[metrics(prefix = "svc")]
struct Recent {
    /// Requests in the last five minutes.
    requests_recent: WindowedCounter<Route>,
    /// Latency over the last minute.
    #[metric(unit = "seconds", window = "1m", window_slots = 6)]
    latency_recent: WindowedHistogram<Route>,
}

#[test]
fn windowed_fields_register_and_read_back() {
    let registry = Registry::new();
    let recent = Recent::register(&registry).unwrap();
    assert_eq!(
        recent.requests_recent.window().span(),
        Duration::from_secs(300)
    );
    assert_eq!(recent.latency_recent.window().slots(), 6);
    for _ in 0..3 {
        recent.requests_recent.with(Route::Api).inc();
    }
    recent
        .latency_recent
        .with(Route::Home)
        .record_duration(Duration::from_millis(4));
    recent
        .latency_recent
        .with(Route::Home)
        .record_duration(Duration::from_millis(6));

    let snap = registry.snapshot();
    let names: Vec<_> = snap
        .families
        .iter()
        .map(|f| (f.name.as_str(), f.kind))
        .collect();
    assert_eq!(
        names,
        [
            ("svc_requests_recent", MetricKind::Gauge),
            ("svc_latency_recent_seconds", MetricKind::Summary)
        ]
    );
    let requests = &snap.families[0];
    let api = requests
        .series
        .iter()
        .find(|s| s.index == Route::Api.ordinal())
        .unwrap();
    assert!(matches!(api.value, Value::Gauge(3)), "{:?}", api.value);
    let latency = &snap.families[1];
    assert_eq!(latency.series.len(), 1);
    let Value::Summary(h) = &latency.series[0].value else {
        panic!("not a summary")
    };
    assert_eq!(h.count(), 2);
    assert!((h.sum_scaled() - 0.010).abs() < 1e-9);
    // The max to its cell: 32 cells per power of two.
    assert!((6_000_000..=6_000_000 + 6_000_000 / 32).contains(&h.max()));
}
