//! Delimited protobuf: decode our own output with prost and check every
//! field; native histogram spans and deltas reproduce the HDR counts.

#![cfg(feature = "protobuf")]

mod support;

use std::collections::BTreeMap;

use prost::Message;
use support::{fixture, get_latencies, AWKWARD_HELP};
use tally_core::{Desc, Histogram, HistogramConfig, Registry, RegistrySnapshot, Value};
use tally_export::proto::{self, MetricFamily, MetricType};
use tally_export::{
    encode, encode_protobuf, encode_protobuf_prost, encode_with, expand_native, native_schema,
    EncodeOptions, Format, ZERO_THRESHOLD,
};

fn decode_all(mut bytes: &[u8]) -> Vec<MetricFamily> {
    let mut families = Vec::new();
    while !bytes.is_empty() {
        families.push(MetricFamily::decode_length_delimited(&mut bytes).unwrap());
    }
    families
}

fn protobuf(snapshot: &RegistrySnapshot) -> Vec<MetricFamily> {
    let mut out = Vec::new();
    encode_with(
        Format::Protobuf,
        snapshot,
        &EncodeOptions {
            created: Some(1_700_000_000.25),
        },
        &mut out,
    );
    decode_all(&out)
}

fn labels(m: &proto::Metric) -> BTreeMap<String, String> {
    m.label
        .iter()
        .map(|l| (l.name.clone().unwrap(), l.value.clone().unwrap()))
        .collect()
}

/// The native bucket index of `v`, computed independently with `log2`.
fn native_index(v: f64, schema: i32) -> i32 {
    (v.log2() * f64::from(1 << schema)).ceil() as i32
}

/// Native (index -> count) from the HDR cells, independently of the encoder.
fn expected_native(h: &tally_core::HistogramSnapshot) -> (u64, BTreeMap<i32, u64>) {
    let schema = native_schema(&h.config());
    let scale = h.config().scale();
    let mut zero = 0;
    let mut map = BTreeMap::new();
    for cell in h.cells() {
        let mid = (cell.low + cell.high) as f64 / 2.0 / scale;
        if mid <= ZERO_THRESHOLD {
            zero += cell.count;
        } else {
            *map.entry(native_index(mid, schema)).or_insert(0) += cell.count;
        }
    }
    (zero, map)
}

fn check_native(h: &tally_core::HistogramSnapshot, p: &proto::Histogram) {
    assert_eq!(p.schema, Some(native_schema(&h.config())));
    assert!(
        p.zero_threshold.unwrap() > 0.0,
        "Prometheus 2.42 needs zero_threshold > 0"
    );
    let spans: Vec<(i32, u32)> = p
        .positive_span
        .iter()
        .map(|s| (s.offset.unwrap(), s.length.unwrap()))
        .collect();
    let got: BTreeMap<i32, u64> = expand_native(&spans, &p.positive_delta)
        .into_iter()
        .filter(|&(_, c)| c > 0)
        .collect();
    let (zero, want) = expected_native(h);
    assert_eq!(p.zero_count, Some(zero));
    assert_eq!(got, want);
    assert_eq!(got.values().sum::<u64>() + zero, h.count());
    assert!(p.negative_span.is_empty() && p.negative_delta.is_empty());
}

