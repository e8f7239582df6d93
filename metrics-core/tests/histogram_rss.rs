//! Histogram memory as the operating system counts it: a child process
//! (this test binary, run again for one ignored test, so nothing else
//! shares its heap) starts `N` writer threads, and each records values
//! spanning 50 us..500 ms into every series of 16 families of 18 series.
//! Its resident anonymous memory (`RssAnon` in `/proc/self/status`) grows
//! by at most 3 KB per series per writer thread, and agrees within 10%
//! with what a counting allocator saw allocated meanwhile (so
//! `heap_bytes()`, which the allocator agrees with, is what a service
//! pays). Linux only (`/proc`).
#![cfg(target_os = "linux")]

mod common;

use std::process::Command;
use std::sync::{Arc, Barrier};

use common::{Method, Status};
use tally_core::__test_hooks::{rss_anon_bytes, CountingAlloc};
use tally_core::{Histogram, LabelValue};

#[global_allocator]
static ALLOCATOR: CountingAlloc = CountingAlloc;

const FAMILIES: usize = 16;
const SERIES: usize = 18;
const CHILD_ENV: &str = "TALLY_RSS_CHILD_THREADS";

/// `RssAnon` of this process, in bytes.
fn rss_anon() -> i64 {
    rss_anon_bytes().expect("RssAnon in /proc/self/status") as i64
}

/// The 401 values of the memory tests: 50 us..500 ms, every page of the
/// range touched.
fn latencies() -> impl Iterator<Item = u64> {
    (0..=400).map(|i| (50_000.0 * 10f64.powf(i as f64 / 100.0)) as u64)
}

fn record_every_series(h: &Histogram<(Method, Status)>) {
    for s in 0..SERIES {
        let labels = (
            Method::from_ordinal(s / 3).unwrap(),
            Status::from_ordinal(s % 3).unwrap(),
        );
        for v in latencies() {
            h.with(labels).record(v);
        }
    }
}

/// Runs in the child: prints `rss=<bytes> counted=<bytes>`, the growth
/// per series per writer thread.
#[test]
#[ignore = "run as a child process by histogram_memory_as_the_os_counts_it"]
fn rss_child() {
    let threads: usize = match std::env::var(CHILD_ENV) {
        Ok(v) => v.parse().unwrap(),
        Err(_) => return,
    };
    // Base pages only: with transparent huge pages set to "always", a
    // fault could map 2 MiB at once and RSS would measure the kernel's
    // page size, not the heap.
    // SAFETY: PR_SET_THP_DISABLE takes plain integers and touches no
    // memory of this process.
    unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
    // Every writer owns a block, as on a machine with 64 CPUs.
    assert!(tally_core::__test_hooks::force_cpus(64));
    let families: Vec<Histogram<(Method, Status)>> =
        (0..FAMILIES).map(|_| Histogram::new()).collect();
    let families = Arc::new(families);
    // Warm-up, then measured recording, then measure while the writers
    // are still alive (their blocks are theirs until they exit).
    let warmed = Arc::new(Barrier::new(threads + 1));
    let go = Arc::new(Barrier::new(threads + 1));
    let done = Arc::new(Barrier::new(threads + 1));
    let measured = Arc::new(Barrier::new(threads + 1));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (families, warmed, go, done, measured) = (
                families.clone(),
                warmed.clone(),
                go.clone(),
                done.clone(),
                measured.clone(),
            );
            std::thread::spawn(move || {
                // The thread's own costs, outside the measurement: its
                // malloc arena, its thread slot, the recording code's
                // stack, in a family not measured.
                let warm = Histogram::<(Method, Status)>::new();
                record_every_series(&warm);
                warmed.wait();
                go.wait();
                for family in families.iter() {
                    record_every_series(family);
                }
                done.wait();
                measured.wait();
                drop(warm);
            })
        })
        .collect();
    warmed.wait();
    let (rss_before, live_before) = (rss_anon(), CountingAlloc::live());
    go.wait();
    done.wait();
    let (rss_after, live_after) = (rss_anon(), CountingAlloc::live());
    measured.wait();
    for h in handles {
        h.join().unwrap();
    }
    let total: u64 = families
        .iter()
        .map(|f| {
            (0..SERIES)
                .map(|s| {
                    f.with((
                        Method::from_ordinal(s / 3).unwrap(),
                        Status::from_ordinal(s % 3).unwrap(),
                    ))
                    .snapshot()
                    .count()
                })
                .sum::<u64>()
        })
        .sum();
    assert_eq!(
        total,
        (FAMILIES * SERIES * threads) as u64 * latencies().count() as u64
    );
    let per = (FAMILIES * SERIES * threads) as f64;
    let rss = (rss_after as f64 - rss_before as f64) / per;
    let counted = (live_after - live_before) as f64 / per;
    println!("\nrss={rss:.0} counted={counted:.0}");
}

/// Runs the child with `threads` writers; its (RSS, counted) bytes per
/// series per writer thread.
fn child(threads: usize) -> (f64, f64) {
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "rss_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, threads.to_string())
        .output()
        .expect("the test binary runs again");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "child failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let line = stdout
        .lines()
        .find(|l| l.starts_with("rss="))
        .unwrap_or_else(|| panic!("no result line in: {stdout}"));
    let field = |name: &str| -> f64 {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(name))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {line}"))
    };
    (field("rss="), field("counted="))
}

#[test]
fn histogram_memory_as_the_os_counts_it() {
    for threads in [1, 16] {
        let (rss, counted) = child(threads);
        println!(
            "{threads} writer thread(s): RssAnon growth {rss:.0} B, counting allocator {counted:.0} B \
             per series per writer thread"
        );
        assert!(
            rss <= 3000.0,
            "{threads} threads: {rss:.0} B of RssAnon per series"
        );
        assert!(
            (rss - counted).abs() <= 0.1 * counted,
            "{threads} threads: RssAnon {rss:.0} B vs counted {counted:.0} B per series"
        );
    }
}
