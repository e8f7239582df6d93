use tally::Counter;

#[derive(tally::LabelValue, Clone, Copy)]
enum Method {
    Get,
    Post,
    Put,
    Delete,
}

#[derive(tally::Metrics)]
struct Stats {
    /// 4 x 2 = 8 series, over a budget of 6.
    #[metric(max_series = 6)]
    requests: Counter<(Method, bool)>,
}

fn main() {}
