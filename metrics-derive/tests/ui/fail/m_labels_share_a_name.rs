use tally::Counter;

#[derive(tally::LabelValue, Clone, Copy)]
#[label(name = "kind")]
enum Route {
    Api,
    Static,
}

#[derive(tally::LabelValue, Clone, Copy)]
#[label(name = "kind")]
enum Client {
    Browser,
    Bot,
}

#[derive(tally::Metrics)]
struct Stats {
    /// Two label types, one label name: the registry would refuse it.
    requests: Counter<(Route, Client)>,
}

fn main() {}
