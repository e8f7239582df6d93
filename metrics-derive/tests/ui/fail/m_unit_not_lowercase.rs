use tally::Gauge;

#[derive(tally::Metrics)]
struct Stats {
    #[metric(unit = "Seconds")]
    uptime: Gauge,
}

fn main() {}
