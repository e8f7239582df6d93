use tally::Counter;

tally::dynamic_label!(pub Tenant, name = "tenant", capacity = 8);

#[derive(tally::Metrics)]
struct Stats {
    /// (8 + 1 overflow) x 2 = 18 series, over a budget of 16: the
    /// overflow value counts.
    #[metric(max_series = 16)]
    requests: Counter<(Tenant, bool)>,
}

fn main() {}
