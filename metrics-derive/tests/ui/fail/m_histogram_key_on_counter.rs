use tally::Counter;

#[derive(tally::Metrics)]
struct Stats {
    #[metric(precision = 3)]
    requests: Counter,
}

fn main() {}
