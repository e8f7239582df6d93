use tally::Histogram;

#[derive(tally::Metrics)]
struct Stats {
    #[metric(unit = "seconds", lowest = "1s", highest = "1500ms")]
    latency: Histogram,
}

fn main() {}
