//! What the live metrics page costs the service: one poll of its compact
//! JSON (`/-/metrics.json`) against one Prometheus text scrape of the same
//! registry, workload 4 of the side-by-side benchmarks (10,000 counter
//! series in 100 families over `route` x `code`, and 100 HDR histogram
//! series with 1,000 observations each; see `common/registries.rs`).
//!
//! Rows (each one request's work, minus HTTP and gzip):
//!
//! - `scrape_text`: `registry.snapshot()` + Prometheus text (`/metrics`);
//! - `poll_page_json`: `registry.snapshot()` + `encode_page_json` (the
//!   page's poll: count, sum, p50/p90/p99 per histogram series, the three
//!   quantiles found in one pass over the cells);
//! - `poll_debug_vars`: `registry.snapshot()` + `/debug/vars` JSON, the
//!   endpoint the page could have polled instead (serde, HDR V2 base64);
//! - `*_encode_only`: the encoders alone over a snapshot taken once.
//!
//! The goal: `poll_page_json` no slower than `scrape_text`. The output
//! sizes are printed first.
//!
//! `cargo bench --bench page_poll`.

mod common;

use std::sync::LazyLock;

use common::registries::{self, Tally};
use divan::Bencher;

static REGISTRY: LazyLock<Tally> = LazyLock::new(|| registries::tally(100, true, 1000));

fn main() {
    let snapshot = REGISTRY.registry.snapshot();
    let (mut text, mut page, mut vars) = (Vec::new(), Vec::new(), Vec::new());
    tally::encoding::encode(
        tally::encoding::Format::PrometheusText,
        &snapshot,
        &mut text,
    );
    tally::encoding::encode_page_json(&snapshot, &mut page);
    tally::encoding::encode(tally::encoding::Format::Json, &snapshot, &mut vars);
    let series: usize = snapshot.families.iter().map(|f| f.series.len()).sum();
    eprintln!(
        "{series} series; output bytes: text {}, page JSON {}, /debug/vars JSON {}",
        text.len(),
        page.len(),
        vars.len()
    );
    divan::main();
}

#[divan::bench(sample_count = 50, sample_size = 1)]
fn scrape_text(bencher: Bencher) {
    let mut out = Vec::with_capacity(4 << 20);
    bencher.bench_local(|| {
        out.clear();
        tally::encoding::encode(
            tally::encoding::Format::PrometheusText,
            &REGISTRY.registry.snapshot(),
            &mut out,
        );
        out.len()
    });
}

#[divan::bench(sample_count = 50, sample_size = 1)]
fn poll_page_json(bencher: Bencher) {
    let mut out = Vec::with_capacity(4 << 20);
    bencher.bench_local(|| {
        out.clear();
        tally::encoding::encode_page_json(&REGISTRY.registry.snapshot(), &mut out);
        out.len()
    });
}

#[divan::bench(sample_count = 50, sample_size = 1)]
fn poll_debug_vars(bencher: Bencher) {
    let mut out = Vec::with_capacity(4 << 20);
    bencher.bench_local(|| {
        out.clear();
        tally::encoding::encode(
            tally::encoding::Format::Json,
            &REGISTRY.registry.snapshot(),
            &mut out,
        );
        out.len()
    });
}

#[divan::bench(sample_count = 50, sample_size = 1)]
fn scrape_text_encode_only(bencher: Bencher) {
    let snapshot = REGISTRY.registry.snapshot();
    let mut out = Vec::with_capacity(4 << 20);
    bencher.bench_local(|| {
        out.clear();
        tally::encoding::encode(tally::encoding::Format::PrometheusText, &snapshot, &mut out);
        out.len()
    });
}

#[divan::bench(sample_count = 50, sample_size = 1)]
fn poll_page_json_encode_only(bencher: Bencher) {
    let snapshot = REGISTRY.registry.snapshot();
    let mut out = Vec::with_capacity(4 << 20);
    bencher.bench_local(|| {
        out.clear();
        tally::encoding::encode_page_json(&snapshot, &mut out);
        out.len()
    });
}
