use tally::{Counter, LabelSet};

#[derive(tally::Metrics)]
struct Stats<L: LabelSet> {
    requests: Counter<L>,
}

fn main() {}
