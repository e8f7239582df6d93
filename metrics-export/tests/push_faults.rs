//! Faults between a pusher and its receiver: receiver down, answering
//! 500, slow, accepting and never answering (half-open). In each case
//! recording goes on at full speed (the pusher only reads snapshots),
//! every push ends within its timeout with a clear error counted in
//! `tally_push_total`, and once the receiver is back the next push
//! carries the cumulative totals. Bad configurations are an `Err` at
//! build time.
#![cfg(feature = "push")]

mod push_support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use push_support::{free_port, wait_for, Mode, Receiver};
use tally_core::{Counter, Desc, Registry};
use tally_export::{
    Otlp, PushConfigError, PushError, Pusher, Pushgateway, RemoteWrite, VictoriaMetrics,
};

/// A registry with `fault_events_total` and its handle.
fn registry() -> (Arc<Registry>, Arc<Counter>) {
    let registry = Arc::new(Registry::new());
    let events = registry
        .register(
            Desc::new("fault_events_total", "Events."),
            Counter::<()>::new(),
        )
        .unwrap();
    (registry, events)
}

/// Records on two threads for `duration`, in batches of 10 000
/// increments; returns the slowest batch.
fn record_for(events: &Arc<Counter>, duration: Duration) -> Duration {
    let stop = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let (events, stop) = (events.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut slowest = Duration::ZERO;
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    for _ in 0..10_000 {
                        events.inc();
                    }
                    slowest = slowest.max(t.elapsed());
                }
                slowest
            })
        })
        .collect();
    std::thread::sleep(duration);
    stop.store(true, Ordering::Relaxed);
    threads
        .into_iter()
        .map(|t| t.join().unwrap())
        .max()
        .unwrap()
}

/// The value of `name` (no labels or exact labels text) in a text body.
fn sample(body: &[u8], series: &str) -> Option<u64> {
    String::from_utf8_lossy(body).lines().find_map(|l| {
        let (s, v) = l.rsplit_once(' ')?;
        (s == series).then(|| v.parse().ok())?
    })
}

/// The pusher's own count of `outcome` pushes, read from the registry.
fn pushes(registry: &Registry, outcome: &str) -> u64 {
    let mut text = Vec::new();
    tally_export::encode_prometheus_text(&registry.snapshot(), &mut text);
    sample(
        &text,
        &format!(r#"tally_push_total{{target="victoriametrics",outcome="{outcome}"}}"#),
    )
    .unwrap_or(0)
}

/// Waits until the receiver got a push carrying `total` events.
fn wait_for_total(receiver: &Receiver, total: u64) {
    wait_for(Duration::from_secs(10), "the totals after recovery", || {
        receiver
            .requests()
            .iter()
            .any(|r| sample(&r.body, "fault_events_total") == Some(total))
            .then_some(())
    });
}

/// The slowest batch of 10 000 increments may not come near a push
/// timeout: far below it, whatever the machine's load.
const BATCH_BOUND: Duration = Duration::from_millis(750);

#[test]
fn receiver_down_then_back_gets_the_cumulative_totals() {
    let addr = free_port();
    let (registry, events) = registry();
    let target = VictoriaMetrics::new(&format!("http://{addr}")).unwrap();
    let _pusher = Pusher::builder(registry.clone(), target)
        .interval(Some(Duration::from_millis(100)))
        .timeout(Duration::from_millis(500))
        .retries(1, Duration::from_millis(20), Duration::from_millis(50))
        .start()
        .unwrap();
    let slowest = record_for(&events, Duration::from_millis(800));
    assert!(slowest < BATCH_BOUND, "recording stalled: {slowest:?}");
    wait_for(Duration::from_secs(5), "connect errors counted", || {
        (pushes(&registry, "connect_error") >= 2).then_some(())
    });
    let total = events.get();
    assert!(total > 0);
    let receiver = Receiver::start(addr, Mode::Answer(204, Vec::new()));
    wait_for_total(&receiver, total);
    wait_for(Duration::from_secs(5), "a success counted", || {
        (pushes(&registry, "success") >= 1).then_some(())
    });
}

#[test]
fn five_hundreds_are_retried_then_the_totals_arrive() {
    let receiver = Receiver::start(
        "127.0.0.1:0".parse().unwrap(),
        Mode::Answer(500, b"boom".to_vec()),
    );
    let (registry, events) = registry();
    let pusher = Pusher::builder(
        registry.clone(),
        VictoriaMetrics::new(&receiver.url()).unwrap(),
    )
    .interval(Some(Duration::from_millis(100)))
    .retries(2, Duration::from_millis(10), Duration::from_millis(40))
    .start()
    .unwrap();
    let slowest = record_for(&events, Duration::from_millis(500));
    assert!(slowest < BATCH_BOUND, "recording stalled: {slowest:?}");
    match pusher.push() {
        Err(PushError::Status { status: 500, body }) => assert_eq!(body, "boom"),
        other => panic!("expected a 500, got {other:?}"),
    }
    assert!(pushes(&registry, "status_5xx") >= 3);
    let total = events.get();
    receiver.set_mode(Mode::Answer(204, Vec::new()));
    wait_for_total(&receiver, total);
}

#[test]
fn a_slow_receiver_times_out_within_the_timeout() {
    let receiver = Receiver::start(
        "127.0.0.1:0".parse().unwrap(),
        Mode::Slow(Duration::from_secs(3)),
    );
    let (registry, events) = registry();
    let pusher = Pusher::builder(
        registry.clone(),
        VictoriaMetrics::new(&receiver.url()).unwrap(),
    )
    .interval(None)
    .timeout(Duration::from_millis(300))
    .retries(0, Duration::ZERO, Duration::ZERO)
    .start()
    .unwrap();
    events.add(7);
    let started = Instant::now();
    assert!(matches!(pusher.push(), Err(PushError::Timeout(_))));
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_millis(1500),
        "{took:?}"
    );
    assert_eq!(pushes(&registry, "timeout"), 1);
    receiver.set_mode(Mode::Answer(204, Vec::new()));
    events.add(3);
    pusher
        .push()
        .expect("accepted once the receiver is fast again");
    assert_eq!(
        sample(
            &receiver.requests().last().unwrap().body,
            "fault_events_total"
        ),
        Some(10)
    );
}

