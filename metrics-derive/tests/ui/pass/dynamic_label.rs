// A runtime-bounded label works wherever a LabelValue does, and its
// capacity (+1 for the overflow value) counts toward the series budget.
use tally::{Counter, Histogram, LabelSet, LabelValue};

tally::dynamic_label!(
    /// An upstream host, admitted at run time.
    pub Upstream, name = "upstream", capacity = 8
);

#[derive(LabelValue, Clone, Copy)]
enum Method {
    Get,
    Post,
}

#[derive(LabelSet, Clone, Copy)]
struct Call {
    upstream: Upstream,
    method: Method,
}

#[derive(tally::Metrics)]
struct Stats {
    /// (8 + 1) x 2 = 18 series, within a budget of 18.
    #[metric(max_series = 18)]
    calls: Counter<Call>,
    /// Latency per upstream.
    #[metric(unit = "seconds")]
    latency: Histogram<Upstream>,
    /// Tuples work too.
    pairs: Counter<(Upstream, bool)>,
}

fn main() {
    const _: () = assert!(<Upstream as LabelValue>::CARDINALITY == 9);
    let stats = Stats::register(&tally::Registry::new()).unwrap();
    let db = Upstream::admit("db-1");
    stats.calls.with(Call { upstream: db, method: Method::Get }).inc();
    stats.latency.with(db).record(3);
    stats.pairs.with((db, true)).inc();
}
