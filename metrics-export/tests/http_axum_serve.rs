//! `serve_axum`: an axum application served with the standalone
//! server's protections. Graceful shutdown is bounded even with a client
//! that never finishes its request, idle and slowloris connections do
//! not lock scrapers out, and invalid options are an `Err`.
#![cfg(feature = "axum")]

mod http_support;

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use http_support::hostile::{try_get, Tally};
use http_support::*;
use tally_core::{Counter, Desc, Registry};
use tally_export::{axum_router, serve_axum, Handler, ServeError, ServeOptions};

/// An application (`/hello`, `/slow` taking 30 s, and the metrics
/// routes) served by `serve_axum` on its own runtime thread; `stop()`
/// triggers shutdown, the thread returns what `serve_axum` returned.
struct App {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<Result<(), ServeError>>>,
}

impl App {
    fn start(options: ServeOptions) -> App {
        let registry = Arc::new(Registry::new());
        registry
            .register(Desc::new("axum_serve_total", "Demo."), Counter::<()>::new())
            .unwrap()
            .add(6);
        let app: axum::Router = axum::Router::new()
            .route("/hello", axum::routing::get(|| async { "hello" }))
            .route(
                "/slow",
                axum::routing::get(|| async {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    "slow"
                }),
            )
            .merge(axum_router(Arc::new(Handler::new(registry).unwrap())));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            let served = runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let stop = async move {
                    let _ = stopped.await;
                };
                serve_axum(listener, app, options, stop).await
            });
            runtime.shutdown_timeout(Duration::from_millis(100));
            served
        });
        App {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Triggers shutdown; how long `serve_axum` took to return.
    fn stop(mut self) -> Duration {
        let started = Instant::now();
        let _ = self.stop.take().unwrap().send(());
        self.thread.take().unwrap().join().unwrap().unwrap();
        started.elapsed()
    }
}

impl Drop for App {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[test]
fn shutdown_is_bounded_with_a_stalled_request_and_a_slow_handler() {
    let app = App::start(
        ServeOptions::default()
            .read_timeout(Duration::from_secs(30))
            .shutdown_timeout(Duration::from_secs(1)),
    );
    let addr = app.addr;
    assert_eq!(get(addr, "/hello", &[]).text(), "hello");
    // A request head that never completes (the read timeout is 30 s) ...
    let mut stalled = TcpStream::connect(addr).unwrap();
    stalled
        .write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\nX-Never: ends")
        .unwrap();
    // ... and a request whose handler takes 30 s.
    let mut slow = TcpStream::connect(addr).unwrap();
    slow.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let took = app.stop();
    assert!(took < Duration::from_secs(3), "shutdown took {took:?}");
    assert!(TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err());
}

#[test]
fn idle_and_slowloris_connections_do_not_lock_out_scrapes() {
    let app = App::start(ServeOptions::default().max_connections(32));
    let addr = app.addr;
    // 100 connections at once: idle ones, and ones trickling a head.
    let mut held: Vec<TcpStream> = (0..100)
        .map(|i| {
            let mut stream = TcpStream::connect(addr).unwrap();
            if i % 2 == 0 {
                let _ = stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n");
            }
            stream
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let (mut metrics, mut health) = (Tally::default(), Tally::default());
    for round in 0..50 {
        metrics.record(try_get(addr, "/metrics", Duration::from_secs(5)));
        health.record(try_get(addr, "/-/healthy", Duration::from_secs(5)));
        // Keep the trickle going, and keep opening idle connections.
        for stream in held.iter_mut().step_by(2) {
            let _ = stream.write_all(b"a");
        }
        if round % 5 == 0 {
            held.push(TcpStream::connect(addr).unwrap());
        }
    }
    assert_eq!(metrics.ok, metrics.total, "{metrics:?}");
    assert_eq!(health.ok, health.total, "{health:?}");
    let text = get(addr, "/metrics", &[]).text();
    assert!(text.contains("axum_serve_total 6\n"), "{text}");
    drop(held);
    assert!(app.stop() < Duration::from_secs(3));
}

#[test]
fn invalid_options_are_an_error() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let cases = [
        (
            ServeOptions::default().read_timeout(Duration::MAX),
            "read_timeout",
        ),
        (
            ServeOptions::default().write_timeout(Duration::ZERO),
            "write_timeout",
        ),
        (
            ServeOptions::default().max_connections(0),
            "max_connections",
        ),
        (
            ServeOptions::default().shutdown_timeout(Duration::MAX),
            "shutdown_timeout",
        ),
    ];
    for (options, setting) in cases {
        let result = runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            serve_axum(
                listener,
                axum::Router::new(),
                options,
                std::future::pending(),
            )
            .await
        });
        match result {
            Err(ServeError::Config { setting: s, .. }) => assert_eq!(s, setting),
            other => panic!("{setting}: {other:?}"),
        }
    }
}
