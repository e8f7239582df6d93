//! Prometheus remote write 1.0 against real receivers started on loopback
//! by the test: Prometheus 2.42 with `--web.enable-remote-write-receiver`
//! and VictoriaMetrics' `/api/v1/write`. Every sample line of the
//! registry's text exposition (counters with awkward label values, a
//! negative float gauge, classic buckets, quantiles, an info family) is
//! queried back by its own selector and has exactly the pushed value;
//! no series more, none less.
//!
//! Binaries: `$TALLY_PROMETHEUS` or `/usr/bin/prometheus`,
//! `$TALLY_VICTORIA_METRICS` or `/usr/bin/victoria-metrics`.
//! `TALLY_SKIP_INTEROP=1` skips the tests explicitly.
#![cfg(feature = "push")]

mod push_support;

use std::fs;
use std::sync::Arc;
use std::time::Duration;

use push_support::{binary, free_port, http_get, skip, temp_dir, url_encode, wait_for, Process};
use serde_json::Value;
use tally_core::{
    Counter, Desc, FloatGauge, Histogram, HistogramConfig, Info, LabelDesc, LabelValue, Registry,
    Unit,
};
use tally_export::{Pusher, RemoteWrite};

const DEADLINE: Duration = Duration::from_secs(60);

#[derive(Clone, Copy, Debug)]
enum Zone {
    Plain,
    Quoted,
    Unicode,
}

impl LabelValue for Zone {
    const NAME: &'static str = "zone";
    const VALUES: &'static [&'static str] = &["eu-west", "say \"hi\" \\ bye", "héllo ✓"];
    fn ordinal(&self) -> usize {
        *self as usize
    }
    fn from_ordinal(ordinal: usize) -> Option<Self> {
        [Zone::Plain, Zone::Quoted, Zone::Unicode]
            .get(ordinal)
            .copied()
    }
}

static BUILD: LabelDesc = LabelDesc {
    names: &["version"],
    values: &[&["1.4.2"]],
    dynamic: &[],
};

/// The `rw_*` families with known values.
fn registry() -> Arc<Registry> {
    let registry = Arc::new(Registry::new());
    let requests = registry
        .register(
            Desc::new("rw_requests_total", "Requests."),
            Counter::<Zone>::new(),
        )
        .unwrap();
    requests.with(Zone::Plain).add(98765);
    requests.with(Zone::Quoted).add(3);
    requests.with(Zone::Unicode).add(1 << 40);
    registry
        .register(
            Desc::new("rw_balance", "Balance.").with_unit(Unit::new("euros")),
            FloatGauge::<()>::new(),
        )
        .unwrap()
        .set(-1234.5625);
    let latency = registry
        .register(
            Desc::new("rw_latency", "Latency.").with_unit(Unit::SECONDS),
            Histogram::<()>::with_config(
                HistogramConfig::seconds()
                    .with_classic_buckets(&[0.1, 0.2, 0.5, 1.0])
                    .with_quantiles(&[0.5, 0.99]),
            )
            .unwrap(),
        )
        .unwrap();
    for _ in 0..100 {
        latency.record_f64(0.15);
        latency.record_f64(0.4);
    }
    registry
        .register(
            Desc::new("rw_build_info", "Build."),
            Info::new(&BUILD).unwrap(),
        )
        .unwrap();
    registry
}

/// The `rw_*` sample lines of the text exposition: (selector, value).
fn expected(registry: &Registry) -> Vec<(String, f64)> {
    let mut text = Vec::new();
    tally_export::encode_prometheus_text(&registry.snapshot(), &mut text);
    String::from_utf8(text)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("rw_"))
        .map(|l| {
            let (series, value) = l.rsplit_once(' ').unwrap();
            (series.to_owned(), value.parse().unwrap())
        })
        .collect()
}

/// The results of an instant query, once it has some.
fn query(server: &Process, promql: &str) -> Option<Vec<Value>> {
    let (status, body) = http_get(
        server.addr,
        &format!("/api/v1/query?query={}", url_encode(promql)),
    )?;
    if status != 200 {
        return None;
    }
    let json: Value = serde_json::from_str(&body).ok()?;
    let results = json["data"]["result"].as_array()?.clone();
    (!results.is_empty()).then_some(results)
}

