use tally::Counter;

#[derive(tally::Metrics)]
struct Inner {
    hits: Counter,
}

#[derive(tally::Metrics)]
struct Stats {
    #[metric(flatten, name = "inner")]
    inner: Inner,
}

fn main() {}
