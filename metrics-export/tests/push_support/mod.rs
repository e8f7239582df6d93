//! Shared parts of the push tests: real servers started on loopback and
//! killed on drop, and a tiny capturing HTTP receiver whose behaviour the
//! test switches (answer, fail with 500, stall, hold the socket open).
#![allow(dead_code)]

use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use flate2::read::GzDecoder;

/// Whether the interop tests are skipped explicitly (`TALLY_SKIP_INTEROP=1`).
pub fn skip() -> bool {
    if std::env::var_os("TALLY_SKIP_INTEROP").is_some_and(|v| v == "1") {
        eprintln!("TALLY_SKIP_INTEROP=1: skipping a real-server test");
        return true;
    }
    false
}

/// `$env` or `default`; a missing binary fails the test with the way out.
pub fn binary(env: &str, default: &str, package: &str) -> PathBuf {
    let path = std::env::var_os(env)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default));
    assert!(
        path.is_file(),
        "{} not found: install Debian's `{package}` (scripts/test.sh does), point {env} at a \
         binary, or set TALLY_SKIP_INTEROP=1 to skip the interop tests explicitly.",
        path.display()
    );
    path
}

/// A loopback address with a port free right now.
pub fn free_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// A fresh temporary directory for `name`, removed by [`Process`]'s drop.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tally-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// A running server process, killed and its directory removed on drop.
pub struct Process {
    child: Child,
    pub dir: PathBuf,
    pub addr: SocketAddr,
    log: PathBuf,
}

impl Process {
    /// Starts `binary` with `args`, output to `dir/<name>.log`, and waits
    /// (at most 30 s) until `addr` accepts connections.
    pub fn start(
        name: &str,
        binary: &Path,
        args: &[String],
        dir: PathBuf,
        addr: SocketAddr,
    ) -> Self {
        let log = dir.join(format!("{name}.log"));
        let out = fs::File::create(&log).unwrap();
        let child = Command::new(binary)
            .args(args)
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", binary.display()));
        let process = Process {
            child,
            dir,
            addr,
            log,
        };
        let started = Instant::now();
        while TcpStream::connect(addr).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{name} did not listen on {addr} within 30 s; log:\n{}",
                process.log_tail()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        process
    }

    /// The last 30 lines of the process' log.
    pub fn log_tail(&self) -> String {
        let log = fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Percent-encodes a query parameter.
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

/// Polls `f` every 200 ms until it returns `Some`, for at most `deadline`.
pub fn wait_for<T>(deadline: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            started.elapsed() < deadline,
            "{what}: not within {deadline:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// How the [`Receiver`] treats the next requests.
#[derive(Clone, Debug, PartialEq)]
pub enum Mode {
    /// Answer `status` with `body`.
    Answer(u16, Vec<u8>),
    /// Wait this long, then answer 200 with an empty body.
    Slow(Duration),
    /// Read the request, then never answer (the socket stays open).
    Silent,
    /// Answer `status` with a `Location: <location>` header.
    Redirect(u16, String),
}

/// One request the receiver read.
#[derive(Clone, Debug)]
pub struct Captured {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    /// The body, gunzipped if it came with `Content-Encoding: gzip`.
    pub body: Vec<u8>,
}

impl Captured {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A loopback HTTP/1.1 receiver on a thread: captures every request,
/// answers as its [`Mode`] says; stops (and closes held sockets) on drop.
pub struct Receiver {
    pub addr: SocketAddr,
    pub mode: Arc<Mutex<Mode>>,
    pub captured: Arc<Mutex<Vec<Captured>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Receiver {
    /// Listens on `addr` (port 0: any free port) in `mode`.
    pub fn start(addr: SocketAddr, mode: Mode) -> Receiver {
        let listener = TcpListener::bind(addr).unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let mode = Arc::new(Mutex::new(mode));
        let captured = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (mode, captured, stop) = (mode.clone(), captured.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut held = Vec::new();
                let mut workers = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            stream.set_nonblocking(false).unwrap();
                            let (mode, captured) = (mode.clone(), captured.clone());
                            let held_stream = stream.try_clone().unwrap();
                            held.push(held_stream);
                            workers.push(std::thread::spawn(move || {
                                let _ = serve(stream, &mode, &captured);
                            }));
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
                for s in &held {
                    let _ = s.shutdown(std::net::Shutdown::Both);
                }
                for w in workers {
                    let _ = w.join();
                }
            })
        };
        Receiver {
            addr,
            mode,
            captured,
            stop,
            thread: Some(thread),
        }
    }

    pub fn set_mode(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    pub fn requests(&self) -> Vec<Captured> {
        self.captured.lock().unwrap().clone()
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Reads requests from one connection and answers them.
fn serve(
    mut stream: TcpStream,
    mode: &Mutex<Mode>,
    captured: &Mutex<Vec<Captured>>,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut buf = Vec::new();
    loop {
        // Head.
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let mut chunk = [0u8; 8192];
            let n = stream.read(&mut chunk)?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let mut first = lines.next().unwrap_or("").split(' ');
        let method = first.next().unwrap_or("").to_owned();
        let path = first.next().unwrap_or("").to_owned();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let length: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        while buf.len() < head_end + length {
            let mut chunk = [0u8; 65536];
            let n = stream.read(&mut chunk)?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let raw: Vec<u8> = buf[head_end..head_end + length].to_vec();
        buf.drain(..head_end + length);
        let gzip = headers
            .iter()
            .any(|(n, v)| n == "content-encoding" && v == "gzip");
        let body = if gzip {
            let mut out = Vec::new();
            GzDecoder::new(&raw[..]).read_to_end(&mut out)?;
            out
        } else {
            raw
        };
        captured.lock().unwrap().push(Captured {
            method,
            path,
            headers,
            body,
        });
        let current = mode.lock().unwrap().clone();
        let mut extra = String::new();
        let (status, body) = match current {
            Mode::Answer(status, body) => (status, body),
            Mode::Redirect(status, location) => {
                extra = format!("Location: {location}\r\n");
                (status, Vec::new())
            }
            Mode::Slow(delay) => {
                std::thread::sleep(delay);
                (200, Vec::new())
            }
            Mode::Silent => {
                // Hold the socket open, never answer, until the peer or
                // the receiver's drop closes it.
                let mut sink = [0u8; 1024];
                while stream.read(&mut sink).map(|n| n > 0).unwrap_or(false) {}
                return Ok(());
            }
        };
        let head = format!(
            "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nContent-Type: application/x-protobuf\r\n{extra}\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes())?;
        stream.write_all(&body)?;
    }
}

/// A blocking `GET` returning status and body (10 s at most).
pub fn http_get(addr: SocketAddr, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut out = Vec::new();
    stream.read_to_end(&mut out).ok()?;
    let text = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_owned()
    };
    Some((status, body))
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}
