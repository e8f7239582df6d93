use tally::Histogram;

#[derive(tally::Metrics)]
struct Stats {
    #[metric(uint = "seconds")]
    latency: Histogram,
}

fn main() {}
