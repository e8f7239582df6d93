//! Where a pusher sends, and in what shape: the four receivers and the
//! request each one takes.

use std::time::SystemTime;

use tally_core::RegistrySnapshot;

use super::error::PushConfigError;
use super::grouping::{grouping_path, percent_encode, valid_label_name};
use super::remote_write::{valid_extra_label, write_request};
use crate::read::encode::{
    encode_otlp, encode_prometheus_text, encode_protobuf, EncodeOptions, OtlpHistograms,
    OtlpOptions, CONTENT_TYPE_OTLP, CONTENT_TYPE_PROTOBUF, CONTENT_TYPE_TEXT,
};

/// A receiver's address: `http[s]://host[:port][/base/path]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Endpoint {
    /// `https://` (feature `push-tls`).
    pub(crate) tls: bool,
    /// `host:port`, for the `Host` header and error messages.
    pub(crate) authority: String,
    pub(crate) host: String,
    pub(crate) port: u16,
    /// The path without a trailing `/` (empty for the root).
    pub(crate) path: String,
}

impl Endpoint {
    /// Parses `url`; an `Err` unless it is `http://` (or `https://` with
    /// the `push-tls` feature) with a host and neither query nor fragment.
    pub(crate) fn parse(url: &str) -> Result<Endpoint, PushConfigError> {
        let bad = |reason: &str| PushConfigError::Url {
            url: url.to_owned(),
            reason: reason.to_owned(),
        };
        if url.contains('#') {
            return Err(bad("a fragment has no meaning here"));
        }
        let uri: hyper::Uri = url
            .parse()
            .map_err(|e: hyper::http::uri::InvalidUri| bad(&e.to_string()))?;
        let tls = match uri.scheme_str() {
            Some("http") => false,
            #[cfg(feature = "push-tls")]
            Some("https") => true,
            Some(other) => return Err(PushConfigError::Scheme(other.to_owned())),
            None => return Err(bad("no scheme (expected http://host:port)")),
        };
        let host = uri
            .host()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| bad("no host"))?;
        if uri.query().is_some() {
            return Err(bad("a query string is not allowed"));
        }
        if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
            return Err(bad("credentials in the URL are not supported"));
        }
        // The text after the host (`http` drops ports it cannot parse).
        let authority = uri.authority().map_or("", |a| a.as_str());
        let after_host = authority
            .rsplit_once(']')
            .map_or(authority, |(_, rest)| rest);
        let port = match after_host.rsplit_once(':') {
            Some((_, port)) => port
                .parse::<u16>()
                .ok()
                .filter(|&p| p != 0)
                .ok_or_else(|| bad("the port must be 1 to 65535"))?,
            None if tls => 443,
            None => 80,
        };
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let authority = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        Ok(Endpoint {
            tls,
            authority,
            host,
            port,
            path: uri.path().trim_end_matches('/').to_owned(),
        })
    }
}

/// The HTTP method of a Pushgateway push.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PushMethod {
    /// `PUT`: replaces every metric of the group (the default; what a
    /// process that owns its group wants).
    #[default]
    Put,
    /// `POST`: replaces only the metrics with the names pushed.
    Post,
}

/// The body format of a Pushgateway push.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PushFormat {
    /// Prometheus text 0.0.4 (the default).
    #[default]
    Text,
    /// Delimited protobuf `MetricFamily` records (with native histogram
    /// buckets).
    Protobuf,
}

/// A Prometheus Pushgateway group:
/// `PUT|POST|DELETE <url>/metrics/job/<job>{/<label>/<value>}`.
#[derive(Clone, Debug)]
pub struct Pushgateway {
    endpoint: Endpoint,
    job: String,
    grouping: Vec<(String, String)>,
    path: String,
    method: PushMethod,
    format: PushFormat,
}

impl Pushgateway {
    /// The group of `job` at the Pushgateway at `url`
    /// (`http://host:9091`); an `Err` for a malformed URL or an empty job.
    pub fn new(url: &str, job: &str) -> Result<Self, PushConfigError> {
        let endpoint = Endpoint::parse(url)?;
        let path = grouping_path(job, &[])?;
        Ok(Pushgateway {
            endpoint,
            job: job.to_owned(),
            grouping: Vec::new(),
            path,
            method: PushMethod::Put,
            format: PushFormat::Text,
        })
    }

