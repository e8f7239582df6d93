//! A real Prometheus (2.42, with `--enable-feature=native-histograms`)
//! scrapes the fixture registry from a minimal HTTP server that answers
//! with `Format::negotiate(Accept)`: Prometheus asks for protobuf, and
//! the native histograms, counters with awkward labels and gauges it
//! stores read back through its query API with the recorded values.
//! 2.42 recognizes a native histogram only with buckets or a positive
//! zero threshold: this is the test that the encoder meets that rule.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value as Json;
use support::{fixture, get_latencies, skip_interop};
use tally_export::{encode, Format};

/// Kills the Prometheus this test started (and only it) when dropped.
struct Server(Child, std::path::PathBuf);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        let _ = std::fs::remove_dir_all(&self.1);
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'-' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `GET /api/v1/query?query=...` on Prometheus; the `data.result` array.
fn query(port: u16, promql: &str) -> Option<Vec<Json>> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    let request = format!(
        "GET /api/v1/query?query={} HTTP/1.0\r\nHost: localhost\r\n\r\n",
        percent_encode(promql)
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let body = response.split_once("\r\n\r\n")?.1;
    let json: Json = serde_json::from_str(body).ok()?;
    json["data"]["result"].as_array().cloned()
}

#[test]
fn prometheus_scrapes_native_histograms_over_protobuf() {
    if skip_interop() {
        return;
    }
    let f = Arc::new(fixture());

    // The target: one response per connection, in the negotiated format.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = listener.local_addr().unwrap();
    let accepts = Arc::new(Mutex::new(Vec::<String>::new()));
    {
        let (f, accepts) = (f.clone(), accepts.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut accept = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((k, v)) = line.split_once(':') {
                        if k.eq_ignore_ascii_case("accept") {
                            accept = Some(v.trim().to_string());
                        }
                    }
                }
                let format = Format::negotiate(accept.as_deref());
                accepts
                    .lock()
                    .unwrap()
                    .push(format!("{format:?} <- {accept:?}"));
                let mut body = Vec::new();
                encode(format, &f.registry.snapshot(), &mut body);
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    format.content_type(),
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body);
            }
        });
    }

    let dir = std::env::temp_dir().join(format!("tally-prometheus-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: tally\n    static_configs:\n      - targets: ['{target}']\n"
        ),
    )
    .unwrap();
    let web = free_port();
    let child = Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{web}"))
        .arg("--enable-feature=native-histograms")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run `prometheus` ({e}): run the README test command, which installs the \
                 Debian package `prometheus` (or set TALLY_SKIP_INTEROP=1 to skip explicitly)"
            )
        });
    let _server = Server(child, dir);

    // Wait for the native histogram to be ingested.
    let deadline = Instant::now() + Duration::from_secs(60);
    let latency = loop {
        if let Some(result) = query(web, "app_request_latency_seconds{method=\"GET\"}") {
            if let Some(series) = result.first() {
                break series.clone();
            }
        }
        assert!(
            Instant::now() < deadline,
            "Prometheus ingested no native histogram in 60 s; scrapes: {:?}",
            accepts.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(250));
    };
    let seen = accepts.lock().unwrap().clone();
    assert!(seen.iter().all(|s| s.starts_with("Protobuf")), "{seen:?}");

    // The native histogram: count, sum, buckets.
    let h = &latency["histogram"][1];
    assert!(h.is_object(), "not a native histogram: {latency}");
    let values = get_latencies();
    assert_eq!(h["count"], values.len().to_string());
    let sum: f64 = h["sum"].as_str().unwrap().parse().unwrap();
    assert!((sum - values.iter().sum::<u64>() as f64 / 1e9).abs() < 1e-9);
    let buckets = h["buckets"].as_array().unwrap();
    let in_buckets: f64 = buckets
        .iter()
        .map(|b| b[3].as_str().unwrap().parse::<f64>().unwrap())
        .sum();
    assert_eq!(in_buckets, values.len() as f64);
    // Every observation lies in the bucket Prometheus reports for it, within
    // the HDR precision: the smallest bucket starts at or below the minimum,
    // the largest ends at or above the maximum (relative 1%).
    let lower: f64 = buckets[0][1].as_str().unwrap().parse().unwrap();
    let upper: f64 = buckets.last().unwrap()[2]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        lower <= 997e-9 * 1.01 && upper >= 0.997 * 0.99,
        "{lower} .. {upper}"
    );
    let quantile = query(
        web,
        "histogram_quantile(0.5, app_request_latency_seconds{method=\"GET\"})",
    )
    .unwrap();
    let p50: f64 = quantile[0]["value"][1].as_str().unwrap().parse().unwrap();
    let exact = values[499] as f64 / 1e9;
    assert!((p50 - exact).abs() / exact < 0.02, "p50 {p50} vs {exact}");

    // A counter with escaped label values and the constant label.
    let requests = query(web, "app_http_requests_total{method=\"GET\"}").unwrap();
    let newline = requests
        .iter()
        .find(|s| s["metric"]["weird"] == "line1\nline2")
        .expect("the newline label value survives");
    assert_eq!(newline["value"][1], "7");
    assert_eq!(newline["metric"]["zone"], "eu \"west\" \\1");
    let unicode = requests
        .iter()
        .find(|s| s["metric"]["weird"] == "héllo wörld ✓ 日本")
        .unwrap();
    assert_eq!(unicode["value"][1], "10");

    // Gauges, including the special floats.
    let temps = query(web, "app_temperature_celsius").unwrap();
    let temp = |w: &str| {
        temps
            .iter()
            .find(|s| s["metric"]["weird"] == w)
            .map(|s| s["value"][1].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(temp("say \"hi\""), "NaN");
    assert_eq!(temp("C:\\path\\"), "+Inf");
    assert_eq!(temp("line1\nline2"), "-Inf");
    let up = query(web, "up").unwrap();
    assert_eq!(up[0]["value"][1], "1");
}
