use tally::Counter;

#[derive(tally::Metrics)]
struct Stats {
    #[metric(max_series = "100")]
    requests: Counter,
}

fn main() {}
