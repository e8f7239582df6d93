//! How a scrape grows with the number of series: snapshot + Prometheus
//! text at 10,000, 100,000 and 1,000,000 series, tally beside measured
//! and prometheus-client, for counters alone and for a mix with 1%
//! histogram series; then the live page's JSON poll (and the gzip of it
//! and of the text) at 1,000,000 series.
//!
//! The series are those of the encoding benchmark (`common/registries.rs`),
//! more of them: counter families of 100 series (`route` x `code`), and
//! in the mix one histogram family of 100 series per 10,000 series (100
//! log-normal observations per series, the 12 classic bounds where a
//! crate exposes buckets).
//!
//! Before the timings it measures each crate's growth from 10,000 to
//! 1,000,000 series in interleaved rounds (see `interleaved_growth`),
//! which a slow spell of a shared machine cannot skew toward one size.
//!
//! Before the timings (divan, one scrape per sample) it prints a markdown
//! table of memory through a counting allocator: the registry's heap
//! bytes per series once built, and the peak of extra heap bytes during
//! one scrape (snapshot, text and output buffer), with the output size.
//! `scripts/bench.sh` puts the table and the timings, with each crate's
//! growth from 10,000 to 1,000,000 series, in `benches/RESULTS.md`.
//!
//! `cargo bench --bench scale` (about a minute to build the registries).

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use common::registries::{self, Measured, PrometheusClient, Tally};
use divan::Bencher;
use measured::text::BufferedTextEncoder;

/// Counts live heap bytes and their peak, then defers to the system
/// allocator.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged; the counters are plain atomics and never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Relaxed) + layout.size();
        PEAK.fetch_max(live, Relaxed);
        // SAFETY: forwarded as is (see the impl).
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Relaxed) + layout.size();
        PEAK.fetch_max(live, Relaxed);
        // SAFETY: forwarded as is (see the impl).
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Relaxed);
        // SAFETY: forwarded as is (see the impl).
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size >= layout.size() {
            let live = LIVE.fetch_add(new_size - layout.size(), Relaxed) + new_size - layout.size();
            PEAK.fetch_max(live, Relaxed);
        } else {
            LIVE.fetch_sub(layout.size() - new_size, Relaxed);
        }
        // SAFETY: forwarded as is (see the impl).
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The series counts measured.
const SIZES: [usize; 3] = [10_000, 100_000, 1_000_000];

/// Observations per histogram series.
const OBSERVATIONS: usize = 100;

/// Counter families and histogram families for `series` series, with or
/// without 1% histogram series.
fn families(series: usize, mix: bool) -> (usize, usize) {
    let histograms = if mix { series / 10_000 } else { 0 };
    (series / 100 - histograms, histograms)
}

fn tally(series: usize, mix: bool) -> Tally {
    let (c, h) = families(series, mix);
    registries::tally_mix(c, h, OBSERVATIONS)
}

fn measured(series: usize, mix: bool) -> Measured {
    let (c, h) = families(series, mix);
    registries::measured_mix(c, h, OBSERVATIONS)
}

fn prometheus_client(series: usize, mix: bool) -> PrometheusClient {
    let (c, h) = families(series, mix);
    registries::prometheus_client_mix(c, h, OBSERVATIONS)
}

/// Builds with `build`, then scrapes once with `scrape` (which returns
/// the output's length): (registry bytes, scrape peak bytes, output
/// bytes).
fn memory<R>(build: impl FnOnce() -> R, scrape: impl FnOnce(&R) -> usize) -> (usize, usize, usize) {
    let before = LIVE.load(Relaxed);
    let registry = build();
    let built = LIVE.load(Relaxed);
    PEAK.store(built, Relaxed);
    let output = scrape(&registry);
    let peak = PEAK.load(Relaxed) - built;
    drop(registry);
    (built - before, peak, output)
}

