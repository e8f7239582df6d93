//! The pusher: a background thread with its own current-thread tokio
//! runtime that snapshots the registry and sends it, periodically and on
//! demand, with a final push when stopped.
//!
//! Nothing queues: each push encodes the current cumulative snapshot, so
//! memory stays flat while a receiver is down and the next accepted push
//! carries every total. The recording threads never wait on the pusher:
//! it only reads snapshots.

use std::sync::mpsc as std_mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::read::http::RegistrySource;
use bytes::Bytes;
use prost::Message;
use tokio::sync::{mpsc, watch};
use tokio::time::{sleep, sleep_until, Instant};

use super::client::{exchange, Answer};
use super::error::{PushConfigError, PushError};
use super::target::{Request, Target};
use super::telemetry::{Outcome, TargetKind, Telemetry};
use super::tls::TlsConfig;
use crate::read::encode::otlp_proto::ExportMetricsServiceResponse;

/// What an OTLP receiver refused of an accepted request
/// (`ExportMetricsPartialSuccess`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartialSuccess {
    /// Data points refused.
    pub rejected_data_points: i64,
    /// The receiver's explanation (may be empty).
    pub error_message: String,
}

/// An accepted push.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushReport {
    /// The receiver's 2xx status.
    pub status: u16,
    /// Body bytes sent (after compression).
    pub bytes: usize,
    /// Attempts made (1 without retries).
    pub attempts: u32,
    /// OTLP only: what the receiver refused, if it said so.
    pub partial_success: Option<PartialSuccess>,
}

/// Entry point of the push client; see [`Pusher::builder`].
#[derive(Debug)]
pub struct Pusher(());

impl Pusher {
    /// A builder pushing `registry` (the process-wide
    /// [`Registry::global`](tally_core::Registry::global), where derived
    /// stats' `global()` register, or a shared `Arc<Registry>`) to
    /// `target`. Defaults: every 15 s,
    /// 5 s timeout per attempt, gzip on, 2 retries with backoff from
    /// 250 ms to 5 s (with jitter), a final push on shutdown or drop
    /// within 5 s, self-telemetry on.
    ///
    /// ```no_run
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use tally_export::{Otlp, Pusher};
    /// let registry = Arc::new(tally_core::Registry::new());
    /// let target = Otlp::new("http://127.0.0.1:4318").unwrap().service_name("checkout");
    /// let pusher = Pusher::builder(registry, target)
    ///     .interval(Some(Duration::from_secs(10)))
    ///     .start()
    ///     .unwrap();
    /// // ... the service runs; dropping `pusher` pushes one last time.
    /// # drop(pusher);
    /// ```
    pub fn builder(
        registry: impl Into<RegistrySource>,
        target: impl Into<Target>,
    ) -> PusherBuilder {
        PusherBuilder {
            registry: registry.into(),
            target: target.into(),
            options: Options {
                interval: Some(Duration::from_secs(15)),
                timeout: Duration::from_secs(5),
                gzip: true,
                retries: 2,
                backoff: Duration::from_millis(250),
                max_backoff: Duration::from_secs(5),
                final_push: true,
                shutdown_timeout: Duration::from_secs(5),
            },
            telemetry: true,
            ca_pem: None,
        }
    }
}

/// Configures and starts a pusher.
pub struct PusherBuilder {
    registry: RegistrySource,
    target: Target,
    options: Options,
    telemetry: bool,
    /// The CA certificates to trust for `https://` (feature `push-tls`).
    ca_pem: Option<Vec<u8>>,
}

#[derive(Clone, Copy, Debug)]
struct Options {
    interval: Option<Duration>,
    timeout: Duration,
    gzip: bool,
    retries: u32,
    backoff: Duration,
    max_backoff: Duration,
    final_push: bool,
    shutdown_timeout: Duration,
}

impl std::fmt::Debug for PusherBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PusherBuilder")
            .field("target", &self.target)
            .field("options", &self.options)
            .field("telemetry", &self.telemetry)
            .finish_non_exhaustive()
    }
}

impl PusherBuilder {
    /// Push every `interval` (`None`: only on [`PushHandle::push`] and at
    /// shutdown, for batch jobs).
    pub fn interval(mut self, interval: Option<Duration>) -> Self {
        self.options.interval = interval;
        self
    }

