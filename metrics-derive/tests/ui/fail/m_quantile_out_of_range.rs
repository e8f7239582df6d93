use tally::Histogram;

#[derive(tally::Metrics)]
struct Stats {
    #[metric(unit = "seconds", quantiles = [0.5, 99.0])]
    latency: Histogram,
}

fn main() {}