#[test]
fn a_half_open_socket_never_blocks_recording_nor_stop() {
    let receiver = Receiver::start("127.0.0.1:0".parse().unwrap(), Mode::Silent);
    let (registry, events) = registry();
    let pusher = Pusher::builder(
        registry.clone(),
        VictoriaMetrics::new(&receiver.url()).unwrap(),
    )
    .interval(Some(Duration::from_millis(100)))
    .timeout(Duration::from_secs(1))
    .retries(0, Duration::ZERO, Duration::ZERO)
    .final_push(true, Duration::from_millis(500))
    .start()
    .unwrap();
    // Pushes hang for a whole second each while recording runs.
    let slowest = record_for(&events, Duration::from_millis(2500));
    assert!(slowest < BATCH_BOUND, "recording stalled: {slowest:?}");
    assert!(pushes(&registry, "timeout") >= 1);
    let total = events.get();
    receiver.set_mode(Mode::Answer(204, Vec::new()));
    wait_for_total(&receiver, total);

    // Stopping while the receiver is silent again is bounded by the
    // final-push deadline, not stuck on the socket.
    receiver.set_mode(Mode::Silent);
    let started = Instant::now();
    let last = pusher.shutdown().expect("a final push was configured");
    assert!(matches!(last, Err(PushError::Timeout(_))), "{last:?}");
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn drop_is_bounded_in_time_with_a_dead_receiver() {
    let receiver = Receiver::start("127.0.0.1:0".parse().unwrap(), Mode::Silent);
    let (registry, _) = registry();
    let pusher = Pusher::builder(registry, VictoriaMetrics::new(&receiver.url()).unwrap())
        .interval(None)
        .timeout(Duration::from_secs(30))
        .final_push(true, Duration::from_millis(300))
        .start()
        .unwrap();
    let started = Instant::now();
    drop(pusher);
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn bad_configurations_are_errors_at_build() {
    // https:// needs the push-tls feature.
    assert_eq!(
        matches!(
            VictoriaMetrics::new("https://vm.example:8428"),
            Err(PushConfigError::Scheme(_))
        ),
        cfg!(not(feature = "push-tls"))
    );
    assert!(matches!(
        VictoriaMetrics::new("ftp://vm.example:8428"),
        Err(PushConfigError::Scheme(_))
    ));
    assert!(matches!(
        Otlp::new("localhost:4318"),
        Err(PushConfigError::Url { .. })
    ));
    assert!(matches!(
        Pushgateway::new("http://gw:9091", ""),
        Err(PushConfigError::EmptyJob)
    ));
    let target = || VictoriaMetrics::new("http://127.0.0.1:1").unwrap();
    let (registry, _) = registry();
    assert!(matches!(
        Pusher::builder(registry.clone(), target())
            .timeout(Duration::ZERO)
            .start(),
        Err(PushConfigError::ZeroDuration("timeout"))
    ));
    assert!(matches!(
        Pusher::builder(registry.clone(), target())
            .interval(Some(Duration::ZERO))
            .start(),
        Err(PushConfigError::ZeroDuration("interval"))
    ));
    let first = Pusher::builder(registry.clone(), target())
        .final_push(false, Duration::ZERO)
        .start()
        .unwrap();
    // A second pusher on the same registry: its families are taken...
    let second = Pusher::builder(registry.clone(), target()).start();
    assert!(
        matches!(second, Err(PushConfigError::Telemetry(_))),
        "{second:?}"
    );
    // ...unless it leaves telemetry to the first.
    let second = Pusher::builder(registry, target())
        .telemetry(false)
        .final_push(false, Duration::ZERO)
        .start()
        .unwrap();
    // A push to a closed port is a connect error, not a panic; a delete
    // of something that is no Pushgateway group sends nothing.
    assert!(matches!(second.push(), Err(PushError::Connect { .. })));
    assert!(matches!(second.delete(), Err(PushError::Unsupported(_))));
    drop((first, second));
}

/// Set in the child process of [`failures_are_logged_once_per_change`].
const LOG_CHILD: &str = "TALLY_PUSH_LOG_CHILD";

#[test]
fn failures_are_logged_once_per_change() {
    if std::env::var_os(LOG_CHILD).is_some() {
        // The child: a receiver down for many pushes, then up, then down.
        let addr = free_port();
        let (registry, _) = registry();
        let target = VictoriaMetrics::new(&format!("http://{addr}")).unwrap();
        let pusher = Pusher::builder(registry.clone(), target)
            .interval(None)
            .retries(0, Duration::ZERO, Duration::ZERO)
            .final_push(false, Duration::ZERO)
            .start()
            .unwrap();
        for _ in 0..5 {
            assert!(pusher.push().is_err());
        }
        let receiver = Receiver::start(addr, Mode::Answer(204, Vec::new()));
        for _ in 0..5 {
            pusher.push().unwrap();
        }
        receiver.set_mode(Mode::Answer(500, Vec::new()));
        for _ in 0..5 {
            assert!(pusher.push().is_err());
        }
        return;
    }
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "failures_are_logged_once_per_change",
            "--nocapture",
        ])
        .env(LOG_CHILD, "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "child failed: {stderr}");
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("tally: push"))
        .collect();
    assert_eq!(lines.len(), 3, "{lines:#?}");
    assert!(lines[0].contains("failing: cannot connect"), "{}", lines[0]);
    assert!(lines[1].ends_with("recovered"), "{}", lines[1]);
    assert!(
        lines[2].contains("failing: the receiver answered 500"),
        "{}",
        lines[2]
    );
}

