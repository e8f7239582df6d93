use tally::Histogram;

#[derive(tally::Metrics)]
struct Stats {
    #[metric(unit = "ms")]
    latency: Histogram,
}

fn main() {}
