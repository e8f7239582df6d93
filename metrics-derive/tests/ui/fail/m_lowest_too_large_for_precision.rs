use tally::Histogram;

#[derive(tally::Metrics)]
struct Stats {
    /// 2^60 leaves no bits for 2 significant digits' cells.
    #[metric(lowest = 1152921504606846976, highest = 4611686018427387904)]
    sizes: Histogram,
}

fn main() {}
