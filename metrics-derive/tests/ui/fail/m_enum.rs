use tally::Counter;

#[derive(tally::Metrics)]
enum Stats {
    Requests(Counter),
}

fn main() {}
