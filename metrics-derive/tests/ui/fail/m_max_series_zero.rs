use tally::Counter;

#[derive(tally::Metrics)]
struct Stats {
    #[metric(max_series = 0)]
    requests: Counter,
}

fn main() {}
