//! README's quick start, verbatim (a test checks they match): a derived
//! stats struct, recorded into and served on `127.0.0.1:9464`.
//!
//! ```sh
//! cargo run --example quick_start    # then: curl http://127.0.0.1:9464/metrics
//! ```

// quick start: begin
use std::time::Instant;
use tally::{Counter, Histogram, LabelValue, Metrics};

#[derive(LabelValue, Clone, Copy)]
enum Outcome {
    Hit,
    Miss,
}

#[derive(Metrics)]
#[metrics(prefix = "cache")]
struct CacheStats {
    /// Cache lookups, by outcome.
    lookups: Counter<Outcome>, // cache_lookups_total{outcome="hit"|"miss"}
    /// Time to look a key up.
    #[metric(unit = "seconds")]
    latency: Histogram, // cache_latency_seconds, HDR
}

fn main() -> Result<(), tally::ServeError> {
    let stats = CacheStats::global(); // registered in Registry::global()
    let start = Instant::now();
    stats.lookups.with(Outcome::Miss).inc();
    stats.latency.record_duration(start.elapsed());

    let server = tally::serve("127.0.0.1:9464")?; // /metrics, /debug/vars, /-/healthy
    println!("curl http://{}/metrics", server.local_addr());
    loop {
        std::thread::park(); // serve until killed
    }
}
// quick start: end
