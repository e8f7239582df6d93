use tally::{Metrics, WindowedCounter};

#[derive(Metrics)]
struct Stats {
    #[metric(window = "5m", window_slots = 0)]
    recent: WindowedCounter,
}

fn main() {}
