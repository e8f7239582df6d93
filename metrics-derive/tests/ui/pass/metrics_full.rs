use tally::{Counter, FloatCounter, FloatGauge, Gauge, Histogram, MaxGauge, MinGauge, Registry};

#[derive(tally::LabelValue, Clone, Copy)]
enum Method {
    Get,
    Post,
}

#[derive(tally::LabelSet)]
struct Route {
    method: Method,
    cached: bool,
}

#[derive(tally::Metrics)]
#[metrics(prefix = "db")]
pub struct DbStats {
    /// Queries.
    queries: Counter,
}

#[derive(tally::Metrics)]
#[metrics(prefix = "http", max_series = 64)]
pub struct HttpStats {
    /// Requests served.
    requests: Counter<(Method, bool)>,
    requests_by_route: tally::Counter<Route>,
    #[metric(unit = "seconds", lowest = "1us", highest = "60s", precision = 3, buckets = [0.001, 0.01, 0.1, 1], quantiles = [0.5, 0.99])]
    latency: Histogram<Method>,
    #[metric(unit = "bytes", highest = 1048576)]
    body: Histogram,
    in_flight: Gauge,
    #[metric(unit = "seconds")]
    cpu: FloatCounter,
    #[metric(unit = "ratio")]
    load: FloatGauge,
    peak: MaxGauge,
    trough: MinGauge,
    #[metric(max_series = 1)]
    single: Counter,
    #[metric(flatten)]
    db: DbStats,
}

fn main() {
    let stats = HttpStats::register(&Registry::new()).unwrap();
    stats.requests.with((Method::Post, true)).inc();
    let _ = HttpStats::global();
    let _ = HttpStats::try_global();
}