    /// The most one attempt (connect, send, answer) may take.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options.timeout = timeout;
        self
    }

    /// Compress bodies with gzip (default on; every receiver here
    /// accepts `Content-Encoding: gzip`).
    pub fn gzip(mut self, gzip: bool) -> Self {
        self.options.gzip = gzip;
        self
    }

    /// Further attempts after a failure that may pass (connection
    /// errors, timeouts, 5xx, 429), waiting `backoff`, doubled each time
    /// up to `max_backoff`, each wait drawn in `[half, whole]` (jitter).
    pub fn retries(mut self, retries: u32, backoff: Duration, max_backoff: Duration) -> Self {
        self.options.retries = retries;
        self.options.backoff = backoff;
        self.options.max_backoff = max_backoff.max(backoff);
        self
    }

    /// Push once more when stopped ([`PushHandle::shutdown`] or drop),
    /// retries included, all within `within` (default on, 5 s).
    pub fn final_push(mut self, enabled: bool, within: Duration) -> Self {
        self.options.final_push = enabled;
        self.options.shutdown_timeout = within;
        self
    }

    /// Register the `tally_push_*` families into the registry (default
    /// on). Only one pusher per registry can: turn it off on the others.
    pub fn telemetry(mut self, enabled: bool) -> Self {
        self.telemetry = enabled;
        self
    }

    /// Trust the CA certificates in `pem` (one or more PEM
    /// `CERTIFICATE` blocks) for an `https://` receiver, instead of the
    /// platform's roots (feature `push-tls`). An unusable PEM is an `Err`
    /// at [`start`](Self::start).
    #[cfg(feature = "push-tls")]
    pub fn ca_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca_pem = Some(pem.into());
        self
    }

    /// Checks the configuration and starts the push thread; the first
    /// periodic push goes one interval from now.
    pub fn start(self) -> Result<PushHandle, PushConfigError> {
        let o = &self.options;
        if o.timeout.is_zero() {
            return Err(PushConfigError::ZeroDuration("timeout"));
        }
        if o.interval.is_some_and(|i| i.is_zero()) {
            return Err(PushConfigError::ZeroDuration("interval"));
        }
        if o.final_push && o.shutdown_timeout.is_zero() {
            return Err(PushConfigError::ZeroDuration("final push deadline"));
        }
        let tls = if self.target.endpoint().tls {
            Some(tls_config(self.ca_pem.as_deref())?)
        } else {
            None
        };
        let kind = TargetKind::of(&self.target);
        let telemetry = if self.telemetry {
            Some(Telemetry::register(self.registry.get(), kind)?)
        } else {
            None
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(PushConfigError::Start)?;
        let (commands, command_rx) = mpsc::unbounded_channel();
        let (stop, stop_rx) = watch::channel(false);
        let mut worker = Worker {
            registry: self.registry,
            target: self.target,
            kind,
            options: self.options,
            telemetry,
            logged: None,
            rng: seed(),
            buffer: Vec::new(),
            tls,
        };
        let thread = std::thread::Builder::new()
            .name("tally-push".into())
            .spawn(move || runtime.block_on(worker.run(command_rx, stop_rx)))
            .map_err(PushConfigError::Start)?;
        Ok(PushHandle {
            commands,
            stop,
            thread: Some(thread),
            final_result: None,
        })
    }
}

/// A running pusher. Dropping it stops the thread after a final push
/// (bounded by the final-push deadline); [`shutdown`](Self::shutdown)
/// does the same and returns that push's result.
#[derive(Debug)]
pub struct PushHandle {
    commands: mpsc::UnboundedSender<Command>,
    stop: watch::Sender<bool>,
    thread: Option<JoinHandle<Option<Result<PushReport, PushError>>>>,
    final_result: Option<Result<PushReport, PushError>>,
}

enum Command {
    Push(std_mpsc::SyncSender<Result<PushReport, PushError>>),
    Delete(std_mpsc::SyncSender<Result<PushReport, PushError>>),
}

impl PushHandle {
    /// Pushes the current snapshot now (retries included) and waits for
    /// the outcome: the one-shot push of a batch job.
    pub fn push(&self) -> Result<PushReport, PushError> {
        self.ask(Command::Push)
    }

    /// Deletes the pushed group from the Pushgateway (retried as a
    /// push). OTLP, VictoriaMetrics and remote write have no delete:
    /// `Err(PushError::Unsupported)` without any request.
    pub fn delete(&self) -> Result<PushReport, PushError> {
        self.ask(Command::Delete)
    }

