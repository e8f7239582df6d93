use tally::Counter;

#[derive(tally::Metrics)]
#[metric(prefix = "http")]
struct Stats {
    requests: Counter,
}

fn main() {}
