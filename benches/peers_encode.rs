//! Encoding speed of tally against its peers (workload 4 of the
//! side-by-side benchmarks): 10,000 counter series (100 families over
//! `route` x `code`, 10 x 10 values) and 100 histogram series (one
//! latency family over the same labels, 1,000 log-normal observations
//! each, 12 classic buckets) in each crate's registry, written as text by
//! each crate's own encoder. See `common/registries.rs` for the setup.
//! Group `all` is the workload; `counters` and `histograms` hold each
//! half alone, to show where the time goes.
//!
//! What each row times (one scrape):
//!
//! - tally: `registry.snapshot()` + `encode(Format::PrometheusText, ..)`
//!   (the snapshot is included: the peers read their live metrics while
//!   encoding); `tally_text_only` is the encode alone and `tally_snapshot`
//!   the snapshot alone, for reference;
//! - prometheus-client: `encoding::prometheus_text::encode` (the same
//!   Prometheus text 0.0.4 as every other row);
//! - prometheus: `registry.gather()` + `TextEncoder::encode`;
//! - metrics: `PrometheusHandle::render()`;
//! - measured: each family's `collect_family_into` a
//!   `BufferedTextEncoder`, then `finish()`;
//! - opentelemetry: `ManualReader::collect` into a reused
//!   `ResourceMetrics` (the SDK's export data model; the SDK has no text
//!   encoder), the counterpart of `tally_snapshot`, not of a whole scrape.
//!
//! Every crate writes into a buffer it reuses between iterations where
//! its API allows. The sizes of the outputs are printed first as a sanity
//! check of the setup.
//!
//! `cargo bench --bench peers_encode`.

mod common;

use std::sync::LazyLock;

use common::registries::{
    self, Measured, Metrics, OpenTelemetry, Prometheus, PrometheusClient, Tally,
};
use divan::Bencher;

const FAMILIES: usize = 100;
const OBSERVATIONS: usize = 1000;

/// The same series in every crate.
struct Registries {
    tally: Tally,
    prometheus_client: PrometheusClient,
    prometheus: Prometheus,
    metrics: Metrics,
    measured: Measured,
    opentelemetry: OpenTelemetry,
}

fn registries(families: usize, histograms: bool) -> Registries {
    Registries {
        tally: registries::tally(families, histograms, OBSERVATIONS),
        prometheus_client: registries::prometheus_client(families, histograms, OBSERVATIONS),
        prometheus: registries::prometheus(families, histograms, OBSERVATIONS),
        metrics: registries::metrics(families, histograms, OBSERVATIONS),
        measured: registries::measured(families, histograms, OBSERVATIONS),
        opentelemetry: registries::opentelemetry(families, histograms, OBSERVATIONS),
    }
}

static ALL: LazyLock<Registries> = LazyLock::new(|| registries(FAMILIES, true));
static COUNTERS: LazyLock<Registries> = LazyLock::new(|| registries(FAMILIES, false));
static HISTOGRAMS: LazyLock<Registries> = LazyLock::new(|| registries(0, true));

fn main() {
    let r = &*ALL;
    let mut tally = Vec::new();
    r.tally.encode(&mut tally);
    let (mut pc, mut prom) = (String::new(), String::new());
    r.prometheus_client.encode(&mut pc);
    r.prometheus.encode(&mut prom);
    let metrics = r.metrics.encode();
    let measured = r
        .measured
        .encode(&mut measured::text::BufferedTextEncoder::new());
    let points = r
        .opentelemetry
        .otel
        .collect(&mut opentelemetry_sdk::metrics::data::ResourceMetrics::default());
    let lines = |s: &[u8]| s.iter().filter(|b| **b == b'\n').count();
    eprintln!(
        "output bytes (lines): tally {} ({}), prometheus-client {} ({}), prometheus {} ({}), \
         metrics {} ({}), measured {}, opentelemetry (data points collected) {}",
        tally.len(),
        lines(&tally),
        pc.len(),
        lines(pc.as_bytes()),
        prom.len(),
        lines(prom.as_bytes()),
        metrics.len(),
        lines(metrics.as_bytes()),
        measured,
        points,
    );
    LazyLock::force(&COUNTERS);
    LazyLock::force(&HISTOGRAMS);
    divan::main();
}

fn tally(bencher: Bencher, r: &Registries) {
    let mut out = Vec::with_capacity(4 << 20);
    bencher.bench_local(|| {
        r.tally.encode(&mut out);
        out.len()
    });
}

fn tally_text_only(bencher: Bencher, r: &Registries) {
    let snapshot = r.tally.registry.snapshot();
    let mut out = Vec::with_capacity(4 << 20);
    bencher.bench_local(|| {
        out.clear();
        tally::encoding::encode(tally::encoding::Format::PrometheusText, &snapshot, &mut out);
        out.len()
    });
}

fn tally_snapshot(bencher: Bencher, r: &Registries) {
    bencher.bench_local(|| r.tally.registry.snapshot());
}

fn opentelemetry(bencher: Bencher, r: &Registries) {
    let mut rm = opentelemetry_sdk::metrics::data::ResourceMetrics::default();
    bencher.bench_local(|| r.opentelemetry.otel.collect(&mut rm));
}

