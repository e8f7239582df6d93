use tally::{Counter, Metrics};

#[derive(Metrics)]
struct Stats {
    /// Requests.
    #[metric(objective(latency = "250ms", latency_target = 99))]
    requests: Counter,
}

fn main() {}
