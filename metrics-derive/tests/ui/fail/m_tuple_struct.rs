use tally::Counter;

#[derive(tally::Metrics)]
struct Stats(Counter);

fn main() {}
