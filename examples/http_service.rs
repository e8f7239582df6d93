//! A real HTTP service instrumented with tally: a small axum API whose
//! every request is timed and counted by tally's HTTP layer, serving its
//! own metrics (with process and build metrics) on the same port.
//!
//! ```sh
//! cargo run --release --example http_service              # serve until Ctrl-C
//! cargo run --release --example http_service -- --load    # ... and generate traffic
//! cargo run --example http_service -- --addr 127.0.0.1:0 --load --duration 5s
//! ```
//!
//! It prints the URLs to open and a `prometheus.yml` snippet. `/metrics`
//! answers curl and browsers with Prometheus text (Prometheus itself
//! negotiates OpenMetrics, or protobuf with native histograms);
//! `/debug/vars` is the same registry as JSON.
//!
//! What to read:
//! - `app`: the instrumentation is three lines. `tally::HttpMetricsLayer`
//!   records `http_server_requests_total{method, status, route}`,
//!   `http_server_request_duration_seconds`, `http_server_active_requests`
//!   and the body sizes for every route; every label is bounded (the
//!   route is axum's route template in a runtime-bounded label, unknown
//!   paths are `unmatched`), so a client cannot grow a family.
//!   `tally::axum_router` serves the registry.
//! - `summary_line`: the values read back from a registry snapshot by
//!   name and labels (what a test does too).
//! - `main`: the application's router and `tally::axum_router`, served by
//!   `tally::http::serve_axum` (timeouts, connection cap, bounded graceful
//!   shutdown).
//!
//! Flags: `--addr HOST:PORT` (default `127.0.0.1:8080`; port 0 picks a
//! free one), `--load` (spawn a load generator hitting the API over
//! loopback), `--duration 5s` (exit after that long; default: run until
//! Ctrl-C or SIGTERM). It shuts down gracefully (in-flight requests
//! finish) and prints one `summary:` line.

use std::collections::VecDeque;
use std::error::Error;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{self, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use tally::http::Handler;
use tally::Registry;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

// ---------------------------------------------------------------------
// The application: an in-memory item list. Nothing here knows metrics.
// ---------------------------------------------------------------------

#[derive(Clone, Serialize)]
struct Item {
    id: u64,
    name: String,
}

#[derive(Deserialize)]
struct NewItem {
    name: String,
}

/// The most recent items (older ones are forgotten, so a long load run
/// stays small).
#[derive(Default)]
struct Items {
    next_id: u64,
    recent: VecDeque<Item>,
}

const KEPT_ITEMS: usize = 100;

type AppState = Arc<Mutex<Items>>;

async fn list_items(State(items): State<AppState>) -> Json<Vec<Item>> {
    let items = items.lock().unwrap();
    Json(items.recent.iter().rev().take(20).cloned().collect())
}

async fn create_item(
    State(items): State<AppState>,
    Json(new): Json<NewItem>,
) -> Result<(StatusCode, Json<Item>), (StatusCode, &'static str)> {
    if new.name.trim().is_empty() {
        return Err((StatusCode::UNPROCESSABLE_ENTITY, "name is empty\n"));
    }
    let mut items = items.lock().unwrap();
    items.next_id += 1;
    let item = Item {
        id: items.next_id,
        name: new.name,
    };
    if items.recent.len() == KEPT_ITEMS {
        items.recent.pop_front();
    }
    items.recent.push_back(item.clone());
    Ok((StatusCode::CREATED, Json(item)))
}

async fn get_item(State(items): State<AppState>, Path(id): Path<u64>) -> Response {
    let items = items.lock().unwrap();
    match items.recent.iter().find(|item| item.id == id) {
        Some(item) => Json(item.clone()).into_response(),
        None => (StatusCode::NOT_FOUND, "no such item\n").into_response(),
    }
}

/// Why a call to the upstream failed (its variant is the `error_kind`
/// label of `function_calls_errors_total`).
#[derive(tally::LabelValue, Clone, Copy, Debug)]
enum UpstreamError {
    Timeout,
}

/// A dependency with a long tail: 10-200 ms, and 1 call in 20 fails.
/// Instrumented: calls by result, errors by kind, latency (across the
/// await) and calls in flight, with an objective the generated rules at
/// `/-/rules.yml` alert on.
#[tally::instrument(objective(
    success = 95,
    latency = "250ms",
    latency_target = 90,
    window = "1h"
))]
async fn call_upstream() -> Result<u64, UpstreamError> {
    let (delay, fail) = {
        let mut rng = rand::rng();
        (rng.random_range(10..=200), rng.random_ratio(1, 20))
    };
    tokio::time::sleep(Duration::from_millis(delay)).await;
    if fail {
        Err(UpstreamError::Timeout)
    } else {
        Ok(delay)
    }
}

