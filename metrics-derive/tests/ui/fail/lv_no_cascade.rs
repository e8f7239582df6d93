// The derive fails; the enum still works as a label elsewhere, so the
// only error is the real one.
use tally::Counter;

#[derive(tally::LabelValue, Clone, Copy)]
#[label(name = "quantile")]
enum Method {
    Get,
    Post,
}

#[derive(tally::Metrics)]
struct Stats {
    requests: Counter<Method>,
}

fn main() {
    Stats::new().requests.with(Method::Get).inc();
}
