//! Every server and handler setting is either valid or an `Err` when the
//! server starts: extreme values never panic, overflow, or make a
//! connection fail later.

#![cfg(feature = "http")]

mod http_support;

use std::sync::Arc;
use std::time::Duration;

use http_support::hostile::threads_named;
use http_support::*;
use tally_core::{Counter, Desc, Registry};
use tally_export::{
    Handler, HandlerConfig, ServeError, ServeOptions, Server, ServerBuilder, MAX_TIMEOUT,
};

fn handler(config: HandlerConfig) -> Handler {
    let registry = Arc::new(Registry::new());
    registry
        .register(
            Desc::new("config_demo_total", "Demo."),
            Counter::<()>::new(),
        )
        .unwrap()
        .add(2);
    Handler::with_config(registry, config).unwrap()
}

fn builder() -> ServerBuilder {
    Server::builder()
        .bind("127.0.0.1:0")
        .handler(handler(HandlerConfig::default()))
}

#[track_caller]
fn assert_config_err(result: Result<tally_export::ServerHandle, ServeError>, setting: &str) {
    match result {
        Err(ServeError::Config { setting: s, .. }) if s == setting => {}
        Err(other) => panic!("{setting}: wrong error {other}"),
        Ok(_) => panic!("{setting}: accepted"),
    }
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
fn out_of_range_server_settings_are_errors_at_start() {
    let _serial = serial();
    assert_config_err(
        builder()
            .options(ServeOptions::default().read_timeout(Duration::MAX))
            .start(),
        "read_timeout",
    );
    assert_config_err(
        builder()
            .options(ServeOptions::default().read_timeout(Duration::ZERO))
            .start(),
        "read_timeout",
    );
    assert_config_err(
        builder()
            .options(ServeOptions::default().read_timeout(MAX_TIMEOUT + Duration::from_nanos(1)))
            .start(),
        "read_timeout",
    );
    assert_config_err(
        builder()
            .options(ServeOptions::default().write_timeout(Duration::MAX))
            .start(),
        "write_timeout",
    );
    assert_config_err(
        builder()
            .options(ServeOptions::default().write_timeout(Duration::from_nanos(1)))
            .start(),
        "write_timeout",
    );
    assert_config_err(
        builder()
            .options(ServeOptions::default().max_connections(0))
            .start(),
        "max_connections",
    );
    let message = builder()
        .options(ServeOptions::default().read_timeout(Duration::MAX))
        .start()
        .unwrap_err()
        .to_string();
    assert!(message.contains("read_timeout"), "{message}");
}

#[test]
fn the_extremes_of_the_valid_ranges_serve() {
    let _serial = serial();
    let servers = [
        builder().options(
            ServeOptions::default()
                .read_timeout(MAX_TIMEOUT)
                .write_timeout(MAX_TIMEOUT),
        ),
        builder().options(
            ServeOptions::default()
                .read_timeout(Duration::from_secs(2))
                .write_timeout(Duration::from_millis(1)),
        ),
        builder().options(ServeOptions::default().max_connections(usize::MAX)),
        builder().options(ServeOptions::default().max_connections(1)),
    ];
    for server in servers {
        let server = server.start().unwrap();
        let addr = server.local_addr();
        let reply = get(addr, "/metrics", &[]);
        assert_eq!(reply.status, 200);
        assert!(reply.text().contains("config_demo_total 2\n"));
        assert_eq!(get(addr, "/-/healthy", &[]).status, 200);
        server.shutdown();
    }
}

#[test]
fn extreme_handler_settings_serve_with_bounded_threads() {
    let _serial = serial();
    let configs = [
        HandlerConfig::default().max_concurrent_scrapes(usize::MAX),
        HandlerConfig::default().max_concurrent_scrapes(0),
        HandlerConfig::default().max_held_response_bytes(0),
        HandlerConfig::default().max_held_response_bytes(usize::MAX),
    ];
    for config in configs {
        let server = Server::builder()
            .bind("127.0.0.1:0")
            .handler(handler(config.clone()))
            .start()
            .unwrap();
        let addr = server.local_addr();
        // Concurrent scrapes of every variant, so encodings overlap.
        let scrapers: Vec<_> = (0..24)
            .map(|i| {
                std::thread::spawn(move || {
                    let accept = ["*/*", PROMETHEUS_ACCEPT, "application/json"][i % 3];
                    let encoding = ["gzip", "identity"][i % 2];
                    let reply = get(
                        addr,
                        "/metrics",
                        &[("Accept", accept), ("Accept-Encoding", encoding)],
                    );
                    reply.status
                })
            })
            .collect();
        for scraper in scrapers {
            let status = scraper.join().unwrap();
            assert!(status == 200 || status == 503, "{config:?}: {status}");
        }
        assert_eq!(get(addr, "/metrics", &[]).status, 200, "{config:?}");
        // The server thread and at most 16 encoding threads.
        let threads = threads_named("tally-http");
        assert!(threads <= 17, "{config:?}: {threads} threads");
        server.shutdown();
    }
}
