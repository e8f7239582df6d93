//! Shared fixtures of the encoder tests: a registry exercising every
//! metric kind with awkward help texts and label values, and the helpers
//! that run external tools (promtool, python3).
#![allow(dead_code)]

pub mod expo;

use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use tally_core::{
    Computed, Counter, Desc, FloatCounter, FloatGauge, Gauge, Histogram, HistogramConfig,
    LabelValue, MaxGauge, MinGauge, Registry, Unit,
};

/// HTTP method: a plain label.
#[derive(Clone, Copy, Debug)]
pub enum Method {
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

/// A label whose values need escaping or are not ASCII.
#[derive(Clone, Copy, Debug)]
pub enum Weird {
    Quote,
    Backslash,
    Newline,
    Unicode,
    Plain,
}

impl LabelValue for Weird {
    const NAME: &'static str = "weird";
    const VALUES: &'static [&'static str] = &[
        "say \"hi\"",
        "C:\\path\\",
        "line1\nline2",
        "héllo wörld ✓ 日本",
        "plain",
    ];
    fn ordinal(&self) -> usize {
        *self as usize
    }
    fn from_ordinal(ordinal: usize) -> Option<Self> {
        Self::ALL.get(ordinal).copied()
    }
}

impl Weird {
    pub const ALL: [Weird; 5] = [
        Weird::Quote,
        Weird::Backslash,
        Weird::Newline,
        Weird::Unicode,
        Weird::Plain,
    ];
}

/// A help text with every character that needs escaping somewhere.
pub const AWKWARD_HELP: &str = "Requests \"served\" from C:\\srv\\\nsecond line, ünïcödé.";

/// Latency quantiles exposed as an opt-in summary.
pub const QUANTILES: &[f64] = &[0.5, 0.9, 0.99, 0.999];

/// The handles of the fixture registry, to check values against.
pub struct Fixture {
    pub registry: Registry,
    pub requests: Arc<Counter<(Method, Weird)>>,
    pub latency: Arc<Histogram<Method>>,
    pub sizes: Arc<Histogram>,
}

/// The trace id of the fixture's exemplars.
pub const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
/// The span id of the fixture's exemplars.
pub const SPAN_ID: &str = "00f067aa0ba902b7";
tally_core::dynamic_label!(
    /// A peer, admitted at run time (capacity 4: the fifth overflows).
    pub Peer, name = "peer", capacity = 4
);

/// Recorded latencies of `GET`, in nanoseconds.
pub fn get_latencies() -> Vec<u64> {
    (1..=1000u64).map(|i| i * i * 997).collect()
}