/// Resident memory of this process in bytes (Linux `/proc/self/statm`).
fn rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split(' ').nth(1).unwrap().parse().unwrap();
    pages * 4096
}

#[test]
fn memory_stays_flat_while_the_receiver_is_down() {
    let (registry, _) = registry();
    for i in 0..2000 {
        registry
            .register(
                Desc::new(format!("flat_{i}_total"), "A counter among many."),
                Counter::<()>::new(),
            )
            .unwrap()
            .add(i);
    }
    let target = VictoriaMetrics::new(&format!("http://{}", free_port())).unwrap();
    let pusher = Pusher::builder(registry, target)
        .interval(None)
        .gzip(false)
        .retries(0, Duration::ZERO, Duration::ZERO)
        .final_push(false, Duration::ZERO)
        .start()
        .unwrap();
    for _ in 0..20 {
        assert!(matches!(pusher.push(), Err(PushError::Connect { .. })));
    }
    let warm = rss();
    // 300 failed pushes of a ~60 KB body: 18 MB if anything were kept.
    for _ in 0..300 {
        assert!(matches!(pusher.push(), Err(PushError::Connect { .. })));
    }
    let grown = rss().saturating_sub(warm);
    assert!(grown < 4 << 20, "resident memory grew by {grown} bytes");
}

