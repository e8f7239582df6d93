use tally::Histogram;

#[derive(tally::Metrics)]
struct Stats {
    #[metric(unit = "seconds", highest = 60)]
    latency: Histogram,
}

fn main() {}