fn main() {
    println!("| series | workload | crate | registry, bytes per series | scrape peak, bytes per series | output bytes |");
    println!("|---:|---|---|---:|---:|---:|");
    for series in SIZES {
        for mix in [false, true] {
            let workload = if mix { "1% histograms" } else { "counters" };
            let rows = [
                (
                    "tally",
                    memory(
                        || tally(series, mix),
                        |r| {
                            let mut out = Vec::new();
                            r.encode_streaming(&mut out);
                            out.len()
                        },
                    ),
                ),
                (
                    "measured",
                    memory(
                        || measured(series, mix),
                        |r| r.encode(&mut BufferedTextEncoder::new()),
                    ),
                ),
                (
                    "prometheus-client",
                    memory(
                        || prometheus_client(series, mix),
                        |r| {
                            let mut out = String::new();
                            r.encode(&mut out);
                            out.len()
                        },
                    ),
                ),
            ];
            for (name, (registry, peak, output)) in rows {
                println!(
                    "| {series} | {workload} | {name} | {:.0} | {:.0} | {output} |",
                    registry as f64 / series as f64,
                    peak as f64 / series as f64,
                );
            }
        }
    }
    let r = tally(1_000_000, true);
    let snapshot = r.registry.snapshot();
    let (mut page, mut text) = (Vec::new(), Vec::new());
    tally::encoding::encode_page_json(&snapshot, &mut page);
    tally::encoding::encode(
        tally::encoding::Format::PrometheusText,
        &snapshot,
        &mut text,
    );
    println!();
    println!(
        "live page at 1,000,000 series (1% histograms): JSON {} bytes, gzipped {} bytes; text {} bytes, gzipped {} bytes",
        page.len(),
        gzip(&page).len(),
        text.len(),
        gzip(&text).len()
    );
    println!();
    drop((r, snapshot, page, text));
    interleaved_growth();
    divan::main();
}

/// Rounds of [`interleaved_growth`]: the lowest round counts.
const ROUNDS: usize = 7;

/// Scrapes of the 10,000-series registry per round (about as long as
/// one scrape of the 1,000,000-series one, in total).
const SMALL_SCRAPES: usize = 50;

/// Each crate's growth from 10,000 to 1,000,000 series, measured so that
/// a slow spell of a shared machine weighs on both sizes alike: in each
/// of [`ROUNDS`] rounds, [`SMALL_SCRAPES`] scrapes at 10,000 series, then
/// one at 1,000,000, one right after the other; each size's time per
/// scrape is its lowest over the rounds. Prints one `growth:` line per
/// crate and workload, which `scripts/bench.sh` puts in RESULTS.md.
fn interleaved_growth() {
    for mix in [false, true] {
        let workload = if mix { "1% histograms" } else { "counters" };
        let small = tally(10_000, mix);
        let large = tally(1_000_000, mix);
        let mut out = (Vec::new(), Vec::new());
        growth_line(workload, "tally", || {
            (
                time(SMALL_SCRAPES, || small.encode_streaming(&mut out.0)),
                time(1, || large.encode_streaming(&mut out.1)),
            )
        });
        drop((small, large, out));
        let small = measured(10_000, mix);
        let large = measured(1_000_000, mix);
        let mut enc = (BufferedTextEncoder::new(), BufferedTextEncoder::new());
        growth_line(workload, "measured", || {
            (
                time(SMALL_SCRAPES, || {
                    small.encode(&mut enc.0);
                }),
                time(1, || {
                    large.encode(&mut enc.1);
                }),
            )
        });
        drop((small, large, enc));
        let small = prometheus_client(10_000, mix);
        let large = prometheus_client(1_000_000, mix);
        let mut out = (String::new(), String::new());
        growth_line(workload, "prometheus-client", || {
            (
                time(SMALL_SCRAPES, || small.encode(&mut out.0)),
                time(1, || large.encode(&mut out.1)),
            )
        });
    }
    println!();
}

/// Seconds per call of `f`, over `n` calls.
fn time(n: usize, mut f: impl FnMut()) -> f64 {
    let start = std::time::Instant::now();
    for _ in 0..n {
        f();
    }
    start.elapsed().as_secs_f64() / n as f64
}