/// A pusher for one-shot pushes to `receiver` with 2 quick retries.
fn one_shot(registry: &Arc<Registry>, receiver: &Receiver) -> tally_export::PushHandle {
    Pusher::builder(
        registry.clone(),
        VictoriaMetrics::new(&receiver.url()).unwrap(),
    )
    .interval(None)
    .timeout(Duration::from_secs(5))
    .retries(2, Duration::from_millis(10), Duration::from_millis(40))
    .final_push(false, Duration::ZERO)
    .start()
    .unwrap()
}

/// A 200 whose body is far over what the client reads is still an
/// accepted push: reported as such, counted as a success and never sent
/// again.
#[test]
fn an_accepted_push_with_a_huge_answer_is_a_success_sent_once() {
    let receiver = Receiver::start(
        "127.0.0.1:0".parse().unwrap(),
        Mode::Answer(200, vec![b'x'; 1 << 20]),
    );
    let (registry, events) = registry();
    events.add(7);
    let pusher = one_shot(&registry, &receiver);
    let report = pusher.push().expect("accepted");
    assert_eq!((report.status, report.attempts), (200, 1));
    assert_eq!(
        receiver.requests().len(),
        1,
        "the accepted push was re-sent"
    );
    assert_eq!(pushes(&registry, "success"), 1);
    assert_eq!(pushes(&registry, "http_error"), 0);
}

/// A 500 with a huge body keeps its status (and the start of the body),
/// and is retried as a 500.
#[test]
fn a_five_hundred_with_a_huge_body_keeps_its_status() {
    let mut body = b"overloaded: ".to_vec();
    body.resize(1 << 20, b'y');
    let receiver = Receiver::start("127.0.0.1:0".parse().unwrap(), Mode::Answer(500, body));
    let (registry, _) = registry();
    let pusher = one_shot(&registry, &receiver);
    match pusher.push() {
        Err(PushError::Status { status: 500, body }) => {
            assert!(body.starts_with("overloaded: yyy"), "{body:.40}");
            assert!(body.len() <= 512);
        }
        other => panic!("expected a 500, got {other:?}"),
    }
    assert_eq!(receiver.requests().len(), 3, "one attempt and two retries");
    assert_eq!(pushes(&registry, "status_5xx"), 3);
    assert_eq!(pushes(&registry, "http_error"), 0);
}

/// A redirect is reported as a redirect (with where it points), counted
/// as `redirect`, and not retried.
#[test]
fn redirects_are_reported_as_such_and_not_retried() {
    for status in [301, 307, 308] {
        let receiver = Receiver::start(
            "127.0.0.1:0".parse().unwrap(),
            Mode::Redirect(status, "http://elsewhere.example/api/v1/import".into()),
        );
        let (registry, _) = registry();
        let pusher = one_shot(&registry, &receiver);
        match pusher.push() {
            Err(e @ PushError::Redirect { .. }) => {
                let PushError::Redirect {
                    status: s,
                    location,
                } = &e
                else {
                    unreachable!()
                };
                assert_eq!(*s, status);
                assert_eq!(
                    location.as_deref(),
                    Some("http://elsewhere.example/api/v1/import")
                );
                assert!(!e.is_retryable());
                assert!(e.to_string().contains("elsewhere.example"), "{e}");
            }
            other => panic!("expected a redirect, got {other:?}"),
        }
        assert_eq!(receiver.requests().len(), 1);
        assert_eq!(pushes(&registry, "redirect"), 1);
        assert_eq!(pushes(&registry, "status_4xx"), 0);
    }
}

