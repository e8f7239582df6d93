use tally::Histogram;

#[derive(tally::Metrics)]
struct Stats {
    #[metric(unit = "seconds", quantiles = [0.5, 0.99, 0.5])]
    latency: Histogram,
}

fn main() {}
