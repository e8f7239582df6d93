use tally::Gauge;

#[derive(tally::Metrics)]
struct Stats {
    latency_bucket: Gauge,
}

fn main() {}
