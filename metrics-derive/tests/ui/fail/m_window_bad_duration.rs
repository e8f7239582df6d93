use tally::{Metrics, WindowedCounter};

#[derive(Metrics)]
struct Stats {
    #[metric(window = "five minutes")]
    recent: WindowedCounter,
}

fn main() {}
