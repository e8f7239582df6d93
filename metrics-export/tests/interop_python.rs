//! The strict OpenMetrics parser of Python's `prometheus_client`
//! accepts the OpenMetrics output of the fixture registry, and every
//! value it parses equals the recorded one (including the series of a
//! runtime-bounded label whose admitted values hold quotes, backslashes
//! and non-ASCII).

mod support;

use std::collections::BTreeMap;

use support::{fixture, run_tool, script, skip_interop, Method, Weird, AWKWARD_HELP, QUANTILES};
use tally_core::{MetricKind, Value};
use tally_export::{
    bucket_bounds, encode_with, quantile_family_name, quantile_value, EncodeOptions, Format,
};

/// (sample name, sorted labels) -> value.
type Samples = BTreeMap<(String, Vec<(String, String)>), f64>;

#[derive(serde::Deserialize)]
struct Family {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    unit: String,
    help: String,
    samples: Vec<Sample>,
}

#[derive(serde::Deserialize)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: String,
    exemplar: Option<BTreeMap<String, String>>,
}

const CREATED: f64 = 1_700_000_000.5;

fn key(name: String, mut labels: Vec<(String, String)>) -> (String, Vec<(String, String)>) {
    labels.sort();
    (name, labels)
}

/// What the parser should find, computed from the snapshot.
fn expected(snapshot: &tally_core::RegistrySnapshot) -> Samples {
    let mut want = Samples::new();
    let le = |b: f64| {
        let s = format!("{b:?}");
        // Rust's `{:?}` matches the canonical form for these bounds.
        if s.contains('e') {
            panic!("pick bounds without exponent in this test: {s}")
        }
        s
    };
    for family in &snapshot.families {
        for series in &family.series {
            let mut labels: Vec<(String, String)> = snapshot.const_labels.to_vec();
            labels.extend(
                family
                    .label_pairs(series)
                    .map(|(k, v)| (k.to_string(), v.to_string())),
            );
            let with = |extra: (&str, String)| {
                let mut l = labels.clone();
                l.push((extra.0.to_string(), extra.1));
                l
            };
            let name = &family.name;
            match (&family.kind, &series.value) {
                (MetricKind::Counter, v) => {
                    want.insert(
                        key(format!("{name}_total"), labels.clone()),
                        v.as_f64().unwrap(),
                    );
                    want.insert(key(format!("{name}_created"), labels.clone()), CREATED);
                }
                (MetricKind::Gauge, v) => {
                    want.insert(key(name.clone(), labels.clone()), v.as_f64().unwrap());
                }
                (MetricKind::Histogram, Value::Histogram(h)) => {
                    let config = h.config();
                    let mut bounds = Vec::new();
                    bucket_bounds(&config, family.unit, &mut bounds);
                    for b in bounds {
                        if b < 1e-4 {
                            continue; // exponent forms are checked in encode_text
                        }
                        let t = (b * config.scale()).round() as u64;
                        want.insert(
                            key(format!("{name}_bucket"), with(("le", le(b)))),
                            h.count_at_or_below(t) as f64,
                        );
                    }
                    let count = h.count() as f64;
                    want.insert(
                        key(format!("{name}_bucket"), with(("le", "+Inf".into()))),
                        count,
                    );
                    want.insert(key(format!("{name}_count"), labels.clone()), count);
                    want.insert(key(format!("{name}_sum"), labels.clone()), h.sum_scaled());
                    want.insert(key(format!("{name}_created"), labels.clone()), CREATED);
                    if !config.quantiles().is_empty() {
                        let q = quantile_family_name(name, family.unit);
                        for &quantile in QUANTILES.iter().chain(&[1.0]) {
                            want.insert(
                                key(q.clone(), with(("quantile", format!("{quantile:?}")))),
                                quantile_value(h, quantile),
                            );
                        }
                        want.insert(key(format!("{q}_count"), labels.clone()), count);
                        want.insert(key(format!("{q}_sum"), labels.clone()), h.sum_scaled());
                        want.insert(key(format!("{q}_created"), labels.clone()), CREATED);
                    }
                }
                (kind, v) => panic!("{kind:?} family with value {v:?}"),
            }
        }
    }
    want
}

