use tally::Histogram;

#[derive(tally::Metrics)]
struct Stats {
    #[metric(unit = "seconds", buckets = [0.01, 0.1, 0.05, 1.0])]
    latency: Histogram,
}

fn main() {}
