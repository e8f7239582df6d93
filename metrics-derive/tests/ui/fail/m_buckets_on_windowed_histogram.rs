use tally::WindowedHistogram;

#[derive(tally::Metrics)]
struct Stats {
    /// Exposed as a summary: classic buckets would be ignored.
    #[metric(unit = "seconds", buckets = [0.1, 1.0])]
    latency: WindowedHistogram,
}

fn main() {}
