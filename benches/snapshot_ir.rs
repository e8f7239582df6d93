//! Instruction-count probe of collection: builds the 100 histogram
//! series of `peers_encode` (workload 4b) in tally and in the
//! OpenTelemetry SDK, then collects one of them `N` times. Run under
//! `valgrind --tool=callgrind` with `N = 0` and `N = 100`: the difference
//! divided by 100 is the instructions of one collection, which (unlike a
//! wall-clock time) does not depend on what else the machine runs.
//!
//! `cargo bench -p tally-benches --bench snapshot_ir --no-run`, then
//! `valgrind --tool=callgrind <binary> tally 100` (or `otel 100`; or
//! `text 10 100000` for 10 scrapes to text of 100,000 counter series).

mod common;

use common::registries;

const OBSERVATIONS: usize = 1000;

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "tally".into());
    let n: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(100);
    match which.as_str() {
        "tally" => {
            let r = registries::tally(0, true, OBSERVATIONS);
            for _ in 0..n {
                std::hint::black_box(r.registry.snapshot());
            }
        }
        "otel" => {
            let r = registries::opentelemetry(0, true, OBSERVATIONS);
            let mut rm = opentelemetry_sdk::metrics::data::ResourceMetrics::default();
            for _ in 0..n {
                std::hint::black_box(r.otel.collect(&mut rm));
            }
        }
        // `text <series>`: snapshot + Prometheus text of `series` counter
        // series (families of 100), `N` times (the scale benchmark's row).
        "text" => {
            let series: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(10_000);
            let r = registries::tally(series / 100, false, 0);
            let mut out = Vec::new();
            for _ in 0..n {
                r.encode(&mut out);
                std::hint::black_box(out.len());
            }
        }
        // `stream <series>`: the same through `encode_registry`.
        "stream" => {
            let series: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(10_000);
            let r = registries::tally(series / 100, false, 0);
            let mut out = Vec::new();
            for _ in 0..n {
                r.encode_streaming(&mut out);
                std::hint::black_box(out.len());
            }
        }
        other => {
            eprintln!("unknown target {other:?}: tally or otel");
            std::process::exit(2);
        }
    }
}
