//! The pusher's own families, registered into the registry it pushes:
//!
//! - `tally_push_total{target, outcome}` (counter): push attempts by
//!   receiver kind and outcome;
//! - `tally_push_rejected_points_total{target}` (counter): data points
//!   an OTLP receiver reported refusing (`partial_success`);
//! - `tally_push_last_success_timestamp_seconds{target}` (gauge): Unix
//!   time of the last accepted push.
//!
//! Each family exposes only the series of the pusher's own receiver kind:
//! a registry pushed to a Pushgateway shows no `target="otlp"` series.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use tally_core::{
    CollectError, Collected, Counter, Desc, Gauge, LabelDesc, LabelSet, LabelValue, Metric,
    MetricKind, Registry, RegistryError, Unit,
};

use super::error::PushError;
use super::target::Target;

/// The receiver kind, as the `target` label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, tally_derive::LabelValue)]
#[label(crate = "::tally_core", name = "target")]
pub(crate) enum TargetKind {
    Pushgateway,
    #[label(rename = "victoriametrics")]
    VictoriaMetrics,
    Otlp,
    RemoteWrite,
}

impl TargetKind {
    pub(crate) fn of(target: &Target) -> Self {
        match target {
            Target::Pushgateway(_) => TargetKind::Pushgateway,
            Target::VictoriaMetrics(_) => TargetKind::VictoriaMetrics,
            Target::Otlp(_) => TargetKind::Otlp,
            Target::RemoteWrite(_) => TargetKind::RemoteWrite,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        Self::VALUES[self as usize]
    }
}

/// How one push attempt ended, as the `outcome` label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, tally_derive::LabelValue)]
#[label(crate = "::tally_core", name = "outcome")]
pub(crate) enum Outcome {
    Success,
    Partial,
    ConnectError,
    Timeout,
    HttpError,
    #[label(rename = "status_4xx")]
    Status4xx,
    #[label(rename = "status_5xx")]
    Status5xx,
    BadResponse,
    Redirect,
    TlsError,
}

impl Outcome {
    pub(crate) fn of(error: &PushError) -> Self {
        match error {
            PushError::Connect { .. } => Outcome::ConnectError,
            PushError::Timeout(_) => Outcome::Timeout,
            PushError::Http(_) | PushError::Stopped | PushError::Unsupported(_) => {
                Outcome::HttpError
            }
            PushError::Status { status, .. } if *status >= 500 => Outcome::Status5xx,
            PushError::Status { .. } => Outcome::Status4xx,
            PushError::BadResponse(_) => Outcome::BadResponse,
            PushError::Redirect { .. } => Outcome::Redirect,
            PushError::Tls(_) => Outcome::TlsError,
        }
    }
}

/// Handles on the families.
pub(crate) struct Telemetry {
    pushes: Arc<Counter<(TargetKind, Outcome)>>,
    rejected: Arc<Counter<TargetKind>>,
    last_success: Arc<Gauge<TargetKind>>,
}

/// A family as registered: only the series whose `target` label (the
/// first) is `target` are exposed.
struct OfTarget<M, L> {
    metric: Arc<M>,
    target: TargetKind,
    target_of: fn(&L) -> TargetKind,
}

impl<M: Metric, L: LabelSet> Metric for OfTarget<M, L> {
    fn kind(&self) -> MetricKind {
        self.metric.kind()
    }

    fn labels(&self) -> &'static LabelDesc {
        self.metric.labels()
    }

    fn collect(&self) -> Result<Collected, CollectError> {
        let mut collected = self.metric.collect()?;
        collected.series.retain(|s| {
            L::from_index(s.index).is_some_and(|l| (self.target_of)(&l) == self.target)
        });
        Ok(collected)
    }
}

impl Telemetry {
    /// Registers the families, exposing the series of `target` only; an
    /// `Err` if a name is taken (another pusher with telemetry on the
    /// same registry).
    pub(crate) fn register(registry: &Registry, target: TargetKind) -> Result<Self, RegistryError> {
        let pushes = Arc::new(Counter::new());
        let rejected = Arc::new(Counter::new());
        let last_success = Arc::new(Gauge::new());
        registry.register(
            Desc::new(
                "tally_push_total",
                "Push attempts, by receiver kind and outcome.",
            )
            .standard(),
            OfTarget {
                metric: pushes.clone(),
                target,
                target_of: |l: &(TargetKind, Outcome)| l.0,
            },
        )?;
        registry.register(
            Desc::new(
                "tally_push_rejected_points_total",
                "Data points an OTLP receiver reported refusing (partial success).",
            )
            .standard(),
            OfTarget {
                metric: rejected.clone(),
                target,
                target_of: |l: &TargetKind| *l,
            },
        )?;
        registry.register(
            Desc::new(
                "tally_push_last_success_timestamp",
                "Unix time of the last push the receiver accepted.",
            )
            .standard()
            .with_unit(Unit::SECONDS),
            OfTarget {
                metric: last_success.clone(),
                target,
                target_of: |l: &TargetKind| *l,
            },
        )?;
        Ok(Telemetry {
            pushes,
            rejected,
            last_success,
        })
    }

    /// Counts one attempt.
    pub(crate) fn count(&self, target: TargetKind, outcome: Outcome, rejected: u64) {
        self.pushes.with((target, outcome)).inc();
        if rejected > 0 {
            self.rejected.with(target).add(rejected);
        }
        if matches!(outcome, Outcome::Success | Outcome::Partial) {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            self.last_success
                .with(target)
                .set(i64::try_from(now).unwrap_or(i64::MAX));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_unchanged() {
        crate::label_check::assert_label::<TargetKind>(
            "target",
            &["pushgateway", "victoriametrics", "otlp", "remote_write"],
        );
        crate::label_check::assert_label::<Outcome>(
            "outcome",
            &[
                "success",
                "partial",
                "connect_error",
                "timeout",
                "http_error",
                "status_4xx",
                "status_5xx",
                "bad_response",
                "redirect",
                "tls_error",
            ],
        );
    }
}