fn prometheus_client(bencher: Bencher, r: &Registries) {
    let mut out = String::with_capacity(4 << 20);
    bencher.bench_local(|| {
        r.prometheus_client.encode(&mut out);
        out.len()
    });
}

fn prometheus(bencher: Bencher, r: &Registries) {
    let mut out = String::with_capacity(4 << 20);
    bencher.bench_local(|| {
        r.prometheus.encode(&mut out);
        out.len()
    });
}

fn metrics(bencher: Bencher, r: &Registries) {
    bencher.bench_local(|| r.metrics.encode().len());
}

fn measured(bencher: Bencher, r: &Registries) {
    let mut enc = measured::text::BufferedTextEncoder::new();
    bencher.bench_local(|| r.measured.encode(&mut enc));
}

/// Workload 4: 10,000 counter series and 100 histogram series.
#[divan::bench_group(sample_count = 50, sample_size = 1)]
mod all {
    use super::*;

    #[divan::bench]
    fn tally(b: Bencher) {
        super::tally(b, &ALL)
    }

    #[divan::bench]
    fn tally_text_only(b: Bencher) {
        super::tally_text_only(b, &ALL)
    }

    #[divan::bench]
    fn tally_snapshot(b: Bencher) {
        super::tally_snapshot(b, &ALL)
    }

    #[divan::bench]
    fn prometheus_client(b: Bencher) {
        super::prometheus_client(b, &ALL)
    }

    #[divan::bench]
    fn prometheus(b: Bencher) {
        super::prometheus(b, &ALL)
    }

    #[divan::bench]
    fn metrics(b: Bencher) {
        super::metrics(b, &ALL)
    }

    #[divan::bench]
    fn measured(b: Bencher) {
        super::measured(b, &ALL)
    }

    #[divan::bench]
    fn opentelemetry(b: Bencher) {
        super::opentelemetry(b, &ALL)
    }
}

/// The 10,000 counter series alone.
#[divan::bench_group(sample_count = 50, sample_size = 1)]
mod counters {
    use super::*;

    #[divan::bench]
    fn tally(b: Bencher) {
        super::tally(b, &COUNTERS)
    }

    #[divan::bench]
    fn tally_text_only(b: Bencher) {
        super::tally_text_only(b, &COUNTERS)
    }

    #[divan::bench]
    fn tally_snapshot(b: Bencher) {
        super::tally_snapshot(b, &COUNTERS)
    }

    #[divan::bench]
    fn prometheus_client(b: Bencher) {
        super::prometheus_client(b, &COUNTERS)
    }

    #[divan::bench]
    fn prometheus(b: Bencher) {
        super::prometheus(b, &COUNTERS)
    }

    #[divan::bench]
    fn metrics(b: Bencher) {
        super::metrics(b, &COUNTERS)
    }

    #[divan::bench]
    fn measured(b: Bencher) {
        super::measured(b, &COUNTERS)
    }

    #[divan::bench]
    fn opentelemetry(b: Bencher) {
        super::opentelemetry(b, &COUNTERS)
    }
}

/// The 100 histogram series alone.
#[divan::bench_group(sample_count = 50, sample_size = 1)]
mod histograms {
    use super::*;

    #[divan::bench]
    fn tally(b: Bencher) {
        super::tally(b, &HISTOGRAMS)
    }

    #[divan::bench]
    fn tally_text_only(b: Bencher) {
        super::tally_text_only(b, &HISTOGRAMS)
    }

    #[divan::bench]
    fn tally_snapshot(b: Bencher) {
        super::tally_snapshot(b, &HISTOGRAMS)
    }

    #[divan::bench]
    fn prometheus_client(b: Bencher) {
        super::prometheus_client(b, &HISTOGRAMS)
    }

    #[divan::bench]
    fn prometheus(b: Bencher) {
        super::prometheus(b, &HISTOGRAMS)
    }

    #[divan::bench]
    fn metrics(b: Bencher) {
        super::metrics(b, &HISTOGRAMS)
    }

    #[divan::bench]
    fn measured(b: Bencher) {
        super::measured(b, &HISTOGRAMS)
    }

    #[divan::bench]
    fn opentelemetry(b: Bencher) {
        super::opentelemetry(b, &HISTOGRAMS)
    }
}

/// tally's other formats over the whole registry (snapshot taken outside
/// the loop), for reference: no peer has an equivalent of each.
#[divan::bench_group(sample_count = 30, sample_size = 1)]
mod tally_formats {
    use super::*;

    fn format(bencher: Bencher, format: tally::encoding::Format) {
        let snapshot = ALL.tally.registry.snapshot();
        let mut out = Vec::with_capacity(4 << 20);
        bencher.bench_local(|| {
            out.clear();
            tally::encoding::encode(format, &snapshot, &mut out);
            out.len()
        });
    }

    #[divan::bench]
    fn openmetrics(b: Bencher) {
        format(b, tally::encoding::Format::OpenMetrics)
    }

    #[divan::bench]
    fn protobuf(b: Bencher) {
        format(b, tally::encoding::Format::Protobuf)
    }

    #[divan::bench]
    fn json(b: Bencher) {
        format(b, tally::encoding::Format::Json)
    }
}
