use tally::Counter;

#[derive(tally::Metrics)]
struct Stats {
    #[metric(prefix = "http")]
    requests: Counter,
}

fn main() {}
