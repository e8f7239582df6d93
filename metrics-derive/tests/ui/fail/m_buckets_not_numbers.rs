use tally::Histogram;

const SMALL: f64 = 0.1;

#[derive(tally::Metrics)]
struct Stats {
    #[metric(unit = "seconds", buckets = [SMALL, 1.0])]
    latency: Histogram,
}

fn main() {}