    /// Adds a grouping label (e.g. `instance`); values that are empty or
    /// contain `/` are base64-encoded in the path. An `Err` for an invalid
    /// label name (or `job`).
    pub fn grouping(mut self, name: &str, value: &str) -> Result<Self, PushConfigError> {
        self.grouping.push((name.to_owned(), value.to_owned()));
        self.path = grouping_path(&self.job, &self.grouping)?;
        Ok(self)
    }

    /// `PUT` (replace the group, the default) or `POST`.
    pub fn method(mut self, method: PushMethod) -> Self {
        self.method = method;
        self
    }

    /// Text (the default) or protobuf bodies.
    pub fn format(mut self, format: PushFormat) -> Self {
        self.format = format;
        self
    }
}

/// VictoriaMetrics' Prometheus text import:
/// `POST <url>/api/v1/import/prometheus?extra_label=<name>=<value>...`.
#[derive(Clone, Debug)]
pub struct VictoriaMetrics {
    endpoint: Endpoint,
    query: String,
}

impl VictoriaMetrics {
    /// The import API of the VictoriaMetrics at `url`
    /// (`http://host:8428`; for a cluster, vminsert's
    /// `http://host:8480/insert/0/prometheus`). An `Err` for a malformed URL.
    pub fn new(url: &str) -> Result<Self, PushConfigError> {
        Ok(VictoriaMetrics {
            endpoint: Endpoint::parse(url)?,
            query: String::new(),
        })
    }

    /// Adds a label VictoriaMetrics puts on every imported series (e.g.
    /// `instance`). An `Err` for an invalid label name.
    pub fn extra_label(mut self, name: &str, value: &str) -> Result<Self, PushConfigError> {
        if !valid_label_name(name) {
            return Err(PushConfigError::LabelName(name.to_owned()));
        }
        self.query
            .push_str(if self.query.is_empty() { "?" } else { "&" });
        self.query.push_str("extra_label=");
        percent_encode(&mut self.query, &format!("{name}={value}"));
        Ok(self)
    }
}

/// An OTLP/HTTP protobuf receiver: `POST <url>` with an
/// `ExportMetricsServiceRequest`.
#[derive(Clone, Debug)]
pub struct Otlp {
    endpoint: Endpoint,
    options: OtlpOptions,
}

impl Otlp {
    /// The OTLP receiver at `url`: a bare `http://host:4318` gets
    /// `/v1/metrics` appended (the OpenTelemetry Collector); a URL with a
    /// path is used as is (Prometheus 3: `/api/v1/otlp/v1/metrics`,
    /// VictoriaMetrics: `/opentelemetry/v1/metrics`). The resource's
    /// `service.name` is `$OTEL_SERVICE_NAME`, else
    /// `unknown_service:<executable>` until [`service_name`](Self::service_name)
    /// sets it. An `Err` for a malformed URL.
    pub fn new(url: &str) -> Result<Self, PushConfigError> {
        let mut endpoint = Endpoint::parse(url)?;
        if endpoint.path.is_empty() {
            endpoint.path = "/v1/metrics".to_owned();
        }
        let service = std::env::var("OTEL_SERVICE_NAME")
            .ok()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| {
                let exe = std::env::current_exe().ok();
                let name = exe
                    .as_deref()
                    .and_then(|p| p.file_name())
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                format!("unknown_service:{name}")
            });
        Ok(Otlp {
            endpoint,
            options: OtlpOptions {
                resource: vec![("service.name".to_owned(), service)],
                ..OtlpOptions::default()
            },
        })
    }

    /// Sets the resource's `service.name`.
    pub fn service_name(self, name: &str) -> Self {
        self.resource("service.name", name)
    }

    /// Sets a resource attribute (e.g. `service.instance.id`,
    /// `deployment.environment.name`), replacing one of the same key.
    pub fn resource(mut self, key: &str, value: &str) -> Self {
        self.options.resource.retain(|(k, _)| k != key);
        self.options
            .resource
            .push((key.to_owned(), value.to_owned()));
        self
    }

    /// Exponential (the default) or explicit-bucket histograms.
    pub fn histograms(mut self, histograms: OtlpHistograms) -> Self {
        self.options.histograms = histograms;
        self
    }

    /// Most buckets per exponential histogram (default 160); finer ones
    /// are downscaled.
    pub fn max_buckets(mut self, max_buckets: usize) -> Self {
        self.options.max_buckets = max_buckets.max(1);
        self
    }
}

