use tally::{Histogram, Metrics};

#[derive(Metrics)]
struct Stats {
    /// Request latency.
    #[metric(unit = "seconds", objective(success = 99.9))]
    latency: Histogram,
}

fn main() {}
