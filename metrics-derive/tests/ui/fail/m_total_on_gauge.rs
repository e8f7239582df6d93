use tally::Gauge;

#[derive(tally::Metrics)]
struct Stats {
    /// Connections open.
    connections_total: Gauge,
}

fn main() {}
