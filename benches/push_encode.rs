//! The encode cost of one push, on the encoding benchmark's workload
//! (`peers_encode`'s group `all`): 10,000 counter series (100 families
//! over `route` x `code`) and 100 histogram series (1,000 log-normal
//! observations each), in tally's registry.
//!
//! Rows (each: `registry.snapshot()` + encode into a reused buffer, as
//! the pusher does; compression excluded):
//!
//! - `otlp_exponential`: the OTLP `ExportMetricsServiceRequest` with
//!   exponential histograms (the default);
//! - `otlp_explicit`: the same with explicit-bucket histograms;
//! - `text_import`: the Prometheus text body of VictoriaMetrics' import
//!   API and of a Pushgateway push;
//! - `protobuf_pushgateway`: the delimited protobuf body of a Pushgateway
//!   push.
//!
//! `cargo bench --bench push_encode`.

mod common;

use std::sync::LazyLock;
use std::time::SystemTime;

use common::registries::{self, Tally};
use divan::Bencher;

const FAMILIES: usize = 100;
const OBSERVATIONS: usize = 1000;

static ALL: LazyLock<Tally> = LazyLock::new(|| registries::tally(FAMILIES, true, OBSERVATIONS));

fn main() {
    let r = &*ALL;
    let snapshot = r.registry.snapshot();
    let series: usize = snapshot.families.iter().map(|f| f.series.len()).sum();
    let mut otlp = Vec::new();
    tally::encoding::encode_otlp(
        &snapshot,
        &tally::encoding::OtlpOptions::default(),
        SystemTime::now(),
        &mut otlp,
    );
    let mut text = Vec::new();
    tally::encoding::encode_prometheus_text(&snapshot, &mut text);
    eprintln!(
        "series {series}; bytes: otlp {}, text {}",
        otlp.len(),
        text.len()
    );
    divan::main();
}

fn otlp(bencher: Bencher, histograms: tally::encoding::OtlpHistograms) {
    let options = tally::encoding::OtlpOptions {
        resource: vec![("service.name".into(), "bench".into())],
        histograms,
        ..tally::encoding::OtlpOptions::default()
    };
    let mut out = Vec::with_capacity(4 << 20);
    bencher.bench_local(|| {
        out.clear();
        let snapshot = ALL.registry.snapshot();
        tally::encoding::encode_otlp(&snapshot, &options, SystemTime::now(), &mut out);
        out.len()
    });
}

#[divan::bench(sample_count = 50, sample_size = 1)]
fn otlp_exponential(bencher: Bencher) {
    otlp(bencher, tally::encoding::OtlpHistograms::Exponential);
}

#[divan::bench(sample_count = 50, sample_size = 1)]
fn otlp_explicit(bencher: Bencher) {
    otlp(bencher, tally::encoding::OtlpHistograms::Explicit);
}

#[divan::bench(sample_count = 50, sample_size = 1)]
fn text_import(bencher: Bencher) {
    let mut out = Vec::with_capacity(4 << 20);
    bencher.bench_local(|| {
        out.clear();
        let snapshot = ALL.registry.snapshot();
        tally::encoding::encode_prometheus_text(&snapshot, &mut out);
        out.len()
    });
}

#[divan::bench(sample_count = 50, sample_size = 1)]
fn protobuf_pushgateway(bencher: Bencher) {
    let options = tally::encoding::EncodeOptions { created: None };
    let mut out = Vec::with_capacity(4 << 20);
    bencher.bench_local(|| {
        out.clear();
        let snapshot = ALL.registry.snapshot();
        tally::encoding::encode_protobuf(&snapshot, &options, &mut out);
        out.len()
    });
}