fn same(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

#[test]
fn python_openmetrics_parser_reads_back_every_value() {
    if skip_interop() {
        return;
    }
    let f = fixture();
    let snapshot = f.registry.snapshot();
    let mut out = Vec::new();
    let options = EncodeOptions {
        created: Some(CREATED),
    };
    encode_with(Format::OpenMetrics, &snapshot, &options, &mut out);
    let output = run_tool("python3", &[&script("parse_openmetrics.py")], &out);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.code() == Some(3) {
        panic!("{stderr}: run the README test command (or set TALLY_SKIP_INTEROP=1)");
    }
    assert!(
        output.status.success(),
        "the OpenMetrics parser refused the output:\n{stderr}\n--- input ---\n{}",
        String::from_utf8_lossy(&out)
    );
    let families: Vec<Family> = serde_json::from_slice(&output.stdout).unwrap();

    // Family metadata.
    let by_name: BTreeMap<&str, &Family> = families.iter().map(|f| (f.name.as_str(), f)).collect();
    let requests = by_name["app_http_requests"];
    assert_eq!(requests.kind, "counter");
    assert_eq!(requests.help, AWKWARD_HELP);
    assert_eq!(by_name["app_cpu_seconds"].unit, "seconds");
    assert_eq!(by_name["app_request_latency_seconds"].kind, "histogram");
    assert_eq!(
        by_name["app_request_latency_quantiles_seconds"].kind,
        "summary"
    );
    assert_eq!(by_name["app_temperature_celsius"].unit, "celsius");
    assert_eq!(families.len(), snapshot.families.len() + 1);

    // Every parsed sample against the snapshot.
    let mut got = Samples::new();
    for family in &families {
        for s in &family.samples {
            let value: f64 = s.value.parse().unwrap();
            let labels = s.labels.clone().into_iter().collect();
            let k = key(s.name.clone(), labels);
            assert!(
                got.insert(k, value).is_none(),
                "duplicate sample {}",
                s.name
            );
        }
    }
    let want = expected(&snapshot);
    for (k, v) in &want {
        let g = got.get(k).unwrap_or_else(|| panic!("missing sample {k:?}"));
        assert!(same(*g, *v), "{k:?}: parsed {g}, recorded {v}");
    }
    // Nothing unexpected, except the exponent-form `le` buckets skipped above.
    for k in got.keys() {
        let le_exp = k.1.iter().any(|(n, v)| n == "le" && v.contains('e'));
        assert!(want.contains_key(k) || le_exp, "unexpected sample {k:?}");
    }

    // A few values by hand, independent of the snapshot.
    let zone = ("zone".to_string(), "eu \"west\" \\1".to_string());
    let series = |name: &str, extra: &[(&str, &str)]| {
        let mut labels = vec![zone.clone()];
        labels.extend(extra.iter().map(|(a, b)| (a.to_string(), b.to_string())));
        got[&key(name.to_string(), labels)]
    };
    assert_eq!(
        series(
            "app_http_requests_total",
            &[("method", "GET"), ("weird", "line1\nline2")]
        ),
        7.0
    );
    assert_eq!(
        f.requests.with((Method::Post, Weird::Unicode)).get() as f64,
        series(
            "app_http_requests_total",
            &[("method", "POST"), ("weird", "héllo wörld ✓ 日本")]
        )
    );
    assert!(series("app_temperature_celsius", &[("weird", "say \"hi\"")]).is_nan());
    assert_eq!(
        series("app_temperature_celsius", &[("weird", "C:\\path\\")]),
        f64::INFINITY
    );
    assert_eq!(
        series("app_payload_size_bytes_bucket", &[("le", "64.0")]),
        3.0, // 10, 64 and 65 (which shares 64's cell)
    );
    assert_eq!(
        series("app_payload_size_bytes_bucket", &[("le", "+Inf")]),
        7.0
    );
    assert_eq!(
        series("app_payload_size_bytes_sum", &[]),
        f.sizes.snapshot().sum() as f64
    );
    assert_eq!(
        series("app_request_latency_seconds_count", &[("method", "GET")]),
        f.latency.with(Method::Get).snapshot().count() as f64
    );
    assert_eq!(
        series(
            "app_request_latency_quantiles_seconds",
            &[("method", "GET"), ("quantile", "1.0")]
        ),
        f.latency.with(Method::Get).snapshot().max() as f64 / 1e9
    );
    assert_eq!(series("app_gc_runs_total", &[]), 77.0);
    assert_eq!(series("app_uptime_seconds", &[]), 1234.5);
}

/// An application copying a request header into a trace id cannot break
/// a Python scraper: hostile ids are refused and counted, the exemplar
/// admitted before them stays exposed, and the strict parser accepts the
/// scrape.
#[test]
fn python_openmetrics_parser_accepts_a_scrape_after_hostile_exemplar_ids() {
    if skip_interop() {
        return;
    }
    let registry = tally_core::Registry::new();
    let jobs = registry
        .register(
            tally_core::Desc::new("jobs_total", "Jobs."),
            tally_core::Counter::<()>::new(),
        )
        .unwrap();
    let jobs = jobs.with(());
    jobs.add_with_exemplar(1, "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7");
    let before = tally_core::exemplars_rejected();
    // The quote last: on a library admitting it, it would be the one exposed.
    let hostile = [
        "a\\b",
        "a\nb",
        "} 1 2\njobs_total 999",
        "trace id",
        "é",
        "a\"b",
    ];
    for id in hostile {
        jobs.add_with_exemplar(1, id, "");
        jobs.add_with_exemplar(1, "0af7651916cd43dd8448eb211c80319c", id);
    }
    assert_eq!(
        jobs.get(),
        1 + 2 * hostile.len() as u64,
        "increments are kept"
    );

    let mut out = Vec::new();
    encode_with(
        Format::OpenMetrics,
        &registry.snapshot(),
        &EncodeOptions::default(),
        &mut out,
    );
    let output = run_tool("python3", &[&script("parse_openmetrics.py")], &out);
    assert!(
        output.status.success(),
        "the OpenMetrics parser refused the scrape:\n{}\n--- input ---\n{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&out)
    );
    let families: Vec<Family> = serde_json::from_slice(&output.stdout).unwrap();
    let total = families[0]
        .samples
        .iter()
        .find(|s| s.name == "jobs_total_total" || s.name == "jobs_total")
        .expect("the counter sample");
    assert_eq!(total.value, format!("{:?}", jobs.get() as f64));
    let exemplar = total.exemplar.as_ref().expect("the admitted exemplar");
    assert_eq!(exemplar["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(exemplar["span_id"], "00f067aa0ba902b7");
    assert!(tally_core::exemplars_rejected() - before >= 2 * hostile.len() as u64);
}
