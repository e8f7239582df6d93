use tally::{Histogram, Metrics};

#[derive(Metrics)]
struct Stats {
    /// Request latency.
    #[metric(unit = "seconds", buckets = [0.1, 0.5, 1.0], objective(latency = "250ms", latency_target = 99))]
    latency: Histogram,
}

fn main() {}
