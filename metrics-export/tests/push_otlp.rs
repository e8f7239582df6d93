//! OTLP/HTTP: the request bodies tally sends (captured by a loopback
//! receiver) are decoded by the official `opentelemetry-proto` Python
//! package and every value is checked: resource and scope, monotonic
//! cumulative sums (integer and float), gauges, exponential-histogram
//! buckets against the recorded values (at the native scale and
//! downscaled), explicit-bucket histograms, summaries of a windowed
//! family, attributes and start times. The receiver's answers are read:
//! `partial_success` is reported, a 4xx is not retried, a garbage body is
//! a clear error.
//!
//! Needs `python3` with `opentelemetry-proto` (scripts/test.sh installs
//! it); `TALLY_SKIP_INTEROP=1` skips the decoding tests explicitly.
#![cfg(feature = "push")]

mod push_support;

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prost::Message;
use push_support::{skip, Mode, Receiver};
use serde_json::Value;
use tally_core::{
    Counter, Desc, FloatCounter, Gauge, Histogram, HistogramConfig, LabelValue, Registry, Unit,
    Window, WindowedHistogram,
};
use tally_export::otlp_proto::{ExportMetricsPartialSuccess, ExportMetricsServiceResponse};
use tally_export::{Otlp, OtlpHistograms, PushError, Pusher};

/// Decodes the request in argv[1] with opentelemetry-proto and prints the
/// parts the test checks as JSON.
const DECODE: &str = r#"
import json, sys
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
req = ExportMetricsServiceRequest()
req.ParseFromString(open(sys.argv[1], "rb").read())
assert len(req.resource_metrics) == 1
rm = req.resource_metrics[0]
sm = rm.scope_metrics[0]
def attrs(p):
    return {kv.key: kv.value.string_value for kv in p.attributes}
def common(p):
    return {"attrs": attrs(p), "start": p.start_time_unix_nano, "time": p.time_unix_nano}
out = {
    "resource": {kv.key: kv.value.string_value for kv in rm.resource.attributes},
    "scope": [sm.scope.name, sm.scope.version],
    "metrics": {},
}
for m in sm.metrics:
    kind = m.WhichOneof("data")
    d = {"kind": kind, "description": m.description, "unit": m.unit, "points": []}
    data = getattr(m, kind)
    if kind in ("sum", "histogram", "exponential_histogram"):
        d["temporality"] = data.aggregation_temporality
    if kind == "sum":
        d["monotonic"] = data.is_monotonic
    for p in data.data_points:
        e = common(p)
        if kind in ("sum", "gauge"):
            which = p.WhichOneof("value")
            e["value_kind"] = which
            e["value"] = getattr(p, which)
        elif kind == "exponential_histogram":
            e.update(count=p.count, sum=p.sum, min=p.min, max=p.max, scale=p.scale,
                     zero_count=p.zero_count, offset=p.positive.offset,
                     buckets=list(p.positive.bucket_counts),
                     negative=list(p.negative.bucket_counts))
        elif kind == "histogram":
            e.update(count=p.count, sum=p.sum, min=p.min, max=p.max,
                     bounds=list(p.explicit_bounds), buckets=list(p.bucket_counts))
        elif kind == "summary":
            e.update(count=p.count, sum=p.sum,
                     quantiles=[[q.quantile, q.value] for q in p.quantile_values])
        d["points"].append(e)
    out["metrics"][m.name] = d
print(json.dumps(out))
"#;

/// HTTP method: a plain label.
#[derive(Clone, Copy, Debug)]
enum Method {
    Get,
    Post,
}

impl LabelValue for Method {
    const NAME: &'static str = "method";
    const VALUES: &'static [&'static str] = &["GET", "POST"];
    fn ordinal(&self) -> usize {
        *self as usize
    }
    fn from_ordinal(ordinal: usize) -> Option<Self> {
        [Method::Get, Method::Post].get(ordinal).copied()
    }
}

/// Values (seconds) in the middle of scale-8 buckets `i`
/// (`2^((i + 0.5) / 256)`), with how many times each is recorded: far
/// enough from every boundary that the HDR cell holding each (precision
/// 3: under 0.1% wide) lies inside its bucket.
const RECORDED: &[(i32, u64)] = &[(-2552, 1), (-1700, 2), (-850, 3), (-2, 4), (-1, 5)];

