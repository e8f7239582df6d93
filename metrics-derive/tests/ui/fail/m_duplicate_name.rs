use tally::Counter;

#[derive(tally::Metrics)]
struct Stats {
    requests: Counter,
    // Exposed as `requests_total` too: counters drop their own `_total`.
    requests_total: Counter,
}

fn main() {}
