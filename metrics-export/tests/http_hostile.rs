//! Hostile clients against the standalone server with its default
//! limits (64 connections, 10 s timeouts): slowloris clients and idle
//! floods must not take `/metrics` or `/-/healthy` down, and the
//! server's sockets and threads stay bounded meanwhile.

#![cfg(feature = "http")]

mod http_support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_support::hostile::*;
use tally_core::{Counter, Desc, Registry};
use tally_export::{Handler, Server, ServerHandle, OVERFLOW_CONNECTIONS};

/// The default connection cap of the server.
const MAX_CONNECTIONS: usize = 64;

fn start() -> (ServerHandle, SocketAddr) {
    let registry = Arc::new(Registry::new());
    registry
        .register(
            Desc::new("hostile_demo_total", "Demo."),
            Counter::<()>::new(),
        )
        .unwrap()
        .add(1);
    let server = Server::builder()
        .bind("127.0.0.1:0")
        .handler(Handler::new(registry).unwrap())
        .start()
        .unwrap();
    let addr = server.local_addr();
    (server, addr)
}

/// Scrapers that each scrape `/metrics` and probe `/-/healthy` in turn
/// for `duration`, as a normal client would (5 s timeout), several at
/// once (under a flood a request waits in the kernel's accept queue
/// first), while the server's sockets and threads are checked.
fn probe_while_attacked(addr: SocketAddr, duration: Duration) -> (Tally, Tally) {
    let probers: Vec<_> = (0..8)
        .map(|_| {
            std::thread::spawn(move || {
                let (mut metrics, mut health) = (Tally::default(), Tally::default());
                let started = Instant::now();
                while started.elapsed() < duration {
                    metrics.record(try_get(addr, "/metrics", Duration::from_secs(5)));
                    health.record(try_get(addr, "/-/healthy", Duration::from_secs(5)));
                }
                (metrics, health)
            })
        })
        .collect();
    let started = Instant::now();
    while started.elapsed() < duration {
        let sockets = server_sockets(addr.port());
        assert!(
            sockets <= MAX_CONNECTIONS + OVERFLOW_CONNECTIONS,
            "the server holds {sockets} sockets"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // The server thread and its encoding threads (at most the scrape
    // cap, 4 by default).
    let threads = threads_named("tally-http");
    assert!(threads <= 1 + 4, "{threads} server threads");
    let (mut metrics, mut health) = (Tally::default(), Tally::default());
    for prober in probers {
        let (m, h) = prober.join().unwrap();
        metrics.merge(m);
        health.merge(h);
    }
    (metrics, health)
}

/// The tests of this file run one at a time (they count the threads of
/// this process, and `cargo test` runs tests in parallel threads).
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[test]
fn slowloris_clients_and_idle_sockets_leave_scrapes_and_health_up() {
    let _serial = serial();
    let limit = raise_fd_limit(8192);
    assert!(
        limit >= 4096,
        "RLIMIT_NOFILE is {limit}: too low for 2,500 sockets"
    );
    let (_server, addr) = start();
    let rss_before = status_kib("VmRSS");
    let attack = Attack::start(
        addr,
        AttackPlan {
            idle: 2000,
            reconnect_idle: false,
            slowloris: 500,
        },
    );
    attack.wait_connects(2500, Duration::from_secs(20));
    let (metrics, health) = probe_while_attacked(addr, Duration::from_secs(4));
    let rss_growth = status_kib("VmRSS").saturating_sub(rss_before);
    let connects = attack.connects.load(std::sync::atomic::Ordering::Relaxed);
    drop(attack);
    eprintln!(
        "slowloris 500 + idle 2000: /metrics {}/{} ok, /-/healthy {}/{} ok, {connects} attack connections, RSS +{rss_growth} KiB",
        metrics.ok, metrics.total, health.ok, health.total
    );
    assert!(metrics.total >= 20, "{metrics:?}");
    assert!(metrics.rate() >= 0.99, "{metrics:?}");
    assert_eq!(health.ok, health.total, "{health:?}");
    // Sockets, tasks and buffers of 2,500 attackers on both ends.
    assert!(rss_growth < 128 << 10, "RSS grew by {rss_growth} KiB");
}

#[test]
fn an_idle_flood_that_reconnects_leaves_scrapes_and_health_up() {
    let _serial = serial();
    let limit = raise_fd_limit(8192);
    assert!(
        limit >= 4096,
        "RLIMIT_NOFILE is {limit}: too low for 2,000 sockets"
    );
    let (_server, addr) = start();
    let attack = Attack::start(
        addr,
        AttackPlan {
            idle: 2000,
            reconnect_idle: true,
            slowloris: 0,
        },
    );
    attack.wait_connects(2000, Duration::from_secs(20));
    // Every connection the server closes comes back at once: the kernel's
    // accept queue stays ~2,000 deep, so each request first waits its
    // turn there (about a second here); none may fail.
    let (metrics, health) = probe_while_attacked(addr, Duration::from_secs(4));
    let connects = attack.connects.load(std::sync::atomic::Ordering::Relaxed);
    drop(attack);
    eprintln!(
        "idle flood 2000 (reconnecting): /metrics {}/{} ok, /-/healthy {}/{} ok, {connects} attack connections",
        metrics.ok, metrics.total, health.ok, health.total
    );
    assert!(metrics.total >= 8, "{metrics:?}");
    assert!(metrics.rate() >= 0.99, "{metrics:?}");
    assert_eq!(health.ok, health.total, "{health:?}");
}
