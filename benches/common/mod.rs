//! What the side-by-side benchmarks (`benches/peers_*.rs`) share: the
//! label types every crate uses (one enum per label, deriving each crate's
//! label trait), the precomputed random label picks and latencies, and
//! the histogram bucket layout given to the bucketed peers.
//!
//! Each bench binary uses a part of this module.
#![allow(dead_code)]

pub mod hot;
pub mod otel;
pub mod registries;

use measured::label::StaticLabelSet;
use tally::LabelValue;

/// An HTTP method: 6 values (the first label of workload 2).
#[derive(
    Clone,
    Copy,
    Debug,
    Hash,
    PartialEq,
    Eq,
    tally::LabelValue,
    measured::FixedCardinalityLabel,
    prometheus_client::encoding::EncodeLabelValue,
)]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
    Patch,
    Head,
}

/// A response class: 3 values (the second label of workload 2).
#[derive(
    Clone,
    Copy,
    Debug,
    Hash,
    PartialEq,
    Eq,
    tally::LabelValue,
    measured::FixedCardinalityLabel,
    prometheus_client::encoding::EncodeLabelValue,
)]
pub enum Status {
    Success,
    ClientError,
    ServerError,
}

const METHODS: [Method; 6] = [
    Method::Get,
    Method::Post,
    Method::Put,
    Method::Delete,
    Method::Patch,
    Method::Head,
];
const STATUSES: [Status; 3] = [Status::Success, Status::ClientError, Status::ServerError];

/// The 18 label combinations.
pub const COMBINATIONS: usize = METHODS.len() * STATUSES.len();

/// prometheus-client's label set: the same two labels.
#[derive(Clone, Debug, Hash, PartialEq, Eq, prometheus_client::encoding::EncodeLabelSet)]
pub struct PcLabels {
    pub method: Method,
    pub status: Status,
}

/// measured's label group over the same two labels (dense, fixed
/// cardinality: both fields are `FixedCardinalityLabel` enums).
#[derive(Clone, Copy, Debug, measured::LabelGroup)]
#[label(set = MeasuredLabelsSet)]
pub struct MeasuredLabels {
    pub method: Method,
    pub status: Status,
}

/// measured's label set for [`MeasuredLabels`].
pub fn measured_set() -> MeasuredLabelsSet {
    MeasuredLabelsSet {
        method: StaticLabelSet::new(),
        status: StaticLabelSet::new(),
    }
}

/// One iteration's input: a label combination (as enums for the typed
/// crates, as strings for the string-keyed ones) and a latency (in
/// nanoseconds for tally and hdrhistogram, in seconds for the others).
#[derive(Clone, Copy, Debug)]
pub struct Pick {
    pub index: usize,
    pub method: Method,
    pub status: Status,
    pub method_str: &'static str,
    pub status_str: &'static str,
    pub nanos: u64,
    pub secs: f64,
}

/// How many precomputed picks each thread cycles through.
pub const PICKS: usize = 1024;

fn lcg(state: &mut u64) -> u64 {
    *state = state
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *state >> 11
}

/// Deterministic log-normal latencies in seconds: median 20 ms, sigma 1
/// (99.7% between about 1 ms and 400 ms), from a seeded LCG and
/// Box-Muller.
pub fn latencies(seed: u64, n: usize) -> Vec<f64> {
    let mut state = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut uniform = move || (lcg(&mut state) as f64 + 0.5) / (1u64 << 53) as f64;
    (0..n)
        .map(|_| {
            let (u1, u2) = (uniform(), uniform());
            let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
            0.02 * z.exp()
        })
        .collect()
}

/// The table of picks: uniformly random combinations, log-normal latencies.
pub static TABLE: std::sync::LazyLock<Vec<Pick>> = std::sync::LazyLock::new(|| {
    let mut state = 42u64;
    latencies(7, PICKS)
        .into_iter()
        .map(|secs| {
            let index = (lcg(&mut state) % COMBINATIONS as u64) as usize;
            pick(index, secs)
        })
        .collect()
});

/// The pick for combination `index` (0..18) with latency `secs`.
pub fn pick(index: usize, secs: f64) -> Pick {
    let (method, status) = (METHODS[index / 3], STATUSES[index % 3]);
    Pick {
        index,
        method,
        status,
        method_str: Method::VALUES[method.ordinal()],
        status_str: Status::VALUES[status.ordinal()],
        nanos: (secs * 1e9) as u64,
        secs,
    }
}

/// Every combination once (warm-up).
pub fn all_combinations() -> impl Iterator<Item = Pick> {
    (0..COMBINATIONS).map(|i| pick(i, 0.02))
}

thread_local! {
    static CURSOR: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The calling thread's next pick (used as a divan input, so outside the
/// timed loop).
pub fn next_pick() -> &'static Pick {
    let i = CURSOR.with(|c| {
        let i = c.get();
        c.set((i + 1) % PICKS);
        i
    });
    &TABLE[i]
}

/// Bucket count of the bucketed histograms.
pub const BUCKETS: usize = 12;
/// The bucketed histograms' upper bounds, in seconds: 1 ms x 2^i, up to
/// 2.048 s (prometheus' `exponential_buckets(0.001, 2.0, 12)`). tally's
/// text exposition uses them too in the encoding benchmark.
pub const BOUNDS: [f64; BUCKETS] = [
    0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048,
];
/// The first bound and the factor between bounds, for the constructors
/// that take them.
pub const BUCKET_START: f64 = 0.001;
/// See [`BUCKET_START`].
pub const BUCKET_FACTOR: f64 = 2.0;

/// The same bounds as a `Vec`, for the peers that take one.
pub fn bucket_bounds() -> Vec<f64> {
    BOUNDS.to_vec()
}

/// `hdrhistogram`'s configuration matching tally's default: 1 ns .. 1 h,
/// 2 significant digits.
pub fn hdr() -> hdrhistogram::Histogram<u64> {
    hdrhistogram::Histogram::new_with_bounds(1, 3_600_000_000_000, 2).unwrap()
}