/// A Prometheus remote write 1.0 receiver: `POST <url>` with a
/// snappy-compressed `WriteRequest`: Prometheus started with
/// `--web.enable-remote-write-receiver` (`http://host:9090/api/v1/write`),
/// VictoriaMetrics (`http://host:8428/api/v1/write`), Mimir, Thanos
/// receive... The samples are those of a scrape of the same registry
/// (see the module docs of `remote_write`), stamped with the push time.
#[derive(Clone, Debug)]
pub struct RemoteWrite {
    endpoint: Endpoint,
    labels: Vec<(String, String)>,
}

impl RemoteWrite {
    /// The remote write receiver at `url`; a URL without a path gets
    /// `/api/v1/write` (Prometheus' and VictoriaMetrics' path). An `Err`
    /// for a malformed URL.
    pub fn new(url: &str) -> Result<Self, PushConfigError> {
        let mut endpoint = Endpoint::parse(url)?;
        if endpoint.path.is_empty() {
            endpoint.path = "/api/v1/write".to_owned();
        }
        Ok(RemoteWrite {
            endpoint,
            labels: Vec::new(),
        })
    }

    /// Adds a label to every series sent (e.g. `job` and `instance`, which
    /// a scrape would have added), replacing one of the same name. An
    /// `Err` for an invalid or reserved (`__`) label name.
    pub fn label(mut self, name: &str, value: &str) -> Result<Self, PushConfigError> {
        if !valid_extra_label(name) {
            return Err(PushConfigError::LabelName(name.to_owned()));
        }
        self.labels.retain(|(n, _)| n != name);
        self.labels.push((name.to_owned(), value.to_owned()));
        Ok(self)
    }
}

/// One of the receivers a [`Pusher`](super::Pusher) sends to.
#[derive(Clone, Debug)]
pub enum Target {
    /// A Prometheus Pushgateway group.
    Pushgateway(Pushgateway),
    /// VictoriaMetrics' text import API.
    VictoriaMetrics(VictoriaMetrics),
    /// An OTLP/HTTP receiver.
    Otlp(Otlp),
    /// A Prometheus remote write 1.0 receiver.
    RemoteWrite(RemoteWrite),
}

impl From<RemoteWrite> for Target {
    fn from(t: RemoteWrite) -> Self {
        Target::RemoteWrite(t)
    }
}

impl From<Pushgateway> for Target {
    fn from(t: Pushgateway) -> Self {
        Target::Pushgateway(t)
    }
}

impl From<VictoriaMetrics> for Target {
    fn from(t: VictoriaMetrics) -> Self {
        Target::VictoriaMetrics(t)
    }
}

impl From<Otlp> for Target {
    fn from(t: Otlp) -> Self {
        Target::Otlp(t)
    }
}

/// What a request carries, before compression.
pub(crate) struct Request {
    pub(crate) method: hyper::Method,
    pub(crate) path: String,
    pub(crate) content_type: Option<&'static str>,
    /// The body's coding when the target compressed it itself (remote
    /// write: snappy); `None`: the pusher may gzip it.
    pub(crate) content_encoding: Option<&'static str>,
    /// Further headers the receiver expects.
    pub(crate) headers: &'static [(&'static str, &'static str)],
}

impl Target {
    pub(crate) fn endpoint(&self) -> &Endpoint {
        match self {
            Target::Pushgateway(t) => &t.endpoint,
            Target::VictoriaMetrics(t) => &t.endpoint,
            Target::Otlp(t) => &t.endpoint,
            Target::RemoteWrite(t) => &t.endpoint,
        }
    }

    /// Whether the answer is an OTLP `ExportMetricsServiceResponse`.
    pub(crate) fn is_otlp(&self) -> bool {
        matches!(self, Target::Otlp(_))
    }

