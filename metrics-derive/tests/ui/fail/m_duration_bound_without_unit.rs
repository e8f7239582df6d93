use tally::Histogram;

#[derive(tally::Metrics)]
struct Stats {
    #[metric(highest = "60s")]
    batch: Histogram,
}

fn main() {}
