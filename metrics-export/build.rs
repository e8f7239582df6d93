//! Records the version of the compiler building this crate as
//! `TALLY_RUSTC_VERSION`, for `register_build_info!`'s `rustc` label. Every
//! crate of one build is compiled by the same rustc (cargo rebuilds on a
//! compiler change), so it is the application's compiler too.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=RUSTC");
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        // "rustc 1.85.0 (4d91de4e4 2025-02-17)" -> "1.85.0"
        .and_then(|s| s.split_whitespace().nth(1).map(str::to_owned));
    if let Some(version) = version {
        println!("cargo:rustc-env=TALLY_RUSTC_VERSION={version}");
    }
}
