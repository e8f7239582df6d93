use tally::Gauge;

#[derive(tally::Metrics)]
struct Stats {
    #[metric(unit = "kb")]
    heap: Gauge,
}

fn main() {}
