use tally::{Gauge, Histogram};

#[derive(tally::Metrics)]
struct Stats {
    #[metric(unit = "seconds")]
    latency: Histogram,
    latency_seconds: Gauge,
}

fn main() {}
