//! Encoders read the names of expiring label values
//! (`dynamic_label!(..., idle_secs)`) from the snapshot they encode: a
//! value evicted after the snapshot still prints under its own name with
//! its own numbers, a re-admitted slot prints under the new name from
//! zero, the output passes promtool, and the eviction counter is exposed;
//! the same for a histogram family.

mod support;

use std::sync::Arc;
use std::time::Duration;

use support::{run_tool, skip_interop};
use tally_core::{dynamic_label, Counter, Desc, Histogram, ManualClock, Registry};
use tally_export::{encode, Format};

dynamic_label!(Tenant, name = "tenant", capacity = 1, idle_secs = 60);
dynamic_label!(Session, name = "session", capacity = 1, idle_secs = 60);

fn text(snapshot: &tally_core::RegistrySnapshot, format: Format) -> String {
    let mut out = Vec::new();
    encode(format, snapshot, &mut out);
    String::from_utf8(out).unwrap()
}

#[test]
fn encoders_print_the_names_taken_with_the_snapshot() {
    let clock = ManualClock::new();
    Tenant::table().set_clock(Arc::new(clock.clone()));
    let registry = Registry::new();
    let requests = registry
        .register(
            Desc::new("requests_total", "Requests."),
            Counter::<Tenant>::new(),
        )
        .unwrap();
    requests.with(Tenant::admit("acme")).add(7);
    let before = registry.snapshot();
    registry.snapshot();
    clock.advance(Duration::from_secs(60));
    // acme is evicted after `before` was taken: `before` still prints it.
    let globex = Tenant::admit("globex");
    requests.with(globex).add(2);
    assert_eq!(Tenant::table().evicted(), 1);
    for format in [Format::PrometheusText, Format::OpenMetrics, Format::Json] {
        let old = text(&before, format);
        assert!(
            old.contains("acme") && old.contains('7'),
            "{format:?}:\n{old}"
        );
        assert!(!old.contains("globex"), "{format:?}:\n{old}");
    }
    let after = registry.snapshot();
    let now = text(&after, Format::PrometheusText);
    assert!(now.contains("requests_total{tenant=\"globex\"} 2"), "{now}");
    assert!(!now.contains("acme"), "{now}");
    assert!(!now.contains("tenant=\"\""), "{now}");
    assert!(
        now.contains("tally_label_evicted_total{label=\"tenant\"} 1"),
        "{now}"
    );
    let om = text(&after, Format::OpenMetrics);
    assert!(om.contains("requests_total{tenant=\"globex\"} 2"), "{om}");
    if !skip_interop() {
        let output = run_tool("promtool", &["check", "metrics"], now.as_bytes());
        assert!(
            output.status.success(),
            "promtool: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn a_histogram_prints_each_value_under_its_own_name_from_zero() {
    let clock = ManualClock::new();
    Session::table().set_clock(Arc::new(clock.clone()));
    let registry = Registry::new();
    let latency = registry
        .register(
            Desc::new("call_seconds", "Calls."),
            Histogram::<Session>::new(),
        )
        .unwrap();
    let acme = Session::admit("acme");
    for _ in 0..3 {
        latency.with(acme).record_f64(0.25);
    }
    let before = registry.snapshot();
    registry.snapshot();
    clock.advance(Duration::from_secs(60));
    let globex = Session::admit("globex");
    assert!(!globex.is_overflow(), "acme was evicted for globex");
    latency.with(globex).record_f64(0.5);
    let old = text(&before, Format::PrometheusText);
    assert!(
        old.contains("call_seconds_count{session=\"acme\"} 3"),
        "{old}"
    );
    assert!(!old.contains("globex"), "{old}");
    let after = registry.snapshot();
    for format in [Format::PrometheusText, Format::OpenMetrics] {
        let now = text(&after, format);
        assert!(
            now.contains("call_seconds_count{session=\"globex\"} 1"),
            "{format:?}:\n{now}"
        );
        assert!(
            now.contains("call_seconds_sum{session=\"globex\"} 0.5"),
            "{format:?}:\n{now}"
        );
        assert!(!now.contains("acme"), "{format:?}:\n{now}");
    }
    let now = text(&after, Format::PrometheusText);
    if !skip_interop() {
        let output = run_tool("promtool", &["check", "metrics"], now.as_bytes());
        assert!(
            output.status.success(),
            "promtool: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
