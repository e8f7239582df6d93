//! `#[derive(Metrics)]` end to end: register a derived struct, record
//! through it, read the exact values back from the registry snapshot.

use std::time::Duration;

use tally::registry::MetricKind;
use tally::snapshot::Value;
use tally::{
    Counter, FloatCounter, FloatGauge, Gauge, Histogram, LabelSet, LabelValue, MaxGauge, MinGauge,
    Registry, RegistryError, Unit,
};

#[derive(LabelValue, Clone, Copy, Debug, PartialEq)]
#[label(rename_all = "SCREAMING_SNAKE_CASE")]
enum Method {
    Get,
    Post,
}

#[derive(LabelValue, Clone, Copy, Debug, PartialEq)]
#[label(name = "status")]
enum StatusClass {
    #[label(rename = "2xx")]
    Success,
    #[label(rename = "4xx")]
    ClientError,
    #[label(rename = "5xx")]
    ServerError,
}

#[derive(tally::Metrics)]
#[metrics(prefix = "db")]
struct DbStats {
    /// Queries run.
    queries: Counter,
    /// Open connections.
    connections: Gauge,
}

#[derive(tally::Metrics)]
#[metrics(prefix = "http")]
struct HttpStats {
    /// Requests served, by method and status class.
    requests: Counter<(Method, StatusClass)>,
    /// Request latency.
    #[metric(unit = "seconds", highest = "60s", precision = 3)]
    latency: Histogram<Method>,
    /// Requests in flight.
    in_flight: Gauge,
    #[metric(flatten)]
    db: DbStats,
}

fn family<'a>(
    snapshot: &'a tally::snapshot::RegistrySnapshot,
    name: &str,
) -> &'a tally::snapshot::FamilySnapshot {
    snapshot
        .families
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no family {name}"))
}

#[test]
fn register_record_and_read_back() {
    let registry = Registry::new();
    let stats = HttpStats::register(&registry).unwrap();
    stats
        .requests
        .with((Method::Post, StatusClass::ServerError))
        .inc();
    stats
        .requests
        .with((Method::Post, StatusClass::ServerError))
        .add(4);
    stats
        .requests
        .with((Method::Get, StatusClass::Success))
        .inc();
    stats
        .latency
        .with(Method::Get)
        .record_duration(Duration::from_millis(3));
    stats
        .latency
        .with(Method::Get)
        .record_duration(Duration::from_millis(5));
    stats.in_flight.set(7);
    stats.db.queries.add(11);
    stats.db.connections.set(-2);

    let snapshot = registry.snapshot();
    let names: Vec<&str> = snapshot.families.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "http_requests",
            "http_latency_seconds",
            "http_in_flight",
            "http_db_queries",
            "http_db_connections"
        ]
    );

    let requests = family(&snapshot, "http_requests");
    assert_eq!(requests.kind, MetricKind::Counter);
    assert_eq!(
        requests.help,
        "Requests served, by method and status class."
    );
    assert_eq!(requests.labels.names, &["method", "status"]);
    assert_eq!(requests.series.len(), 6);
    let values: Vec<(Vec<(&str, &str)>, u64)> = requests
        .series
        .iter()
        .map(|s| {
            let Value::Counter(v) = s.value else {
                panic!("not a counter")
            };
            (requests.label_pairs(s).collect(), v)
        })
        .collect();
    assert_eq!(values[0], (vec![("method", "GET"), ("status", "2xx")], 1));
    assert_eq!(values[5], (vec![("method", "POST"), ("status", "5xx")], 5));
    assert_eq!(values.iter().map(|(_, v)| v).sum::<u64>(), 6);

    let latency = family(&snapshot, "http_latency_seconds");
    assert_eq!(latency.kind, MetricKind::Histogram);
    assert_eq!(latency.unit, Some(Unit::SECONDS));
    assert_eq!(latency.series.len(), 1, "only GET recorded");
    let Value::Histogram(h) = &latency.series[0].value else {
        panic!("not a histogram")
    };
    assert_eq!(
        latency.label_pairs(&latency.series[0]).collect::<Vec<_>>(),
        [("method", "GET")]
    );
    assert_eq!(h.count(), 2);
    assert_eq!(h.sum(), 8_000_000);
    let config = stats.latency.config();
    assert_eq!(config.highest(), 60_000_000_000);
    assert_eq!(config.precision_digits(), 3);
    assert_eq!(config.scale(), 1e9);

    let in_flight = family(&snapshot, "http_in_flight");
    assert_eq!(in_flight.kind, MetricKind::Gauge);
    assert!(matches!(in_flight.series[0].value, Value::Gauge(7)));
    assert!(matches!(
        family(&snapshot, "http_db_queries").series[0].value,
        Value::Counter(11)
    ));
    assert!(matches!(
        family(&snapshot, "http_db_connections").series[0].value,
        Value::Gauge(-2)
    ));
    assert_eq!(family(&snapshot, "http_db_queries").help, "Queries run.");
}

