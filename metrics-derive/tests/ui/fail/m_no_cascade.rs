// The derive fails on one field; code using the struct's generated API
// compiles on, so the only error is the real one.
use tally::{Counter, Registry};

#[derive(tally::Metrics)]
struct Stats {
    requests: Counter,
    #[metric(unit = "ms")]
    latency: tally::Histogram,
}

fn main() {
    Stats::global().requests.inc();
    let _ = Stats::try_global();
    let _ = Stats::register(&Registry::new());
    let _ = Stats::default();
}
