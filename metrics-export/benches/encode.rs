//! Encoding speed of tally against `prometheus-client` 0.25 on equivalent
//! registries, in one run:
//!
//! - 10,000 counter series: 100 counter families (`requests_NN_total`),
//!   each over two labels `route` x `code` of 10 values each (100 series);
//! - 100 histogram series: one latency family over the same labels, 1,000
//!   log-normal observations (median 20 ms, sigma 1) per series, with the
//!   same 25 classic bucket bounds on both sides (tally's default for
//!   seconds).
//!
//! `prometheus_client::encoding::text::encode` writes OpenMetrics text, so
//! the like-for-like comparison is `tally_openmetrics` (no `_created`, as
//! prometheus-client writes none); `tally_text` (0.0.4) is close to it.
//! tally encodes a snapshot: `tally_snapshot_and_text` includes taking it
//! (prometheus-client reads its atomics while encoding).
//!
//! Run: `cargo bench -p metrics-export --bench encode`.

use std::sync::LazyLock;

use metrics_core::{
    Counter, Desc, Histogram, HistogramConfig, LabelValue, Registry, RegistrySnapshot, Unit,
};
use metrics_export::{encode, encode_with, EncodeOptions, Format, DEFAULT_SECONDS_BOUNDS};
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter as PcCounter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram as PcHistogram;

fn main() {
    // Same output size on both sides, roughly: a sanity check of the setup.
    let tally = tally_bytes(Format::OpenMetrics);
    let mut pc = String::new();
    prometheus_client::encoding::text::encode(&mut pc, &PC.0).unwrap();
    eprintln!(
        "output bytes: tally openmetrics {}, tally text {}, prometheus-client {}",
        tally,
        tally_bytes(Format::PrometheusText),
        pc.len()
    );
    divan::main();
}

const FAMILIES: usize = 100;

/// A request route.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, EncodeLabelValue)]
enum Route {
    Users,
    Orders,
    Items,
    Carts,
    Search,
    Login,
    Logout,
    Health,
    Status,
    Admin,
}

const ROUTES: [Route; 10] = [
    Route::Users,
    Route::Orders,
    Route::Items,
    Route::Carts,
    Route::Search,
    Route::Login,
    Route::Logout,
    Route::Health,
    Route::Status,
    Route::Admin,
];

impl LabelValue for Route {
    const NAME: &'static str = "route";
    const VALUES: &'static [&'static str] = &[
        "Users", "Orders", "Items", "Carts", "Search", "Login", "Logout", "Health", "Status",
        "Admin",
    ];
    fn ordinal(&self) -> usize {
        *self as usize
    }
    fn from_ordinal(ordinal: usize) -> Option<Self> {
        ROUTES.get(ordinal).copied()
    }
}

/// A response class.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, EncodeLabelValue)]
enum Code {
    Ok,
    Created,
    Accepted,
    NoContent,
    Moved,
    NotModified,
    BadRequest,
    Forbidden,
    NotFound,
    Unavailable,
}

const CODES: [Code; 10] = [
    Code::Ok,
    Code::Created,
    Code::Accepted,
    Code::NoContent,
    Code::Moved,
    Code::NotModified,
    Code::BadRequest,
    Code::Forbidden,
    Code::NotFound,
    Code::Unavailable,
];

impl LabelValue for Code {
    const NAME: &'static str = "code";
    const VALUES: &'static [&'static str] = &[
        "Ok",
        "Created",
        "Accepted",
        "NoContent",
        "Moved",
        "NotModified",
        "BadRequest",
        "Forbidden",
        "NotFound",
        "Unavailable",
    ];
    fn ordinal(&self) -> usize {
        *self as usize
    }
    fn from_ordinal(ordinal: usize) -> Option<Self> {
        CODES.get(ordinal).copied()
    }
}

/// prometheus-client's label set: the same two labels.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Labels {
    route: Route,
    code: Code,
}

/// Deterministic latencies in seconds: log-normal with a median of 20 ms
/// and sigma 1 (the usual model of request latency; 99.7% between about
/// 1 ms and 400 ms), from a seeded LCG and Box-Muller.
fn latencies(seed: u64) -> impl Iterator<Item = f64> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut uniform = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    (0..1000).map(move |_| {
        let (u1, u2) = (uniform(), uniform());
        let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        0.02 * z.exp()
    })
}

fn counter_value(family: usize, series: usize) -> u64 {
    (family * 7919 + series * 104_729) as u64 % 1_000_000
}

