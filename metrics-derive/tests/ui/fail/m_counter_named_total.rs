use tally::Counter;

#[derive(tally::Metrics)]
struct Stats {
    /// Without its `_total`, nothing is left of the name.
    #[metric(name = "_total")]
    requests: Counter,
}

fn main() {}
