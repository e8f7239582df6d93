//! A library crate that only records depends on the derives and the core:
//! `tally` without default features pulls in at most 25 crates (itself
//! included), none of the HTTP, async, protobuf or compression stack.

use std::collections::BTreeSet;
use std::process::Command;

#[test]
fn without_default_features_tally_is_small() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "tree",
            "-e",
            "normal",
            "-p",
            "tally-metrics",
            "--no-default-features",
            "--prefix",
            "none",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let crates: BTreeSet<String> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .filter(|name| !name.is_empty())
        .collect();
    assert!(crates.contains("tally-core") && crates.contains("tally-derive"));
    for heavy in [
        "hyper",
        "tokio",
        "prost",
        "flate2",
        "serde_json",
        "tally-export",
    ] {
        assert!(!crates.contains(heavy), "{heavy} in {crates:?}");
    }
    assert!(crates.len() <= 25, "{} crates: {crates:?}", crates.len());
}
