use tally::Counter;

#[derive(tally::Metrics)]
#[metrics(prefx = "http")]
struct Stats {
    requests: Counter,
}

fn main() {}
