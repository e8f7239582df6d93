//! VictoriaMetrics 1.79.5 (Debian's `victoria-metrics`, started on
//! loopback by the test with a temporary data directory):
//!
//! - tally pushes Prometheus text to `/api/v1/import/prometheus` with an
//!   extra label; `/api/v1/query` returns the exact counter, a
//!   `histogram_quantile` over the `_bucket`s in the right bucket and the
//!   HDR quantile within the histogram's precision;
//! - the scale-out path: Prometheus 2.42 in agent mode scrapes tally's
//!   server and remote-writes to `/api/v1/write`; the same queries on
//!   VictoriaMetrics return the recorded values.
//!
//! Binaries: `$TALLY_VICTORIA_METRICS` or `/usr/bin/victoria-metrics`,
//! `$TALLY_PROMETHEUS` or `/usr/bin/prometheus`. `TALLY_SKIP_INTEROP=1`
//! skips the tests explicitly.
#![cfg(feature = "push")]

mod push_support;

use std::fs;
use std::sync::Arc;
use std::time::Duration;

use push_support::{binary, free_port, http_get, skip, temp_dir, url_encode, wait_for, Process};
use serde_json::Value;
use tally_core::{Counter, Desc, Histogram, HistogramConfig, Registry, Unit};
use tally_export::{Handler, Pusher, Server, VictoriaMetrics};

const BOUNDS: &[f64] = &[0.1, 0.2, 0.5, 1.0];
const QUANTILES: &[f64] = &[0.5, 0.99];
const DEADLINE: Duration = Duration::from_secs(60);

fn start_victoria(name: &str) -> Process {
    let binary = binary(
        "TALLY_VICTORIA_METRICS",
        "/usr/bin/victoria-metrics",
        "victoria-metrics",
    );
    let addr = free_port();
    let dir = temp_dir(name);
    Process::start(
        "victoria-metrics",
        &binary,
        &[
            format!("-httpListenAddr={addr}"),
            format!("-storageDataPath={}", dir.join("data").display()),
            // Fresh samples are visible at once (default: after 30 s).
            "-search.latencyOffset=0s".into(),
            "-search.disableCache".into(),
            "-loggerLevel=WARN".into(),
        ],
        dir,
        addr,
    )
}

/// `<prefix>_requests_total` = `requests`, and `<prefix>_latency_seconds`
/// with 100 x 0.15 s and 100 x 0.4 s (classic bounds and p50/p99).
fn registry(prefix: &str, requests: u64) -> Arc<Registry> {
    let registry = Arc::new(Registry::new());
    registry
        .register(
            Desc::new(format!("{prefix}_requests_total"), "Requests."),
            Counter::<()>::new(),
        )
        .unwrap()
        .add(requests);
    let latency = registry
        .register(
            Desc::new(format!("{prefix}_latency"), "Latency.").with_unit(Unit::SECONDS),
            Histogram::<()>::with_config(
                HistogramConfig::seconds()
                    .with_classic_buckets(BOUNDS)
                    .with_quantiles(QUANTILES),
            )
            .unwrap(),
        )
        .unwrap();
    for _ in 0..100 {
        latency.record_f64(0.15);
        latency.record_f64(0.4);
    }
    registry
}

/// The first sample of an instant query, once it exists.
fn query(vm: &Process, promql: &str) -> Option<(Value, f64)> {
    let (status, body) = http_get(
        vm.addr,
        &format!("/api/v1/query?query={}", url_encode(promql)),
    )?;
    if status != 200 {
        return None;
    }
    let json: Value = serde_json::from_str(&body).ok()?;
    let sample = json["data"]["result"].as_array()?.first()?.clone();
    let value = sample["value"][1].as_str()?.parse().ok()?;
    Some((sample, value))
}

fn wait_query(vm: &Process, promql: &str) -> (Value, f64) {
    wait_for(DEADLINE, promql, || {
        // Make freshly ingested rows searchable now.
        let _ = http_get(vm.addr, "/internal/force_flush");
        query(vm, promql)
    })
}

