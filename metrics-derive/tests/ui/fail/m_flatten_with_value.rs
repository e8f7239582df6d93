use tally::Counter;

#[derive(tally::Metrics)]
struct Inner {
    hits: Counter,
}

#[derive(tally::Metrics)]
struct Stats {
    #[metric(flatten = true)]
    inner: Inner,
}

fn main() {}