#[test]
fn registration_is_all_or_nothing() {
    let registry = Registry::new();
    // Take one name the struct needs; the struct registers nothing.
    registry
        .register(
            tally::registry::Desc::new("http_in_flight", "squatter"),
            Gauge::<()>::new(),
        )
        .unwrap();
    let err = HttpStats::register(&registry)
        .err()
        .expect("a name is taken");
    assert_eq!(
        err,
        RegistryError::Duplicate {
            name: "http_in_flight".into()
        }
    );
    assert_eq!(registry.snapshot().families.len(), 1);
    // A second registry is independent.
    assert!(HttpStats::register(&Registry::new()).is_ok());
    // The same struct twice in one registry conflicts.
    let other = Registry::new();
    HttpStats::register(&other).unwrap();
    assert!(matches!(
        HttpStats::register(&other),
        Err(RegistryError::Duplicate { .. })
    ));
    assert_eq!(other.snapshot().families.len(), 5);
}

/// Every family kind, names with units and `_total`, raw histograms,
/// buckets, quantiles, renames.
#[derive(tally::Metrics)]
struct Kinds {
    /// Bytes sent.
    #[metric(unit = "bytes")]
    sent_total: Counter,
    cpu_seconds: FloatCounter,
    #[metric(name = "temperature", help = "Room temperature.", unit = "celsius")]
    temp: FloatGauge,
    peak: MaxGauge,
    low: MinGauge,
    /// Batch sizes.
    #[metric(lowest = 1, highest = 100000, precision = 2, buckets = [1, 10, 100, 1000], quantiles = [0.5, 0.99])]
    batch: Histogram,
    #[metric(unit = "bytes")]
    payload_bytes: Histogram<bool>,
}

#[test]
fn kinds_names_and_configs() {
    let registry = Registry::new();
    let k = Kinds::register(&registry).unwrap();
    k.sent_total.add(3);
    k.cpu_seconds.add(1.5);
    k.temp.set(21.5);
    k.peak.observe(9);
    k.peak.observe(4);
    k.low.observe(9);
    k.low.observe(4);
    k.batch.record(100_001); // clamped
    k.payload_bytes.with(true).record(512);
    let snapshot = registry.snapshot();
    let names: Vec<&str> = snapshot.families.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "sent_bytes",
            "cpu_seconds",
            "temperature_celsius",
            "peak",
            "low",
            "batch",
            "payload_bytes"
        ]
    );
    assert_eq!(
        family(&snapshot, "temperature_celsius").help,
        "Room temperature."
    );
    assert_eq!(
        family(&snapshot, "cpu_seconds").help,
        "",
        "no doc comment: empty HELP"
    );
    assert!(matches!(
        family(&snapshot, "sent_bytes").series[0].value,
        Value::Counter(3)
    ));
    assert!(
        matches!(family(&snapshot, "cpu_seconds").series[0].value, Value::CounterF64(v) if v == 1.5)
    );
    assert!(
        matches!(family(&snapshot, "temperature_celsius").series[0].value, Value::GaugeF64(v) if v == 21.5)
    );
    assert!(matches!(
        family(&snapshot, "peak").series[0].value,
        Value::Gauge(9)
    ));
    assert!(matches!(
        family(&snapshot, "low").series[0].value,
        Value::Gauge(4)
    ));
    assert_eq!(family(&snapshot, "batch").clamped, 1);
    let batch = k.batch.config();
    assert_eq!(
        (batch.lowest(), batch.highest(), batch.scale()),
        (1, 100_000, 1.0)
    );
    assert_eq!(
        batch.classic_buckets(),
        Some(&[1.0, 10.0, 100.0, 1000.0][..])
    );
    assert_eq!(batch.quantiles(), &[0.5, 0.99]);
    let payload = k.payload_bytes.config();
    assert_eq!((payload.lowest(), payload.highest()), (1, 1 << 40));
    let p = family(&snapshot, "payload_bytes");
    assert_eq!(p.labels.names, &["flag"]);
    assert_eq!(p.series[0].index, 1);
}

#[derive(LabelSet)]
struct Route {
    method: Method,
    #[label(rename = "cached")]
    hit: bool,
}

