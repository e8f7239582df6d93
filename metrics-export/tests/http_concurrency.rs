//! 50 scrapers at once against a 20k-series registry with the default
//! scrape cap (4): concurrent scrapes of one format share one encoding,
//! so they are served instead of refused. Prints the p99 of successful
//! scrapes and the share of 503s (the closing figures of issue 13).

#![cfg(feature = "http")]

mod http_support;

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use http_support::*;
use tally_core::{Desc, MetricKind, Registry};
use tally_export::{Handler, Server};

const SCRAPERS: usize = 50;
const ROUNDS: usize = 6;

#[test]
fn fifty_concurrent_scrapers_are_served() {
    let registry = Arc::new(Registry::new());
    registry
        .register(
            Desc::new("wide", "20k series."),
            Wide::new(MetricKind::Gauge, 200, 100),
        )
        .unwrap();
    let server = Server::builder()
        .bind("127.0.0.1:0")
        .handler(Handler::new(registry).unwrap())
        .start()
        .unwrap();
    let addr = server.local_addr();
    assert_eq!(get(addr, "/metrics", &[]).status, 200);
    for encoding in ["identity", "gzip"] {
        let (ok, refused, total) = scrape_together(addr, encoding);
        assert_eq!(ok + refused, total, "statuses other than 200 and 503");
        // Scrapes that arrive together share an encoding: none is refused.
        assert_eq!(
            refused, 0,
            "{encoding}: {refused} of {total} scrapes got 503"
        );
    }
}

/// Each round, all scrapers scrape at the same moment with Prometheus'
/// headers; prints the figures, returns (200s, 503s, scrapes).
fn scrape_together(addr: std::net::SocketAddr, encoding: &'static str) -> (usize, usize, usize) {
    let barrier = Arc::new(Barrier::new(SCRAPERS));
    let scrapers: Vec<_> = (0..SCRAPERS)
        .map(|_| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let mut results = Vec::new();
                for _ in 0..ROUNDS {
                    barrier.wait();
                    let started = Instant::now();
                    let headers = [("Accept", PROMETHEUS_ACCEPT), ("Accept-Encoding", encoding)];
                    let reply = get(addr, "/metrics", &headers);
                    results.push((reply.status, started.elapsed()));
                    if reply.status == 200 {
                        assert!(reply
                            .header("content-type")
                            .unwrap()
                            .contains("openmetrics"));
                    }
                }
                results
            })
        })
        .collect();
    let results: Vec<(u16, Duration)> = scrapers
        .into_iter()
        .flat_map(|s| s.join().unwrap())
        .collect();
    let refused = results.iter().filter(|(s, _)| *s == 503).count();
    let mut ok: Vec<Duration> = results
        .iter()
        .filter(|(s, _)| *s == 200)
        .map(|(_, d)| *d)
        .collect();
    ok.sort();
    let p = |q: f64| ok.get(((ok.len() as f64 * q).ceil() as usize).saturating_sub(1));
    eprintln!(
        "{SCRAPERS} scrapers x {ROUNDS} rounds, 20k series, {encoding} ({} build): {} ok, \
         {refused} 503 ({:.0}%), p50 {:?}, p99 {:?} of successful scrapes",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        ok.len(),
        100.0 * refused as f64 / results.len() as f64,
        p(0.5),
        p(0.99),
    );
    (ok.len(), refused, results.len())
}
