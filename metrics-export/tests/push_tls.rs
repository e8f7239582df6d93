//! Push over TLS (feature `push-tls`) to a real Prometheus Pushgateway
//! 1.5.1 serving HTTPS (`--web.config.file`) with a certificate the test
//! makes (rcgen: a CA and a server certificate for `localhost` and
//! 127.0.0.1): trusted through the given CA the push lands (read back
//! with curl); without that CA the handshake fails as a TLS error, is
//! not retried and is counted; a bad CA PEM is an `Err` at build. The
//! time of a TLS push beside a plain one is printed (`--nocapture`).
//!
//! The binary is `$TALLY_PUSHGATEWAY` or `/usr/bin/prometheus-pushgateway`;
//! `TALLY_SKIP_INTEROP=1` skips the test explicitly.
#![cfg(feature = "push-tls")]

mod push_support;

use std::fs;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use push_support::{binary, free_port, skip, temp_dir, Process};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use tally_core::{Counter, Desc, Registry};
use tally_export::{PushConfigError, PushError, PushHandle, Pusher, Pushgateway};

/// A CA certificate (PEM) and a server certificate and key signed by it
/// for `localhost` and 127.0.0.1.
fn certificates() -> (String, String, String) {
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "tally test CA");
    let ca_key = KeyPair::generate().unwrap();
    let ca = ca.self_signed(&ca_key).unwrap();
    let server =
        CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
    let server_key = KeyPair::generate().unwrap();
    let server = server.signed_by(&server_key, &ca, &ca_key).unwrap();
    (ca.pem(), server.pem(), server_key.serialize_pem())
}

fn gateway_binary() -> std::path::PathBuf {
    binary(
        "TALLY_PUSHGATEWAY",
        "/usr/bin/prometheus-pushgateway",
        "prometheus-pushgateway",
    )
}

/// A Pushgateway serving HTTPS with the server certificate.
fn start_tls_gateway(server_pem: &str, key_pem: &str) -> Process {
    let dir = temp_dir("pushgateway-tls");
    fs::write(dir.join("server.crt"), server_pem).unwrap();
    fs::write(dir.join("server.key"), key_pem).unwrap();
    fs::write(
        dir.join("web.yml"),
        "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n",
    )
    .unwrap();
    let addr = free_port();
    Process::start(
        "pushgateway",
        &gateway_binary(),
        &[
            format!("--web.listen-address={addr}"),
            format!("--web.config.file={}", dir.join("web.yml").display()),
        ],
        dir,
        addr,
    )
}

fn start_plain_gateway() -> Process {
    let addr = free_port();
    Process::start(
        "pushgateway",
        &gateway_binary(),
        &[format!("--web.listen-address={addr}")],
        temp_dir("pushgateway-plain"),
        addr,
    )
}

/// The gateway's `/metrics` over HTTPS, read by curl trusting `ca`.
fn curl_metrics(url: &str, ca: &Path) -> String {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "10", "--cacert"])
        .arg(ca)
        .arg(format!("{url}/metrics"))
        .output()
        .expect("curl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn registry(records: u64) -> Arc<Registry> {
    let registry = Arc::new(Registry::new());
    registry
        .register(
            Desc::new("tls_records_total", "Records."),
            Counter::<()>::new(),
        )
        .unwrap()
        .add(records);
    registry
}

fn pusher(registry: Arc<Registry>, url: &str, ca: Option<&str>) -> PushHandle {
    let mut builder = Pusher::builder(registry, Pushgateway::new(url, "tls").unwrap())
        .interval(None)
        .timeout(Duration::from_secs(5))
        .retries(2, Duration::from_millis(10), Duration::from_millis(20))
        .final_push(false, Duration::ZERO);
    if let Some(ca) = ca {
        builder = builder.ca_certificate_pem(ca);
    }
    builder.start().unwrap()
}

/// The mean time of `n` pushes.
fn mean_push(pusher: &PushHandle, n: u32) -> Duration {
    let start = Instant::now();
    for _ in 0..n {
        pusher.push().expect("push accepted");
    }
    start.elapsed() / n
}

#[test]
fn pushes_over_tls_to_a_pushgateway_with_a_generated_certificate() {
    if skip() {
        return;
    }
    let (ca, server, key) = certificates();
    let gateway = start_tls_gateway(&server, &key);
    let ca_file = gateway.dir.join("ca.pem");
    fs::write(&ca_file, &ca).unwrap();
    let port = gateway.addr.port();

    for (host, records) in [("127.0.0.1", 4321), ("localhost", 4322)] {
        let url = format!("https://{host}:{port}");
        let pusher = pusher(registry(records), &url, Some(&ca));
        let report = pusher.push().expect("push over TLS accepted");
        assert_eq!((report.status, report.attempts), (200, 1));
        let metrics = curl_metrics(&url, &ca_file);
        assert!(
            metrics.contains(&format!(
                "tls_records_total{{instance=\"\",job=\"tls\"}} {records}"
            )),
            "{metrics}"
        );
    }

    // The platform's roots do not know the test CA: a TLS error, once.
    let registry = registry(1);
    let untrusted = pusher(registry.clone(), &format!("https://127.0.0.1:{port}"), None);
    match untrusted.push() {
        Err(e @ PushError::Tls(_)) => {
            assert!(!e.is_retryable());
            assert!(e.to_string().to_lowercase().contains("certificate"), "{e}");
        }
        other => panic!("expected a TLS error, got {other:?}"),
    }
    let mut text = Vec::new();
    tally_export::encode_prometheus_text(&registry.snapshot(), &mut text);
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains(r#"tally_push_total{target="pushgateway",outcome="tls_error"} 1"#),
        "{text}"
    );

    // A CA PEM without a certificate: an Err before anything is sent.
    let refused = Pusher::builder(
        Arc::new(Registry::new()),
        Pushgateway::new(&format!("https://127.0.0.1:{port}"), "tls").unwrap(),
    )
    .ca_certificate_pem("not a certificate")
    .start();
    assert!(
        matches!(refused, Err(PushConfigError::Tls(_))),
        "{refused:?}"
    );

    // What TLS costs a push (a connection per push): printed.
    let plain_gateway = start_plain_gateway();
    let plain = pusher(
        Arc::new(Registry::new()),
        &format!("http://{}", plain_gateway.addr),
        None,
    );
    let tls = pusher(
        Arc::new(Registry::new()),
        &format!("https://127.0.0.1:{port}"),
        Some(&ca),
    );
    let _ = (mean_push(&plain, 3), mean_push(&tls, 3)); // warm up
    let (plain_mean, tls_mean) = (mean_push(&plain, 20), mean_push(&tls, 20));
    eprintln!("mean push over 20: plain {plain_mean:?}, TLS {tls_mean:?}");
    assert!(tls_mean < Duration::from_secs(1), "{tls_mean:?}");
}
