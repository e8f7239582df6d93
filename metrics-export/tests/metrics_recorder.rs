//! The `metrics` recorder: a published crate (`metrics-process`, which
//! emits through `metrics` 0.24's `counter!`/`gauge!` macros) lands in a
//! tally registry that promtool accepts; per-name cardinality is capped
//! with a counted overflow series; invalid registrations are dropped and
//! counted by reason; histograms are tally HDR histograms in seconds.
#![cfg(all(feature = "metrics-recorder", feature = "http"))]

mod http_support;
mod support;

use std::sync::Arc;

use support::{run_tool, skip_interop};
use tally_core::{FamilySnapshot, Registry, RegistrySnapshot, Value};
use tally_export::{encode, DroppedReason, Format, Handler, Server, TallyRecorder};

fn leaked_registry() -> &'static Registry {
    Box::leak(Box::default())
}

fn family<'a>(snapshot: &'a RegistrySnapshot, name: &str) -> &'a FamilySnapshot {
    snapshot
        .families
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| {
            let names: Vec<_> = snapshot.families.iter().map(|f| &f.name).collect();
            panic!("no family {name} in {names:?}")
        })
}

fn value(f: &FamilySnapshot) -> f64 {
    assert_eq!(f.series.len(), 1, "{}", f.name);
    f.series[0].value.as_f64().unwrap()
}

#[test]
fn metrics_process_reports_into_the_registry() {
    let registry = leaked_registry();
    let recorder = TallyRecorder::new(registry);
    let collector = metrics_process::Collector::default();
    metrics::with_local_recorder(&recorder, || {
        collector.describe();
        collector.collect();
    });
    let snapshot = registry.snapshot();
    let threads = family(&snapshot, "process_threads");
    assert!(value(threads) >= 1.0);
    assert!(
        !threads.help.is_empty(),
        "the crate's description is the HELP"
    );
    assert!(value(family(&snapshot, "process_resident_memory_bytes")) > 1e6);
    assert!(value(family(&snapshot, "process_open_fds")) >= 3.0);
    let start = value(family(&snapshot, "process_start_time_seconds"));
    assert!(start > 1.6e9, "start time {start}");
    // A counter named `..._total` is exposed as a counter.
    let cpu = family(&snapshot, "process_cpu_seconds");
    assert_eq!(cpu.kind, tally_core::MetricKind::Counter);
    for reason in [
        DroppedReason::InvalidName,
        DroppedReason::Refused,
        DroppedReason::KindConflict,
    ] {
        assert_eq!(recorder.dropped(reason), 0, "{reason:?}");
    }

    if skip_interop() {
        return;
    }
    let mut out = Vec::new();
    encode(Format::PrometheusText, &snapshot, &mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    assert!(
        text.contains("# TYPE process_cpu_seconds_total counter"),
        "{text}"
    );
    let output = run_tool("promtool", &["check", "metrics"], &out);
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success() && all.trim().is_empty(),
        "promtool: {all}\n{text}"
    );
}

