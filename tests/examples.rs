//! Every example, built and run briefly (bounded in time, loopback only),
//! its output and its metrics endpoints checked, so none can rot. Also
//! checks that README's quick start is `examples/quick_start.rs`.
//!
//! Each example is built with the profile and features of this test
//! binary (a no-op when the test run already built every target, as
//! `cargo test` and `cargo nextest run` do), then run directly. A run that
//! outlives its deadline is killed and fails the test.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use support::get;

/// How long any one example run may take, start to exit.
const RUN_DEADLINE: Duration = Duration::from_secs(60);

/// Builds example `name` like this test binary was built and returns the
/// executable's path.
fn build_example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    // <target>/<profile dir>/deps/examples-<hash>
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let target_dir = profile_dir.parent().unwrap();
    let profile = match profile_dir.file_name().unwrap().to_str().unwrap() {
        "debug" => "dev",
        other => other,
    };
    let mut cargo = Command::new(env!("CARGO"));
    cargo
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "build",
            "--quiet",
            "--message-format=json",
            "--example",
            name,
        ])
        .args(["--profile", profile])
        .arg("--target-dir")
        .arg(target_dir)
        .stderr(Stdio::inherit());
    if cfg!(feature = "axum") {
        cargo.args(["--features", "axum"]);
    }
    let output = cargo.output().expect("run cargo");
    assert!(
        output.status.success(),
        "cargo build --example {name} failed"
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == name)
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .unwrap_or_else(|| panic!("cargo reported no executable for example {name}"))
}

/// A running example: its stdout lines as they come, killed if dropped.
struct Run {
    name: String,
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
    deadline: Instant,
}

impl Run {
    fn start(name: &str, args: &[&str]) -> Run {
        let path = build_example(name);
        let mut child = Command::new(&path)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", path.display()));
        let stdout = child.stdout.take().unwrap();
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Run {
            name: name.to_string(),
            child,
            lines,
            seen: Vec::new(),
            deadline: Instant::now() + RUN_DEADLINE,
        }
    }

    /// The next line, or `None` once stdout closed; panics past the deadline.
    fn next_line(&mut self) -> Option<String> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        match self.lines.recv_timeout(left) {
            Ok(line) => {
                self.seen.push(line.clone());
                Some(line)
            }
            Err(RecvTimeoutError::Disconnected) => None,
            Err(RecvTimeoutError::Timeout) => panic!(
                "{} still running after {RUN_DEADLINE:?}; output so far:\n{}",
                self.name,
                self.seen.join("\n")
            ),
        }
    }

    /// Reads up to the first line containing `needle` and returns it.
    fn wait_for(&mut self, needle: &str) -> String {
        while let Some(line) = self.next_line() {
            if line.contains(needle) {
                return line;
            }
        }
        panic!(
            "{} exited without printing {needle:?}; output:\n{}",
            self.name,
            self.seen.join("\n")
        )
    }

    /// Reads the rest of stdout and waits for the exit (bounded by the
    /// deadline); returns the status and every line printed.
    fn finish(mut self) -> (ExitStatus, Vec<String>) {
        while self.next_line().is_some() {}
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status, std::mem::take(&mut self.seen));
            }
            assert!(
                Instant::now() < self.deadline,
                "{} did not exit in time",
                self.name
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// `promtool check metrics` (Prometheus 2.42's parser and its lints,
/// none ignored) accepts `text` with exit status 0.
fn assert_promtool_accepts(text: &str) {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool is installed (scripts/test.sh installs it)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "promtool check metrics exited {:?}: {}{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The address in a line's first `http://ADDR` URL.
fn url_addr(line: &str) -> SocketAddr {
    let rest = &line[line.find("http://").expect("a URL") + "http://".len()..];
    let end = rest.find(['/', ' ']).unwrap_or(rest.len());
    rest[..end].parse().expect("a socket address")
}

/// The value of a sample `name{labels} value` in Prometheus text.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no sample {series} in:\n{text}"))
        .parse()
        .unwrap()
}

/// The numbers in `line` after each of `keys` (e.g. "served 12" -> 12).
fn numbers_after(line: &str, keys: &[&str]) -> Vec<u64> {
    keys.iter()
        .map(|key| {
            let at = line
                .find(key)
                .unwrap_or_else(|| panic!("{key:?} in {line}"))
                + key.len();
            line[at..]
                .trim_start()
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("a number after {key:?} in {line}"))
        })
        .collect()
}