#[derive(tally::Metrics)]
#[metrics(prefix = "app", max_series = 8)]
struct Outer {
    routes: Counter<Route>,
    #[metric(flatten, prefix = "primary")]
    primary: DbStats,
    #[metric(flatten, prefix = "replica")]
    replica: DbStats,
}

#[test]
fn flatten_prefixes_and_label_set_structs() {
    let registry = Registry::new();
    let o = Outer::register(&registry).unwrap();
    o.routes
        .with(Route {
            method: Method::Post,
            hit: true,
        })
        .inc();
    o.replica.queries.inc();
    let snapshot = registry.snapshot();
    let names: Vec<&str> = snapshot.families.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "app_routes",
            "app_primary_db_queries",
            "app_primary_db_connections",
            "app_replica_db_queries",
            "app_replica_db_connections"
        ]
    );
    let routes = family(&snapshot, "app_routes");
    assert_eq!(routes.labels.names, &["method", "cached"]);
    let hot: Vec<_> = routes
        .series
        .iter()
        .filter(|s| matches!(s.value, Value::Counter(1)))
        .map(|s| routes.label_pairs(s).collect::<Vec<_>>())
        .collect();
    assert_eq!(hot, [vec![("method", "POST"), ("cached", "true")]]);
    assert!(matches!(
        family(&snapshot, "app_replica_db_queries").series[0].value,
        Value::Counter(1)
    ));
    assert!(matches!(
        family(&snapshot, "app_primary_db_queries").series[0].value,
        Value::Counter(0)
    ));
}

#[derive(tally::Metrics)]
#[metrics(prefix = "global_ok")]
struct GlobalOk {
    hits: Counter,
}

#[derive(tally::Metrics)]
#[metrics(prefix = "global_ok")]
struct GlobalClash {
    /// Same exposed name as `GlobalOk::hits`.
    hits: Counter,
}

#[test]
fn global_registers_once_and_never_panics() {
    GlobalOk::global().hits.inc();
    GlobalOk::global().hits.inc();
    assert!(std::ptr::eq(
        GlobalOk::global(),
        GlobalOk::try_global().unwrap()
    ));
    let snapshot = Registry::global().snapshot();
    assert!(matches!(
        family(&snapshot, "global_ok_hits").series[0].value,
        Value::Counter(2)
    ));

    // The clash: `global()` still hands out a working (unexported) instance.
    let clash = GlobalClash::global();
    clash.hits.add(5);
    assert_eq!(clash.hits.get(), 5);
    assert_eq!(
        GlobalClash::try_global().map(|_| ()),
        Err(RegistryError::Duplicate {
            name: "global_ok_hits".into()
        })
    );
    let snapshot = Registry::global().snapshot();
    assert!(matches!(
        family(&snapshot, "global_ok_hits").series[0].value,
        Value::Counter(2)
    ));
}

#[test]
fn new_and_default_are_unregistered_and_empty() {
    let a = HttpStats::new();
    let b = HttpStats::default();
    a.in_flight.inc();
    assert_eq!(a.in_flight.get(), 1);
    assert_eq!(b.in_flight.get(), 0);
    assert_eq!(<Route as LabelSet>::CARDINALITY, 4);
}

#[derive(tally::Metrics)]
struct Unitless {
    /// Time spent, recorded with `record_duration`.
    wait: Histogram,
}

/// A derived histogram with neither unit nor bounds records what
/// `Histogram::new()` records (nanoseconds), so sub-second durations are
/// kept, not truncated to whole seconds.
#[test]
fn unitless_derived_histogram_records_durations_like_histogram_new() {
    let registry = Registry::new();
    let derived = Unitless::register(&registry).unwrap();
    let plain: Histogram = Histogram::new();
    assert_eq!(derived.wait.config(), plain.config());
    for ms in [3, 40, 250, 900] {
        derived.wait.record_duration(Duration::from_millis(ms));
        plain.record_duration(Duration::from_millis(ms));
    }
    let (d, p) = (derived.wait.snapshot(), plain.snapshot());
    assert_eq!((d.count(), d.sum()), (4, 1_193_000_000));
    assert_eq!((p.count(), p.sum()), (d.count(), d.sum()));
    assert!((d.sum_scaled() - 1.193).abs() < 1e-9);
    let p50 = d.value_at_quantile(0.5) as f64;
    assert!((p50 - 40e6).abs() <= 40e6 / 64.0, "p50 {p50}");
    assert_eq!(derived.wait.clamped(), 0);
}
