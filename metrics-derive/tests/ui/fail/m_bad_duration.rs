use tally::Histogram;

#[derive(tally::Metrics)]
struct Stats {
    #[metric(unit = "seconds", highest = "60 parsecs")]
    latency: Histogram,
}

fn main() {}
