// A user type that forgot `#[derive(LabelValue)]`.
use tally::Counter;

enum Method {
    Get,
    Post,
}

#[derive(tally::Metrics)]
struct Stats {
    requests: Counter<Method>,
}

fn main() {}
