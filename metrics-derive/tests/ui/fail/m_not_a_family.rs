use tally::Counter;

#[derive(tally::Metrics)]
struct Stats {
    requests: Counter,
    last_seen: u64,
}

fn main() {}