/// The checks both paths share: exact counter, bucket quantiles in the
/// right bucket, HDR quantile within 1% (2 significant digits).
fn check_values(vm: &Process, prefix: &str, requests: f64, selector: &str) {
    let (sample, value) = wait_query(vm, &format!("{prefix}_requests_total{selector}"));
    assert_eq!(value, requests, "{sample}");
    let (_, count) = wait_query(vm, &format!("{prefix}_latency_seconds_count{selector}"));
    assert_eq!(count, 200.0);
    let (_, sum) = wait_query(vm, &format!("{prefix}_latency_seconds_sum{selector}"));
    assert!((sum - 55.0).abs() < 55.0 * 0.01, "sum {sum}");
    let (_, median) = wait_query(
        vm,
        &format!("histogram_quantile(0.5, {prefix}_latency_seconds_bucket{selector})"),
    );
    assert!((0.1..=0.2).contains(&median), "median {median}");
    let (_, p90) = wait_query(
        vm,
        &format!("histogram_quantile(0.9, {prefix}_latency_seconds_bucket{selector})"),
    );
    assert!(p90 > 0.2 && p90 <= 0.5, "p90 {p90}");
    let sel = selector.trim_start_matches('{').trim_end_matches('}');
    let sep = if sel.is_empty() { "" } else { "," };
    let (_, p99) = wait_query(
        vm,
        &format!("{prefix}_latency_quantiles_seconds{{quantile=\"0.99\"{sep}{sel}}}"),
    );
    assert!((p99 - 0.4).abs() <= 0.4 * 0.01, "p99 {p99}");
}

#[test]
fn import_api_returns_exact_counters_and_quantiles() {
    if skip() {
        return;
    }
    let vm = start_victoria("vm-import");
    let target = VictoriaMetrics::new(&format!("http://{}", vm.addr))
        .unwrap()
        .extra_label("instance", "tally-test")
        .unwrap()
        .extra_label("env", "ci")
        .unwrap();
    let registry = registry("vmimport", 98765);
    let pusher = Pusher::builder(registry, target)
        .interval(None)
        .start()
        .unwrap();
    let report = pusher.push().expect("import accepted");
    assert_eq!(report.status, 204);
    check_values(
        &vm,
        "vmimport",
        98765.0,
        r#"{instance="tally-test",env="ci"}"#,
    );
    // The pusher's self-telemetry went along (registered in the registry).
    let (_, failures) = wait_query(
        &vm,
        r#"sum(tally_push_total{outcome!="success"}) or vector(0)"#,
    );
    assert_eq!(failures, 0.0);
}

#[test]
fn prometheus_agent_remote_writes_what_it_scraped() {
    if skip() {
        return;
    }
    let vm = start_victoria("vm-agent");
    let tally = Server::builder()
        .bind("127.0.0.1:0")
        .handler(Handler::new(registry("agentpath", 1234)).unwrap())
        .start()
        .unwrap();
    let prometheus = binary("TALLY_PROMETHEUS", "/usr/bin/prometheus", "prometheus");
    let dir = temp_dir("prometheus-agent");
    let config = format!(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n\
         scrape_configs:\n  - job_name: tally\n    static_configs:\n      - targets: ['{}']\n\
         remote_write:\n  - url: http://{}/api/v1/write\n    queue_config:\n      batch_send_deadline: 1s\n",
        tally.local_addr(),
        vm.addr
    );
    fs::write(dir.join("prometheus.yml"), config).unwrap();
    let addr = free_port();
    let agent = Process::start(
        "prometheus-agent",
        &prometheus,
        &[
            "--enable-feature=agent".into(),
            format!("--config.file={}", dir.join("prometheus.yml").display()),
            format!("--storage.agent.path={}", dir.join("wal").display()),
            format!("--web.listen-address={addr}"),
        ],
        dir,
        addr,
    );
    let (_, up) = wait_for(DEADLINE, "up from the agent", || {
        let _ = http_get(vm.addr, "/internal/force_flush");
        query(&vm, r#"up{job="tally"}"#)
    });
    assert_eq!(up, 1.0, "agent log:\n{}", agent.log_tail());
    check_values(&vm, "agentpath", 1234.0, r#"{job="tally"}"#);
}