#[test]
fn per_name_cardinality_is_capped_with_a_counted_overflow_series() {
    let registry = leaked_registry();
    let recorder = TallyRecorder::new(registry).max_series(3).unwrap();
    metrics::with_local_recorder(&recorder, || {
        for i in 0..10 {
            metrics::counter!("jobs_total", "queue" => format!("q{i}")).increment(i + 1);
        }
        // An admitted value keeps its series after the cap is reached.
        metrics::counter!("jobs_total", "queue" => "q1").increment(100);
    });
    let snapshot = registry.snapshot();
    let jobs = family(&snapshot, "jobs");
    let series: Vec<(String, u64)> = jobs
        .series
        .iter()
        .map(|s| {
            let labels: Vec<String> = jobs
                .label_pairs(s)
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            let Value::Counter(v) = s.value else { panic!() };
            (labels.join(","), v)
        })
        .collect();
    assert_eq!(
        series,
        [
            ("queue=q0".to_string(), 1),
            ("queue=q1".to_string(), 102),
            ("queue=q2".to_string(), 3),
            ("queue=__overflow__".to_string(), (4..=10).sum()),
        ]
    );
    let overflow = family(&snapshot, "tally_metrics_recorder_series_overflow");
    // Only this recorder's names: the `metric` label's table is
    // process-wide, but other tests' (other registries') names are not
    // listed here.
    let counted: Vec<_> = overflow
        .series
        .iter()
        .map(|s| {
            (
                overflow.label_pairs(s).collect::<Vec<_>>(),
                s.value.as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(counted, [(vec![("metric", "jobs_total")], 7.0)]);
}

#[test]
fn invalid_registrations_are_dropped_and_counted_by_reason() {
    let registry = leaked_registry();
    let recorder = TallyRecorder::new(registry);
    metrics::with_local_recorder(&recorder, || {
        metrics::counter!("http.requests").increment(1);
        metrics::counter!("ok_total", "le" => "1").increment(1);
        metrics::gauge!("queue_total").set(1.0);
        metrics::counter!("shared_total").increment(1);
        metrics::gauge!("shared_total").set(2.0);
        metrics::counter!("keyed_total", "a" => "1").increment(1);
        metrics::counter!("keyed_total", "b" => "1").increment(1);
        // Bad label values go to the overflow series, counted per label.
        metrics::counter!("values_total", "v" => "").increment(5);
        metrics::counter!("values_total", "v" => "line\nbreak").increment(6);
    });
    assert_eq!(recorder.dropped(DroppedReason::InvalidName), 1);
    assert_eq!(recorder.dropped(DroppedReason::InvalidLabelName), 1);
    assert_eq!(recorder.dropped(DroppedReason::Refused), 1);
    assert_eq!(recorder.dropped(DroppedReason::KindConflict), 1);
    assert_eq!(recorder.dropped(DroppedReason::LabelKeysConflict), 1);
    let snapshot = registry.snapshot();
    let dropped = family(&snapshot, "tally_metrics_recorder_dropped");
    let total: f64 = dropped
        .series
        .iter()
        .map(|s| s.value.as_f64().unwrap())
        .sum();
    assert_eq!(total, 5.0);
    let values = family(&snapshot, "values");
    assert_eq!(values.series.len(), 1);
    assert_eq!(
        values.label_pairs(&values.series[0]).collect::<Vec<_>>(),
        [("v", "__overflow__")]
    );
    assert_eq!(values.series[0].value.as_f64(), Some(11.0));
    let labels = family(&snapshot, "tally_label_overflow");
    let by_reason: Vec<_> = labels
        .series
        .iter()
        .filter(|s| s.value.as_f64() != Some(0.0))
        .map(|s| labels.label_pairs(s).collect::<Vec<_>>())
        .collect();
    assert_eq!(
        by_reason,
        [
            vec![("label", "v"), ("reason", "empty")],
            vec![("label", "v"), ("reason", "control_char")]
        ]
    );
}

#[test]
fn histograms_are_hdr_histograms_in_seconds() {
    let registry = leaked_registry();
    let recorder = TallyRecorder::new(registry);
    metrics::with_local_recorder(&recorder, || {
        metrics::describe_histogram!(
            "rpc_latency_seconds",
            metrics::Unit::Seconds,
            "RPC latency."
        );
        for ms in 1..=100 {
            metrics::histogram!("rpc_latency_seconds", "rpc" => "get").record(ms as f64 / 1000.0);
        }
    });
    let snapshot = registry.snapshot();
    let rpc = family(&snapshot, "rpc_latency_seconds");
    assert_eq!(rpc.help, "RPC latency.");
    let Value::Histogram(h) = &rpc.series[0].value else {
        panic!("not a histogram")
    };
    assert_eq!(h.count(), 100);
    // Recorded in nanoseconds (1% precision), exposed in seconds.
    let p50 = h.value_at_quantile(0.5) as f64 / 1e9;
    assert!((0.0495..=0.0505).contains(&p50), "p50 {p50}");
    assert!(
        (h.sum_scaled() - 5.05).abs() < 0.05,
        "sum {}",
        h.sum_scaled()
    );
}

#[test]
fn eight_and_more_label_keys_work() {
    let registry = leaked_registry();
    let recorder = TallyRecorder::new(registry);
    let keys = [
        "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p",
    ];
    metrics::with_local_recorder(&recorder, || {
        for n in [8usize, 12, 16] {
            let labels: Vec<metrics::Label> = keys[..n]
                .iter()
                .map(|k| metrics::Label::new(*k, format!("{k}-value")))
                .collect();
            let key = metrics::Key::from_parts(format!("wide_{n}_total"), labels);
            let counter = metrics::with_recorder(|r| {
                r.register_counter(
                    &key,
                    &metrics::Metadata::new("t", metrics::Level::INFO, None),
                )
            });
            counter.increment(n as u64);
        }
    });
    assert_eq!(recorder.dropped(DroppedReason::TooManyLabels), 0);
    let snapshot = registry.snapshot();
    for n in [8usize, 12, 16] {
        let wide = family(&snapshot, &format!("wide_{n}"));
        assert_eq!(wide.series.len(), 1);
        let pairs: Vec<_> = wide.label_pairs(&wide.series[0]).collect();
        assert_eq!(pairs.len(), n);
        assert_eq!(
            pairs[n - 1],
            (keys[n - 1], &*format!("{}-value", keys[n - 1]))
        );
        assert_eq!(value(wide), n as f64);
    }
}

#[test]
fn names_and_refused_names_are_bounded_and_counted() {
    let registry = leaked_registry();
    let recorder = TallyRecorder::new(registry)
        .max_names(10)
        .unwrap()
        .max_refused(5);
    metrics::with_local_recorder(&recorder, || {
        for i in 0..100 {
            metrics::counter!(format!("dyn_name_{i}_total")).increment(1);
            metrics::counter!(format!("bad.name.{i}")).increment(1);
        }
        // An existing name keeps working at the cap.
        metrics::counter!("dyn_name_3_total").increment(5);
    });
    assert_eq!(recorder.names(), 10);
    assert_eq!(recorder.refused_names(), 5);
    assert_eq!(recorder.dropped(DroppedReason::TooManyNames), 90);
    assert_eq!(recorder.dropped(DroppedReason::InvalidName), 100);
    let snapshot = registry.snapshot();
    assert_eq!(value(family(&snapshot, "dyn_name_3")), 6.0);
    let dropped = family(&snapshot, "tally_metrics_recorder_dropped");
    let too_many = dropped
        .series
        .iter()
        .find(|s| {
            dropped
                .label_pairs(s)
                .any(|p| p == ("reason", "too_many_names"))
        })
        .unwrap();
    assert_eq!(too_many.value.as_f64(), Some(90.0));
    assert!(TallyRecorder::new(leaked_registry()).max_names(0).is_err());
}

/// issue 19: a crate emitting `process_*` through the recorder, plus the
/// standalone server (which registers tally's process collector): the
/// server starts, and each process family is exposed once (the crate's).
#[test]
fn serving_with_process_metrics_from_a_crate_does_not_fail() {
    let registry: &'static Arc<Registry> = Box::leak(Box::new(Arc::new(Registry::new())));
    let recorder = TallyRecorder::new(registry);
    let collector = metrics_process::Collector::default();
    metrics::with_local_recorder(&recorder, || {
        collector.describe();
        collector.collect();
    });
    let server = Server::builder()
        .bind("127.0.0.1:0")
        .handler(Handler::new(registry.clone()).unwrap())
        .start()
        .expect("the built-in collector's taken names are skipped");
    let reply = http_support::get(server.local_addr(), "/metrics", &[]);
    server.shutdown();
    assert_eq!(reply.status, 200);
    let text = reply.text();
    assert_eq!(
        text.matches("# TYPE process_cpu_seconds counter").count()
            + text
                .matches("# TYPE process_cpu_seconds_total counter")
                .count(),
        1,
        "{text}"
    );
    // A built-in family the crate does not emit is still there.
    assert!(text.contains("\nprocess_resident_memory_bytes "), "{text}");
}

/// issue 19: `tally_label_overflow_total` of a registry lists only the
/// labels of its own families, not those of another registry's recorder.
#[test]
fn label_overflow_telemetry_does_not_leak_across_registries() {
    let first = leaked_registry();
    let second = leaked_registry();
    let (r1, r2) = (TallyRecorder::new(first), TallyRecorder::new(second));
    metrics::with_local_recorder(&r1, || {
        metrics::counter!("first_total", "only_in_first" => "").increment(1);
    });
    metrics::with_local_recorder(&r2, || {
        metrics::counter!("second_total", "only_in_second" => "x").increment(1);
    });
    let labels_of = |registry: &Registry| -> Vec<String> {
        let snapshot = registry.snapshot();
        let f = family(&snapshot, "tally_label_overflow");
        f.series
            .iter()
            .map(|s| f.label_pairs(s).next().unwrap().1.to_string())
            .collect()
    };
    // (`metric` is the label of the recorder's own overflow family, in
    // both registries.)
    let first_labels = labels_of(first);
    assert!(first_labels.iter().any(|l| l == "only_in_first"));
    assert!(
        !first_labels.iter().any(|l| l == "only_in_second"),
        "{first_labels:?}"
    );
    let second_labels = labels_of(second);
    assert!(second_labels.iter().any(|l| l == "only_in_second"));
    assert!(
        !second_labels.iter().any(|l| l == "only_in_first"),
        "{second_labels:?}"
    );
}