fn value_of(i: i32) -> f64 {
    ((f64::from(i) + 0.5) / 256.0).exp2()
}

/// The registry every OTLP test pushes.
fn registry() -> Arc<Registry> {
    let registry = Arc::new(
        Registry::builder()
            .const_label("region", "eu-1")
            .build()
            .unwrap(),
    );
    let requests = registry
        .register(
            Desc::new("otlp_requests_total", "Requests."),
            Counter::<Method>::new(),
        )
        .unwrap();
    requests.with(Method::Get).add(3);
    requests.with(Method::Post).add(u64::from(u32::MAX) + 5);
    registry
        .register(
            Desc::new("otlp_work_total", "Work done."),
            FloatCounter::<()>::new(),
        )
        .unwrap()
        .add(2.5);
    registry
        .register(
            Desc::new("otlp_queue_depth", "Queue depth."),
            Gauge::<()>::new(),
        )
        .unwrap()
        .set(-7);
    let latency = registry
        .register(
            Desc::new("otlp_latency", "Latency.").with_unit(Unit::SECONDS),
            Histogram::<()>::with_config(
                HistogramConfig::seconds()
                    .with_precision_digits(3)
                    .with_classic_buckets(&[0.005, 0.5, 1.0]),
            )
            .unwrap(),
        )
        .unwrap();
    for &(i, n) in RECORDED {
        for _ in 0..n {
            latency.record_f64(value_of(i));
        }
    }
    let windowed = registry
        .register(
            Desc::new("otlp_recent", "Recent latency.").with_unit(Unit::SECONDS),
            WindowedHistogram::<()>::with_config(
                Window::new(Duration::from_secs(60), 6).unwrap(),
                HistogramConfig::seconds(),
            )
            .unwrap(),
        )
        .unwrap();
    for _ in 0..10 {
        windowed.record_duration(Duration::from_millis(250));
    }
    registry
}

fn ok_response() -> Vec<u8> {
    ExportMetricsServiceResponse::default().encode_to_vec()
}

/// Pushes `registry()` once to a loopback receiver with `target`'s
/// settings and returns the decoded request as JSON.
fn push_and_decode(target: impl Fn(&str) -> Otlp) -> Value {
    let receiver = Receiver::start(
        "127.0.0.1:0".parse().unwrap(),
        Mode::Answer(200, ok_response()),
    );
    let target = target(&receiver.url());
    let before = SystemTime::now();
    let pusher = Pusher::builder(registry(), target)
        .interval(None)
        .final_push(false, Duration::ZERO)
        .start()
        .unwrap();
    let report = pusher.push().expect("push accepted");
    assert_eq!(report.status, 200);
    assert_eq!(report.partial_success, None);
    let requests = receiver.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/v1/metrics");
    assert_eq!(
        request.header("content-type"),
        Some("application/x-protobuf")
    );
    assert_eq!(request.header("content-encoding"), Some("gzip"));
    let file = std::env::temp_dir().join(format!(
        "tally-otlp-{}-{}.bin",
        std::process::id(),
        before.duration_since(UNIX_EPOCH).unwrap().as_nanos()
    ));
    std::fs::write(&file, &request.body).unwrap();
    let output = Command::new("python3")
        .arg("-c")
        .arg(DECODE)
        .arg(&file)
        .output()
        .expect("run python3");
    let _ = std::fs::remove_file(&file);
    assert!(
        output.status.success(),
        "opentelemetry-proto could not decode the request (pip install opentelemetry-proto): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    // Times: every point taken now, started no later.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let before = before.duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64;
    for metric in json["metrics"].as_object().unwrap().values() {
        for p in metric["points"].as_array().unwrap() {
            let (start, time) = (p["start"].as_u64().unwrap(), p["time"].as_u64().unwrap());
            assert!(time >= before && time <= now, "{metric}");
            assert!(start > 0 && start <= time, "{metric}");
            assert_eq!(p["attrs"]["region"], "eu-1", "{metric}");
        }
    }
    json
}

fn metric<'a>(json: &'a Value, name: &str) -> &'a Value {
    let m = &json["metrics"][name];
    assert!(m.is_object(), "{name} missing from {json}");
    m
}

/// The OTLP bucket of `v` at `scale`: `(base^i, base^(i+1)]`.
fn bucket_index(v: f64, scale: i32) -> i32 {
    (v.log2() * f64::from(scale).exp2()).ceil() as i32 - 1
}

