use tally::{Metrics, WindowedHistogram};

#[derive(Metrics)]
struct Stats {
    #[metric(unit = "seconds", window = "10ms", window_slots = 100)]
    recent_latency: WindowedHistogram,
}

fn main() {}
