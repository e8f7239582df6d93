use tally::Counter;

#[derive(tally::Metrics)]
struct Stats {
    #[metric(name = "http-requests")]
    requests: Counter,
}

fn main() {}