/// Each registry exposes only the push telemetry that belongs to it: the
/// series of its own pusher's receiver kind, none for kinds never used
/// there, and nothing at all without a pusher.
#[test]
fn push_telemetry_shows_only_the_receiver_kinds_used_in_that_registry() {
    let receiver = Receiver::start(
        "127.0.0.1:0".parse().unwrap(),
        Mode::Answer(200, Vec::new()),
    );
    let text = |registry: &Registry| {
        let mut text = Vec::new();
        tally_export::encode_prometheus_text(&registry.snapshot(), &mut text);
        String::from_utf8(text).unwrap()
    };
    let (gateway_registry, _) = registry();
    let gateway = Pusher::builder(
        gateway_registry.clone(),
        Pushgateway::new(&receiver.url(), "job").unwrap(),
    )
    .interval(None)
    .final_push(false, Duration::ZERO)
    .start()
    .unwrap();
    let (victoria_registry, _) = registry();
    let victoria = one_shot(&victoria_registry, &receiver);
    gateway.push().unwrap();
    victoria.push().unwrap();

    let shown = text(&gateway_registry);
    assert!(
        shown.contains(r#"tally_push_total{target="pushgateway",outcome="success"} 1"#),
        "{shown}"
    );
    assert!(shown.contains(r#"tally_push_last_success_timestamp_seconds{target="pushgateway"}"#));
    for other in [r#"target="otlp""#, r#"target="victoriametrics""#] {
        assert!(!shown.contains(other), "{other} in\n{shown}");
    }
    let shown = text(&victoria_registry);
    assert!(shown.contains(r#"tally_push_total{target="victoriametrics",outcome="success"} 1"#));
    for other in [r#"target="otlp""#, r#"target="pushgateway""#] {
        assert!(!shown.contains(other), "{other} in\n{shown}");
    }
    let (plain, _) = registry();
    assert!(!text(&plain).contains("tally_push"));
}

/// Remote write under the same faults: receiver down, then answering 500
/// (retried), then back: the next push carries the cumulative totals as a
/// snappy-compressed protobuf with the protocol's headers; a 400 is not
/// retried. Counted under `target="remote_write"`.
#[test]
fn remote_write_is_retried_on_faults_and_carries_the_totals() {
    let addr = free_port();
    let (registry, events) = registry();
    let pusher = Pusher::builder(
        registry.clone(),
        RemoteWrite::new(&format!("http://{addr}/api/v1/write"))
            .unwrap()
            .label("job", "faults")
            .unwrap(),
    )
    .interval(Some(Duration::from_millis(100)))
    .timeout(Duration::from_millis(500))
    .retries(1, Duration::from_millis(20), Duration::from_millis(50))
    .start()
    .unwrap();
    let outcome = |outcome: &str| {
        let mut text = Vec::new();
        tally_export::encode_prometheus_text(&registry.snapshot(), &mut text);
        sample(
            &text,
            &format!(r#"tally_push_total{{target="remote_write",outcome="{outcome}"}}"#),
        )
        .unwrap_or(0)
    };
    let slowest = record_for(&events, Duration::from_millis(500));
    assert!(slowest < BATCH_BOUND, "recording stalled: {slowest:?}");
    wait_for(Duration::from_secs(5), "connect errors counted", || {
        (outcome("connect_error") >= 2).then_some(())
    });

    let receiver = Receiver::start(addr, Mode::Answer(500, b"busy".to_vec()));
    match pusher.push() {
        Err(PushError::Status { status: 500, body }) => assert_eq!(body, "busy"),
        other => panic!("expected a 500, got {other:?}"),
    }
    assert!(outcome("status_5xx") >= 2);

    let total = events.get();
    receiver.set_mode(Mode::Answer(204, Vec::new()));
    let body = wait_for(Duration::from_secs(10), "the totals after recovery", || {
        receiver.requests().into_iter().rev().find_map(|r| {
            assert_eq!(r.method, "POST");
            assert_eq!(r.path, "/api/v1/write");
            assert_eq!(r.header("content-encoding"), Some("snappy"));
            assert_eq!(r.header("content-type"), Some("application/x-protobuf"));
            assert_eq!(r.header("x-prometheus-remote-write-version"), Some("0.1.0"));
            let raw = snap::raw::Decoder::new()
                .decompress_vec(&r.body)
                .expect("snappy");
            let text = String::from_utf8_lossy(&raw).into_owned();
            // The protobuf holds the name and the job label as strings, the
            // value as a little-endian double after tag 0x09.
            let mut value = vec![0x09];
            value.extend_from_slice(&(total as f64).to_le_bytes());
            (text.contains("fault_events_total")
                && text.contains("faults")
                && raw.windows(9).any(|w| w == value.as_slice()))
            .then_some(raw)
        })
    });
    assert!(!body.is_empty());
    wait_for(Duration::from_secs(5), "a success counted", || {
        (outcome("success") >= 1).then_some(())
    });

    receiver.set_mode(Mode::Answer(400, b"out of order sample".to_vec()));
    let before = receiver.requests().len();
    match pusher.push() {
        Err(e @ PushError::Status { status: 400, .. }) => assert!(!e.is_retryable()),
        other => panic!("expected a 400, got {other:?}"),
    }
    // One attempt for the 400 (a periodic push may add its own).
    assert!(receiver.requests().len() - before <= 2);
    assert!(RemoteWrite::new("http://x")
        .unwrap()
        .label("__name__", "v")
        .is_err());
}
