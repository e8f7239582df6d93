#[tally::instrument]
struct Stats {
    calls: u64,
}

fn main() {
    let _ = Stats { calls: 0 }.calls;
}
