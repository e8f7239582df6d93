use tally::Counter;

#[derive(tally::Metrics)]
struct Stats {
    requests_by_path: Counter<String>,
}

fn main() {}
