//! A real Prometheus 2.42 for the instrument tests (objectives, dashboard,
//! tracing exemplars): it scrapes one target every second, evaluates
//! rule files every second, and is killed (its directory removed) on drop.
//! The binary is `$TALLY_PROMETHEUS` or `/usr/bin/prometheus`.

#![allow(dead_code)]

use std::fs;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::http_support::get;

pub fn skip() -> bool {
    if std::env::var_os("TALLY_SKIP_INTEROP").is_some_and(|v| v == "1") {
        eprintln!("TALLY_SKIP_INTEROP=1: skipping the real-Prometheus test");
        return true;
    }
    false
}

pub fn tool(env: &str, default: &str) -> PathBuf {
    let path = std::env::var_os(env)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default));
    assert!(
        path.is_file(),
        "{} not found: install Debian's `prometheus` package (it ships promtool too), point {env} at a binary, or set TALLY_SKIP_INTEROP=1",
        path.display()
    );
    path
}

/// A scratch directory, removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("tally-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

pub struct Prometheus {
    child: Child,
    pub dir: PathBuf,
    pub addr: SocketAddr,
}

impl Prometheus {
    /// Scraping `target` every second, evaluating `rules` (a rules file's
    /// text) every second, with `--enable-feature=feature` if given.
    pub fn start(
        name: &str,
        target: SocketAddr,
        rules: Option<&str>,
        feature: Option<&str>,
    ) -> Prometheus {
        let binary = tool("TALLY_PROMETHEUS", "/usr/bin/prometheus");
        let dir = std::env::temp_dir().join(format!("tally-prom-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("data")).unwrap();
        let mut config = format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: tally\n    static_configs:\n      - targets: ['{target}']\n"
        );
        if let Some(rules) = rules {
            fs::write(dir.join("rules.yml"), rules).unwrap();
            config.push_str(&format!(
                "rule_files:\n  - {}\n",
                dir.join("rules.yml").display()
            ));
        }
        fs::write(dir.join("prometheus.yml"), config).unwrap();
        let addr = free_port();
        let log = fs::File::create(dir.join("prometheus.log")).unwrap();
        let mut command = Command::new(binary);
        command
            .arg(format!(
                "--config.file={}",
                dir.join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address={addr}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        if let Some(feature) = feature {
            command.arg(format!("--enable-feature={feature}"));
        }
        let child = command.spawn().expect("start prometheus");
        Prometheus { child, dir, addr }
    }

    fn api(&self, path: &str) -> Option<Value> {
        if std::net::TcpStream::connect(self.addr).is_err() {
            return None;
        }
        let reply = get(self.addr, path, &[]);
        let json: Value = serde_json::from_slice(&reply.body).ok()?;
        (json["status"] == "success").then(|| json["data"].clone())
    }

    /// An instant query's result, `Err` with Prometheus' error if it
    /// failed, `None` if Prometheus is not answering.
    pub fn query(&self, promql: &str) -> Option<Result<Vec<Value>, String>> {
        if std::net::TcpStream::connect(self.addr).is_err() {
            return None;
        }
        let reply = get(
            self.addr,
            &format!("/api/v1/query?query={}", url_encode(promql)),
            &[],
        );
        let json: Value = serde_json::from_slice(&reply.body).ok()?;
        Some(if json["status"] == "success" {
            Ok(json["data"]["result"]
                .as_array()
                .cloned()
                .unwrap_or_default())
        } else {
            Err(format!("{}: {}", json["errorType"], json["error"]))
        })
    }

    /// The alerts (pending or firing).
    pub fn alerts(&self) -> Option<Vec<Value>> {
        self.api("/api/v1/alerts")?["alerts"].as_array().cloned()
    }

    /// The exemplars of `promql` over the last hour.
    pub fn exemplars(&self, promql: &str) -> Option<Vec<Value>> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_secs();
        self.api(&format!(
            "/api/v1/query_exemplars?query={}&start={}&end={}",
            url_encode(promql),
            now - 3600,
            now + 60
        ))?
        .as_array()
        .cloned()
    }

    /// Polls `check` every 250 ms until it returns `Some`, up to `deadline`.
    pub fn wait<T>(
        &self,
        deadline: Duration,
        what: &str,
        mut check: impl FnMut(&Prometheus) -> Option<T>,
    ) -> T {
        let started = Instant::now();
        while started.elapsed() < deadline {
            if let Some(v) = check(self) {
                return v;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        panic!(
            "{what}: not within {deadline:?}\nprometheus log tail:\n{}",
            self.log_tail()
        );
    }

    pub fn log_tail(&self) -> String {
        let log = fs::read_to_string(self.dir.join("prometheus.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

pub fn free_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// An instant-vector sample's value.
pub fn value(sample: &Value) -> f64 {
    sample["value"][1]
        .as_str()
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN)
}
