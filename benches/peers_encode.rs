//! Encoding speed of tally against its peers (workload 4 of the
//! side-by-side benchmarks): 10,000 counter series (100 families over
//! `route` x `code`, 10 x 10 values) and 100 histogram series (one
//! latency family over the same labels, 1,000 log-normal observations
//! each, 12 classic buckets) in each crate's registry, written as text by
//! each crate's own encoder. See `common/registries.rs` for the setup.
//!
//! What each row times (one scrape):
//!
//! - tally: `registry.snapshot()` + `encode(Format::PrometheusText, ..)`
//!   (the snapshot is included: the peers read their live metrics while
//!   encoding); `tally_text_only` is the encode alone, for reference;
//! - prometheus-client: `encoding::text::encode` (OpenMetrics text);
//! - prometheus: `registry.gather()` + `TextEncoder::encode`;
//! - metrics: `PrometheusHandle::render()`;
//! - measured: each family's `collect_family_into` a
//!   `BufferedTextEncoder`, then `finish()`.
//!
//! Every crate writes into a buffer it reuses between iterations where
//! its API allows. The sizes of the outputs are printed first as a sanity
//! check of the setup.
//!
//! `cargo bench --bench peers_encode`.

mod common;

use std::sync::LazyLock;

use common::registries::{self, Measured, Metrics, Prometheus, PrometheusClient, Tally};
use divan::Bencher;

const FAMILIES: usize = 100;
const OBSERVATIONS: usize = 1000;

static TALLY: LazyLock<Tally> = LazyLock::new(|| registries::tally(FAMILIES, true, OBSERVATIONS));
static PC: LazyLock<PrometheusClient> =
    LazyLock::new(|| registries::prometheus_client(FAMILIES, true, OBSERVATIONS));
static PROM: LazyLock<Prometheus> =
    LazyLock::new(|| registries::prometheus(FAMILIES, true, OBSERVATIONS));
static METRICS: LazyLock<Metrics> =
    LazyLock::new(|| registries::metrics(FAMILIES, true, OBSERVATIONS));
static MEASURED: LazyLock<Measured> =
    LazyLock::new(|| registries::measured(FAMILIES, true, OBSERVATIONS));

fn main() {
    let mut tally = Vec::new();
    TALLY.encode(&mut tally);
    let (mut pc, mut prom) = (String::new(), String::new());
    PC.encode(&mut pc);
    PROM.encode(&mut prom);
    let metrics = METRICS.encode();
    let measured = MEASURED.encode(&mut measured::text::BufferedTextEncoder::new());
    let lines = |s: &[u8]| s.iter().filter(|b| **b == b'\n').count();
    eprintln!(
        "output bytes (lines): tally {} ({}), prometheus-client {} ({}), prometheus {} ({}), \
         metrics {} ({}), measured {}",
        tally.len(),
        lines(&tally),
        pc.len(),
        lines(pc.as_bytes()),
        prom.len(),
        lines(prom.as_bytes()),
        metrics.len(),
        lines(metrics.as_bytes()),
        measured,
    );
    divan::main();
}

#[divan::bench(sample_count = 50, sample_size = 1)]
fn tally(bencher: Bencher) {
    let mut out = Vec::with_capacity(4 << 20);
    bencher.bench_local(|| {
        TALLY.encode(&mut out);
        out.len()
    });
}

#[divan::bench(sample_count = 50, sample_size = 1)]
fn tally_text_only(bencher: Bencher) {
    let snapshot = TALLY.registry.snapshot();
    let mut out = Vec::with_capacity(4 << 20);
    bencher.bench_local(|| {
        out.clear();
        tally::encode(tally::Format::PrometheusText, &snapshot, &mut out);
        out.len()
    });
}

#[divan::bench(sample_count = 50, sample_size = 1)]
fn prometheus_client(bencher: Bencher) {
    let mut out = String::with_capacity(4 << 20);
    bencher.bench_local(|| {
        PC.encode(&mut out);
        out.len()
    });
}

#[divan::bench(sample_count = 50, sample_size = 1)]
fn prometheus(bencher: Bencher) {
    let mut out = String::with_capacity(4 << 20);
    bencher.bench_local(|| {
        PROM.encode(&mut out);
        out.len()
    });
}

#[divan::bench(sample_count = 50, sample_size = 1)]
fn metrics(bencher: Bencher) {
    bencher.bench_local(|| METRICS.encode().len());
}

#[divan::bench(sample_count = 50, sample_size = 1)]
fn measured(bencher: Bencher) {
    let mut enc = measured::text::BufferedTextEncoder::new();
    bencher.bench_local(|| MEASURED.encode(&mut enc));
}
