//! Prometheus text 0.0.4: escaping, special floats, `le` formatting,
//! bucket cumulativity, `+Inf == _count`, one HELP/TYPE per family,
//! families not interleaved, trailing newline.

mod support;

use support::expo::{check_histogram, families, parse_sample};
use support::{fixture, Method, AWKWARD_HELP};
use tally_core::{Counter, Desc, Histogram, HistogramConfig, LabelValue, Registry, Unit};
use tally_export::{encode, Format};

fn text(registry: &Registry) -> String {
    let mut out = Vec::new();
    encode(Format::PrometheusText, &registry.snapshot(), &mut out);
    String::from_utf8(out).unwrap()
}

fn suffixes(kind: &str) -> &'static [&'static str] {
    match kind {
        "counter" => &[""],
        "gauge" => &[""],
        "histogram" => &["_bucket", "_sum", "_count"],
        "summary" => &["", "_sum", "_count"],
        other => panic!("type {other}"),
    }
}

#[test]
fn structure_of_the_fixture() {
    let f = fixture();
    let out = text(&f.registry);
    let fams = families(&out, suffixes);
    let names: Vec<&str> = fams.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "app_http_requests_total",
            "app_cpu_seconds_total",
            "app_queue_depth",
            "app_temperature_celsius",
            "app_peak_connections",
            "app_lowest_free_slots",
            "app_request_latency_seconds",
            "app_request_latency_quantiles_seconds",
            "app_payload_size_bytes",
            "app_batch_length",
            "app_uptime_seconds",
            "app_gc_runs_total",
            "app_peer_messages_total",
            "tally_label_overflow_total",
        ]
    );
    for fam in &fams {
        assert!(fam.help.is_some() && !fam.kind.is_empty(), "{}", fam.name);
        assert!(fam.unit.is_none(), "no UNIT in 0.0.4");
        if fam.kind == "histogram" {
            assert!(check_histogram(fam, "_bucket") >= 1);
        }
    }
    // A runtime-bounded label: its admitted values, escaped, then the
    // overflow series; the overflow counted under `reason="full"`.
    for line in [
        "app_peer_messages_total{zone=\"eu \\\"west\\\" \\\\1\",peer=\"q\\\"uote\"} 1",
        "app_peer_messages_total{zone=\"eu \\\"west\\\" \\\\1\",peer=\"back\\\\slash\"} 2",
        "app_peer_messages_total{zone=\"eu \\\"west\\\" \\\\1\",peer=\"ünïcødé ☃\"} 3",
        "app_peer_messages_total{zone=\"eu \\\"west\\\" \\\\1\",peer=\"late {peer}\"} 4",
        "app_peer_messages_total{zone=\"eu \\\"west\\\" \\\\1\",peer=\"__overflow__\"} 5",
    ] {
        assert!(out.contains(line), "missing {line}\n{out}");
    }
    assert_eq!(out.matches("app_peer_messages_total{").count(), 5);
    assert!(out.contains("label=\"peer\",reason=\"full\"} "));
    // Counter samples are `name_total`, described under that name.
    let requests = &fams[0];
    assert_eq!(requests.kind, "counter");
    assert_eq!(requests.samples.len(), 10);
    assert!(requests
        .samples
        .iter()
        .all(|s| s.name == "app_http_requests_total"));
    // HELP: `\` and newline escaped, quotes not.
    assert_eq!(
        requests.help.as_deref(),
        Some("Requests \"served\" from C:\\\\srv\\\\\\nsecond line, ünïcödé.")
    );
    assert_eq!(
        requests
            .help
            .as_deref()
            .unwrap()
            .replace("\\n", "\n")
            .replace("\\\\", "\\"),
        AWKWARD_HELP
    );
    // Label values escaped and read back; constant label first on every series.
    let weird: Vec<&str> = requests.samples[..5]
        .iter()
        .map(|s| s.label("weird").unwrap())
        .collect();
    assert_eq!(weird, support::Weird::VALUES);
    assert!(requests
        .samples
        .iter()
        .all(|s| s.labels[0] == ("zone".into(), "eu \"west\" \\1".into())));
    assert_eq!(requests.samples[2].value, "7");
}

