//! The live page's compact JSON: every family and series of a registry
//! with awkward names and values, read back with serde_json, and its
//! one-pass quantiles equal to the HDR quantiles the other encoders use.

mod support;

use serde_json::Value as Json;
use tally_core::{
    Counter, Desc, Histogram, HistogramConfig, Registry, RegistrySnapshot, Value, Window,
    WindowedHistogram,
};
use tally_export::{encode_page_json, page_quantiles, quantile_value, PAGE_QUANTILES};

fn page_json(snapshot: &RegistrySnapshot) -> Json {
    let mut out = Vec::new();
    encode_page_json(snapshot, &mut out);
    serde_json::from_slice(&out)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out)))
}

/// A JSON number, or one of the strings standing for non-finite floats.
fn float(v: &Json) -> f64 {
    match v {
        Json::String(s) if s == "NaN" => f64::NAN,
        Json::String(s) if s == "+Inf" => f64::INFINITY,
        Json::String(s) if s == "-Inf" => f64::NEG_INFINITY,
        v => v.as_f64().unwrap_or_else(|| panic!("not a number: {v}")),
    }
}

fn same(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

#[test]
fn every_family_and_series_reads_back() {
    let fixture = support::fixture();
    let snapshot = fixture.registry.snapshot();
    let doc = page_json(&snapshot);
    assert_eq!(doc["const_labels"]["zone"], "eu \"west\" \\1");
    assert_eq!(doc["failed_computed"], 0);
    let families = doc["families"].as_array().unwrap();
    assert_eq!(families.len(), snapshot.families.len());
    for (f, family) in families.iter().zip(&snapshot.families) {
        let kind = format!("{:?}", family.kind).to_lowercase();
        let name = if kind == "counter" {
            format!("{}_total", family.name)
        } else {
            family.name.clone()
        };
        assert_eq!(f["name"], name.as_str());
        assert_eq!(f["kind"], kind.as_str());
        assert_eq!(f["help"], &*family.help);
        match family.unit {
            Some(unit) => assert_eq!(f["unit"], unit.as_str()),
            None => assert!(f["unit"].is_null()),
        }
        let names: Vec<&str> = f["labels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap())
            .collect();
        assert_eq!(names, family.labels.names);
        let rows = f["series"].as_array().unwrap();
        assert_eq!(rows.len(), family.series.len(), "{name}");
        for (row, series) in rows.iter().zip(&family.series) {
            let values: Vec<&str> = row[0]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            let want: Vec<&str> = family.label_pairs(series).map(|(_, v)| v).collect();
            assert_eq!(values, want, "{name}");
            match &series.value {
                Value::Counter(v) => assert_eq!(row[1].as_u64(), Some(*v)),
                Value::Gauge(v) => assert_eq!(row[1].as_i64(), Some(*v)),
                Value::CounterF64(v) | Value::GaugeF64(v) => {
                    assert!(same(float(&row[1]), *v), "{name}: {} vs {v}", row[1])
                }
                Value::Histogram(h) | Value::Summary(h) => {
                    assert_eq!(row[1].as_u64(), Some(h.count()));
                    assert_eq!(float(&row[2]), h.sum_scaled());
                    for (i, q) in PAGE_QUANTILES.iter().enumerate() {
                        assert_eq!(float(&row[3 + i]), quantile_value(h, *q), "{name} q{q}");
                    }
                }
            }
        }
    }
    // The values the fixture recorded, by name.
    let requests = families
        .iter()
        .find(|f| f["name"] == "app_http_requests_total")
        .unwrap();
    assert_eq!(requests["series"][0][0][0], "GET");
    assert_eq!(requests["series"][0][0][1], "say \"hi\"");
    assert_eq!(requests["series"][0][1], 1);
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[test]
fn one_pass_quantiles_equal_the_hdr_estimates() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let configs = [
        HistogramConfig::seconds(),
        HistogramConfig::raw(1, 1 << 30),
        HistogramConfig::raw(1, 100_000).with_precision_digits(1),
        HistogramConfig::raw(1, 1 << 40).with_precision_digits(4),
    ];
    for (c, config) in configs.into_iter().enumerate() {
        let registry = Registry::new();
        let h = registry
            .register(
                Desc::new(format!("h{c}"), "Random values."),
                Histogram::<()>::with_config(config).unwrap(),
            )
            .unwrap();
        for round in 0..40 {
            // Heavy-tailed values: a random number of random bits.
            for _ in 0..(rng.next() % 50) {
                let bits = 1 + rng.next() % 36;
                h.record(rng.next() % (1 << bits));
            }
            let snap = h.snapshot();
            let got = page_quantiles(&snap);
            for (i, q) in PAGE_QUANTILES.iter().enumerate() {
                assert_eq!(
                    got[i],
                    quantile_value(&snap, *q),
                    "config {c} round {round} q{q}"
                );
            }
        }
    }
}

#[test]
fn windowed_histograms_are_summaries_and_counters_carry_total() {
    let registry = Registry::new();
    let window = registry
        .register(
            Desc::new("recent_latency", "Over the last minute.")
                .with_unit(tally_core::Unit::SECONDS),
            WindowedHistogram::<()>::with_config(
                Window::new(std::time::Duration::from_secs(60), 6).unwrap(),
                HistogramConfig::seconds(),
            )
            .unwrap(),
        )
        .unwrap();
    window.record(2_000_000);
    let plain = registry
        .register(Desc::new("jobs_total", "Jobs."), Counter::<()>::new())
        .unwrap();
    plain.add(u64::MAX);
    let doc = page_json(&registry.snapshot());
    let f = &doc["families"];
    assert_eq!(f[0]["kind"], "summary");
    assert_eq!(f[0]["series"][0][1], 1);
    assert_eq!(
        float(&f[0]["series"][0][4]),
        quantile_value(&window.snapshot(), 0.9)
    );
    assert_eq!(f[1]["name"], "jobs_total");
    assert_eq!(f[1]["series"][0][1].as_u64(), Some(u64::MAX));
}
