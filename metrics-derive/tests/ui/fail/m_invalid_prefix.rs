use tally::Counter;

#[derive(tally::Metrics)]
#[metrics(prefix = "9http")]
struct Stats {
    requests: Counter,
}

fn main() {}
