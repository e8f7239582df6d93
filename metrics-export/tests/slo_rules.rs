//! SLO rules generated from a registry's instrumented functions and
//! family objectives, checked by `promtool check rules` and unit-tested by
//! `promtool test rules` with synthetic series: a failing function, a slow
//! one and a failing family must page (and open a ticket), a healthy one
//! must not.

#![cfg(feature = "http")]

mod http_support;
mod slo_support;

use std::process::Command;
use std::time::Duration;

use slo_support::{skip, tool, Scratch};
use tally_core::instrument::Objective;
use tally_core::Registry;
use tally_export::rules::{BurnWindow, RulesError, SloRules};

/// What the attribute's generated code names (`crate = "crate::shim"`).
mod shim {
    pub mod __private {
        pub use tally_core::instrument::__private as instrument;
    }
}

#[tally_derive::instrument(crate = "crate::shim", objective(success = 99.9))]
fn checkout() -> Result<(), ()> {
    Ok(())
}

#[tally_derive::instrument(crate = "crate::shim", objective(success = 99.9, window = "7d"))]
fn browse() -> Result<(), ()> {
    Ok(())
}

#[tally_derive::instrument(
    crate = "crate::shim",
    objective(latency = "250ms", latency_target = 99)
)]
fn search() {}

/// How a job ended: the `result` label of a family's success objective.
#[derive(Clone, Copy)]
enum JobResult {
    Ok,
    Error,
}

impl tally_core::LabelValue for JobResult {
    const NAME: &'static str = "result";
    const VALUES: &'static [&'static str] = &["ok", "error"];

    fn ordinal(&self) -> usize {
        *self as usize
    }

    fn from_ordinal(ordinal: usize) -> Option<Self> {
        [JobResult::Ok, JobResult::Error].get(ordinal).copied()
    }
}

/// A family's objective, as `#[metric(objective(success = 99.0))]`
/// declares it on a field.
fn jobs_objective() -> Objective {
    Objective {
        success: Some(99.0),
        latency: None,
        window: Duration::from_secs(30 * 86400),
    }
}

fn rules() -> String {
    let registry = Registry::new();
    tally_core::instrument::register(&registry).unwrap();
    let jobs = registry
        .register(
            tally_core::Desc::new("jobs", "Jobs by result.").with_objective(jobs_objective()),
            tally_core::Counter::<JobResult>::new(),
        )
        .unwrap();
    jobs.with(JobResult::Ok).inc();
    jobs.with(JobResult::Error).inc();
    checkout().unwrap();
    browse().unwrap();
    search();
    let rules = SloRules::from_registry(&registry);
    let mut names = rules.objectives();
    names.sort();
    assert_eq!(
        names,
        [
            "browse-success",
            "checkout-success",
            "jobs-success",
            "search-latency"
        ]
    );
    rules.to_yaml()
}

/// The quoted `summary`/`description` of the alert of `slo` and `severity`.
fn annotations(yaml: &str, slo: &str, severity: &str) -> (String, String) {
    let group = yaml
        .split("  - name: ")
        .find(|g| g.starts_with(&format!("tally-slo-{slo}\n")))
        .unwrap();
    let alert = group
        .split("      - alert: ")
        .find(|a| a.contains(&format!("severity: \"{severity}\"")))
        .unwrap();
    let field = |key: &str| {
        alert
            .lines()
            .find_map(|l| l.trim().strip_prefix(&format!("{key}: ")))
            .unwrap()
            .to_string()
    };
    (field("summary"), field("description"))
}

fn expected(yaml: &str, slo: &str, function: &str, severity: &str) -> String {
    expected_with(yaml, slo, "function", function, severity)
}

/// The expected alert of `slo`, which carries `label: value` (a
/// function's `function`, a family's `family`).
fn expected_with(yaml: &str, slo: &str, label: &str, value: &str, severity: &str) -> String {
    let (summary, description) = annotations(yaml, slo, severity);
    format!(
        "          - exp_labels:\n              slo: {slo}\n              {label}: {value}\n              severity: {severity}\n            exp_annotations:\n              summary: {summary}\n              description: {description}\n"
    )
}

