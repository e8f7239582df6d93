use tally::Counter;

#[derive(Default)]
struct Plain {
    #[allow(dead_code)]
    requests: u64,
}

#[derive(tally::Metrics)]
struct Stats {
    hits: Counter,
    #[metric(flatten)]
    plain: Plain,
}

fn main() {}
