#[derive(tally::Metrics)]
union Stats {
    requests: u64,
}

fn main() {}