#[test]
fn promtool_checks_and_unit_tests_the_generated_rules() {
    if skip() {
        return;
    }
    let promtool = tool("TALLY_PROMTOOL", "/usr/bin/promtool");
    let yaml = rules();
    let dir = Scratch::new("slo-rules");
    std::fs::write(dir.0.join("rules.yml"), &yaml).unwrap();

    let check = Command::new(&promtool)
        .args(["check", "rules"])
        .arg(dir.0.join("rules.yml"))
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&check.stdout).to_string()
        + &String::from_utf8_lossy(&check.stderr);
    println!("promtool check rules:\n{out}");
    assert!(check.status.success(), "{out}\n{yaml}");
    // Per objective: 7 windows + the objective + 2 alerts.
    assert!(out.contains("SUCCESS: 40 rules found"), "{out}");

    let mut alerts = String::new();
    for (slo, function) in [
        ("checkout-success", "checkout"),
        ("search-latency", "search"),
    ] {
        for severity in ["page", "ticket"] {
            alerts.push_str(&expected(&yaml, slo, function, severity));
        }
    }
    for severity in ["page", "ticket"] {
        alerts.push_str(&expected_with(
            &yaml,
            "jobs-success",
            "family",
            "jobs",
            severity,
        ));
    }
    // 10 h of one-minute samples: checkout fails 10% of its calls (100x
    // its 0.1% budget), search answers 10% of its calls over 250 ms (10x
    // its 1% budget), browse fails none; the jobs family fails 20% of its
    // jobs (20x its 1% budget).
    let test = format!(
        r#"rule_files:
  - rules.yml
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'function_calls_total{{function="checkout",result="ok"}}'
        values: '0+900x600'
      - series: 'function_calls_total{{function="checkout",result="error"}}'
        values: '0+100x600'
      - series: 'function_calls_total{{function="browse",result="ok"}}'
        values: '0+1000x600'
      - series: 'function_calls_total{{function="browse",result="error"}}'
        values: '0+0x600'
      - series: 'function_calls_duration_seconds_bucket{{function="search",le="0.25"}}'
        values: '0+900x600'
      - series: 'function_calls_duration_seconds_count{{function="search"}}'
        values: '0+1000x600'
      - series: 'jobs_total{{result="ok"}}'
        values: '0+80x600'
      - series: 'jobs_total{{result="error"}}'
        values: '0+20x600'
    alert_rule_test:
      - eval_time: 1m
        alertname: SLOErrorBudgetBurn
        exp_alerts: []
      - eval_time: 5h
        alertname: SLOErrorBudgetBurn
        exp_alerts:
{alerts}    promql_expr_test:
      - expr: round(tally_slo:error_ratio:rate5m, 0.001)
        eval_time: 2h
        exp_samples:
          - labels: '{{slo="checkout-success",function="checkout"}}'
            value: 0.1
          - labels: '{{slo="browse-success",function="browse"}}'
            value: 0
          - labels: '{{slo="search-latency",function="search"}}'
            value: 0.1
          - labels: '{{slo="jobs-success",family="jobs"}}'
            value: 0.2
"#
    );
    std::fs::write(dir.0.join("test.yml"), &test).unwrap();
    let run = Command::new(&promtool)
        .args(["test", "rules", "test.yml"])
        .current_dir(&dir.0)
        .output()
        .unwrap();
    let out =
        String::from_utf8_lossy(&run.stdout).to_string() + &String::from_utf8_lossy(&run.stderr);
    println!("promtool test rules:\n{out}");
    assert!(
        run.status.success(),
        "{out}\n--- rules\n{yaml}\n--- test\n{test}"
    );
    assert!(out.contains("SUCCESS"), "{out}");
}

#[test]
fn the_unit_test_fails_when_a_healthy_function_is_expected_to_fire() {
    // The same machinery must be able to fail: browse is healthy, so
    // expecting its alert is wrong.
    if skip() {
        return;
    }
    let promtool = tool("TALLY_PROMTOOL", "/usr/bin/promtool");
    let yaml = rules();
    let dir = Scratch::new("slo-rules-negative");
    std::fs::write(dir.0.join("rules.yml"), &yaml).unwrap();
    let test = format!(
        r#"rule_files:
  - rules.yml
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'function_calls_total{{function="browse",result="ok"}}'
        values: '0+1000x600'
      - series: 'function_calls_total{{function="browse",result="error"}}'
        values: '0+0x600'
    alert_rule_test:
      - eval_time: 5h
        alertname: SLOErrorBudgetBurn
        exp_alerts:
{}"#,
        expected(&yaml, "browse-success", "browse", "page")
    );
    std::fs::write(dir.0.join("test.yml"), &test).unwrap();
    let run = Command::new(&promtool)
        .args(["test", "rules", "test.yml"])
        .current_dir(&dir.0)
        .output()
        .unwrap();
    assert!(
        !run.status.success(),
        "a healthy function's alert was expected and promtool agreed"
    );
}

#[test]
fn family_objectives_are_checked_against_the_registry() {
    let registry = Registry::new();
    registry
        .register(
            tally_core::Desc::new("jobs", "Jobs."),
            tally_core::Counter::<bool>::new(),
        )
        .unwrap();
    registry
        .register(
            tally_core::Desc::new("job_latency", "Latency.").with_unit(tally_core::Unit::SECONDS),
            tally_core::Histogram::<()>::new(),
        )
        .unwrap();
    let month = Duration::from_secs(30 * 86400);
    let rules = SloRules::from_registry(&registry);
    assert_eq!(
        rules
            .family_success("x", "nope", "", 99.0, month)
            .unwrap_err(),
        RulesError::NoFamily("nope".into())
    );
    let rules = SloRules::from_registry(&registry);
    assert!(matches!(
        rules.family_success("x", "job_latency_seconds", "", 99.0, month),
        Err(RulesError::WrongKind { .. })
    ));
    let rules = SloRules::from_registry(&registry);
    assert!(matches!(
        rules.family_success("x", "jobs", r#"flag="false""#, 100.0, month),
        Err(RulesError::Invalid { .. })
    ));
    let rules = SloRules::from_registry(&registry);
    assert!(rules.windows(vec![]).is_err());
    let rules = SloRules::from_registry(&registry)
        .family_success("jobs", "jobs", r#"flag="false""#, 99.5, month)
        .unwrap();
    let yaml = rules.to_yaml();
    assert!(
        yaml.contains(r#"sum(rate(jobs_total{flag=\"false\"}[5m]))"#),
        "{yaml}"
    );
    assert!(yaml.contains("0.072"), "14.4 x 0.5% budget: {yaml}");
    let _ = BurnWindow::sre_workbook();
}
