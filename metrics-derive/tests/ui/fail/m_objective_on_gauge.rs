use tally::{Gauge, Metrics};

#[derive(Metrics)]
struct Stats {
    /// Connections open.
    #[metric(objective(success = 99.9))]
    connections: Gauge,
}

fn main() {}
