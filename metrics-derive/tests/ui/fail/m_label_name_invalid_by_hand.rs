use tally::{Counter, LabelValue};

/// A hand-written label whose name the registry would refuse.
#[derive(Clone, Copy)]
struct Bound;

impl LabelValue for Bound {
    const NAME: &'static str = "le";
    const VALUES: &'static [&'static str] = &["low"];

    fn ordinal(&self) -> usize {
        0
    }

    fn from_ordinal(ordinal: usize) -> Option<Self> {
        (ordinal == 0).then_some(Bound)
    }
}

#[derive(tally::Metrics)]
struct Stats {
    requests: Counter<Bound>,
}

fn main() {}
