use tally::Counter;

#[derive(tally::LabelSet)]
struct Flags {
    a: bool,
    b: bool,
    c: bool,
    d: bool,
    e: bool,
    f: bool,
    g: bool,
    h: bool,
    i: bool,
    j: bool,
    k: bool,
}

#[derive(tally::Metrics)]
struct Stats {
    /// 2^11 = 2048 series, over the default budget of 1024.
    requests: Counter<Flags>,
}

fn main() {}
