use tally::Gauge;

#[derive(tally::Metrics)]
struct Stats {
    queue_depth_gauge: Gauge,
}

fn main() {}
