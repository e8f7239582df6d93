use tally::Counter;

#[derive(tally::Metrics)]
struct Stats {
    #[metric(name = "served")]
    #[metric(name = "handled")]
    requests: Counter,
}

fn main() {}