static TALLY: LazyLock<Registry> = LazyLock::new(|| {
    let registry = Registry::new();
    for f in 0..FAMILIES {
        let c = registry
            .register(
                Desc::new(
                    format!("requests_{f:02}_total"),
                    "Requests served, by route and code.",
                ),
                Counter::<(Route, Code)>::new(),
            )
            .unwrap();
        for (r, route) in ROUTES.iter().enumerate() {
            for (k, code) in CODES.iter().enumerate() {
                c.with((*route, *code)).add(counter_value(f, r * 10 + k));
            }
        }
    }
    let h = registry
        .register(
            Desc::new("request_latency", "Request latency.").with_unit(Unit::SECONDS),
            Histogram::<(Route, Code)>::with_config(HistogramConfig::seconds()).unwrap(),
        )
        .unwrap();
    for (r, route) in ROUTES.iter().enumerate() {
        for (k, code) in CODES.iter().enumerate() {
            for v in latencies((r * 10 + k) as u64) {
                h.with((*route, *code)).record_f64(v);
            }
        }
    }
    registry
});

static SNAPSHOT: LazyLock<RegistrySnapshot> = LazyLock::new(|| TALLY.snapshot());

struct Pc(prometheus_client::registry::Registry);

static PC: LazyLock<Pc> = LazyLock::new(|| {
    let mut registry = prometheus_client::registry::Registry::default();
    for f in 0..FAMILIES {
        let family = Family::<Labels, PcCounter>::default();
        for (r, route) in ROUTES.iter().enumerate() {
            for (k, code) in CODES.iter().enumerate() {
                family
                    .get_or_create(&Labels {
                        route: *route,
                        code: *code,
                    })
                    .inc_by(counter_value(f, r * 10 + k));
            }
        }
        registry.register(
            format!("requests_{f:02}"),
            "Requests served, by route and code.",
            family,
        );
    }
    fn histogram() -> PcHistogram {
        PcHistogram::new(DEFAULT_SECONDS_BOUNDS.iter().copied())
    }
    let family =
        Family::<Labels, PcHistogram, fn() -> PcHistogram>::new_with_constructor(histogram);
    for (r, route) in ROUTES.iter().enumerate() {
        for (k, code) in CODES.iter().enumerate() {
            let h = family.get_or_create(&Labels {
                route: *route,
                code: *code,
            });
            for v in latencies((r * 10 + k) as u64) {
                h.observe(v);
            }
        }
    }
    registry.register_with_unit(
        "request_latency",
        "Request latency.",
        prometheus_client::registry::Unit::Seconds,
        family,
    );
    Pc(registry)
});

fn tally_bytes(format: Format) -> usize {
    let mut out = Vec::new();
    encode_with(
        format,
        &SNAPSHOT,
        &EncodeOptions { created: None },
        &mut out,
    );
    out.len()
}

const NO_CREATED: EncodeOptions = EncodeOptions { created: None };

#[divan::bench(sample_count = 60)]
fn tally_text(bencher: divan::Bencher) {
    let snapshot = &*SNAPSHOT;
    let mut out = Vec::with_capacity(4 << 20);
    bencher.bench_local(|| {
        out.clear();
        encode(Format::PrometheusText, snapshot, &mut out);
        out.len()
    });
}

#[divan::bench(sample_count = 60)]
fn tally_openmetrics(bencher: divan::Bencher) {
    let snapshot = &*SNAPSHOT;
    let mut out = Vec::with_capacity(4 << 20);
    bencher.bench_local(|| {
        out.clear();
        encode_with(Format::OpenMetrics, snapshot, &NO_CREATED, &mut out);
        out.len()
    });
}

#[divan::bench(sample_count = 60)]
fn tally_snapshot_and_text(bencher: divan::Bencher) {
    let registry = &*TALLY;
    let mut out = Vec::with_capacity(4 << 20);
    bencher.bench_local(|| {
        out.clear();
        encode(Format::PrometheusText, &registry.snapshot(), &mut out);
        out.len()
    });
}

#[divan::bench(sample_count = 30)]
fn tally_protobuf(bencher: divan::Bencher) {
    let snapshot = &*SNAPSHOT;
    let mut out = Vec::with_capacity(4 << 20);
    bencher.bench_local(|| {
        out.clear();
        encode_with(Format::Protobuf, snapshot, &NO_CREATED, &mut out);
        out.len()
    });
}

#[divan::bench(sample_count = 30)]
fn tally_json(bencher: divan::Bencher) {
    let snapshot = &*SNAPSHOT;
    let mut out = Vec::with_capacity(4 << 20);
    bencher.bench_local(|| {
        out.clear();
        encode(Format::Json, snapshot, &mut out);
        out.len()
    });
}

#[divan::bench(sample_count = 60)]
fn prometheus_client_text(bencher: divan::Bencher) {
    let registry = &PC.0;
    let mut out = String::with_capacity(4 << 20);
    bencher.bench_local(|| {
        out.clear();
        prometheus_client::encoding::text::encode(&mut out, registry).unwrap();
        out.len()
    });
}
