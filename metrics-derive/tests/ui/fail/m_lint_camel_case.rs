use tally::Gauge;

#[derive(tally::Metrics)]
struct Stats {
    #[metric(name = "queueDepth")]
    depth: Gauge,
}

fn main() {}
