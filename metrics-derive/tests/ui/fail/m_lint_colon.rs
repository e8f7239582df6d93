use tally::Gauge;

#[derive(tally::Metrics)]
struct Stats {
    #[metric(name = "job:queue_depth")]
    depth: Gauge,
}

fn main() {}
