//! Pushing to a real Prometheus Pushgateway 1.5.1 (Debian's
//! `prometheus-pushgateway`, started on loopback by the test): a pushed
//! registry appears in the gateway's `/metrics` with the grouping labels
//! (values with `/`, spaces and an empty one, job name with `/`), in text
//! and protobuf; a delete removes it.
//!
//! The binary is `$TALLY_PUSHGATEWAY` or `/usr/bin/prometheus-pushgateway`;
//! `TALLY_SKIP_INTEROP=1` skips the test explicitly.
#![cfg(feature = "push")]

mod push_support;

use std::sync::Arc;
use std::time::Duration;

use push_support::{binary, free_port, http_get, skip, temp_dir, wait_for, Process};
use tally_core::{Counter, Desc, Gauge, Histogram, HistogramConfig, Registry, Unit};
use tally_export::{PushFormat, PushMethod, Pusher, Pushgateway};

const BOUNDS: &[f64] = &[0.1, 0.2, 0.5, 1.0];

fn start_gateway(name: &str) -> Process {
    let binary = binary(
        "TALLY_PUSHGATEWAY",
        "/usr/bin/prometheus-pushgateway",
        "prometheus-pushgateway",
    );
    let addr = free_port();
    Process::start(
        "pushgateway",
        &binary,
        &[format!("--web.listen-address={addr}")],
        temp_dir(name),
        addr,
    )
}

/// A registry with `batch_records_total` = `records`, a gauge and a
/// histogram of 10 x 0.15 s and 10 x 0.4 s.
fn registry(records: u64) -> Arc<Registry> {
    let registry = Arc::new(Registry::new());
    registry
        .register(
            Desc::new("batch_records_total", "Records."),
            Counter::<()>::new(),
        )
        .unwrap()
        .add(records);
    registry
        .register(Desc::new("batch_workers", "Workers."), Gauge::<()>::new())
        .unwrap()
        .set(-3);
    let latency = registry
        .register(
            Desc::new("batch_step", "Step time.").with_unit(Unit::SECONDS),
            Histogram::<()>::with_config(HistogramConfig::seconds().with_classic_buckets(BOUNDS))
                .unwrap(),
        )
        .unwrap();
    for _ in 0..10 {
        latency.record_f64(0.15);
        latency.record_f64(0.4);
    }
    registry
}

/// The samples of `name` (exact metric name) in the gateway's exposition,
/// as (labels text, value).
fn samples(gateway: &Process, name: &str) -> Vec<(String, String)> {
    let (status, body) = http_get(gateway.addr, "/metrics").expect("gateway /metrics");
    assert_eq!(status, 200);
    body.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            let (n, labels) = series.split_once('{').unwrap_or((series, ""));
            (n == name).then(|| (labels.trim_end_matches('}').to_owned(), value.to_owned()))
        })
        .collect()
}

#[test]
fn text_push_appears_with_grouping_labels_and_delete_removes_it() {
    if skip() {
        return;
    }
    let gateway = start_gateway("pushgateway-text");
    let url = format!("http://{}", gateway.addr);
    let target = Pushgateway::new(&url, "nightly/etl")
        .unwrap()
        .grouping("instance", "worker/1")
        .unwrap()
        .grouping("region", "eu west")
        .unwrap()
        .grouping("shard", "")
        .unwrap();
    let pusher = Pusher::builder(registry(4321), target)
        .interval(None)
        .timeout(Duration::from_secs(5))
        .final_push(false, Duration::ZERO)
        .start()
        .unwrap();
    let report = pusher.push().expect("push accepted");
    assert_eq!(report.status, 200);
    assert_eq!(report.attempts, 1);

    let records = samples(&gateway, "batch_records_total");
    assert_eq!(records.len(), 1, "{records:?}");
    let (labels, value) = &records[0];
    assert_eq!(value, "4321");
    // The gateway sorts labels; `shard`'s empty value went as base64 `=`.
    assert_eq!(
        labels,
        r#"instance="worker/1",job="nightly/etl",region="eu west",shard="""#
    );
    assert_eq!(samples(&gateway, "batch_workers")[0].1, "-3");
    let count = samples(&gateway, "batch_step_seconds_count");
    assert_eq!(count[0].1, "20");
    let le = samples(&gateway, "batch_step_seconds_bucket");
    assert!(
        le.iter()
            .any(|(l, v)| l.contains(r#"le="0.2""#) && v == "10"),
        "{le:?}"
    );
    // The gateway's own record of the push.
    assert_eq!(samples(&gateway, "push_time_seconds").len(), 1);

    let deleted = pusher.delete().expect("delete accepted");
    assert_eq!(deleted.status, 202);
    assert!(samples(&gateway, "batch_records_total").is_empty());
    assert!(samples(&gateway, "push_time_seconds").is_empty());
    // No final push configured: stopping leaves the group deleted.
    assert!(pusher.shutdown().is_none());
    assert!(samples(&gateway, "batch_records_total").is_empty());
}

#[test]
fn protobuf_post_and_the_final_push_on_shutdown() {
    if skip() {
        return;
    }
    let gateway = start_gateway("pushgateway-proto");
    let url = format!("http://{}", gateway.addr);
    let target = Pushgateway::new(&url, "batch")
        .unwrap()
        .grouping("instance", "host-7")
        .unwrap()
        .method(PushMethod::Post)
        .format(PushFormat::Protobuf);
    let registry = registry(10);
    let records = registry
        .register(
            Desc::new("late_records_total", "Counted after start."),
            Counter::<()>::new(),
        )
        .unwrap();
    let pusher = Pusher::builder(registry, target)
        .interval(None)
        .final_push(true, Duration::from_secs(5))
        .start()
        .unwrap();
    records.add(99);
    // A batch job ends: shutdown pushes the final totals.
    let report = pusher.shutdown().expect("a final push").expect("accepted");
    assert_eq!(report.status, 200);
    let late = wait_for(Duration::from_secs(5), "late_records_total", || {
        let s = samples(&gateway, "late_records_total");
        (!s.is_empty()).then_some(s)
    });
    assert_eq!(late[0].1, "99");
    assert!(late[0].0.contains(r#"instance="host-7""#));
    assert!(late[0].0.contains(r#"job="batch""#));
    assert_eq!(samples(&gateway, "batch_step_seconds_count")[0].1, "20");
}

/// Dot segments as job and grouping values (`..`, `.`) go base64-encoded:
/// the gateway stores the group under exactly those values instead of
/// redirecting the push.
#[test]
fn dot_segment_job_and_grouping_values_are_pushed() {
    if skip() {
        return;
    }
    let gateway = start_gateway("pushgateway-dots");
    let url = format!("http://{}", gateway.addr);
    let target = Pushgateway::new(&url, "..")
        .unwrap()
        .grouping("dir", ".")
        .unwrap()
        .grouping("up", "..")
        .unwrap();
    let pusher = Pusher::builder(registry(55), target)
        .interval(None)
        .timeout(Duration::from_secs(5))
        .final_push(false, Duration::ZERO)
        .start()
        .unwrap();
    let report = pusher.push().expect("push accepted");
    assert_eq!(report.status, 200);
    let records = samples(&gateway, "batch_records_total");
    assert_eq!(
        records,
        vec![(
            r#"dir=".",instance="",job="..",up="..""#.to_owned(),
            "55".to_owned()
        )]
    );
    assert_eq!(pusher.delete().expect("delete accepted").status, 202);
    assert!(samples(&gateway, "batch_records_total").is_empty());
}
