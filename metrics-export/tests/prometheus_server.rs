//! Interop with a real Prometheus 2.42 server (`/usr/bin/prometheus`, the
//! Debian package): the test starts tally's server and a Prometheus
//! scraping it every second on loopback, then checks what Prometheus
//! stored through its HTTP API.
//!
//! - Without feature flags Prometheus negotiates OpenMetrics: exact
//!   counter value, `histogram_quantile` over classic `_bucket`s.
//! - With `--enable-feature=native-histograms` it negotiates protobuf:
//!   exact counter value and a native histogram series.
//! - With `--enable-feature=exemplar-storage` it keeps the exemplars of
//!   the OpenMetrics exposition: `/api/v1/query_exemplars` returns the
//!   trace ids recorded on the counter and on the histogram.
//!
//! The binary is `$TALLY_PROMETHEUS` or `/usr/bin/prometheus`; a missing
//! binary fails the test. `TALLY_SKIP_INTEROP=1` skips it explicitly.

#![cfg(feature = "http")]

mod http_support;

use std::fs;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_support::get;
use serde_json::Value;
use tally_core::{Counter, Desc, Histogram, HistogramConfig, Registry, Unit};
use tally_export::{Handler, Server, ServerHandle};

/// How long Prometheus gets to start, scrape and answer, per test.
const DEADLINE: Duration = Duration::from_secs(60);
const BUCKETS: &[f64] = &[0.1, 0.2, 0.5, 1.0];
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN_ID: &str = "00f067aa0ba902b7";
const LATENCY_TRACE_ID: &str = "0af7651916cd43dd8448eb211c80319c";

fn skip() -> bool {
    if std::env::var_os("TALLY_SKIP_INTEROP").is_some_and(|v| v == "1") {
        eprintln!("TALLY_SKIP_INTEROP=1: skipping the real-Prometheus test");
        return true;
    }
    false
}

fn prometheus_binary() -> PathBuf {
    let path = std::env::var_os("TALLY_PROMETHEUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/prometheus"));
    assert!(
        path.is_file(),
        "{} not found: this test needs a real Prometheus 2.42 server. Install it with the \
         README's test command (`apt-get install -y prometheus`), point TALLY_PROMETHEUS at a \
         binary, or set TALLY_SKIP_INTEROP=1 to skip the interop tests explicitly.",
        path.display()
    );
    path
}

/// tally's server with `interop_requests_total` = 1234 and
/// `interop_latency_seconds`: 100 values of 0.15 s and 100 of 0.4 s.
fn start_tally() -> ServerHandle {
    let registry = Arc::new(Registry::new());
    let requests = registry
        .register(
            Desc::new("interop_requests_total", "Requests."),
            Counter::<()>::new(),
        )
        .unwrap();
    requests.add(1233);
    requests.add_with_exemplar(1, TRACE_ID, SPAN_ID);
    let latency = registry
        .register(
            Desc::new("interop_latency", "Latency.").with_unit(Unit::SECONDS),
            Histogram::<()>::with_config(HistogramConfig::seconds().with_classic_buckets(BUCKETS))
                .unwrap(),
        )
        .unwrap();
    for _ in 0..100 {
        latency.record_f64(0.15);
    }
    for _ in 0..99 {
        latency.record_f64(0.4);
    }
    latency.record_with_exemplar(400_000_000, LATENCY_TRACE_ID, "");
    Server::builder()
        .bind("127.0.0.1:0")
        .handler(Handler::new(registry).unwrap())
        .start()
        .unwrap()
}

/// A running Prometheus, killed and its directory removed on drop.
struct Prometheus {
    child: Child,
    dir: PathBuf,
    addr: SocketAddr,
}

