//! Instrumented functions join the rules and the dashboard before their
//! first call: the attribute submits each function at link time, so a
//! rules file generated at startup holds every objective of the program
//! (checked by `promtool check rules` where promtool is installed).
//!
//! Its own test binary: nothing here calls `never_called` before the
//! rules are generated.

use std::path::PathBuf;
use std::process::Command;

use tally_core::Registry;
use tally_export::dashboard::{dashboard, DashboardOptions};
use tally_export::rules::SloRules;

/// What the attribute's generated code names (`crate = "crate::shim"`).
mod shim {
    pub mod __private {
        pub use tally_core::instrument::__private as instrument;
    }
}

#[tally_derive::instrument(crate = "crate::shim", objective(success = 99.9))]
fn never_called() -> Result<(), ()> {
    Ok(())
}

// Never constructed: its method is listed all the same.
#[allow(dead_code)]
struct Store;

#[tally_derive::instrument(crate = "crate::shim")]
impl Store {
    #[tally_derive::instrument(
        crate = "crate::shim",
        objective(latency = "100ms", latency_target = 99)
    )]
    async fn load(&self) -> u32 {
        1
    }
}

#[test]
fn functions_join_rules_and_dashboard_before_their_first_call() {
    // Before any call: the program's instrumented functions are listed.
    let functions = tally_core::instrument::functions();
    let labels: Vec<&str> = functions.iter().map(|f| f.label).collect();
    assert!(labels.contains(&"never_called"), "{labels:?}");
    assert!(labels.contains(&"Store::load"), "{labels:?}");
    let f = functions
        .iter()
        .find(|f| f.label == "never_called")
        .unwrap();
    assert_eq!(f.objective.unwrap().success, Some(99.9));

    // The global registry exports their families, as after a call.
    let rules = SloRules::from_registry(Registry::global());
    let mut names = rules.objectives();
    names.sort();
    assert_eq!(names, ["Store::load-latency", "never_called-success"]);
    let yaml = rules.to_yaml();
    assert!(
        yaml.contains(r#"function_calls_total{function=\"never_called\"}"#),
        "{yaml}"
    );

    // A registry of one's own, with the families registered into it.
    let registry = Registry::new();
    tally_core::instrument::register(&registry).unwrap();
    let own = SloRules::from_registry(&registry);
    let mut names = own.objectives();
    names.sort();
    assert_eq!(names, ["Store::load-latency", "never_called-success"]);

    // The dashboard's error budgets name them too.
    let json = dashboard(&registry, &DashboardOptions::default()).to_string();
    assert!(json.contains("never_called-success"), "{json}");
    assert!(json.contains("Store::load-latency"), "{json}");

    // The first call keeps the function's place: one entry, its series
    // under the same label.
    never_called().unwrap();
    let after = tally_core::instrument::functions();
    assert_eq!(after.len(), functions.len());
    assert_eq!(
        after.iter().filter(|f| f.label == "never_called").count(),
        1
    );
    let snapshot = registry.snapshot();
    let calls = snapshot
        .families
        .iter()
        .find(|f| f.name == "function_calls")
        .unwrap();
    for s in &calls.series {
        let labels: Vec<(&str, &str)> = calls.label_pairs(s).collect();
        assert_eq!(labels[0], ("function", "never_called"), "{labels:?}");
        let expected = if labels[1] == ("result", "ok") { 1 } else { 0 };
        assert!(
            matches!(s.value, tally_core::Value::Counter(n) if n == expected),
            "{labels:?}: {:?}",
            s.value
        );
    }
    assert!(!calls.series.is_empty());

    // promtool, as the other rule tests run it (`TALLY_SKIP_INTEROP=1`
    // skips it; `TALLY_PROMTOOL` names another binary).
    if std::env::var_os("TALLY_SKIP_INTEROP").is_some_and(|v| v == "1") {
        return;
    }
    let promtool = std::env::var_os("TALLY_PROMTOOL")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/promtool"));
    assert!(
        promtool.exists(),
        "{} not found: install prometheus (promtool) or set TALLY_SKIP_INTEROP=1",
        promtool.display()
    );
    let file = std::env::temp_dir().join(format!(
        "tally-slo-before-first-call-{}.yml",
        std::process::id()
    ));
    std::fs::write(&file, &yaml).unwrap();
    let check = Command::new(&promtool)
        .args(["check", "rules"])
        .arg(&file)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&file);
    let out = String::from_utf8_lossy(&check.stdout).to_string()
        + &String::from_utf8_lossy(&check.stderr);
    assert!(check.status.success(), "{out}\n{yaml}");
    assert!(out.contains("SUCCESS: 20 rules found"), "{out}");
}
