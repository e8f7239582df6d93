// A histogram over a label whose values expire (`idle_secs`), declared
// with the derive, as a field of a `#[derive(Metrics)]` struct: it
// compiles, registers, records and reads back per value.
use tally::{Histogram, LabelSet, Registry};

#[derive(tally::LabelValue, Clone, Copy, PartialEq, Eq, Debug)]
#[label(dynamic, name = "session", capacity = 8, idle_secs = 600)]
pub struct Session(tally::dynamic_label::DynamicIndex);

#[derive(tally::LabelValue, Clone, Copy)]
enum Outcome {
    Ok,
    Failed,
}

#[derive(LabelSet, Clone, Copy)]
struct Call {
    session: Session,
    outcome: Outcome,
}

#[derive(tally::Metrics)]
#[metrics(prefix = "rpc")]
pub struct RpcStats {
    /// Time per call, by session.
    #[metric(unit = "seconds")]
    latency: Histogram<Session>,
    /// Time per call, by session and outcome.
    #[metric(unit = "seconds")]
    calls: Histogram<Call>,
}

fn main() {
    const _: () = assert!(<Call as LabelSet>::EXPIRING == 1);
    let stats = RpcStats::register(&Registry::new()).unwrap();
    let s = Session::admit("s-1");
    stats.latency.with(s).record_f64(0.25);
    stats.calls.with(Call { session: s, outcome: Outcome::Ok }).record_f64(0.5);
    let _ = Outcome::Failed;
    assert_eq!(stats.latency.with(s).snapshot().count(), 1);
}
