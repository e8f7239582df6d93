//! JSON: every family, per-series values, histogram statistics, and (with
//! feature `json-hdr`) the base64 HDR V2 payload decoding back to the same
//! histogram.

mod support;

#[cfg(feature = "json-hdr")]
use base64::Engine;
#[cfg(feature = "json-hdr")]
use hdrhistogram::serialization::Deserializer;
use serde_json::{json, Value as Json};
use support::{fixture, get_latencies, Method, AWKWARD_HELP};
use tally_export::{encode, Format};

fn document() -> (support::Fixture, Json, String) {
    let f = fixture();
    let mut out = Vec::new();
    encode(Format::Json, &f.registry.snapshot(), &mut out);
    let doc = serde_json::from_slice(&out).unwrap();
    (f, doc, String::from_utf8(out).unwrap())
}

#[test]
fn every_family_in_registration_order() {
    let (f, doc, raw) = document();
    let families = doc["families"].as_object().unwrap();
    let snapshot = f.registry.snapshot();
    assert_eq!(families.len(), snapshot.families.len());
    // Registration order in the document (serde_json's map sorts keys).
    let positions: Vec<usize> = snapshot
        .families
        .iter()
        .map(|fam| {
            let suffix = if fam.kind == tally_core::MetricKind::Counter {
                "_total"
            } else {
                ""
            };
            raw.find(&format!("\"{}{suffix}\":{{", fam.name)).unwrap()
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    assert_eq!(doc["failed_computed"], 0);
    let requests = &families["app_http_requests_total"];
    assert_eq!(requests["type"], "counter");
    assert_eq!(requests["help"], AWKWARD_HELP);
    assert_eq!(requests["unit"], Json::Null);
    assert_eq!(
        requests["series"][2],
        json!({"labels": {"zone": "eu \"west\" \\1", "method": "GET", "weird": "line1\nline2"}, "value": 7})
    );
    assert_eq!(requests["series"].as_array().unwrap().len(), 10);
    assert_eq!(
        families["app_cpu_seconds_total"]["series"][0]["value"],
        12.625
    );
    assert_eq!(families["app_cpu_seconds_total"]["unit"], "seconds");
    assert_eq!(families["app_queue_depth"]["series"][0]["value"], -10);
    let temps: Vec<&Json> = families["app_temperature_celsius"]["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["value"])
        .collect();
    assert_eq!(
        temps,
        [
            &json!("NaN"),
            &json!("+Inf"),
            &json!("-Inf"),
            &json!(0.25),
            &json!(1e300)
        ]
    );
    assert_eq!(families["app_peak_connections"]["series"][0]["value"], 42);
    assert_eq!(families["app_uptime_seconds"]["series"][0]["value"], 1234.5);
}

#[test]
fn histogram_statistics() {
    let (f, doc, _) = document();
    let latency = &doc["families"]["app_request_latency_seconds"];
    assert_eq!(latency["type"], "histogram");
    assert_eq!(latency["clamped"], 0);
    let get = &latency["series"][0];
    assert_eq!(get["labels"]["method"], "GET");
    let snap = f.latency.with(Method::Get).snapshot();
    let values = get_latencies();
    assert_eq!(get["count"], values.len() as u64);
    let sum: u64 = values.iter().sum();
    assert_eq!(get["sum"].as_f64().unwrap(), sum as f64 / 1e9);
    // Min and max are the bounds of the outermost cells (32 per power of
    // two by default).
    let (min, max) = (get["min"].as_f64().unwrap(), get["max"].as_f64().unwrap());
    assert!(
        (997e-9 * (1.0 - 1.0 / 32.0)..=997e-9).contains(&min),
        "min {min}"
    );
    assert!(
        (0.997..=0.997 * (1.0 + 1.0 / 32.0)).contains(&max),
        "max {max}"
    );
    assert_eq!(get["mean"].as_f64().unwrap(), sum as f64 / 1000.0 / 1e9);
    assert_eq!(get["scale"].as_f64().unwrap(), 1e9);
    for (key, q) in [("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("p999", 0.999)] {
        let got = get[key].as_f64().unwrap();
        let exact = values[((q * 1000.0) as usize).min(999)] as f64 / 1e9;
        assert!(
            (got - exact).abs() <= exact / 64.0 + 1e-9,
            "{key}: {got} vs {exact}"
        );
        let hdr = (snap.value_at_quantile(q).min(snap.max())) as f64 / 1e9;
        assert_eq!(got, hdr, "{key}");
    }

    let sizes = &doc["families"]["app_payload_size_bytes"]["series"][0];
    assert_eq!(sizes["labels"], json!({"zone": "eu \"west\" \\1"}));
    assert_eq!(sizes["count"], 7);
    assert_eq!(sizes["min"].as_f64().unwrap(), 10.0);
    // The highest value of the cell holding 2^20 (32 cells per power of two).
    assert_eq!(
        sizes["max"].as_f64().unwrap(),
        ((1u64 << 20) + (1 << 15) - 1) as f64
    );
}

/// The V2 payload (feature `json-hdr`) decodes to the same histogram
/// and merges exactly with another process's.
#[cfg(feature = "json-hdr")]
#[test]
fn hdr_payload_decodes_to_the_same_histogram() {
    let (f, doc, _) = document();
    let get = &doc["families"]["app_request_latency_seconds"]["series"][0];
    let snap = f.latency.with(Method::Get).snapshot();
    let b64 = get["hdr_v2_base64"].as_str().unwrap();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    let decoded: hdrhistogram::Histogram<u64> = Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .unwrap();
    assert_eq!(decoded.len(), snap.count());
    assert_eq!(decoded, *snap.hdr());
    for q in [0.5, 0.9, 0.99, 0.999, 1.0] {
        assert_eq!(decoded.value_at_quantile(q), snap.value_at_quantile(q));
    }
    let mut merged = decoded.clone();
    merged.add(snap.hdr()).unwrap();
    assert_eq!(merged.len(), 2 * snap.count());
}

/// Without `json-hdr` the series carry their statistics and no payload.
#[cfg(not(feature = "json-hdr"))]
#[test]
fn no_hdr_payload_without_the_feature() {
    let (_, doc, _) = document();
    let get = &doc["families"]["app_request_latency_seconds"]["series"][0];
    assert!(get.get("count").is_some());
    assert!(get.get("hdr_v2_base64").is_none(), "{get}");
}

#[test]
fn empty_registry() {
    let registry = tally_core::Registry::new();
    let mut out = Vec::new();
    encode(Format::Json, &registry.snapshot(), &mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        r#"{"families":{},"failed_computed":0}"#
    );
}
