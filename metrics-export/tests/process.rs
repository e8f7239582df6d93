//! The process collector against this test process's own `/proc` and
//! libc readings, through `serve` (on by default, opt-out) and promtool.

#![cfg(feature = "http")]
#![cfg(target_os = "linux")]

mod http_support;
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use support::{run_tool, skip_interop};
use tally_core::{Registry, RegistrySnapshot};
use tally_export::{encode, register_process_metrics, Format, Handler, Server};

fn value(snapshot: &RegistrySnapshot, name: &str) -> f64 {
    let family = snapshot
        .families
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no family {name}"));
    family.series[0].value.as_f64().unwrap()
}

/// A `Key:   <number> kB`-style field of /proc/self/status.
fn status_field(key: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with(key)).unwrap();
    line[key.len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

fn rusage_cpu_seconds() -> f64 {
    // SAFETY: getrusage writes one rusage struct we own.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    assert_eq!(unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) }, 0);
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

fn nofile_soft_limit() -> f64 {
    // SAFETY: getrlimit writes one rlimit struct we own.
    let mut limit: libc::rlimit = unsafe { std::mem::zeroed() };
    assert_eq!(
        unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) },
        0
    );
    if limit.rlim_cur == libc::RLIM_INFINITY {
        u64::MAX as f64
    } else {
        limit.rlim_cur as f64
    }
}

#[test]
fn values_match_this_process() {
    let registry = Registry::new();
    assert!(register_process_metrics(&registry).unwrap().is_empty());
    // A second registration adds nothing (every name is taken), not doubled.
    assert_eq!(register_process_metrics(&registry).unwrap().len(), 7);
    assert_eq!(registry.snapshot().families.len(), 7);

    // Burn CPU (on a shared machine: until the kernel says 0.3 s was
    // used) so the counter is well above a clock tick.
    let start = Instant::now();
    let mut x = 0u64;
    while rusage_cpu_seconds() < 0.3 && start.elapsed() < Duration::from_secs(20) {
        for _ in 0..100_000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(std::hint::black_box(1));
        }
    }
    std::hint::black_box(x);

    let before = rusage_cpu_seconds();
    let s = registry.snapshot();
    let after = rusage_cpu_seconds();
    let names: Vec<&str> = s.families.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "process_cpu_seconds",
            "process_resident_memory_bytes",
            "process_virtual_memory_bytes",
            "process_open_fds",
            "process_max_fds",
            "process_start_time_seconds",
            "process_threads",
        ]
    );
    // /proc counts whole clock ticks (10 ms at USER_HZ=100): within two.
    let cpu = value(&s, "process_cpu_seconds");
    assert!(cpu >= 0.25, "cpu {cpu}");
    assert!(
        cpu > before - 0.03 && cpu < after + 0.03,
        "cpu {cpu}, rusage {before}..{after}"
    );

    let rss = value(&s, "process_resident_memory_bytes");
    let vm_rss = status_field("VmRSS:") * 1024.0;
    assert!(
        (rss - vm_rss).abs() <= vm_rss * 0.1 + 1e6,
        "rss {rss} vs VmRSS {vm_rss}"
    );
    let vsize = value(&s, "process_virtual_memory_bytes");
    let vm_size = status_field("VmSize:") * 1024.0;
    assert!(
        (vsize - vm_size).abs() <= vm_size * 0.05,
        "vsize {vsize} vs VmSize {vm_size}"
    );

    assert_eq!(value(&s, "process_threads"), status_field("Threads:"));
    assert_eq!(value(&s, "process_max_fds"), nofile_soft_limit());

    // Open descriptors follow what the process holds.
    let fds = value(&s, "process_open_fds");
    let listed = std::fs::read_dir("/proc/self/fd").unwrap().count() as f64;
    assert!((fds - listed).abs() <= 2.0, "{fds} vs {listed}");
    let held: Vec<_> = (0..10)
        .map(|_| std::fs::File::open("/proc/self/stat").unwrap())
        .collect();
    let more = value(&registry.snapshot(), "process_open_fds");
    assert!(more >= fds + 10.0 && more <= fds + 12.0, "{fds} -> {more}");
    drop(held);

    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let started = value(&s, "process_start_time_seconds");
    assert!(
        started <= now && started > now - 600.0,
        "start {started}, now {now}"
    );
    assert_eq!(Some(started), tally_export::process_start_time());
}

#[test]
fn promtool_and_python_accept_the_process_families() {
    if skip_interop() {
        return;
    }
    let registry = Registry::new();
    register_process_metrics(&registry).unwrap();
    for format in [Format::PrometheusText, Format::OpenMetrics] {
        let mut out = Vec::new();
        encode(format, &registry.snapshot(), &mut out);
        let text = String::from_utf8_lossy(&out).into_owned();
        if format == Format::OpenMetrics {
            // promtool check metrics reads the 0.0.4 text only: the strict
            // OpenMetrics parser of Python's prometheus_client reads this.
            assert!(
                text.contains(
                    "# TYPE process_cpu_seconds counter\n# UNIT process_cpu_seconds seconds\n"
                ),
                "{text}"
            );
            let parser = support::script("parse_openmetrics.py");
            let output = run_tool("python3", &[&parser], &out);
            let stdout = String::from_utf8_lossy(&output.stdout);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(output.status.success(), "{stdout}{stderr}\n{text}");
            assert!(stdout.contains("\"process_open_fds\""), "{stdout}");
            continue;
        }
        assert!(
            text.contains("# TYPE process_cpu_seconds_total counter\n"),
            "{text}"
        );
        let output = run_tool("promtool", &["check", "metrics"], &out);
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(output.status.success(), "promtool failed: {all}\n{text}");
        assert!(
            all.trim().is_empty(),
            "promtool reported problems: {all}\n{text}"
        );
    }
}

#[test]
fn the_server_registers_them_by_default_with_an_opt_out() {
    let on = Arc::new(Registry::new());
    let server = Server::builder()
        .bind("127.0.0.1:0")
        .handler(Handler::new(on.clone()).unwrap())
        .start()
        .unwrap();
    let reply = http_support::get(server.local_addr(), "/metrics", &[]);
    assert!(
        reply.text().contains("\nprocess_resident_memory_bytes "),
        "{}",
        reply.text()
    );
    assert!(reply.text().contains("\nprocess_cpu_seconds_total "));
    server.shutdown();

    let off = Arc::new(Registry::new());
    let server = Server::builder()
        .bind("127.0.0.1:0")
        .handler(Handler::new(off.clone()).unwrap())
        .process_metrics(false)
        .start()
        .unwrap();
    let reply = http_support::get(server.local_addr(), "/metrics", &[]);
    assert_eq!(reply.status, 200);
    assert!(!reply.text().contains("process_"), "{}", reply.text());
    server.shutdown();
}
