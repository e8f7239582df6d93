// Several mistakes in one struct: every one is reported, each on its token.
use tally::{Counter, Gauge, Histogram};

#[derive(tally::Metrics)]
#[metrics(prefix = "http")]
struct Stats {
    #[metric(nmae = "served")]
    requests: Counter,
    #[metric(unit = "milliseconds")]
    latency: Histogram,
    queue_sum: Gauge,
}

fn main() {}
