//! Tokio runtime metrics (feature `tokio`): a two-worker runtime with
//! parked tasks, read at scrape time, checked by value and by
//! `promtool check metrics` on the text exposition.

#![cfg(feature = "tokio")]

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use tally_core::{Registry, Value};
use tally_export::{encode_prometheus_text, register_tokio_metrics};

fn gauge(registry: &Registry, name: &str) -> i64 {
    let snapshot = registry.snapshot();
    let family = snapshot.families.iter().find(|f| f.name == name).unwrap();
    match family.series[0].value {
        Value::Gauge(v) => v,
        ref other => panic!("{name}: {other:?}"),
    }
}

#[test]
fn workers_tasks_and_queue_read_at_scrape_time() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let registry = Registry::new();
    register_tokio_metrics(&registry, runtime.handle()).unwrap();
    assert_eq!(gauge(&registry, "tokio_workers"), 2);
    let before = gauge(&registry, "tokio_alive_tasks");

    let (tx, rx) = tokio::sync::watch::channel(false);
    let tasks: Vec<_> = (0..5)
        .map(|_| {
            let mut rx = rx.clone();
            runtime.spawn(async move {
                let _ = rx.wait_for(|go| *go).await;
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(50));
    // Read at scrape time: the five parked tasks are alive now.
    assert_eq!(gauge(&registry, "tokio_alive_tasks"), before + 5);
    tx.send(true).unwrap();
    runtime.block_on(async {
        for t in tasks {
            t.await.unwrap();
        }
    });
    // A joined task leaves tokio's alive count a moment after its
    // JoinHandle resolves (the worker releases it after waking the
    // joiner): wait for it, bounded.
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    while gauge(&registry, "tokio_alive_tasks") != before && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(gauge(&registry, "tokio_alive_tasks"), before);
    assert!(gauge(&registry, "tokio_global_queue_depth") >= 0);

    let snapshot = registry.snapshot();
    let park = snapshot
        .families
        .iter()
        .find(|f| f.name == "tokio_worker_park")
        .unwrap();
    assert_eq!(park.series.len(), 2);
    let parks: u64 = park
        .series
        .iter()
        .map(|s| match s.value {
            Value::Counter(v) => v,
            _ => 0,
        })
        .sum();
    assert!(parks > 0, "workers parked while the tasks waited");

    let mut text = Vec::new();
    encode_prometheus_text(&snapshot, &mut text);
    let text = String::from_utf8(text).unwrap();
    for line in [
        "# TYPE tokio_workers gauge",
        "tokio_workers 2",
        "# TYPE tokio_worker_busy_duration_seconds_total counter",
        "tokio_worker_park_total{worker=\"1\"} ",
        "tokio_worker_park_unpark_total{worker=\"0\"} ",
    ] {
        assert!(text.contains(line), "missing `{line}` in\n{text}");
    }
    if std::path::Path::new("/usr/bin/promtool").exists() {
        let mut promtool = Command::new("/usr/bin/promtool")
            .args(["check", "metrics"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        promtool
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        let out = promtool.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
