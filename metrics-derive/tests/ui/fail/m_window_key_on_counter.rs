use tally::{Counter, Metrics};

#[derive(Metrics)]
struct Stats {
    #[metric(window = "5m")]
    requests: Counter,
}

fn main() {}
