use tally::Gauge;

#[derive(tally::Metrics)]
struct Stats {
    /// The unit belongs in `unit = "seconds"`, in seconds.
    last_wait_ms: Gauge,
}

fn main() {}