/// A registry with every metric kind (Counter, FloatCounter, Gauge,
/// FloatGauge, MaxGauge, MinGauge, Histogram with and without opt-in
/// quantiles, explicit and default buckets, computed counter and gauge),
/// a prefix and a constant label, awkward help texts and label values,
/// and a runtime-bounded label with an overflowed value.
pub fn fixture() -> Fixture {
    let registry = Registry::builder()
        .prefix("app")
        .const_label("zone", "eu \"west\" \\1")
        .build()
        .unwrap();

    let requests = registry
        .register(
            Desc::new("http_requests_total", AWKWARD_HELP),
            Counter::<(Method, Weird)>::new(),
        )
        .unwrap();
    for (i, w) in Weird::ALL.iter().enumerate() {
        requests.with((Method::Get, *w)).add(i as u64 * 3 + 1);
        requests.with((Method::Post, *w)).add(1000 + i as u64);
    }
    // One series with an exemplar (the trace of its last increment).
    requests
        .with((Method::Get, Weird::ALL[0]))
        .add_with_exemplar(0, TRACE_ID, SPAN_ID);

    let cpu = registry
        .register(
            Desc::new("cpu", "CPU time used.").with_unit(Unit::SECONDS),
            FloatCounter::<()>::new(),
        )
        .unwrap();
    cpu.add(12.625);

    let depth = registry
        .register(
            Desc::new("queue_depth", "Items queued, by kind."),
            Gauge::<Weird>::new(),
        )
        .unwrap();
    for (i, w) in Weird::ALL.iter().enumerate() {
        depth.with(*w).set(i as i64 * 7 - 10);
    }

    let temp = registry
        .register(
            Desc::new("temperature", "Sensor readings; some are not numbers.")
                .with_unit(Unit::CELSIUS),
            FloatGauge::<Weird>::new(),
        )
        .unwrap();
    let readings = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.25, 1e300];
    for (w, v) in Weird::ALL.iter().zip(readings) {
        temp.with(*w).set(v);
    }

    let peak = registry
        .register(
            Desc::new("peak_connections", "Most connections at once."),
            MaxGauge::<()>::new(),
        )
        .unwrap();
    peak.observe(17);
    peak.observe(42);
    peak.observe(3);
    let low = registry
        .register(
            Desc::new("lowest_free_slots", "Fewest free slots seen."),
            MinGauge::<()>::new(),
        )
        .unwrap();
    low.observe(9);
    low.observe(-2);

    let latency = registry
        .register(
            Desc::new("request_latency", "Request latency, \"end to end\".")
                .with_unit(Unit::SECONDS),
            Histogram::<Method>::with_config(HistogramConfig::seconds().with_quantiles(QUANTILES))
                .unwrap(),
        )
        .unwrap();
    for v in get_latencies() {
        latency.with(Method::Get).record(v);
    }
    latency
        .with(Method::Post)
        .record_with_exemplar(1_500_000, TRACE_ID, SPAN_ID);

    let sizes = registry
        .register(
            Desc::new("payload_size", "Payload sizes.").with_unit(Unit::BYTES),
            Histogram::<()>::with_config(
                HistogramConfig::raw(1, 1 << 30)
                    .with_classic_buckets(&[64.0, 256.0, 1024.0, 4096.0]),
            )
            .unwrap(),
        )
        .unwrap();
    for v in [10, 64, 65, 300, 5000, 5000, 1 << 20] {
        sizes.record(v);
    }

    let batches = registry
        .register(
            Desc::new("batch_length", "Items per batch (default buckets)."),
            Histogram::<()>::with_config(HistogramConfig::raw(1, 100_000)).unwrap(),
        )
        .unwrap();
    for v in [1, 3, 3, 50, 999] {
        batches.record(v);
    }

    registry
        .register(
            Desc::new("uptime", "Seconds since start (computed).").with_unit(Unit::SECONDS),
            Computed::gauge(|| 1234.5),
        )
        .unwrap();
    registry
        .register(
            Desc::new("gc_runs_total", "Collections run (computed)."),
            Computed::counter(|| 77.0),
        )
        .unwrap();

    // A runtime-bounded label: values admitted at run time, holding
    // quotes, backslashes and non-ASCII, then one past the capacity (the
    // `__overflow__` series, and a count in `tally_label_overflow_total`).
    Peer::declare(["q\"uote", "back\\slash", "ünïcødé ☃"]).unwrap();
    let messages = registry
        .register(
            Desc::new(
                "peer_messages_total",
                "Messages, by peer (admitted at run time).",
            ),
            Counter::<Peer>::new(),
        )
        .unwrap();
    for (i, peer) in [
        "q\"uote",
        "back\\slash",
        "ünïcødé ☃",
        "late {peer}",
        "one too many",
    ]
    .into_iter()
    .enumerate()
    {
        messages.with(Peer::admit(peer)).add(i as u64 + 1);
    }

    Fixture {
        registry,
        requests,
        latency,
        sizes,
    }
}

/// Whether the interop tests are skipped explicitly.
pub fn skip_interop() -> bool {
    if std::env::var("TALLY_SKIP_INTEROP").as_deref() == Ok("1") {
        eprintln!("TALLY_SKIP_INTEROP=1: interop test skipped");
        true
    } else {
        false
    }
}

/// Runs `program args` with `stdin`, panicking with the README hint if
/// the program is missing.
pub fn run_tool(program: &str, args: &[&str], stdin: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run `{program}` ({e}): the interop tests need promtool (Debian package \
                 `prometheus`) and python3 with `prometheus_client`; run the README test \
                 command, which installs them (or set TALLY_SKIP_INTEROP=1 to skip explicitly)"
            )
        });
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

/// The path of a helper script in `tests/support`.
pub fn script(name: &str) -> String {
    format!("{}/tests/support/{name}", env!("CARGO_MANIFEST_DIR"))
}
