use tally::Counter;

#[derive(tally::Metrics)]
struct Stats {
    #[metric(flatten)]
    requests: Counter,
}

fn main() {}
