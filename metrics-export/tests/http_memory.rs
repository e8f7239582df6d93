//! Clients that request a large exposition and never read it: the
//! bodies held for them are bounded by the handler's response budget,
//! so the process's peak RSS stays within twice a single scrape's.
//!
//! Bound: bytes held by finished bodies < `max_held_response_bytes`
//! (default 32 MiB) + (encodings running, here 1: all 64 clients ask for
//! the same variant) x (body size). Kernel socket buffers are not in RSS.

#![cfg(feature = "http")]

mod http_support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use http_support::*;
use tally_core::{Desc, MetricKind, Registry};
use tally_export::{Handler, ServeOptions, Server};

const CHILD_ENV: &str = "TALLY_HTTP_MEMORY_CHILD";

/// The server process, measured from outside so the clients' buffers do
/// not count: this test binary run again with only
/// [`memory_child_server`] selected. Killed when dropped.
struct ServerProcess {
    child: Child,
    addr: SocketAddr,
}

impl ServerProcess {
    fn start() -> ServerProcess {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "memory_child_server",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the server process");
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let addr = stdout
            .lines()
            .map_while(Result::ok)
            .find_map(|line| Some(line.split_once("LISTENING ")?.1.trim().to_owned()))
            .expect("the server process prints its address");
        ServerProcess {
            child,
            addr: addr.parse().unwrap(),
        }
    }

    /// A field of its `/proc/PID/status`, in KiB.
    fn status_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("no {field} in the server's status"))
    }

    /// Resets its `VmHWM` to its current RSS (Linux: 5 to clear_refs).
    fn reset_peak(&self) {
        std::fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5").expect("reset VmHWM");
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
#[ignore = "the server process of clients_that_never_read_do_not_multiply_memory (started by it)"]
fn memory_child_server() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    let registry = Arc::new(Registry::new());
    registry
        .register(
            Desc::new("wide_total", "200k series."),
            Wide::new(MetricKind::Counter, 500, 400),
        )
        .unwrap();
    let server = Server::builder()
        .bind("127.0.0.1:0")
        .handler(Handler::new(registry).unwrap())
        .options(ServeOptions::default().write_timeout(Duration::from_secs(4)))
        .start()
        .unwrap();
    println!("LISTENING {}", server.local_addr());
    std::io::stdout().flush().unwrap();
    // Serve until the parent closes stdin (or kills this process).
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    server.shutdown();
}

#[test]
fn clients_that_never_read_do_not_multiply_memory() {
    let server = ServerProcess::start();
    let addr = server.addr;

    // One normal scrape, read in full: the reference peak.
    let base = server.status_kib("VmRSS");
    server.reset_peak();
    let reply = get(addr, "/metrics", &[]);
    assert_eq!(reply.status, 200);
    let body_kib = reply.body.len() as u64 / 1024;
    let text = reply.text();
    assert!(
        text.contains(r#"wide_total{shard="a499",slot="b399"} 1399993"#),
        "{}",
        &text[text.len().saturating_sub(300)..]
    );
    drop((reply, text));
    let single = server.status_kib("VmHWM");

    // 64 clients request the same and never read.
    server.reset_peak();
    let mut statuses = Vec::new();
    let stalled: Vec<TcpStream> = (0..64)
        .map(|_| {
            let mut stream = TcpStream::connect(addr).unwrap();
            stream
                .write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n")
                .unwrap();
            std::thread::sleep(Duration::from_millis(20));
            stream
        })
        .collect();
    // Every request has been answered, or waits for the budget (2 s at
    // most); the bodies are held until the write timeout (4 s).
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(get(addr, "/-/healthy", &[]).status, 200);
    let stalled_peak = server.status_kib("VmHWM");
    for mut stream in stalled {
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let mut head = [0u8; 12];
        if stream.read_exact(&mut head).is_ok() {
            statuses.push(String::from_utf8_lossy(&head[9..12]).into_owned());
        }
    }
    let served = statuses.iter().filter(|s| *s == "200").count();
    eprintln!(
        "body {body_kib} KiB; server RSS before {base} KiB, single-scrape peak {single} KiB \
         (+{}), peak with 64 non-reading clients {stalled_peak} KiB (+{}); {served} of them \
         got 200, {} got 503",
        single - base,
        stalled_peak.saturating_sub(base),
        statuses.iter().filter(|s| *s == "503").count(),
    );
    assert!(
        stalled_peak <= 2 * single,
        "peak {stalled_peak} KiB > 2 x single {single} KiB"
    );
    assert!(served >= 1, "{statuses:?}");
}
