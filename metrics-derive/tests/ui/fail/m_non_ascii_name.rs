use tally::Counter;

#[derive(tally::Metrics)]
struct Stats {
    requêtes: Counter,
}

fn main() {}
