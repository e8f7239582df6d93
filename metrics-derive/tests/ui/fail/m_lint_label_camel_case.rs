use tally::Counter;

#[derive(tally::LabelValue, Clone, Copy)]
#[label(name = "httpMethod")]
enum Method {
    Get,
    Post,
}

#[derive(tally::Metrics)]
struct Stats {
    requests: Counter<Method>,
}

fn main() {}
