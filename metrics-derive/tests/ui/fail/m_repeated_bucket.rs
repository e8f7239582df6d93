use tally::Histogram;

#[derive(tally::Metrics)]
struct Stats {
    #[metric(unit = "seconds", buckets = [0.1, 0.5, 0.5, 1.0])]
    latency: Histogram,
}

fn main() {}