/// Runs `round` (one untimed first, as a warm-up) [`ROUNDS`] times and
/// prints the growth from the lowest time of each size.
fn growth_line(workload: &str, name: &str, mut round: impl FnMut() -> (f64, f64)) {
    round();
    let (mut small, mut large) = (f64::MAX, f64::MAX);
    for _ in 0..ROUNDS {
        let (s, l) = round();
        small = small.min(s);
        large = large.min(l);
    }
    println!(
        "growth: {workload} | {name} | {:.2}x | {:.1} ns | {:.1} ns",
        large / small / 100.0,
        small / 10_000.0 * 1e9,
        large / 1_000_000.0 * 1e9,
    );
}

/// gzip at the level the HTTP handler uses (fast).
fn gzip(body: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 4 + 64),
        flate2::Compression::fast(),
    );
    encoder.write_all(body).unwrap();
    encoder.finish().unwrap()
}

// Each crate scrapes once before the timed scrapes: its output buffer
// then has its size (and its pages) from the start, as in a server
// scraped every few seconds.

fn bench_tally(bencher: Bencher, series: usize, mix: bool) {
    let r = tally(series, mix);
    let mut out = Vec::new();
    r.encode_streaming(&mut out);
    bencher.bench_local(|| {
        r.encode_streaming(&mut out);
        out.len()
    });
}

fn bench_measured(bencher: Bencher, series: usize, mix: bool) {
    let r = measured(series, mix);
    let mut enc = BufferedTextEncoder::new();
    r.encode(&mut enc);
    bencher.bench_local(|| r.encode(&mut enc));
}

fn bench_prometheus_client(bencher: Bencher, series: usize, mix: bool) {
    let r = prometheus_client(series, mix);
    let mut out = String::new();
    r.encode(&mut out);
    bencher.bench_local(|| {
        r.encode(&mut out);
        out.len()
    });
}

/// Counter series alone: Prometheus text read and written one family at
/// a time (tally's `encoding::encode_registry`), each peer's own text
/// encoder.
#[divan::bench_group(sample_count = 30, sample_size = 1)]
mod counters {
    use super::*;

    #[divan::bench(args = SIZES)]
    fn tally(b: Bencher, series: usize) {
        bench_tally(b, series, false)
    }

    #[divan::bench(args = SIZES)]
    fn measured(b: Bencher, series: usize) {
        bench_measured(b, series, false)
    }

    #[divan::bench(args = SIZES)]
    fn prometheus_client(b: Bencher, series: usize) {
        bench_prometheus_client(b, series, false)
    }
}

/// 99% counter series, 1% histogram series.
#[divan::bench_group(sample_count = 30, sample_size = 1)]
mod mix {
    use super::*;

    #[divan::bench(args = SIZES)]
    fn tally(b: Bencher, series: usize) {
        bench_tally(b, series, true)
    }

    #[divan::bench(args = SIZES)]
    fn measured(b: Bencher, series: usize) {
        bench_measured(b, series, true)
    }

    #[divan::bench(args = SIZES)]
    fn prometheus_client(b: Bencher, series: usize) {
        bench_prometheus_client(b, series, true)
    }
}

/// tally at 1,000,000 series (1% histograms): the live page's JSON poll,
/// and each body gzipped as the HTTP handler sends it.
#[divan::bench_group(sample_count = 10, sample_size = 1)]
mod page_1m {
    use super::*;

    fn registry() -> Tally {
        super::tally(1_000_000, true)
    }

    #[divan::bench]
    fn page_json(b: Bencher) {
        let r = registry();
        let mut out = Vec::new();
        b.bench_local(|| {
            out.clear();
            tally::encoding::encode_page_json(&r.registry.snapshot(), &mut out);
            out.len()
        });
    }

    #[divan::bench]
    fn page_json_gzip(b: Bencher) {
        let r = registry();
        let mut out = Vec::new();
        b.bench_local(|| {
            out.clear();
            tally::encoding::encode_page_json(&r.registry.snapshot(), &mut out);
            gzip(&out).len()
        });
    }

    #[divan::bench]
    fn text_gzip(b: Bencher) {
        let r = registry();
        let mut out = Vec::new();
        b.bench_local(|| {
            r.encode(&mut out);
            gzip(&out).len()
        });
    }
}