#[test]
fn http_service_serves_its_api_and_its_metrics() {
    let mut run = Run::start(
        "http_service",
        &["--addr", "127.0.0.1:0", "--load", "--duration", "5s"],
    );
    let addr = url_addr(&run.wait_for("listening on http://"));
    assert_ne!(addr.port(), 0);
    run.wait_for(&format!("metrics     http://{addr}/metrics"));
    run.wait_for(&format!("debug vars  http://{addr}/debug/vars"));
    run.wait_for("scrape_configs:");
    run.wait_for(&format!("- targets: [\"{addr}\"]"));
    run.wait_for("load generator");

    // Its own API answers...
    let (status, items) = get(addr, "/api/items");
    assert_eq!(status, 200);
    assert!(serde_json::from_str::<serde_json::Value>(&items)
        .unwrap()
        .is_array());
    assert_eq!(get(addr, "/no/such/page").0, 404);
    // ...and once the load generator has run a while, so do the metrics.
    run.wait_for("load:");
    let (status, text) = get(addr, "/metrics");
    assert_eq!(status, 200);
    assert_promtool_accepts(&text);
    // The instrumented upstream call behind /api/slow, and the rules
    // generated for its objective.
    assert!(
        text.contains(r#"function_calls_total{function="call_upstream",result="ok"}"#),
        "{text}"
    );
    let (status, rules) = get(addr, "/-/rules.yml");
    assert_eq!(status, 200);
    assert!(rules.contains("alert: SLOErrorBudgetBurn"), "{rules}");
    assert!(rules.contains("call_upstream"), "{rules}");
    let (status, dashboard) = get(addr, "/-/dashboard.json");
    assert_eq!(status, 200);
    assert!(serde_json::from_str::<serde_json::Value>(&dashboard).unwrap()["panels"].is_array());
    let requests = r#"http_server_requests_total{method="GET",status="#;
    assert!(sample(&text, &format!(r#"{requests}"2xx",route="/api/items"}}"#)) > 0.0);
    assert!(
        sample(
            &text,
            &format!(r#"{requests}"4xx",route="/api/items/{{id}}"}}"#)
        ) > 0.0
    );
    assert!(sample(&text, &format!(r#"{requests}"4xx",route="unmatched"}}"#)) > 0.0);
    let duration = r#"http_server_request_duration_seconds_count{method="GET",route="/api/items"}"#;
    assert!(sample(&text, duration) > 0.0);
    let sent = r#"http_server_response_body_size_bytes_sum{method="GET",route="/api/items"}"#;
    assert!(sample(&text, sent) > 0.0);
    assert!(
        text.contains("# TYPE http_server_active_requests gauge"),
        "{text}"
    );
    assert!(
        !text.contains("/no/such/page"),
        "unknown paths are one `unmatched` value, never the raw path"
    );
    assert!(sample(&text, "process_resident_memory_bytes") > 0.0);
    assert!(text.contains("http_service_build_info{version="), "{text}");
    let (status, vars) = get(addr, "/debug/vars");
    assert_eq!(status, 200);
    let vars: serde_json::Value = serde_json::from_str(&vars).unwrap();
    assert_eq!(
        vars["families"]["http_server_requests_total"]["type"],
        "counter"
    );
    assert_eq!(get(addr, "/-/healthy").0, 200);

    let (status, lines) = run.finish();
    assert!(status.success(), "{status}: {lines:#?}");
    let summary = lines.last().expect("a summary line");
    assert!(summary.starts_with("summary: "), "{summary}");
    let [total, ok, in_flight] = numbers_after(summary, &["summary:", "2xx", "bytes,"])[..] else {
        unreachable!()
    };
    assert!(total > 50 && ok > 0, "{summary}");
    assert_eq!(in_flight, 0, "{summary}");
}

#[test]
fn circuit_breaker_trips_probes_and_recovers() {
    let mut run = Run::start(
        "circuit_breaker",
        &[
            "--duration",
            "2s",
            "--speed",
            "10",
            "--serve",
            "127.0.0.1:0",
        ],
    );
    // Scrape at once (the run is short); the summary has the final counts.
    let addr = url_addr(&run.wait_for("metrics at http://"));
    let (status, text) = get(addr, "/metrics");
    assert_eq!(status, 200);
    assert_promtool_accepts(&text);
    let states: f64 = ["closed", "open", "half_open"]
        .iter()
        .map(|s| sample(&text, &format!(r#"breaker_state{{state="{s}"}}"#)))
        .sum();
    assert_eq!(states, 1.0, "exactly one state is current:\n{text}");
    assert!(
        text.contains("# TYPE breaker_trips_total counter"),
        "{text}"
    );
    assert!(text.contains(r#"breaker_rejected_total{reason="too_many_probes"}"#));

    // The seeded simulation trips at the outage, 3 s in, and recovers.
    run.wait_for("closed -> open");
    run.wait_for("open -> half_open");
    run.wait_for("half_open -> closed");
    let (status, lines) = run.finish();
    assert!(status.success(), "{status}: {lines:#?}");
    let summary = lines.last().unwrap();
    let [trips, probes_ok, stale] = numbers_after(summary, &["trips", "probes:", "stale"])[..]
    else {
        unreachable!()
    };
    assert!(trips >= 1 && probes_ok >= 3 && stale >= 1, "{summary}");
    assert!(summary.ends_with("state closed"), "{summary}");
}

#[test]
fn circuit_breaker_simulation_is_deterministic() {
    let transitions = || {
        let (status, lines) =
            Run::start("circuit_breaker", &["--duration", "1s", "--speed", "8"]).finish();
        assert!(status.success());
        lines
    };
    let first = transitions();
    assert!(
        first.iter().any(|l| l.contains("closed -> open")),
        "{first:#?}"
    );
    assert_eq!(first, transitions());
}

#[test]
fn request_window_counts_every_request() {
    let run = Run::start(
        "request_window",
        &["--threads", "3", "--duration", "3s", "--bucket", "1s"],
    );
    let (status, lines) = run.finish();
    assert!(status.success(), "{status}: {lines:#?}");
    let ticks = lines
        .iter()
        .filter(|l| l.contains("window: last 5m"))
        .count();
    assert!(ticks >= 2, "printed every second: {lines:#?}");
    let summary = lines.last().unwrap();
    let [served, last_5m] = numbers_after(summary, &["served", "last 5m"])[..] else {
        unreachable!()
    };
    assert!(served > 100, "{summary}");
    assert_eq!(served, last_5m, "the window lost nothing: {summary}");
    assert!(summary.ends_with("window exact: yes"), "{summary}");
}

#[test]
fn request_window_drains_when_idle() {
    let run = Run::start(
        "request_window",
        &[
            "--threads",
            "2",
            "--duration",
            "1s",
            "--bucket",
            "50ms",
            "--idle",
            "1s",
        ],
    );
    let (status, lines) = run.finish();
    assert!(status.success(), "{status}: {lines:#?}");
    let summary = lines.last().unwrap();
    let [served, last_5m, last_1m] = numbers_after(summary, &["served", "last 5m", "last 1m"])[..]
    else {
        unreachable!()
    };
    assert!(served > 0, "{summary}");
    assert_eq!((last_5m, last_1m), (0, 0), "{summary}");
}

#[test]
fn quick_start_serves_or_reports_a_busy_port() {
    let mut run = Run::start("quick_start", &[]);
    match run.next_line() {
        Some(line) => {
            // It serves on the fixed port 9464 until killed.
            let addr = url_addr(&line);
            let (status, text) = get(addr, "/metrics");
            assert_eq!(status, 200);
            // Another process may own the port: check it is this one.
            if text.contains("cache_lookups_total") {
                assert_promtool_accepts(&text);
                assert_eq!(sample(&text, r#"cache_lookups_total{outcome="miss"}"#), 1.0);
                assert!(text.contains("# TYPE cache_latency_seconds histogram"));
            }
        }
        None => {
            // 9464 was taken by something else: the example must say so.
            let (status, _) = run.finish();
            assert!(!status.success());
            eprintln!("quick_start could not bind 127.0.0.1:9464; only its failure was checked");
        }
    }
}

#[test]
fn bad_flags_are_refused_with_the_usage() {
    for name in ["http_service", "circuit_breaker", "request_window"] {
        let output = Command::new(build_example(name))
            .arg("--bogus")
            .output()
            .unwrap();
        assert!(!output.status.success(), "{name} accepted --bogus");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("usage:"), "{name}: {stderr}");
    }
}

/// README's quick start is `examples/quick_start.rs` (between its
/// markers), so the code a newcomer copies compiles and runs.
#[test]
fn readme_quick_start_is_the_example() {
    let root = env!("CARGO_MANIFEST_DIR");
    let example = std::fs::read_to_string(format!("{root}/examples/quick_start.rs")).unwrap();
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let code = example
        .split_once("// quick start: begin\n")
        .and_then(|(_, rest)| rest.split_once("// quick start: end"))
        .expect("markers in examples/quick_start.rs")
        .0;
    assert!(
        readme.contains(&format!("```rust,no_run\n{code}```")),
        "README's quick start differs from examples/quick_start.rs; paste:\n{code}"
    );
}
