use tally::Counter;

#[derive(tally::LabelValue, Clone, Copy)]
enum Method {
    Get,
    Post,
}

#[derive(tally::Metrics)]
struct Stats {
    requests: Counter<(Method, u16)>,
}

fn main() {}