#[test]
fn every_family_decodes_with_its_fields() {
    let f = fixture();
    let snapshot = f.registry.snapshot();
    let families = protobuf(&snapshot);
    let by_name: BTreeMap<&str, &MetricFamily> = families
        .iter()
        .map(|f| (f.name.as_deref().unwrap(), f))
        .collect();
    // One record per family, plus the opt-in quantile summary.
    assert_eq!(families.len(), snapshot.families.len() + 1);

    let requests = by_name["app_http_requests_total"];
    assert_eq!(requests.r#type, Some(MetricType::Counter as i32));
    assert_eq!(requests.help.as_deref(), Some(AWKWARD_HELP));
    assert_eq!(requests.metric.len(), 10);
    let m = &requests.metric[2];
    let l = labels(m);
    assert_eq!(l["zone"], "eu \"west\" \\1");
    assert_eq!(l["method"], "GET");
    assert_eq!(l["weird"], "line1\nline2");
    let c = m.counter.as_ref().unwrap();
    assert_eq!(c.value, Some(7.0));
    assert_eq!(c.created_timestamp.as_ref().unwrap().seconds, 1_700_000_000);
    assert_eq!(c.created_timestamp.as_ref().unwrap().nanos, 250_000_000);

    let cpu = by_name["app_cpu_seconds_total"];
    assert_eq!(cpu.unit.as_deref(), Some("seconds"));
    assert_eq!(cpu.metric[0].counter.as_ref().unwrap().value, Some(12.625));

    let temp = by_name["app_temperature_celsius"];
    assert_eq!(temp.r#type, Some(MetricType::Gauge as i32));
    let values: Vec<f64> = temp
        .metric
        .iter()
        .map(|m| m.gauge.as_ref().unwrap().value.unwrap())
        .collect();
    assert!(values[0].is_nan());
    assert_eq!(
        &values[1..],
        &[f64::INFINITY, f64::NEG_INFINITY, 0.25, 1e300]
    );
    assert_eq!(
        by_name["app_lowest_free_slots"].metric[0]
            .gauge
            .as_ref()
            .unwrap()
            .value,
        Some(-2.0)
    );
    assert_eq!(
        by_name["app_gc_runs_total"].metric[0]
            .counter
            .as_ref()
            .unwrap()
            .value,
        Some(77.0)
    );

    let latency = by_name["app_request_latency_seconds"];
    assert_eq!(latency.r#type, Some(MetricType::Histogram as i32));
    let family = snapshot
        .families
        .iter()
        .find(|f| f.name == "app_request_latency_seconds")
        .unwrap();
    for (series, m) in family.series.iter().zip(&latency.metric) {
        let Value::Histogram(h) = &series.value else {
            panic!()
        };
        let p = m.histogram.as_ref().unwrap();
        assert_eq!(p.sample_count, Some(h.count()));
        assert_eq!(p.sample_sum, Some(h.sum_scaled()));
        assert_eq!(p.created_timestamp.as_ref().unwrap().seconds, 1_700_000_000);
        // Classic buckets: ascending, cumulative, the HDR count at each bound.
        assert_eq!(p.bucket.len(), 25);
        let mut last = (0.0, 0);
        for b in &p.bucket {
            let (ub, c) = (b.upper_bound.unwrap(), b.cumulative_count.unwrap());
            assert!(ub > last.0 && c >= last.1);
            assert_eq!(c, h.count_at_or_below((ub * 1e9).round() as u64), "le {ub}");
            last = (ub, c);
        }
        assert_eq!(p.schema, Some(5), "the default 32 cells per power of two");
        check_native(h, p);
    }
    let get = latency.metric[0].histogram.as_ref().unwrap();
    assert_eq!(get.sample_count, Some(get_latencies().len() as u64));

    let summary = by_name["app_request_latency_quantiles_seconds"];
    assert_eq!(summary.r#type, Some(MetricType::Summary as i32));
    let s = summary.metric[0].summary.as_ref().unwrap();
    let qs: Vec<f64> = s.quantile.iter().map(|q| q.quantile.unwrap()).collect();
    assert_eq!(qs, [0.5, 0.9, 0.99, 0.999, 1.0]);
    // The max: the highest value of the cell holding 0.997 s.
    let max = s.quantile[4].value.unwrap();
    assert!((0.997..=0.997 * (1.0 + 1.0 / 32.0)).contains(&max), "{max}");
    assert_eq!(s.sample_count, Some(1000));
}

#[test]
fn native_buckets_at_every_precision_and_zero_values() {
    for precision in 1..=4u8 {
        let registry = Registry::new();
        let h = registry
            .register(
                Desc::new("values", "Values."),
                Histogram::<()>::with_config(
                    HistogramConfig::raw(1, 1 << 40).with_precision_digits(precision),
                )
                .unwrap(),
            )
            .unwrap();
        for v in [0, 0, 1, 2, 3, 7, 100, 1000, 1001, 65_535, 65_536, 1 << 35] {
            h.record(v);
        }
        for i in 0..2000u64 {
            h.record(i * i * 13 + 5);
        }
        let snapshot = registry.snapshot();
        let families = protobuf(&snapshot);
        let p = families[0].metric[0].histogram.as_ref().unwrap();
        let Value::Histogram(hs) = &snapshot.families[0].series[0].value else {
            panic!()
        };
        assert_eq!(p.zero_count, Some(2), "two zeros recorded");
        check_native(hs, p);
        assert_eq!(p.schema, Some(native_schema(&hs.config())));
    }
}

#[test]
fn seconds_histogram_native_buckets_are_in_seconds() {
    let registry = Registry::new();
    let h = registry
        .register(Desc::new("lat", "Latency."), Histogram::<()>::new())
        .unwrap();
    h.record(1_000_000_000); // 1 s: native bucket 0 covers (2^-1/128, 1]
    let families = protobuf(&registry.snapshot());
    let p = families[0].metric[0].histogram.as_ref().unwrap();
    let spans: Vec<(i32, u32)> = p
        .positive_span
        .iter()
        .map(|s| (s.offset.unwrap(), s.length.unwrap()))
        .collect();
    let expanded = expand_native(&spans, &p.positive_delta);
    assert_eq!(expanded.len(), 1);
    // The HDR cell holding 1e9 ns spans a few ns above it: bucket 1 at schema 7.
    assert!(expanded[0].0 == 0 || expanded[0].0 == 1, "{expanded:?}");
    assert_eq!(expanded[0].1, 1);
}

#[test]
fn default_encode_matches_and_is_delimited() {
    let f = fixture();
    let snapshot = f.registry.snapshot();
    let mut out = Vec::new();
    encode(Format::Protobuf, &snapshot, &mut out);
    let families = decode_all(&out);
    assert_eq!(families.len(), snapshot.families.len() + 1);
}

#[test]
fn direct_encoder_writes_the_same_bytes_as_prost() {
    let f = fixture();
    let snapshot = f.registry.snapshot();
    for created in [None, Some(1_700_000_000.25), Some(0.0)] {
        let options = EncodeOptions { created };
        let (mut direct, mut reference) = (Vec::new(), Vec::new());
        encode_protobuf(&snapshot, &options, &mut direct);
        encode_protobuf_prost(&snapshot, &options, &mut reference);
        assert_eq!(direct, reference, "created {created:?}");
    }
    // An empty registry, an unlabeled never-recorded histogram.
    let registry = Registry::new();
    registry
        .register(Desc::new("idle", "Idle."), Histogram::<()>::new())
        .unwrap();
    let options = EncodeOptions { created: None };
    let (mut direct, mut reference) = (Vec::new(), Vec::new());
    encode_protobuf(&registry.snapshot(), &options, &mut direct);
    encode_protobuf_prost(&registry.snapshot(), &options, &mut reference);
    assert_eq!(direct, reference);
    assert!(!direct.is_empty());
}

/// Exemplars: on the counter, on the classic bucket holding the value and
/// in the native histogram's list; the direct writer and prost agree
/// byte for byte (the fixture has exemplars).
#[test]
fn exemplars_decode_on_counter_bucket_and_native_histogram() {
    let f = fixture();
    let snapshot = f.registry.snapshot();
    let families = protobuf(&snapshot);
    let by_name: BTreeMap<&str, &MetricFamily> = families
        .iter()
        .map(|f| (f.name.as_deref().unwrap(), f))
        .collect();
    let ids = |e: &proto::Exemplar| -> Vec<(String, String)> {
        e.label
            .iter()
            .map(|l| (l.name.clone().unwrap(), l.value.clone().unwrap()))
            .collect()
    };
    let want = vec![
        ("trace_id".to_string(), support::TRACE_ID.to_string()),
        ("span_id".to_string(), support::SPAN_ID.to_string()),
    ];
    let counters: Vec<_> = by_name["app_http_requests_total"]
        .metric
        .iter()
        .filter_map(|m| m.counter.as_ref()?.exemplar.as_ref())
        .collect();
    assert_eq!(counters.len(), 1);
    assert_eq!(ids(counters[0]), want);
    assert!(counters[0].timestamp.as_ref().unwrap().seconds > 1_700_000_000);

    let latency = by_name["app_request_latency_seconds"];
    let post = latency
        .metric
        .iter()
        .find(|m| labels(m).get("method").map(String::as_str) == Some("POST"))
        .unwrap();
    let h = post.histogram.as_ref().unwrap();
    let holding: Vec<_> = h
        .bucket
        .iter()
        .filter_map(|b| Some((b.upper_bound?, b.exemplar.as_ref()?)))
        .collect();
    assert_eq!(holding.len(), 1);
    assert_eq!(holding[0].0, 0.0025);
    assert_eq!(holding[0].1.value, Some(0.0015));
    assert_eq!(h.exemplars.len(), 1);
    assert_eq!(ids(&h.exemplars[0]), want);

    let options = EncodeOptions {
        created: Some(1_700_000_000.25),
    };
    let (mut direct, mut reference) = (Vec::new(), Vec::new());
    encode_protobuf(&snapshot, &options, &mut direct);
    encode_protobuf_prost(&snapshot, &options, &mut reference);
    assert_eq!(direct, reference);
}
