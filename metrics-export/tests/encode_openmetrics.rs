//! OpenMetrics 1.0: `# EOF`, `# UNIT`, counters named without `_total`
//! with `_total` samples, `_created`, canonical `le`/`quantile` values,
//! escaped quotes in HELP.

mod support;

use support::expo::{check_histogram, families};
use support::fixture;
use tally_core::{Counter, Desc, Registry};
use tally_export::{encode, encode_with, process_start, EncodeOptions, Format};

const CREATED: f64 = 1_700_000_000.5;

fn openmetrics(registry: &Registry, created: Option<f64>) -> String {
    let mut out = Vec::new();
    encode_with(
        Format::OpenMetrics,
        &registry.snapshot(),
        &EncodeOptions { created },
        &mut out,
    );
    String::from_utf8(out).unwrap()
}

fn suffixes(kind: &str) -> &'static [&'static str] {
    match kind {
        "counter" => &["_total", "_created"],
        "gauge" => &[""],
        "histogram" => &["_bucket", "_sum", "_count", "_created"],
        "summary" => &["", "_sum", "_count", "_created"],
        other => panic!("type {other}"),
    }
}

#[test]
fn eof_unit_and_counter_names() {
    let f = fixture();
    let out = openmetrics(&f.registry, Some(CREATED));
    assert!(out.ends_with("\n# EOF\n"));
    assert_eq!(out.matches("# EOF").count(), 1);
    let fams = families(&out, suffixes);
    let by_name = |n: &str| fams.iter().find(|f| f.name == n).unwrap();

    let requests = by_name("app_http_requests");
    assert_eq!(requests.kind, "counter");
    assert!(out.contains("# TYPE app_http_requests counter\n"));
    assert!(!out.contains("# TYPE app_http_requests_total"));
    let totals = requests
        .samples
        .iter()
        .filter(|s| s.name == "app_http_requests_total")
        .count();
    let created = requests
        .samples
        .iter()
        .filter(|s| s.name == "app_http_requests_created")
        .count();
    assert_eq!((totals, created), (10, 10));
    // Each series' `_created` follows its `_total` (metric points grouped).
    for pair in requests.samples.chunks(2) {
        assert_eq!(pair[0].series_key(), pair[1].series_key());
        assert_eq!(pair[1].f64(), CREATED);
    }

    assert_eq!(by_name("app_cpu_seconds").unit.as_deref(), Some("seconds"));
    assert_eq!(
        by_name("app_temperature_celsius").unit.as_deref(),
        Some("celsius")
    );
    assert_eq!(
        by_name("app_request_latency_seconds").unit.as_deref(),
        Some("seconds")
    );
    assert_eq!(
        by_name("app_request_latency_quantiles_seconds")
            .unit
            .as_deref(),
        Some("seconds")
    );
    assert_eq!(
        by_name("app_payload_size_bytes").unit.as_deref(),
        Some("bytes")
    );
    assert_eq!(by_name("app_queue_depth").unit, None);
    assert_eq!(by_name("app_gc_runs").kind, "counter");

    for fam in &fams {
        if fam.kind == "histogram" {
            assert!(check_histogram(fam, "_bucket") >= 1);
            assert!(fam.samples.iter().any(|s| s.name.ends_with("_created")));
        }
    }
}

#[test]
fn help_escapes_quotes() {
    let f = fixture();
    let out = openmetrics(&f.registry, None);
    assert!(out.contains(
        "# HELP app_http_requests Requests \\\"served\\\" from C:\\\\srv\\\\\\nsecond line, ünïcödé.\n"
    ));
    assert!(
        out.contains("# HELP app_request_latency_seconds Request latency, \\\"end to end\\\".\n")
    );
}

