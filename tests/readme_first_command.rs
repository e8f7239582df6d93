//! README's first command, run exactly as written: the first line of its
//! first `sh` block that is not a comment (`cargo run --release --example
//! http_service`), started through `sh -c` from the repository root, must
//! serve `/metrics` on the address the example prints; then it is
//! stopped (its whole process group: cargo and the example).
//!
//! It builds the example in release mode when the release build is not
//! already there, so its deadline is generous; the suite runs it once.

#![cfg(all(unix, feature = "axum"))]

mod support;

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use support::get;

/// Building the release example on a fresh 2-core machine and starting it.
const START_DEADLINE: Duration = Duration::from_secs(900);

fn first_command(readme: &str) -> String {
    let block = readme
        .split_once("```sh\n")
        .and_then(|(_, rest)| rest.split_once("```"))
        .expect("README has an sh block")
        .0;
    block
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .expect("a command in README's first sh block")
        .to_owned()
}

/// Stops the process group (sh, cargo and the example) when the test
/// ends, however it ends: SIGTERM (the example shuts down gracefully),
/// then SIGKILL for anything still there a few seconds later.
struct Group(std::process::Child);

impl Drop for Group {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        for _ in 0..50 {
            if Command::new("kill")
                .args(["-0", "--", &group])
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| !s.success())
            {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.0.wait();
    }
}

#[test]
fn readme_first_command_serves_metrics() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let command = first_command(&readme);
    assert_eq!(
        command, "cargo run --release --example http_service",
        "README's first command changed; update this test's expectations"
    );
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let cargo_dir = std::path::Path::new(&cargo)
        .parent()
        .map(|p| p.display().to_string());
    let path = match (cargo_dir, std::env::var("PATH")) {
        (Some(dir), Ok(path)) => format!("{dir}:{path}"),
        (_, Ok(path)) => path,
        _ => String::new(),
    };
    let mut child = Command::new("sh")
        .args(["-c", &command])
        .current_dir(root)
        .env("PATH", path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("sh runs");
    // The example prints `http://ADDR/metrics` among its URLs.
    let stdout = child.stdout.take().unwrap();
    let _group = Group(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(url) = line.split_whitespace().find(|w| w.ends_with("/metrics")) {
                let _ = tx.send(url.to_owned());
            }
        }
    });
    let url = rx
        .recv_timeout(START_DEADLINE)
        .expect("the example printed its /metrics URL in time");
    let addr: std::net::SocketAddr = url
        .trim_start_matches("http://")
        .trim_end_matches("/metrics")
        .parse()
        .expect("the example prints a socket address");

    // One request through the instrumented API, then the scrape.
    let (status, api) = get(addr, "/api/items");
    assert_eq!(status, 200, "{api}");
    let (status, response) = get(addr, "/metrics");
    assert_eq!(status, 200, "{response}");
    for family in [
        "http_server_requests_total{method=\"GET\",status=\"2xx\",route=\"/api/items\"} 1",
        "# TYPE http_server_request_duration_seconds histogram",
        "process_start_time_seconds",
    ] {
        assert!(
            response.contains(family),
            "{family} missing from:\n{response}"
        );
    }
}