    /// The push request; its body (the snapshot encoded) appended to `body`.
    pub(crate) fn push(
        &self,
        snapshot: &RegistrySnapshot,
        now: SystemTime,
        body: &mut Vec<u8>,
    ) -> Request {
        let base = &self.endpoint().path;
        match self {
            Target::Pushgateway(t) => {
                let content_type = match t.format {
                    PushFormat::Text => {
                        encode_prometheus_text(snapshot, body);
                        CONTENT_TYPE_TEXT
                    }
                    PushFormat::Protobuf => {
                        // The Pushgateway keeps no creation times.
                        encode_protobuf(snapshot, &EncodeOptions { created: None }, body);
                        CONTENT_TYPE_PROTOBUF
                    }
                };
                Request {
                    method: match t.method {
                        PushMethod::Put => hyper::Method::PUT,
                        PushMethod::Post => hyper::Method::POST,
                    },
                    path: format!("{base}{}", t.path),
                    content_type: Some(content_type),
                    content_encoding: None,
                    headers: &[],
                }
            }
            Target::VictoriaMetrics(t) => {
                encode_prometheus_text(snapshot, body);
                Request {
                    method: hyper::Method::POST,
                    path: format!("{base}/api/v1/import/prometheus{}", t.query),
                    content_type: Some(CONTENT_TYPE_TEXT),
                    content_encoding: None,
                    headers: &[],
                }
            }
            Target::Otlp(t) => {
                encode_otlp(snapshot, &t.options, now, body);
                Request {
                    method: hyper::Method::POST,
                    path: base.clone(),
                    content_type: Some(CONTENT_TYPE_OTLP),
                    content_encoding: None,
                    headers: &[],
                }
            }
            Target::RemoteWrite(t) => {
                let mut text = Vec::new();
                encode_prometheus_text(snapshot, &mut text);
                let millis = now
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
                let request = write_request(&String::from_utf8_lossy(&text), &t.labels, millis);
                let protobuf = prost::Message::encode_to_vec(&request);
                // Compressing into a Vec cannot fail.
                body.extend(
                    snap::raw::Encoder::new()
                        .compress_vec(&protobuf)
                        .unwrap_or_default(),
                );
                Request {
                    method: hyper::Method::POST,
                    path: base.clone(),
                    content_type: Some("application/x-protobuf"),
                    content_encoding: Some("snappy"),
                    headers: &[("X-Prometheus-Remote-Write-Version", "0.1.0")],
                }
            }
        }
    }

    /// The request deleting the pushed group (Pushgateway only).
    pub(crate) fn delete(&self) -> Option<Request> {
        match self {
            Target::Pushgateway(t) => Some(Request {
                method: hyper::Method::DELETE,
                path: format!("{}{}", t.endpoint.path, t.path),
                content_type: None,
                content_encoding: None,
                headers: &[],
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        let e = Endpoint::parse("http://127.0.0.1:9091").unwrap();
        assert_eq!(
            (e.host.as_str(), e.port, e.path.as_str()),
            ("127.0.0.1", 9091, "")
        );
        let e = Endpoint::parse("http://gw.example/prefix/").unwrap();
        assert_eq!(
            (e.authority.as_str(), e.path.as_str()),
            ("gw.example:80", "/prefix")
        );
        let e = Endpoint::parse("http://[::1]:4318").unwrap();
        assert_eq!(e.authority, "[::1]:4318");
    }

    #[test]
    fn malformed_urls_are_refused() {
        for url in [
            "",
            "localhost:9091",
            "http://",
            "http//x",
            "http://x:99999",
            "http://x/a?b=c",
            "http://x/#f",
            "http://u:p@x/",
            "not a url",
        ] {
            assert!(
                matches!(Endpoint::parse(url), Err(PushConfigError::Url { .. })),
                "{url:?}: {:?}",
                Endpoint::parse(url)
            );
        }
        #[cfg(not(feature = "push-tls"))]
        assert!(matches!(
            Endpoint::parse("https://x"),
            Err(PushConfigError::Scheme(s)) if s == "https"
        ));
        #[cfg(feature = "push-tls")]
        {
            let e = Endpoint::parse("https://gw.example").unwrap();
            assert!(e.tls);
            assert_eq!(e.authority, "gw.example:443");
        }
        assert!(matches!(
            Endpoint::parse("ftp://x"),
            Err(PushConfigError::Scheme(s)) if s == "ftp"
        ));
    }

    #[test]
    fn otlp_path_defaults_to_v1_metrics() {
        let t = Otlp::new("http://127.0.0.1:4318").unwrap();
        assert_eq!(t.endpoint.path, "/v1/metrics");
        let t = Otlp::new("http://127.0.0.1:9090/api/v1/otlp/v1/metrics").unwrap();
        assert_eq!(t.endpoint.path, "/api/v1/otlp/v1/metrics");
    }

    #[test]
    fn victoria_metrics_extra_labels() {
        let t = VictoriaMetrics::new("http://127.0.0.1:8428")
            .unwrap()
            .extra_label("instance", "a b")
            .unwrap()
            .extra_label("env", "prod")
            .unwrap();
        assert_eq!(
            t.query,
            "?extra_label=instance%3Da%20b&extra_label=env%3Dprod"
        );
        assert!(VictoriaMetrics::new("http://x")
            .unwrap()
            .extra_label("bad-name", "v")
            .is_err());
    }
}