    fn ask(
        &self,
        command: fn(std_mpsc::SyncSender<Result<PushReport, PushError>>) -> Command,
    ) -> Result<PushReport, PushError> {
        let (reply, answer) = std_mpsc::sync_channel(1);
        self.commands
            .send(command(reply))
            .map_err(|_| PushError::Stopped)?;
        answer.recv().unwrap_or(Err(PushError::Stopped))
    }

    /// Stops the pusher: interrupts a push in progress, pushes a last
    /// time (if configured) and returns that push's result (`None`
    /// without a final push).
    pub fn shutdown(mut self) -> Option<Result<PushReport, PushError>> {
        self.stop_thread();
        self.final_result.take()
    }

    fn stop_thread(&mut self) {
        let _ = self.stop.send(true);
        if let Some(thread) = self.thread.take() {
            self.final_result = thread.join().unwrap_or(Some(Err(PushError::Stopped)));
        }
    }
}

impl Drop for PushHandle {
    fn drop(&mut self) {
        self.stop_thread();
    }
}

/// The push thread's state.
struct Worker {
    registry: RegistrySource,
    target: Target,
    kind: TargetKind,
    options: Options,
    telemetry: Option<Telemetry>,
    /// The outcome last logged (logging happens on changes only).
    logged: Option<Outcome>,
    rng: u64,
    /// The encoding buffer, reused between pushes.
    buffer: Vec<u8>,
    /// For an `https://` receiver.
    tls: Option<TlsConfig>,
}

impl Worker {
    async fn run(
        &mut self,
        mut commands: mpsc::UnboundedReceiver<Command>,
        mut stop: watch::Receiver<bool>,
    ) -> Option<Result<PushReport, PushError>> {
        let mut next = self.options.interval.map(|i| Instant::now() + i);
        loop {
            let command = tokio::select! {
                _ = stop.changed() => break,
                command = commands.recv() => match command {
                    Some(command) => Some(command),
                    None => break,
                },
                _ = sleep_until(next.unwrap_or_else(Instant::now)), if next.is_some() => None,
            };
            // Any push or delete is interrupted by a stop.
            let mut stopped = stop.clone();
            let interrupted = async move {
                let _ = stopped.wait_for(|s| *s).await;
            };
            match command {
                None => {
                    tokio::select! {
                        _ = self.push_with_retries(false) => {}
                        _ = interrupted => break,
                    }
                    next = self.options.interval.map(|i| Instant::now() + i);
                }
                Some(Command::Push(reply)) => {
                    let result = tokio::select! {
                        r = self.push_with_retries(false) => r,
                        _ = interrupted => Err(PushError::Stopped),
                    };
                    let _ = reply.send(result);
                }
                Some(Command::Delete(reply)) => {
                    let result = tokio::select! {
                        r = self.push_with_retries(true) => r,
                        _ = interrupted => Err(PushError::Stopped),
                    };
                    let _ = reply.send(result);
                }
            }
        }
        if !self.options.final_push {
            return None;
        }
        let within = self.options.shutdown_timeout;
        Some(
            tokio::time::timeout(within, self.push_with_retries(false))
                .await
                .unwrap_or(Err(PushError::Timeout(within))),
        )
    }