#[test]
fn escaping_on_the_wire() {
    let f = fixture();
    let out = text(&f.registry);
    assert!(out.contains(r#"weird="say \"hi\"""#));
    assert!(out.contains(r#"weird="C:\\path\\""#));
    assert!(out.contains(r#"weird="line1\nline2""#));
    assert!(out.contains("weird=\"héllo wörld ✓ 日本\""));
    assert!(out.contains(r#"zone="eu \"west\" \\1""#));
    assert!(out.contains("# HELP app_request_latency_seconds Request latency, \"end to end\".\n"));
    // No raw newline inside any line: every line starts as a line should
    // (a sample of the registry's prefixed families, or of tally's own,
    // whose standard names the prefix leaves alone).
    for line in out.lines() {
        assert!(
            line.starts_with("# HELP ")
                || line.starts_with("# TYPE ")
                || line.starts_with("app_")
                || line.starts_with("tally_"),
            "{line}"
        );
    }
}

#[test]
fn special_floats_and_integers() {
    let f = fixture();
    let out = text(&f.registry);
    let value = |weird: &str| {
        out.lines()
            .filter(|l| l.starts_with("app_temperature_celsius{"))
            .map(parse_sample)
            .find(|s| s.label("weird") == Some(weird))
            .unwrap()
            .value
    };
    assert_eq!(value("say \"hi\""), "NaN");
    assert_eq!(value("C:\\path\\"), "+Inf");
    assert_eq!(value("line1\nline2"), "-Inf");
    assert_eq!(value("héllo wörld ✓ 日本"), "0.25");
    assert_eq!(value("plain"), "1e300");
    assert!(
        out.contains("app_gc_runs_total{zone=\"eu \\\"west\\\" \\\\1\"} 77\n"),
        "integral floats print as integers"
    );
    assert!(out.contains("app_cpu_seconds_total{zone=\"eu \\\"west\\\" \\\\1\"} 12.625\n"));
    assert!(out.contains(
        "app_queue_depth{zone=\"eu \\\"west\\\" \\\\1\",weird=\"say \\\"hi\\\"\"} -10\n"
    ));
}

#[test]
fn le_formatting_and_default_buckets() {
    let f = fixture();
    let out = text(&f.registry);
    let les: Vec<String> = out
        .lines()
        .filter(|l| {
            l.starts_with("app_request_latency_seconds_bucket{") && l.contains("method=\"GET\"")
        })
        .map(|l| parse_sample(l).label("le").unwrap().to_string())
        .collect();
    assert_eq!(
        les,
        [
            "1e-06", "2.5e-06", "5e-06", "1e-05", "2.5e-05", "5e-05", "0.0001", "0.00025",
            "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5",
            "1.0", "2.5", "5.0", "10.0", "25.0", "50.0", "100.0", "+Inf"
        ]
    );
    // Explicit bounds, with the counts of the recorded values.
    let sizes: Vec<(String, String)> = out
        .lines()
        .filter(|l| l.starts_with("app_payload_size_bytes_bucket"))
        .map(parse_sample)
        .map(|s| (s.label("le").unwrap().to_string(), s.value))
        .collect();
    // 65 shares 64's cell (2 wide at 32 cells per power of two), and a
    // bound counts its whole cell.
    let want = [
        ("64.0", "3"),
        ("256.0", "3"),
        ("1024.0", "4"),
        ("4096.0", "4"),
        ("+Inf", "7"),
    ];
    assert_eq!(sizes, want.map(|(a, b)| (a.to_string(), b.to_string())));
    assert!(out.contains("app_payload_size_bytes_sum{zone=\"eu \\\"west\\\" \\\\1\"} 1059015\n"));
    assert!(out.contains("app_payload_size_bytes_count{zone=\"eu \\\"west\\\" \\\\1\"} 7\n"));
}

#[test]
fn quantiles_are_a_separate_summary_family() {
    let f = fixture();
    let out = text(&f.registry);
    let fams = families(&out, suffixes);
    let q = fams
        .iter()
        .find(|f| f.name == "app_request_latency_quantiles_seconds")
        .unwrap();
    assert_eq!(q.kind, "summary");
    let get: Vec<(String, f64)> = q
        .samples
        .iter()
        .filter(|s| s.label("method") == Some("GET") && s.name == q.name)
        .map(|s| (s.label("quantile").unwrap().to_string(), s.f64()))
        .collect();
    let labels: Vec<&str> = get.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(labels, ["0.5", "0.9", "0.99", "0.999", "1.0"]);
    let max = get[4].1;
    assert!(
        (0.997..=0.997 * (1.0 + 1.0 / 32.0)).contains(&max),
        "quantile 1 is the max, to its cell: {max}"
    );
    assert!(get.windows(2).all(|w| w[0].1 <= w[1].1));
    // Without opt-in, no summary.
    assert!(!out.contains("app_payload_size_quantiles"));
    assert!(!out.contains("app_batch_length_quantiles"));
}

#[test]
fn bucket_counts_match_the_hdr_cells() {
    // Many values around each bound: the count at `le` is the HDR count at
    // or below the bound, and cumulative.
    let registry = Registry::new();
    let h = registry
        .register(
            Desc::new("work", "Work done.").with_unit(Unit::SECONDS),
            Histogram::<()>::with_config(
                HistogramConfig::seconds().with_classic_buckets(&[0.001, 0.01, 0.1, 1.0]),
            )
            .unwrap(),
        )
        .unwrap();
    for i in 0..10_000u64 {
        h.record(i * 150_000);
    }
    let snap = h.snapshot();
    let out = text(&registry);
    let fams = families(&out, suffixes);
    assert_eq!(check_histogram(&fams[0], "_bucket"), 1);
    for s in &fams[0].samples {
        if let Some(le) = s.label("le").filter(|l| *l != "+Inf") {
            let bound: f64 = le.parse().unwrap();
            let want = snap.count_at_or_below((bound * 1e9).round() as u64);
            assert_eq!(s.f64() as u64, want, "le={le}");
        }
    }
    assert!(out.contains("work_seconds_bucket{le=\"+Inf\"} 10000\n"));
    assert!(out.contains("work_seconds_count 10000\n"));
}

#[test]
fn empty_and_unlabeled() {
    let registry = Registry::new();
    assert_eq!(text(&registry), "");
    let c = registry
        .register(Desc::new("hits_total", "Hits."), Counter::<()>::new())
        .unwrap();
    registry
        .register(
            Desc::new("idle", "Never recorded."),
            Histogram::<()>::with_config(
                HistogramConfig::raw(1, 1000).with_classic_buckets(&[10.0, 100.0]),
            )
            .unwrap(),
        )
        .unwrap();
    registry
        .register(
            Desc::new("idle_by_method", "Never recorded either."),
            Histogram::<Method>::new(),
        )
        .unwrap();
    c.add(3);
    // An unlabeled histogram shows zeros before its first record; a
    // labeled one shows only the series that recorded (none yet).
    assert_eq!(
        text(&registry),
        "# HELP hits_total Hits.\n# TYPE hits_total counter\nhits_total 3\n\
         # HELP idle Never recorded.\n# TYPE idle histogram\n\
         idle_bucket{le=\"10.0\"} 0\nidle_bucket{le=\"100.0\"} 0\nidle_bucket{le=\"+Inf\"} 0\n\
         idle_sum 0\nidle_count 0\n\
         # HELP idle_by_method Never recorded either.\n# TYPE idle_by_method histogram\n"
    );
}

#[test]
fn appends_to_existing_buffer() {
    let f = fixture();
    let mut out = b"prefix\n".to_vec();
    encode(Format::PrometheusText, &f.registry.snapshot(), &mut out);
    assert!(out.starts_with(b"prefix\n# HELP app_http_requests_total "));
}
