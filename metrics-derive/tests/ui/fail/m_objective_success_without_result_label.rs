use tally::{Counter, LabelValue, Metrics};

#[derive(Clone, Copy, LabelValue)]
enum Route {
    Home,
    Search,
}

#[derive(Metrics)]
struct Stats {
    /// Requests by route: nothing tells failures apart.
    #[metric(objective(success = 99.9))]
    requests: Counter<Route>,
}

fn main() {}
