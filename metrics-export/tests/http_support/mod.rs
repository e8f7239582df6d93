//! A tiny blocking HTTP/1.1 client over `TcpStream` for the HTTP tests:
//! every request closes its connection, so a reply is read to EOF.
#![allow(dead_code)]

pub mod hostile;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// The Accept header Prometheus 2.42 sends by default (captured from the
/// real server).
pub const PROMETHEUS_ACCEPT: &str = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
/// The Accept header Prometheus 2.42 sends with
/// `--enable-feature=native-histograms` (captured from the real server).
pub const PROMETHEUS_NATIVE_ACCEPT: &str = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
/// curl's default Accept header.
pub const CURL_ACCEPT: &str = "*/*";
/// Firefox's Accept header for a page.
pub const BROWSER_ACCEPT: &str =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

/// A parsed response.
#[derive(Debug)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// Headers in order, names lowercased.
    pub headers: Vec<(String, String)>,
    /// The body as sent (not decompressed).
    pub body: Vec<u8>,
}

impl Reply {
    /// The first value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of header `name`.
    pub fn headers(&self, name: &str) -> Vec<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// `GET path` with extra headers.
pub fn get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Reply {
    request(addr, "GET", path, headers)
}

/// Any method, with extra headers; `Connection: close`.
pub fn request(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    parse(&raw(addr, head.as_bytes()))
}

/// Sends `bytes`, reads to EOF (10 s at most).
pub fn raw(addr: SocketAddr, bytes: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(bytes).expect("send request");
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    out
}

/// Parses a `Content-Length` (or close-delimited) HTTP/1.1 response.
pub fn parse(bytes: &[u8]) -> Reply {
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {:?}", String::from_utf8_lossy(bytes)));
    let head = std::str::from_utf8(&bytes[..end]).expect("ASCII head");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = bytes[end + 4..].to_vec();
    if let Some(len) = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
    {
        assert!(body.len() >= len, "truncated body: {} < {len}", body.len());
        body.truncate(len);
    }
    Reply {
        status,
        headers,
        body,
    }
}

/// Decompresses a gzip body.
pub fn gunzip(body: &[u8]) -> String {
    let mut out = String::new();
    flate2::read::GzDecoder::new(body)
        .read_to_string(&mut out)
        .expect("valid gzip");
    out
}

/// A family of `a x b` series of one kind (label values leaked once: they
/// must be `'static`, as derived label sets are), for tests that need a
/// large exposition.
pub struct Wide {
    desc: &'static tally_core::LabelDesc,
    kind: tally_core::MetricKind,
}

impl Wide {
    /// `a x b` counters (series `i` at `7 i`) or gauges (at `i`).
    pub fn new(kind: tally_core::MetricKind, a: usize, b: usize) -> Self {
        let values = |prefix: &str, n: usize| -> &'static [&'static str] {
            let list: Vec<&'static str> = (0..n)
                .map(|i| &*Box::leak(format!("{prefix}{i}").into_boxed_str()))
                .collect();
            Box::leak(list.into_boxed_slice())
        };
        let values: &'static [&'static [&'static str]] =
            Box::leak(vec![values("a", a), values("b", b)].into_boxed_slice());
        let desc = Box::leak(Box::new(tally_core::LabelDesc {
            names: &["shard", "slot"],
            values,
            dynamic: &[],
        }));
        Wide { desc, kind }
    }
}

impl tally_core::Metric for Wide {
    fn kind(&self) -> tally_core::MetricKind {
        self.kind
    }

    fn labels(&self) -> &'static tally_core::LabelDesc {
        self.desc
    }

    fn collect(&self) -> Result<tally_core::Collected, tally_core::CollectError> {
        use tally_core::{MetricKind, Series, Value};
        let value = |i: usize| match self.kind {
            MetricKind::Counter => Value::Counter(i as u64 * 7),
            _ => Value::Gauge(i as i64),
        };
        Ok(tally_core::Collected {
            series: (0..self.desc.cardinality())
                .map(|i| Series::new(i, value(i)))
                .collect(),
            clamped: 0,
            ..Default::default()
        })
    }
}

/// Serves `app` on a free loopback port until the guard drops.
pub struct Serving {
    /// Where the app listens.
    pub addr: std::net::SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Serving {
    /// Serves `app` on a thread of its own.
    pub fn start(app: axum::Router) -> Serving {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        let _ = stopped.await;
                    })
                    .await
                    .unwrap();
            });
            runtime.shutdown_timeout(std::time::Duration::from_secs(1));
        });
        Serving {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
