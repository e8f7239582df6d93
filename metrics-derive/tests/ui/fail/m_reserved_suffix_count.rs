use tally::Histogram;

#[derive(tally::Metrics)]
struct Stats {
    #[metric(name = "request_count")]
    requests: Histogram,
}

fn main() {}
