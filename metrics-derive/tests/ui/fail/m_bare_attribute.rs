use tally::Counter;

#[derive(tally::Metrics)]
struct Stats {
    #[metric]
    requests: Counter,
}

fn main() {}
