//! Runtime-bounded labels through the derives: alone, in tuples, in a
//! `#[derive(LabelSet)]` struct, in every family kind of a
//! `#[derive(Metrics)]` struct, and through the text exporter.

use std::time::Duration;

use tally::{
    Counter, FloatCounter, FloatGauge, Gauge, Histogram, LabelSet, LabelValue, MaxGauge, MinGauge,
    Registry, WindowedCounter, WindowedHistogram,
};

tally::dynamic_label!(
    /// The tenant a request is for, from configuration.
    pub Tenant, name = "tenant", capacity = 4
);

#[derive(LabelValue, Clone, Copy, Debug, PartialEq)]
enum Method {
    Get,
    Post,
}

#[derive(LabelSet, Clone, Copy)]
struct Request {
    tenant: Tenant,
    method: Method,
    #[label(rename = "cached")]
    hit: bool,
}

#[derive(tally::Metrics)]
#[metrics(prefix = "svc")]
struct Stats {
    /// Requests, by tenant.
    requests: Counter<Tenant>,
    /// Requests, by tenant and method.
    by_method: Counter<(Method, Tenant)>,
    /// Requests, with the full label struct.
    detailed: Counter<Request>,
    /// CPU seconds by tenant.
    cpu_seconds: FloatCounter<Tenant>,
    /// Open sessions by tenant.
    sessions: Gauge<Tenant>,
    /// Quota used by tenant.
    quota_ratio: FloatGauge<Tenant>,
    /// Peak queue depth.
    peak_depth: MaxGauge<Tenant>,
    /// Lowest free slots.
    free_slots: MinGauge<Tenant>,
    /// Latency by tenant.
    #[metric(unit = "seconds", highest = "10s", precision = 2)]
    latency: Histogram<Tenant>,
    /// Recent requests by tenant.
    recent_requests: WindowedCounter<Tenant>,
    /// Recent latency by tenant.
    #[metric(unit = "seconds", window = "1m", window_slots = 6)]
    recent_latency: WindowedHistogram<Tenant>,
    /// The budget counts the overflow value: (4 + 1) x 2 x 2 = 20.
    #[metric(max_series = 20)]
    budgeted: Counter<Request>,
}

#[test]
fn dynamic_label_in_every_family_kind() {
    assert_eq!(<Request as LabelSet>::CARDINALITY, 5 * 2 * 2);
    Tenant::declare(["acme", "globex"]).unwrap();
    let registry = Registry::new();
    let stats = Stats::register(&registry).unwrap();
    let acme = Tenant::admit("acme");
    let quote = Tenant::admit("o\"brien \\ ünï");
    stats.requests.with(acme).inc();
    stats.by_method.with((Method::Post, quote)).add(2);
    stats
        .detailed
        .with(Request {
            tenant: acme,
            method: Method::Get,
            hit: true,
        })
        .inc();
    stats.cpu_seconds.with(acme).add(1.5);
    stats.sessions.with(acme).set(3);
    stats.quota_ratio.with(acme).set(0.25);
    stats.peak_depth.with(acme).observe(9);
    stats.free_slots.with(acme).observe(4);
    stats
        .latency
        .with(acme)
        .record_duration(Duration::from_millis(3));
    stats.recent_requests.with(acme).inc();
    stats
        .recent_latency
        .with(acme)
        .record_duration(Duration::from_millis(3));
    // Fill the last slot, then overflow.
    Tenant::admit("initech");
    let over = Tenant::admit("hooli");
    assert!(over.is_overflow());
    stats.requests.with(over).add(7);

    let snapshot = registry.snapshot();
    let requests = snapshot.find("svc_requests_total", &[("tenant", "__overflow__")]);
    assert_eq!(requests.and_then(|r| r.value()), Some(7.0));

    // The text exposition (feature `serve`).
    #[cfg(feature = "serve")]
    {
        let mut out = Vec::new();
        tally::encoding::encode_prometheus_text(&snapshot, &mut out);
        let text = String::from_utf8(out).unwrap();
        for line in [
            "svc_requests_total{tenant=\"acme\"} 1",
            "svc_requests_total{tenant=\"__overflow__\"} 7",
            "svc_by_method_total{method=\"post\",tenant=\"o\\\"brien \\\\ ünï\"} 2",
            "svc_detailed_total{tenant=\"acme\",method=\"get\",cached=\"true\"} 1",
            "svc_sessions{tenant=\"acme\"} 3",
            "tally_label_overflow_total{label=\"tenant\",reason=\"full\"} 1",
        ] {
            assert!(text.contains(line), "missing {line} in\n{text}");
        }
        // Only admitted values (4) and the overflow series: 5 series.
        assert_eq!(text.matches("svc_requests_total{").count(), 5, "{text}");
        // No series for the never-admitted ordinals, for any family.
        assert!(!text.contains("tenant=\"\""), "{text}");
    }
}

/// The derive form: a tuple struct over the handle's index.
#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Debug)]
#[label(dynamic, name = "upstream", capacity = 2)]
struct Upstream(tally::dynamic_label::DynamicIndex);

#[test]
fn derive_form_is_the_same_label() {
    assert_eq!(<Upstream as LabelValue>::CARDINALITY, 3);
    assert_eq!(<Upstream as LabelValue>::NAME, "upstream");
    Upstream::declare(["db-1"]).unwrap();
    let db = Upstream::admit("db-1");
    assert_eq!(db.as_str(), "db-1");
    assert_eq!(Upstream::lookup("db-1"), Some(db));
    Upstream::admit("db-2");
    assert!(Upstream::admit("db-3").is_overflow());
    let counter = Counter::<(Upstream, Method)>::new();
    counter.with((db, Method::Get)).add(2);
    assert_eq!(
        counter.with((Upstream::admit("db-1"), Method::Get)).get(),
        2
    );
    assert!(matches!(
        Upstream::declare(["x\u{0}"]),
        Err(tally::DynamicLabelError::ControlChar { .. })
    ));
}