async fn slow() -> Response {
    match call_upstream().await {
        Ok(delay) => format!("done in {delay} ms\n").into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "upstream timed out\n").into_response(),
    }
}

/// Prometheus recording and alerting rules for the objectives declared
/// so far (an instrumented function joins on its first call).
async fn slo_rules() -> String {
    tally::rules::SloRules::from_registry(Registry::global()).to_yaml()
}

/// A Grafana dashboard of every family in the registry.
async fn grafana_dashboard() -> Json<serde_json::Value> {
    Json(tally::dashboard::dashboard(
        Registry::global(),
        &tally::dashboard::DashboardOptions::default(),
    ))
}

fn app() -> Result<Router, Box<dyn Error>> {
    let registry = Registry::global();
    // The HTTP server families, for every route below (and 404s).
    let http = tally::HttpMetricsLayer::new(registry)?;
    // process_* (CPU, memory, file descriptors, threads, start time) and
    // http_service_build_info{version, revision, rustc}.
    tally::collectors::register_process_metrics(registry)?;
    tally::collectors::register_build_info!(registry, "http_service")?;
    // tokio_* (workers, alive tasks, queue depth, busy time): feature `tokio`.
    #[cfg(feature = "tokio")]
    tally::collectors::register_tokio_metrics(registry, &tokio::runtime::Handle::current())?;
    // `/metrics`, `/debug/vars` and `/-/healthy`.
    let metrics = tally::axum_router(Arc::new(Handler::new(registry)?));
    Ok(Router::new()
        .route("/api/items", get(list_items).post(create_item))
        .route("/api/items/{id}", get(get_item))
        .route("/api/slow", get(slow))
        .route("/-/rules.yml", get(slo_rules))
        .route("/-/dashboard.json", get(grafana_dashboard))
        .with_state(AppState::default())
        .merge(metrics)
        .layer(http)) // last, so it wraps every route and the 404 fallback
}

// ---------------------------------------------------------------------
// Running it: flags, banner, load generator, shutdown, summary.
// ---------------------------------------------------------------------

const USAGE: &str = "usage: http_service [--addr HOST:PORT] [--load] [--duration 5s]";

struct Args {
    addr: SocketAddr,
    load: bool,
    duration: Option<Duration>,
}

