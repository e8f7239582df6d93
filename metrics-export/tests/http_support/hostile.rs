//! Hostile and careless clients for the HTTP tests, run on loopback from
//! a tokio runtime on their own thread, and the probes that measure what
//! a normal scraper sees meanwhile (success rates, the server's sockets
//! and threads, this process's memory).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;

/// Raises this process's soft `RLIMIT_NOFILE` to `want` (or the hard
/// limit if lower) and returns the soft limit now in force.
pub fn raise_fd_limit(want: u64) -> u64 {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let mut limit = getrlimit(Resource::Nofile);
    let current = limit.current.unwrap_or(u64::MAX);
    if current >= want {
        return current;
    }
    let target = limit.maximum.map_or(want, |max| max.min(want));
    limit.current = Some(target);
    setrlimit(Resource::Nofile, limit).expect("raise RLIMIT_NOFILE");
    target
}

/// What the attackers do.
#[derive(Clone, Copy, Debug)]
pub struct AttackPlan {
    /// Connections that send nothing.
    pub idle: usize,
    /// Whether an idle connection the server closes is opened again.
    pub reconnect_idle: bool,
    /// Connections that send a request head one byte a second, and
    /// reconnect when the server closes them.
    pub slowloris: usize,
}

/// A running attack; dropping it stops every attacker and closes their
/// sockets.
pub struct Attack {
    stop: Option<watch::Sender<bool>>,
    thread: Option<JoinHandle<()>>,
    /// Connections established so far (reconnections included).
    pub connects: Arc<AtomicUsize>,
}

impl Attack {
    /// Starts the attackers against `addr`.
    pub fn start(addr: SocketAddr, plan: AttackPlan) -> Attack {
        let (stop, stopped) = watch::channel(false);
        let connects = Arc::new(AtomicUsize::new(0));
        let counter = connects.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let mut tasks = tokio::task::JoinSet::new();
                for _ in 0..plan.idle {
                    tasks.spawn(idle(
                        addr,
                        plan.reconnect_idle,
                        counter.clone(),
                        stopped.clone(),
                    ));
                }
                for _ in 0..plan.slowloris {
                    tasks.spawn(slowloris(addr, counter.clone(), stopped.clone()));
                }
                while tasks.join_next().await.is_some() {}
            });
            runtime.shutdown_timeout(Duration::from_secs(1));
        });
        Attack {
            stop: Some(stop),
            thread: Some(thread),
            connects,
        }
    }

    /// Waits until `n` connections were established (panics after
    /// `within`).
    pub fn wait_connects(&self, n: usize, within: Duration) {
        let deadline = Instant::now() + within;
        while self.connects.load(Ordering::Relaxed) < n {
            assert!(
                Instant::now() < deadline,
                "only {} of {n} attack connections established",
                self.connects.load(Ordering::Relaxed)
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Attack {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn stop_requested(stopped: &mut watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}

async fn idle(
    addr: SocketAddr,
    reconnect: bool,
    connects: Arc<AtomicUsize>,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        let stream = tokio::select! {
            s = tokio::net::TcpStream::connect(addr) => s,
            _ = stop_requested(&mut stopped) => return,
        };
        let Ok(mut stream) = stream else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        connects.fetch_add(1, Ordering::Relaxed);
        if !reconnect {
            // Hold the socket (even once the server has closed it).
            stop_requested(&mut stopped).await;
            return;
        }
        let mut buf = [0u8; 256];
        tokio::select! {
            _ = stream.read(&mut buf) => {} // closed by the server
            _ = stop_requested(&mut stopped) => return,
        }
    }
}

async fn slowloris(
    addr: SocketAddr,
    connects: Arc<AtomicUsize>,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        let stream = tokio::select! {
            s = tokio::net::TcpStream::connect(addr) => s,
            _ = stop_requested(&mut stopped) => return,
        };
        let Ok(stream) = stream else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        connects.fetch_add(1, Ordering::Relaxed);
        let (mut read, mut write) = stream.into_split();
        let head = b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nX-Slow: ";
        let trickle = async {
            for byte in head.iter().chain(std::iter::repeat(&b'a')) {
                if write.write_all(&[*byte]).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        };
        let mut buf = [0u8; 256];
        tokio::select! {
            _ = trickle => {}
            _ = read.read(&mut buf) => {} // answered or closed by the server
            _ = stop_requested(&mut stopped) => return,
        }
    }
}

/// One request's fate, as a normal client with `timeout` sees it: the
/// status code, or why there was none.
pub fn try_get(addr: SocketAddr, path: &str, timeout: Duration) -> Result<u16, String> {
    let mut stream = TcpStream::connect_timeout(&addr, timeout).map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(timeout)).unwrap();
    stream.set_write_timeout(Some(timeout)).unwrap();
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .map_err(|e| e.to_string())?;
    let mut reply = Vec::new();
    stream
        .read_to_end(&mut reply)
        .map_err(|e| format!("{e} after {} bytes", reply.len()))?;
    let text = String::from_utf8_lossy(&reply);
    text.split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("no status line in {:?}", &text[..text.len().min(80)]))
}

/// Successes (200) out of attempts, and the first few failures.
#[derive(Debug, Default)]
pub struct Tally {
    /// Requests answered 200.
    pub ok: usize,
    /// Requests sent.
    pub total: usize,
    /// What went wrong, for the first failures.
    pub failures: Vec<String>,
}

impl Tally {
    /// Records one outcome.
    pub fn record(&mut self, outcome: Result<u16, String>) {
        self.total += 1;
        match outcome {
            Ok(200) => self.ok += 1,
            other => {
                if self.failures.len() < 5 {
                    self.failures.push(format!("{other:?}"));
                }
            }
        }
    }

    /// Adds another tally's counts.
    pub fn merge(&mut self, other: Tally) {
        self.ok += other.ok;
        self.total += other.total;
        let room = 5usize.saturating_sub(self.failures.len());
        self.failures.extend(other.failures.into_iter().take(room));
    }

    /// `ok / total`.
    pub fn rate(&self) -> f64 {
        self.ok as f64 / self.total.max(1) as f64
    }
}

/// Sockets this process holds open whose local port is `port` (the
/// server's accepted connections; the listener itself is left out).
pub fn server_sockets(port: u16) -> usize {
    let mut ours = std::collections::HashSet::new();
    for entry in std::fs::read_dir("/proc/self/fd").unwrap().flatten() {
        if let Ok(target) = std::fs::read_link(entry.path()) {
            let target = target.to_string_lossy().into_owned();
            if let Some(inode) = target
                .strip_prefix("socket:[")
                .and_then(|t| t.strip_suffix(']'))
            {
                ours.insert(inode.to_owned());
            }
        }
    }
    let mut count = 0;
    for table in ["/proc/self/net/tcp", "/proc/self/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(state), Some(inode)) =
                (fields.get(1), fields.get(3), fields.get(9))
            else {
                continue;
            };
            let local_port = local
                .rsplit(':')
                .next()
                .and_then(|p| u16::from_str_radix(p, 16).ok());
            // 0A is LISTEN.
            if local_port == Some(port) && *state != "0A" && ours.contains(*inode) {
                count += 1;
            }
        }
    }
    count
}

/// Threads of this process whose name starts with `prefix`.
pub fn threads_named(prefix: &str) -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .flatten()
        .filter(|task| {
            std::fs::read_to_string(task.path().join("comm"))
                .is_ok_and(|name| name.trim_end().starts_with(prefix))
        })
        .count()
}

/// A field of `/proc/self/status` in KiB (`VmRSS`, `VmHWM`).
pub fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"))
}
