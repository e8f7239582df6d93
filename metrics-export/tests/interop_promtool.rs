//! `promtool check metrics` (Prometheus 2.42's parser and linter) accepts
//! the 0.0.4 text of a registry exercising every metric kind, with help
//! texts and label values holding quotes, backslashes, newlines and
//! non-ASCII (including runtime-admitted values of a `dynamic_label!` and
//! its `__overflow__` series), and reports no problem at all.

mod support;

use support::{fixture, run_tool, skip_interop};
use tally_export::{encode, Format};

#[test]
fn promtool_accepts_text_format_without_lint_problems() {
    if skip_interop() {
        return;
    }
    let f = fixture();
    let mut out = Vec::new();
    encode(Format::PrometheusText, &f.registry.snapshot(), &mut out);
    let output = run_tool("promtool", &["check", "metrics"], &out);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "promtool failed ({}):\n{stdout}{stderr}\n--- input ---\n{}",
        output.status,
        String::from_utf8_lossy(&out)
    );
    assert!(
        stdout.trim().is_empty() && stderr.trim().is_empty(),
        "promtool reported problems:\n{stdout}{stderr}"
    );
}

#[test]
fn promtool_rejects_broken_input() {
    // The harness itself: promtool must flag what it should flag, or the
    // test above proves nothing.
    if skip_interop() {
        return;
    }
    let output = run_tool(
        "promtool",
        &["check", "metrics"],
        b"# HELP x no total\n# TYPE x counter\nx 1\n",
    );
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        all.contains("_total"),
        "promtool lint did not complain: {all}"
    );
}

#[test]
#[should_panic(expected = "run the README test command")]
fn a_missing_tool_fails_with_the_readme_hint() {
    // Not skipped by TALLY_SKIP_INTEROP: it checks the failure itself.
    run_tool("tally-no-such-tool-anywhere", &[], b"");
}