impl Args {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
        let mut parsed = Args {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            load: false,
            duration: None,
        };
        while let Some(arg) = args.next() {
            let mut value = || args.next().ok_or(format!("{arg} needs a value"));
            match arg.as_str() {
                "--addr" => {
                    let v = value()?;
                    parsed.addr = v.parse().map_err(|e| format!("--addr {v}: {e}"))?;
                }
                "--load" => parsed.load = true,
                "--duration" => parsed.duration = Some(parse_duration(&value()?)?),
                "-h" | "--help" => return Err(String::new()),
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        Ok(parsed)
    }
}

/// `500ms`, `5s`, `2m`, `1h`, or plain seconds.
fn parse_duration(s: &str) -> Result<Duration, String> {
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let n: u64 = number.parse().map_err(|_| format!("bad duration {s:?}"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "" | "s" => Ok(Duration::from_secs(n)),
        "m" | "min" => Ok(Duration::from_secs(n * 60)),
        "h" => Ok(Duration::from_secs(n * 3600)),
        _ => Err(format!("bad duration {s:?} (use ms, s, m or h)")),
    }
}

fn print_banner(bound: SocketAddr) {
    println!("http_service listening on http://{bound}");
    // Bound to every interface (`--addr 0.0.0.0:8080`): show loopback URLs;
    // Prometheus on another host needs this host's name in `targets`.
    let mut addr = bound;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    println!("  API         http://{addr}/api/items  (POST /api/items, GET /api/items/{{id}}, GET /api/slow)");
    println!("  metrics     http://{addr}/metrics");
    println!("  debug vars  http://{addr}/debug/vars");
    println!("  live page   http://{addr}/-/metrics  (open in a browser)");
    println!("  health      http://{addr}/-/healthy");
    println!("  SLO rules   http://{addr}/-/rules.yml  (for Prometheus' rule_files)");
    println!("  dashboard   http://{addr}/-/dashboard.json  (import into Grafana)");
    println!();
    println!("Point Prometheus at it (prometheus.yml):");
    println!();
    println!("scrape_configs:");
    println!("  - job_name: http_service");
    println!("    scrape_interval: 5s");
    println!("    static_configs:");
    println!("      - targets: [\"{addr}\"]");
    println!();
}

/// One load-generator worker: a keep-alive connection sending a mix of
/// requests (some of them 4xx on purpose) a few milliseconds apart.
async fn load_worker(addr: SocketAddr, seed: u64) -> Result<(), Box<dyn Error + Send + Sync>> {
    let mut rng = SmallRng::seed_from_u64(seed);
    loop {
        let stream = TcpStream::connect(addr).await?;
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        // A new connection now and then, like real clients.
        for n in 0..500u64 {
            let (method, path, body) = match rng.random_range(0..100) {
                0..50 => ("GET", "/api/items".to_string(), String::new()),
                50..68 => (
                    "POST",
                    "/api/items".to_string(),
                    format!(r#"{{"name":"item {seed}-{n}"}}"#),
                ),
                68..70 => ("POST", "/api/items".to_string(), r#"{"name":""}"#.into()),
                70..85 => {
                    let id = rng.random_range(1..=60 * (n + 1));
                    ("GET", format!("/api/items/{id}"), String::new())
                }
                85..93 => ("GET", "/api/slow".to_string(), String::new()),
                93..98 => ("GET", format!("/no/such/page/{n}"), String::new()),
                _ => ("DELETE", "/api/items".to_string(), String::new()),
            };
            let request = http::Request::builder()
                .method(method)
                .uri(path)
                .header(http::header::HOST, addr.to_string())
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(Full::new(Bytes::from(body)))?;
            let response = sender.send_request(request).await?;
            response.into_body().collect().await?;
            tokio::time::sleep(Duration::from_millis(rng.random_range(2..10))).await;
        }
    }
}

/// Every few seconds while the load runs: how the numbers move.
async fn report_progress() {
    let mut ticker = tokio::time::interval(Duration::from_secs(2));
    ticker.tick().await;
    loop {
        ticker.tick().await;
        println!("{}", summary_line("load:"));
    }
}

/// One line read back from the registry (the same values a scrape shows).
fn summary_line(title: &str) -> String {
    let s = Registry::global().snapshot();
    let requests = |status| {
        s.sum("http_server_requests_total", &[("status", status)])
            .unwrap_or(0.0)
    };
    let total = s.sum("http_server_requests_total", &[]).unwrap_or(0.0);
    let bytes: f64 = s
        .find_all("http_server_response_body_size_bytes", &[])
        .iter()
        .filter_map(|series| series.sum())
        .sum();
    let p99_ms = |route| {
        s.find(
            "http_server_request_duration_seconds",
            &[("method", "GET"), ("route", route)],
        )
        .and_then(|series| series.quantile(0.99))
        .map_or(0.0, |seconds| seconds * 1e3)
    };
    format!(
        "{title} {total} requests (2xx {}, 4xx {}, 5xx {}), p99 /api/items {:.2} ms, p99 /api/slow {:.1} ms, {bytes} response bytes, {} in flight",
        requests("2xx"),
        requests("4xx"),
        requests("5xx"),
        p99_ms("/api/items"),
        p99_ms("/api/slow"),
        s.sum("http_server_active_requests", &[]).unwrap_or(0.0),
    )
}

/// Ctrl-C, or SIGTERM (what `docker stop` and Kubernetes send).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) if message.is_empty() => {
            println!("{USAGE}");
            return Ok(());
        }
        Err(message) => {
            eprintln!("{message}\n{USAGE}");
            std::process::exit(2);
        }
    };
    let app = app()?;
    let listener = TcpListener::bind(args.addr).await?;
    let addr = listener.local_addr()?;
    print_banner(addr);

    let mut background = JoinSet::new();
    if args.load {
        println!("load generator: 2 workers hitting http://{addr}/api/...");
        for seed in 0..2 {
            background.spawn(async move {
                if let Err(e) = load_worker(addr, seed).await {
                    eprintln!("load worker {seed} stopped: {e}");
                }
            });
        }
        background.spawn(report_progress());
    }
    match args.duration {
        Some(d) => println!("stopping in {d:?}"),
        None => println!("Ctrl-C (or SIGTERM) to stop"),
    }

    let stop = async move {
        let timer = async {
            match args.duration {
                Some(duration) => tokio::time::sleep(duration).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = timer => {}
            _ = shutdown_signal() => {}
        }
        // Stop the load first so graceful shutdown has nothing to wait for.
        background.shutdown().await;
    };
    // Timeouts, a connection cap and a bounded graceful shutdown: a
    // client that never finishes its request cannot hold the exit.
    tally::http::serve_axum(listener, app, tally::http::ServeOptions::default(), stop).await?;
    // A connection task drops the request its (aborted) client left a
    // moment after the server returns.
    for _ in 0..100 {
        let s = Registry::global().snapshot();
        if s.sum("http_server_active_requests", &[]) == Some(0.0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    println!("{}", summary_line("summary:"));
    Ok(())
}
