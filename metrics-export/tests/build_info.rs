//! The build-info family read back by real parsers: Python's strict
//! OpenMetrics parser sees an `info` family, promtool accepts the 0.0.4
//! gauge with no lint problem.

mod support;

use support::{run_tool, script, skip_interop};
use tally_core::Registry;
use tally_export::{encode, register_build_info, Format, RUSTC_VERSION};

fn registry() -> Registry {
    let registry = Registry::new();
    register_build_info!(&registry, "demo").unwrap();
    registry
}

#[test]
fn python_openmetrics_parser_reads_an_info_family() {
    if skip_interop() {
        return;
    }
    let mut out = Vec::new();
    encode(Format::OpenMetrics, &registry().snapshot(), &mut out);
    let output = run_tool("python3", &[&script("parse_openmetrics.py")], &out);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let families: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let family = &families[0];
    assert_eq!(family["name"], "demo_build");
    assert_eq!(family["type"], "info");
    let sample = &family["samples"][0];
    assert_eq!(sample["name"], "demo_build_info");
    assert_eq!(sample["value"], "1.0");
    assert_eq!(sample["labels"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(sample["labels"]["rustc"], RUSTC_VERSION);
    assert_ne!(RUSTC_VERSION, "unknown");
}

#[test]
fn promtool_accepts_the_gauge() {
    if skip_interop() {
        return;
    }
    let mut out = Vec::new();
    encode(Format::PrometheusText, &registry().snapshot(), &mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    assert!(text.contains("# TYPE demo_build_info gauge\n"), "{text}");
    let output = run_tool("promtool", &["check", "metrics"], &out);
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success() && all.trim().is_empty(),
        "{all}\n{text}"
    );
}