fn check_exponential(json: &Value, expected_scale: i32) {
    let m = metric(json, "otlp_latency");
    assert_eq!(m["kind"], "exponential_histogram");
    assert_eq!(m["unit"], "s");
    assert_eq!(m["temporality"], 2);
    let p = &m["points"][0];
    let count: u64 = RECORDED.iter().map(|r| r.1).sum();
    assert_eq!(p["count"], count);
    let sum: f64 = RECORDED.iter().map(|&(i, n)| value_of(i) * n as f64).sum();
    assert!((p["sum"].as_f64().unwrap() - sum).abs() < 1e-6, "{p}");
    assert!((p["min"].as_f64().unwrap() / value_of(-2552) - 1.0).abs() < 1e-3);
    assert!((p["max"].as_f64().unwrap() / value_of(-1) - 1.0).abs() < 1e-3);
    assert_eq!(p["scale"], expected_scale);
    assert_eq!(p["zero_count"], 0);
    assert_eq!(p["negative"].as_array().unwrap().len(), 0);
    // Every bucket against the recorded values.
    let mut expected = std::collections::BTreeMap::new();
    for &(i, n) in RECORDED {
        *expected
            .entry(bucket_index(value_of(i), expected_scale))
            .or_insert(0u64) += n;
    }
    let offset = p["offset"].as_i64().unwrap() as i32;
    let mut got = std::collections::BTreeMap::new();
    for (k, c) in p["buckets"].as_array().unwrap().iter().enumerate() {
        let c = c.as_u64().unwrap();
        if c > 0 {
            got.insert(offset + k as i32, c);
        }
    }
    assert_eq!(got, expected, "scale {expected_scale}");
    assert_eq!(offset, *expected.keys().next().unwrap());
}

#[test]
fn opentelemetry_proto_decodes_every_value() {
    if skip() {
        return;
    }
    let json = push_and_decode(|url| {
        Otlp::new(url)
            .unwrap()
            .service_name("otlp-test")
            .resource("service.instance.id", "i-42")
            .max_buckets(4000)
    });
    assert_eq!(json["resource"]["service.name"], "otlp-test");
    assert_eq!(json["resource"]["service.instance.id"], "i-42");
    assert_eq!(json["scope"][0], "tally");

    let requests = metric(&json, "otlp_requests");
    assert_eq!(requests["kind"], "sum");
    assert_eq!(requests["monotonic"], true);
    assert_eq!(requests["temporality"], 2);
    assert_eq!(requests["description"], "Requests.");
    let points = requests["points"].as_array().unwrap();
    assert_eq!(points.len(), 2);
    for p in points {
        assert_eq!(p["value_kind"], "as_int");
        let expected = match p["attrs"]["method"].as_str().unwrap() {
            "GET" => 3,
            "POST" => u64::from(u32::MAX) + 5,
            other => panic!("method {other}"),
        };
        assert_eq!(p["value"], expected);
    }
    let work = metric(&json, "otlp_work");
    assert_eq!(
        (work["kind"].as_str(), work["monotonic"].as_bool()),
        (Some("sum"), Some(true))
    );
    assert_eq!(work["points"][0]["value_kind"], "as_double");
    assert_eq!(work["points"][0]["value"], 2.5);
    let depth = metric(&json, "otlp_queue_depth");
    assert_eq!(depth["kind"], "gauge");
    assert_eq!(depth["points"][0]["value"], -7);

    // At the native scale (8 for 3 digits), nothing merged.
    check_exponential(&json, 8);

    let recent = metric(&json, "otlp_recent");
    assert_eq!(recent["kind"], "summary");
    let p = &recent["points"][0];
    assert_eq!(p["count"], 10);
    assert!((p["sum"].as_f64().unwrap() - 2.5).abs() < 0.025);
    let quantiles = p["quantiles"].as_array().unwrap();
    assert!(quantiles.len() >= 2);
    for q in quantiles {
        let v = q[1].as_f64().unwrap();
        assert!((v - 0.25).abs() <= 0.25 * 0.01, "{q}");
    }
    assert_eq!(quantiles.last().unwrap()[0], 1.0);

    // The pusher's own families are in the registry it pushes (the
    // first push counts itself only after it is sent).
    let pushes = metric(&json, "tally_push");
    assert_eq!(pushes["kind"], "sum");
}

