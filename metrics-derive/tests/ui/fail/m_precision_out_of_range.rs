use tally::Histogram;

#[derive(tally::Metrics)]
struct Stats {
    #[metric(unit = "seconds", precision = 6)]
    latency: Histogram,
}

fn main() {}
