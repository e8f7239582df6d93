use tally::{Counter, LabelValue, Metrics};

#[derive(Clone, Copy, LabelValue)]
#[label(name = "result")]
enum Outcome {
    Ok,
    Error,
}

#[derive(Metrics)]
struct Stats {
    /// Requests by result.
    #[metric(objective(sucess = 99.9))]
    requests: Counter<Outcome>,
}

fn main() {}