#[test]
fn canonical_le_and_quantile_values() {
    let f = fixture();
    let out = openmetrics(&f.registry, None);
    for le in ["1e-06", "0.005", "1.0", "10.0", "100.0", "+Inf"] {
        assert!(
            out.contains(&format!("method=\"GET\",le=\"{le}\"}}")),
            "le {le}"
        );
    }
    for le in ["64.0", "1024.0", "4096.0"] {
        assert!(out.contains(&format!("le=\"{le}\"}}")), "le {le}");
    }
    for q in ["0.5", "0.9", "0.99", "0.999", "1.0"] {
        assert!(
            out.contains(&format!("method=\"GET\",quantile=\"{q}\"}}")),
            "quantile {q}"
        );
    }
    assert!(!out.contains("le=\"1\""));
}

#[test]
fn created_is_optional_and_defaults_to_process_start() {
    let registry = Registry::new();
    let c = registry
        .register(Desc::new("hits_total", "Hits."), Counter::<()>::new())
        .unwrap();
    c.inc();
    assert_eq!(
        openmetrics(&registry, None),
        "# HELP hits Hits.\n# TYPE hits counter\nhits_total 1\n# EOF\n"
    );
    assert_eq!(
        openmetrics(&registry, Some(CREATED)),
        "# HELP hits Hits.\n# TYPE hits counter\nhits_total 1\nhits_created 1700000000.5\n# EOF\n"
    );
    let mut out = Vec::new();
    encode(Format::OpenMetrics, &registry.snapshot(), &mut out);
    let out = String::from_utf8(out).unwrap();
    if cfg!(target_os = "linux") {
        let start = process_start().expect("/proc gives the process start");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        assert!(start <= now && start > now - 86_400.0, "{start} vs {now}");
        assert!(out.contains("\nhits_created "));
    }
}

#[test]
fn empty_registry_is_just_eof() {
    assert_eq!(openmetrics(&Registry::new(), None), "# EOF\n");
}

/// Exemplars follow the counter sample and the classic bucket holding
/// their value; Prometheus text 0.0.4 has none.
#[test]
fn exemplars_on_the_counter_and_the_bucket_that_holds_them() {
    let f = fixture();
    let out = openmetrics(&f.registry, None);
    let want = format!(
        "{{trace_id=\"{}\",span_id=\"{}\"}}",
        support::TRACE_ID,
        support::SPAN_ID
    );
    let with: Vec<_> = out
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(support::expo::parse_sample)
        .filter(|s| s.exemplar.is_some())
        .collect();
    assert_eq!(with.len(), 2, "{with:?}");
    let counter = &with[0];
    assert_eq!(counter.name, "app_http_requests_total");
    assert_eq!(counter.label("method"), Some("GET"));
    let (labels, rest) = counter
        .exemplar
        .as_deref()
        .unwrap()
        .split_once(' ')
        .unwrap();
    assert_eq!(labels, want);
    let (value, timestamp) = rest.split_once(' ').unwrap();
    assert_eq!(value, "0");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!((now - timestamp.parse::<f64>().unwrap()).abs() < 600.0);
    // 1.5 ms lands in the `le="0.0025"` bucket, the first to hold it.
    let bucket = &with[1];
    assert_eq!(bucket.name, "app_request_latency_seconds_bucket");
    assert_eq!(bucket.label("method"), Some("POST"));
    assert_eq!(bucket.label("le"), Some("0.0025"));
    assert!(bucket
        .exemplar
        .as_deref()
        .unwrap()
        .starts_with(&format!("{want} 0.0015 ")));

    let mut text = Vec::new();
    encode(Format::PrometheusText, &f.registry.snapshot(), &mut text);
    assert!(!String::from_utf8(text).unwrap().contains("trace_id"));
}

/// An exemplar whose labels exceed OpenMetrics' 128 characters is
/// counted and dropped; the increment is kept.
#[test]
fn an_over_long_exemplar_is_counted_not_exposed() {
    let registry = Registry::new();
    let c = registry
        .register(Desc::new("jobs_total", "Jobs."), Counter::<()>::new())
        .unwrap();
    let before = tally_core::exemplars_rejected();
    c.with(()).add_with_exemplar(2, &"f".repeat(121), "");
    assert_eq!(tally_core::exemplars_rejected(), before + 1);
    assert_eq!(c.get(), 2);
    assert!(!openmetrics(&registry, None).contains(" # {"));
}
