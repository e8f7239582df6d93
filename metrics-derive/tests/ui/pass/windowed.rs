//! Windowed families in a derived struct: default and explicit windows,
//! labels, and histogram keys on a windowed histogram.
use tally::{LabelValue, Metrics, WindowedCounter, WindowedHistogram};

#[derive(Clone, Copy, LabelValue)]
enum Route {
    Home,
    Api,
}

#[derive(Metrics)]
#[metrics(prefix = "svc")]
struct Recent {
    /// Requests in the last five minutes (the default window).
    requests_recent: WindowedCounter<Route>,
    /// Per-second view of the last minute.
    #[metric(window = "60s", window_slots = 60)]
    requests_last_minute: WindowedCounter,
    /// Latency over the last minute, with p99.
    #[metric(unit = "seconds", window = "1m", window_slots = 6, highest = "10s", quantiles = [0.99])]
    latency_recent: WindowedHistogram<Route>,
}

fn main() {
    let recent = Recent::new();
    recent.requests_recent.with(Route::Api).inc();
    recent.requests_last_minute.add(2);
    recent.latency_recent.with(Route::Home).record(1_000);
}