/// Pushes the registry to `target` once and checks every series back.
fn push_and_check(server: &Process, target: RemoteWrite, flush: bool) {
    let registry = registry();
    let want = expected(&registry);
    assert!(want.len() > 12, "{want:?}");
    let pusher = Pusher::builder(registry, target)
        .interval(None)
        .final_push(false, Duration::ZERO)
        .start()
        .unwrap();
    let report = pusher.push().expect("remote write accepted");
    assert!((200..300).contains(&report.status), "{report:?}");
    assert_eq!(report.attempts, 1);

    let count = wait_for(DEADLINE, "the pushed series", || {
        if flush {
            let _ = http_get(server.addr, "/internal/force_flush");
        }
        let results = query(server, r#"count({__name__=~"rw_.+",job="tally-rw"})"#)?;
        let n: f64 = results[0]["value"][1].as_str()?.parse().ok()?;
        (n as usize == want.len()).then_some(n)
    });
    assert_eq!(count as usize, want.len());
    for (selector, value) in &want {
        let results = query(server, selector)
            .unwrap_or_else(|| panic!("{selector}: no result; log:\n{}", server.log_tail()));
        assert_eq!(results.len(), 1, "{selector}: {results:?}");
        let got: f64 = results[0]["value"][1].as_str().unwrap().parse().unwrap();
        assert_eq!(got, *value, "{selector}");
        let metric = &results[0]["metric"];
        assert_eq!(metric["job"], "tally-rw", "{selector}: {metric}");
        assert_eq!(metric["instance"], "worker-1", "{selector}: {metric}");
    }
    // The awkward label values arrived as recorded.
    let quoted = query(
        server,
        "rw_requests_total{zone=\"say \\\"hi\\\" \\\\ bye\"}",
    )
    .unwrap();
    assert_eq!(quoted[0]["value"][1], "3");
    let unicode = query(server, "rw_requests_total{zone=\"héllo ✓\"}").unwrap();
    assert_eq!(unicode[0]["value"][1], (1u64 << 40).to_string());
}

fn target(url: &str) -> RemoteWrite {
    RemoteWrite::new(url)
        .unwrap()
        .label("job", "tally-rw")
        .unwrap()
        .label("instance", "worker-1")
        .unwrap()
}

#[test]
fn prometheus_receiver_stores_every_series_exactly() {
    if skip() {
        return;
    }
    let prometheus = binary("TALLY_PROMETHEUS", "/usr/bin/prometheus", "prometheus");
    let dir = temp_dir("prometheus-rw-receiver");
    fs::write(
        dir.join("prometheus.yml"),
        "global:\n  scrape_interval: 1m\n",
    )
    .unwrap();
    let addr = free_port();
    let server = Process::start(
        "prometheus",
        &prometheus,
        &[
            format!("--config.file={}", dir.join("prometheus.yml").display()),
            format!("--storage.tsdb.path={}", dir.join("data").display()),
            format!("--web.listen-address={addr}"),
            "--web.enable-remote-write-receiver".into(),
        ],
        dir,
        addr,
    );
    wait_for(DEADLINE, "prometheus ready", || {
        http_get(addr, "/-/ready").filter(|(s, _)| *s == 200)
    });
    push_and_check(
        &server,
        target(&format!("http://{addr}/api/v1/write")),
        false,
    );
}

#[test]
fn victoria_metrics_stores_every_series_exactly() {
    if skip() {
        return;
    }
    let vm_binary = binary(
        "TALLY_VICTORIA_METRICS",
        "/usr/bin/victoria-metrics",
        "victoria-metrics",
    );
    let addr = free_port();
    let dir = temp_dir("vm-rw");
    let server = Process::start(
        "victoria-metrics",
        &vm_binary,
        &[
            format!("-httpListenAddr={addr}"),
            format!("-storageDataPath={}", dir.join("data").display()),
            "-search.latencyOffset=0s".into(),
            "-search.disableCache".into(),
            "-loggerLevel=WARN".into(),
        ],
        dir,
        addr,
    );
    // A bare URL gets /api/v1/write.
    push_and_check(&server, target(&format!("http://{addr}")), true);
}
