//! The encoders-only build (`default-features = false`) leaves out the
//! HTTP, async and prost stacks: a user serving the encoders through
//! their own server does not compile hyper, tokio, flate2 or prost.

use std::collections::BTreeSet;
use std::process::Command;

#[test]
fn encoders_only_build_has_no_http_async_or_prost_stack() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "tree",
            "-e",
            "normal",
            "-p",
            "tally-export",
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
    assert!(crates.contains("tally-core") && crates.contains("serde_json"));
    // flate2: tally-export's gzip is behind `http`, hdrhistogram's V2
    // serialization (the JSON `hdr_v2_base64` field) behind `json-hdr`.
    for heavy in [
        "flate2",
        "hyper",
        "hyper-util",
        "http-body-util",
        "tokio",
        "prost",
        "subtle",
        "sha2",
        "axum",
    ] {
        assert!(!crates.contains(heavy), "{heavy} in {crates:?}");
    }
    assert!(crates.len() <= 45, "{} crates: {crates:?}", crates.len());
}