#[test]
fn exponential_histograms_are_downscaled_to_fit() {
    if skip() {
        return;
    }
    // Buckets -2552..=-1 at scale 8 (2552 wide) are -160..=-1 at scale 4:
    // exactly the default 160.
    let json = push_and_decode(|url| Otlp::new(url).unwrap().service_name("otlp-test"));
    check_exponential(&json, 4);
    let p = &metric(&json, "otlp_latency")["points"][0];
    assert!(p["buckets"].as_array().unwrap().len() <= 160);
}

#[test]
fn explicit_bucket_histograms_use_the_classic_bounds() {
    if skip() {
        return;
    }
    let json = push_and_decode(|url| Otlp::new(url).unwrap().histograms(OtlpHistograms::Explicit));
    let m = metric(&json, "otlp_latency");
    assert_eq!(m["kind"], "histogram");
    assert_eq!(m["temporality"], 2);
    let p = &m["points"][0];
    assert_eq!(p["bounds"], serde_json::json!([0.005, 0.5, 1.0]));
    // 1 ms | 6.6 ms, 100 ms | 0.99 s x 9 | nothing above 1 s.
    let mut expected = [0u64; 4];
    for &(i, n) in RECORDED {
        let v = value_of(i);
        let k = [0.005, 0.5, 1.0].iter().position(|&b| v <= b).unwrap_or(3);
        expected[k] += n;
    }
    assert_eq!(p["buckets"], serde_json::json!(expected));
    assert_eq!(p["count"], 15);
}

#[test]
fn partial_success_is_reported_and_counted() {
    let response = ExportMetricsServiceResponse {
        partial_success: Some(ExportMetricsPartialSuccess {
            rejected_data_points: 3,
            error_message: "3 points out of order".into(),
        }),
    };
    let receiver = Receiver::start(
        "127.0.0.1:0".parse().unwrap(),
        Mode::Answer(200, response.encode_to_vec()),
    );
    let registry = registry();
    let pusher = Pusher::builder(registry.clone(), Otlp::new(&receiver.url()).unwrap())
        .interval(None)
        .final_push(false, Duration::ZERO)
        .start()
        .unwrap();
    let report = pusher.push().unwrap();
    let partial = report.partial_success.expect("partial success reported");
    assert_eq!(partial.rejected_data_points, 3);
    assert_eq!(partial.error_message, "3 points out of order");
    let mut text = Vec::new();
    tally_export::encode_prometheus_text(&registry.snapshot(), &mut text);
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains(r#"tally_push_total{region="eu-1",target="otlp",outcome="partial"} 1"#),
        "{text}"
    );
    assert!(text.contains(r#"tally_push_rejected_points_total{region="eu-1",target="otlp"} 3"#));
}

#[test]
fn client_errors_are_not_retried_and_garbage_answers_are_errors() {
    let receiver = Receiver::start(
        "127.0.0.1:0".parse().unwrap(),
        Mode::Answer(400, b"bad metric name".to_vec()),
    );
    let pusher = Pusher::builder(registry(), Otlp::new(&receiver.url()).unwrap())
        .interval(None)
        .retries(3, Duration::from_millis(10), Duration::from_millis(20))
        .final_push(false, Duration::ZERO)
        .start()
        .unwrap();
    match pusher.push() {
        Err(PushError::Status { status: 400, body }) => assert_eq!(body, "bad metric name"),
        other => panic!("expected a 400, got {other:?}"),
    }
    assert_eq!(receiver.requests().len(), 1, "a 4xx is not retried");

    // 200 with a body that is no ExportMetricsServiceResponse (field 1
    // with wire type 7 does not exist).
    receiver.set_mode(Mode::Answer(200, vec![0x0f, 0xff, 0xff, 0xff]));
    match pusher.push() {
        Err(e @ PushError::BadResponse(_)) => {
            assert!(e.to_string().contains("undecodable answer"), "{e}")
        }
        other => panic!("expected an undecodable answer, got {other:?}"),
    }
    // 5xx is retried: 1 + 3 attempts.
    receiver.set_mode(Mode::Answer(503, Vec::new()));
    let before = receiver.requests().len();
    assert!(matches!(
        pusher.push(),
        Err(PushError::Status { status: 503, .. })
    ));
    assert_eq!(receiver.requests().len() - before, 4);
}