    /// One push (or delete) with the configured retries.
    async fn push_with_retries(&mut self, delete: bool) -> Result<PushReport, PushError> {
        let (request, body) = if delete {
            match self.target.delete() {
                Some(request) => (request, Bytes::new()),
                None => {
                    return Err(PushError::Unsupported(
                        "only a Pushgateway group can be deleted",
                    ))
                }
            }
        } else {
            self.encode()
        };
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let result = self.attempt(&request, body.clone(), attempt).await;
            self.account(&result);
            match result {
                Err(e) if e.is_retryable() && attempt <= self.options.retries => {
                    sleep(self.backoff(attempt)).await;
                }
                other => return other,
            }
        }
    }

    /// Snapshots and encodes (and compresses) the registry.
    fn encode(&mut self) -> (Request, Bytes) {
        let snapshot = self.registry.get().snapshot();
        self.buffer.clear();
        let request = self
            .target
            .push(&snapshot, SystemTime::now(), &mut self.buffer);
        drop(snapshot);
        let body = if self.options.gzip && request.content_encoding.is_none() {
            Bytes::from(crate::read::http::gzip::compress(&self.buffer))
        } else {
            Bytes::copy_from_slice(&self.buffer)
        };
        // Keep the buffer from holding on to a rare huge snapshot.
        if self.buffer.capacity() > 4 * self.buffer.len().max(64 * 1024) {
            self.buffer = Vec::new();
        }
        (request, body)
    }

    async fn attempt(
        &self,
        request: &Request,
        body: Bytes,
        attempt: u32,
    ) -> Result<PushReport, PushError> {
        let bytes = body.len();
        let encoding = request
            .content_encoding
            .or((self.options.gzip && !body.is_empty()).then_some("gzip"));
        let Answer {
            status,
            location,
            body,
            complete,
        } = exchange(
            self.target.endpoint(),
            request,
            body,
            encoding,
            self.tls.as_ref(),
            self.options.timeout,
        )
        .await?;
        // The status decides, whatever became of the body.
        if (300..400).contains(&status) {
            return Err(PushError::Redirect { status, location });
        }
        if !(200..300).contains(&status) {
            let text = String::from_utf8_lossy(&body[..body.len().min(512)])
                .trim()
                .to_owned();
            return Err(PushError::Status { status, body: text });
        }
        let mut partial_success = None;
        if self.target.is_otlp() && request.method == hyper::Method::POST {
            if !complete {
                // Accepted: never re-sent, but what was refused is unknown.
                return Err(PushError::BadResponse(
                    "the answer was cut short (too long, too slow or broken off)".into(),
                ));
            }
            let response = ExportMetricsServiceResponse::decode(body)
                .map_err(|e| PushError::BadResponse(e.to_string()))?;
            partial_success = response
                .partial_success
                .filter(|p| p.rejected_data_points != 0 || !p.error_message.is_empty())
                .map(|p| PartialSuccess {
                    rejected_data_points: p.rejected_data_points,
                    error_message: p.error_message,
                });
        }
        Ok(PushReport {
            status,
            bytes,
            attempts: attempt,
            partial_success,
        })
    }

    /// Counts an attempt and logs when the outcome changes.
    fn account(&mut self, result: &Result<PushReport, PushError>) {
        let (outcome, rejected) = match result {
            Ok(PushReport {
                partial_success: Some(p),
                ..
            }) => (
                Outcome::Partial,
                u64::try_from(p.rejected_data_points).unwrap_or(0),
            ),
            Ok(_) => (Outcome::Success, 0),
            Err(e) => (Outcome::of(e), 0),
        };
        if let Some(telemetry) = &self.telemetry {
            telemetry.count(self.kind, outcome, rejected);
        }
        if self.logged != Some(outcome) {
            let target = format!(
                "{} at {}",
                self.kind.as_str(),
                self.target.endpoint().authority
            );
            match result {
                Ok(PushReport {
                    partial_success: Some(p),
                    ..
                }) => eprintln!(
                    "tally: push to {target}: receiver refused {} data points: {}",
                    p.rejected_data_points, p.error_message
                ),
                Ok(_) if self.logged.is_some() => eprintln!("tally: push to {target} recovered"),
                Ok(_) => {}
                Err(e) => eprintln!("tally: push to {target} failing: {e}"),
            }
            self.logged = Some(outcome);
        }
    }

    /// The wait before attempt `attempt + 1`: `backoff * 2^(attempt-1)`
    /// capped at `max_backoff`, drawn in `[half, whole]`.
    fn backoff(&mut self, attempt: u32) -> Duration {
        let base = self
            .options
            .backoff
            .saturating_mul(1u32 << (attempt - 1).min(20))
            .min(self.options.max_backoff);
        // xorshift64
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        let fraction = (self.rng >> 11) as f64 / (1u64 << 53) as f64;
        base.mul_f64(0.5 + fraction / 2.0)
    }
}

/// The TLS configuration of an `https://` receiver.
#[cfg(feature = "push-tls")]
fn tls_config(ca_pem: Option<&[u8]>) -> Result<TlsConfig, PushConfigError> {
    TlsConfig::new(ca_pem)
}

/// Without the feature no endpoint is `https://`.
#[cfg(not(feature = "push-tls"))]
fn tls_config(_: Option<&[u8]>) -> Result<TlsConfig, PushConfigError> {
    Err(PushConfigError::Scheme("https".into()))
}

/// A jitter seed that differs between processes and pushers.
fn seed() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    (nanos ^ u64::from(std::process::id()).rotate_left(32)) | 1
}
