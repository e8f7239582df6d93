// A crate that reaches tally through a re-export names it with `crate`.
mod reexport {
    pub use ::tally as metrics;
}

use reexport::metrics::Counter;

#[derive(tally::LabelValue, Clone, Copy)]
#[label(crate = "crate::reexport::metrics")]
enum Method {
    Get,
}

#[derive(tally::LabelSet)]
#[label(crate = "crate::reexport::metrics")]
struct Labels {
    method: Method,
}

#[derive(tally::Metrics)]
#[metrics(crate = "crate::reexport::metrics")]
struct Stats {
    requests: Counter<Labels>,
}

fn main() {
    Stats::new().requests.with(Labels { method: Method::Get }).inc();
}