impl Prometheus {
    /// Prometheus scraping `target` every second, with `--enable-feature=`
    /// `feature` if given.
    fn start(target: SocketAddr, feature: Option<&str>) -> Prometheus {
        let binary = prometheus_binary();
        let dir = std::env::temp_dir().join(format!(
            "tally-prometheus-{}-{}",
            std::process::id(),
            feature.unwrap_or("classic")
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("data")).unwrap();
        let config = format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: tally\n    static_configs:\n      - targets: ['{target}']\n"
        );
        fs::write(dir.join("prometheus.yml"), config).unwrap();
        let addr = free_port();
        let log = fs::File::create(dir.join("prometheus.log")).unwrap();
        let mut command = Command::new(binary);
        command
            .arg(format!(
                "--config.file={}",
                dir.join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address={addr}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        if let Some(feature) = feature {
            command.arg(format!("--enable-feature={feature}"));
        }
        let child = command.spawn().expect("start prometheus");
        Prometheus { child, dir, addr }
    }

    /// The result vector of an instant query, or `None` on any failure.
    fn query(&self, promql: &str) -> Option<Vec<Value>> {
        if std::net::TcpStream::connect(self.addr).is_err() {
            return None;
        }
        let reply = get(
            self.addr,
            &format!("/api/v1/query?query={}", url_encode(promql)),
            &[],
        );
        let json: Value = serde_json::from_slice(&reply.body).ok()?;
        (json["status"] == "success").then(|| json["data"]["result"].as_array().cloned())?
    }

    /// The exemplars Prometheus stored for `promql` over the last hour, or
    /// `None` on any failure.
    fn exemplars(&self, promql: &str) -> Option<Vec<Value>> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_secs();
        let reply = get(
            self.addr,
            &format!(
                "/api/v1/query_exemplars?query={}&start={}&end={}",
                url_encode(promql),
                now - 3600,
                now + 60
            ),
            &[],
        );
        let json: Value = serde_json::from_slice(&reply.body).ok()?;
        (json["status"] == "success").then(|| json["data"].as_array().cloned())?
    }

    /// Polls `promql` until it returns a sample accepted by `check`.
    fn wait_for(&self, promql: &str, started: Instant, check: impl Fn(&Value) -> bool) -> Value {
        let mut last = None;
        while started.elapsed() < DEADLINE {
            if let Some(result) = self.query(promql) {
                if let Some(sample) = result.iter().find(|s| check(s)) {
                    return sample.clone();
                }
                last = Some(result);
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        let log = fs::read_to_string(self.dir.join("prometheus.log")).unwrap_or_default();
        let tail: String = log
            .lines()
            .rev()
            .take(30)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n");
        let targets = get(self.addr, "/api/v1/targets", &[]);
        let targets: Value = serde_json::from_slice(&targets.body).unwrap_or_default();
        let scrape_error = &targets["data"]["activeTargets"][0]["lastError"];
        panic!(
            "`{promql}` never satisfied the check within {DEADLINE:?}; last result: {last:?}\n\
             last scrape error: {scrape_error}\nprometheus log tail:\n{tail}"
        );
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// A loopback address with a port free right now.
fn free_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The float of an instant-vector sample.
fn value(sample: &Value) -> f64 {
    sample["value"][1]
        .as_str()
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN)
}

#[test]
fn prometheus_scrapes_openmetrics_with_classic_histograms() {
    if skip() {
        return;
    }
    let started = Instant::now();
    let tally = start_tally();
    let prometheus = Prometheus::start(tally.local_addr(), None);

    prometheus.wait_for(r#"up{job="tally"}"#, started, |s| value(s) == 1.0);
    let requests = prometheus.wait_for("interop_requests_total", started, |s| value(s).is_finite());
    assert_eq!(value(&requests), 1234.0);
    // Prometheus 2.42 without flags negotiated OpenMetrics.
    prometheus.wait_for(
        r#"tally_scrapes_total{format="openmetrics",code="200"}"#,
        started,
        |s| value(s) >= 1.0,
    );
    // Half the values are 0.15 s (bucket 0.1..0.2], half 0.4 s (0.2..0.5].
    let median = prometheus.wait_for(
        "histogram_quantile(0.5, interop_latency_seconds_bucket)",
        started,
        |s| value(s).is_finite(),
    );
    let median = value(&median);
    assert!((0.1..=0.2).contains(&median), "median {median}");
    let p90 = prometheus.wait_for(
        "histogram_quantile(0.9, interop_latency_seconds_bucket)",
        started,
        |s| value(s).is_finite(),
    );
    let p90 = value(&p90);
    assert!(p90 > 0.2 && p90 <= 0.5, "p90 {p90}");
    let count = prometheus.wait_for("interop_latency_seconds_count", started, |s| {
        value(s).is_finite()
    });
    assert_eq!(value(&count), 200.0);
    eprintln!("classic interop passed in {:?}", started.elapsed());
}

#[test]
fn prometheus_scrapes_protobuf_with_native_histograms() {
    if skip() {
        return;
    }
    let started = Instant::now();
    let tally = start_tally();
    let prometheus = Prometheus::start(tally.local_addr(), Some("native-histograms"));

    prometheus.wait_for(r#"up{job="tally"}"#, started, |s| value(s) == 1.0);
    // Prometheus 2.42 with native histograms negotiated protobuf.
    prometheus.wait_for(
        r#"tally_scrapes_total{format="protobuf",code="200"}"#,
        started,
        |s| value(s) >= 1.0,
    );
    let requests = prometheus.wait_for("interop_requests_total", started, |s| value(s).is_finite());
    assert_eq!(value(&requests), 1234.0);
    // The histogram is stored as one native histogram series.
    let native = prometheus.wait_for("interop_latency_seconds", started, |s| {
        s.get("histogram").is_some()
    });
    let count: f64 = native["histogram"][1]["count"]
        .as_str()
        .and_then(|c| c.parse().ok())
        .unwrap();
    assert_eq!(count, 200.0, "{native}");
    let count = prometheus.wait_for("histogram_count(interop_latency_seconds)", started, |s| {
        value(s).is_finite()
    });
    assert_eq!(value(&count), 200.0);
    let median = prometheus.wait_for(
        "histogram_quantile(0.5, interop_latency_seconds)",
        started,
        |s| value(s).is_finite(),
    );
    let median = value(&median);
    assert!((0.1..=0.25).contains(&median), "native median {median}");
    eprintln!("native interop passed in {:?}", started.elapsed());
}

/// The trace ids tally recorded as exemplars come back from Prometheus'
/// exemplar storage: the counter's (with its span) and the one on the
/// histogram bucket holding 0.4 s.
#[test]
fn prometheus_stores_the_exemplars_tally_exposes() {
    if skip() {
        return;
    }
    let started = Instant::now();
    let tally = start_tally();
    let prometheus = Prometheus::start(tally.local_addr(), Some("exemplar-storage"));
    prometheus.wait_for(r#"up{job="tally"}"#, started, |s| value(s) == 1.0);
    let trace_ids = |promql: &str| -> Vec<(String, String, f64)> {
        prometheus
            .exemplars(promql)
            .unwrap_or_default()
            .iter()
            .flat_map(|series| series["exemplars"].as_array().cloned().unwrap_or_default())
            .map(|e| {
                (
                    e["labels"]["trace_id"].as_str().unwrap_or("").to_owned(),
                    e["labels"]["span_id"].as_str().unwrap_or("").to_owned(),
                    e["value"]
                        .as_str()
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(f64::NAN),
                )
            })
            .collect()
    };
    let mut counter = Vec::new();
    let mut bucket = Vec::new();
    while started.elapsed() < DEADLINE && (counter.is_empty() || bucket.is_empty()) {
        counter = trace_ids("interop_requests_total");
        bucket = trace_ids("interop_latency_seconds_bucket");
        std::thread::sleep(Duration::from_millis(250));
    }
    assert_eq!(counter, [(TRACE_ID.to_owned(), SPAN_ID.to_owned(), 1.0)]);
    assert_eq!(bucket, [(LATENCY_TRACE_ID.to_owned(), String::new(), 0.4)]);
    eprintln!("exemplar interop passed in {:?}", started.elapsed());
}
