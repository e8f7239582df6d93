//! Running a scrape: join the encoding of the same variant in progress,
//! or take a scrape slot and a share of the response budget and encode
//! (see `coalesce.rs`); then build the response from the shared body.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::http::{Response, StatusCode};

use super::body::ServedBody;
use super::coalesce::{Flight, Leader, Outcome, Role, Variant};
use super::handler::{overloaded, plain, scrape_headers, Handler, Prepared, Slot};
use super::telemetry::ScrapeOutcome;
use crate::read::encode::{encode, encode_page_json, encode_text_streamed, EncodeOptions};

/// How long an async scrape waits for the response budget before 503.
const BUDGET_WAIT: Duration = Duration::from_secs(2);

/// How a scrape request proceeds.
enum Admit {
    /// Answered at once (over the scrape cap or the response budget).
    Refused(Response<Bytes>),
    /// Wait for the encoding in progress.
    Join(Arc<Flight>),
    /// Encode, holding the scrape slot until done.
    Lead(Leader, Slot),
}

impl Handler {
    /// Runs a scrape on the calling thread (joining one in progress
    /// blocks the thread until it ends).
    pub(super) fn scrape_blocking(
        &self,
        variant: Variant,
        names: Option<Arc<[String]>>,
    ) -> Response<Bytes> {
        if let Some(names) = names {
            // A filtered scrape is its own: no sharing with others.
            let outcome = match self.admit_alone() {
                Err(reason) => {
                    self.count(variant.format, ScrapeOutcome::Overloaded);
                    return overloaded(reason);
                }
                Ok(slot) => {
                    let outcome = self.encode_variant(variant, Some(&names));
                    drop(slot);
                    outcome
                }
            };
            return self
                .respond_with(variant, &outcome)
                .map(ServedBody::into_bytes);
        }
        let outcome = match self.admit(variant) {
            Admit::Refused(response) => {
                self.count(variant.format, ScrapeOutcome::Overloaded);
                return response;
            }
            Admit::Join(flight) => flight.wait(),
            Admit::Lead(leader, slot) => {
                let outcome = self.encode_variant(variant, None);
                drop(slot);
                leader.finish(outcome.clone());
                outcome
            }
        };
        self.respond_with(variant, &outcome)
            .map(ServedBody::into_bytes)
    }

    /// Runs a scrape for an async transport: encoding happens on tokio's
    /// blocking pool (or inline outside a runtime), waiting never blocks
    /// a thread. The encoding runs to its end even if this future is
    /// dropped, so the requests that joined it are answered.
    pub(crate) async fn scrape_async(
        self: &Arc<Self>,
        variant: Variant,
        names: Option<Arc<[String]>>,
    ) -> Response<ServedBody> {
        // Over the response budget, wait a little for bodies being sent
        // to finish (readers free it in moments, non-readers at their
        // write timeout) rather than refuse at once.
        if (names.is_some() || self.flights.joinable(variant).is_none())
            && !self.budget.admits()
            && tokio::runtime::Handle::try_current().is_ok()
        {
            let _ = self.budget.wait_admits(BUDGET_WAIT).await;
        }
        if let Some(names) = names {
            // A filtered scrape is its own: no sharing with others.
            let slot = match self.admit_alone() {
                Err(reason) => {
                    self.count(variant.format, ScrapeOutcome::Overloaded);
                    return overloaded(reason).map(ServedBody::full);
                }
                Ok(slot) => slot,
            };
            let handler = self.clone();
            let run = move || {
                let outcome = handler.encode_variant(variant, Some(&names));
                drop(slot);
                outcome
            };
            let outcome = match tokio::runtime::Handle::try_current() {
                Ok(runtime) => runtime.spawn_blocking(run).await.unwrap_or(Outcome::Failed),
                Err(_) => run(),
            };
            return self.respond_with(variant, &outcome);
        }
        let outcome = match self.admit(variant) {
            Admit::Refused(response) => {
                self.count(variant.format, ScrapeOutcome::Overloaded);
                return response.map(ServedBody::full);
            }
            Admit::Join(flight) => flight.wait_async().await,
            Admit::Lead(leader, slot) => {
                let flight = leader.flight();
                let handler = self.clone();
                let run = move || {
                    let outcome = handler.encode_variant(variant, None);
                    drop(slot);
                    leader.finish(outcome);
                };
                match tokio::runtime::Handle::try_current() {
                    Ok(runtime) => drop(runtime.spawn_blocking(run)),
                    Err(_) => run(),
                }
                flight.wait_async().await
            }
        };
        self.respond_with(variant, &outcome)
    }

    /// Joins the flight of `variant`, or takes a slot and the budget to
    /// lead one, or refuses.
    fn admit(&self, variant: Variant) -> Admit {
        if let Some(flight) = self.flights.joinable(variant) {
            return Admit::Join(flight);
        }
        let Some(slot) = self.try_acquire() else {
            return Admit::Refused(overloaded("too many concurrent scrapes\n"));
        };
        if !self.budget.admits() {
            return Admit::Refused(overloaded(
                "too many responses are still being sent to slow clients\n",
            ));
        }
        match self.flights.begin(variant) {
            Role::Join(flight) => Admit::Join(flight),
            Role::Lead(leader) => Admit::Lead(leader, slot),
        }
    }

    /// A scrape slot and the response budget for an encoding of its
    /// own, or the reason for a 503.
    fn admit_alone(&self) -> Result<Slot, &'static str> {
        let Some(slot) = self.try_acquire() else {
            return Err("too many concurrent scrapes\n");
        };
        if !self.budget.admits() {
            return Err("too many responses are still being sent to slow clients\n");
        }
        Ok(slot)
    }

    /// Snapshots, encodes and compresses once (only the families named,
    /// if `names`); catches a panic. A whole text scrape walks the
    /// registry one family at a time (`encode_registry`'s path: the same
    /// bytes, without holding every family's series at once); a filtered
    /// one, protobuf, JSON and the page's JSON encode one snapshot.
    fn encode_variant(&self, variant: Variant, names: Option<&[String]>) -> Outcome {
        let start = Instant::now();
        let encoded = catch_unwind(AssertUnwindSafe(|| {
            let registry = self.registry.get();
            let mut body = Vec::with_capacity(self.flights.capacity_hint(variant.format));
            let mut read = Read::default();
            let streamed = names.is_none()
                && !variant.page_json
                && encode_text_streamed(
                    variant.format,
                    registry,
                    &EncodeOptions::default(),
                    &mut body,
                    &mut |one| read.add(one),
                );
            if !streamed {
                let mut snapshot = registry.snapshot();
                if let Some(names) = names {
                    snapshot.families.retain(|f| {
                        names.iter().any(|n| {
                            *n == f.name
                                || f.kind == tally_core::MetricKind::Counter
                                    && n.strip_suffix("_total") == Some(f.name.as_str())
                        })
                    });
                }
                if variant.page_json {
                    encode_page_json(&snapshot, &mut body);
                } else {
                    encode(variant.format, &snapshot, &mut body);
                }
                read.add(&snapshot);
            }
            self.flights.record_size(variant.format, body.len());
            (read, body)
        }));
        let Ok((read, body)) = encoded else {
            return Outcome::Failed;
        };
        if let Some(telemetry) = &self.telemetry {
            telemetry.observe_read(
                read.series,
                read.clamped,
                read.failed_computed,
                start.elapsed(),
            );
        }
        let body = variant.coding.encode(body);
        Outcome::Body(self.budget.pin(body))
    }

    /// Counts the scrape and builds its response around the shared body.
    fn respond_with(&self, variant: Variant, outcome: &Outcome) -> Response<ServedBody> {
        match outcome {
            Outcome::Body(pinned) => {
                self.count(variant.format, ScrapeOutcome::Ok);
                let body = ServedBody::full(pinned.bytes.clone()).hold(pinned.charge());
                let mut response = Response::new(body);
                scrape_headers(variant, response.headers_mut());
                response
            }
            Outcome::Failed => {
                self.count(variant.format, ScrapeOutcome::Failed);
                plain(StatusCode::INTERNAL_SERVER_ERROR, "encoding failed\n").map(ServedBody::full)
            }
        }
    }
}

impl Handler {
    /// Answers one request for an async transport: everything but a GET
    /// scrape is answered on the calling task; a scrape joins or runs an
    /// encoding (see [`scrape_async`](Self::scrape_async)). Answers to
    /// HEAD carry no body and report an unknown length, so no
    /// Content-Length is sent.
    pub(crate) async fn serve(
        self: &Arc<Self>,
        method: &hyper::http::Method,
        path: &str,
        headers: &hyper::http::HeaderMap,
    ) -> Response<ServedBody> {
        match self.prepare(method, path, headers) {
            Prepared::Ready(response) if method == hyper::http::Method::HEAD => {
                response.map(|_| ServedBody::head())
            }
            Prepared::Ready(response) => response.map(ServedBody::full),
            Prepared::Scrape(variant, names) => self.scrape_async(variant, names).await,
        }
    }
}

/// What one scrape read, for the handler's telemetry: summed over the
/// one-family snapshots of a streamed scrape, or taken from one snapshot.
#[derive(Default)]
struct Read {
    series: usize,
    clamped: u64,
    failed_computed: u64,
}

impl Read {
    /// Adds a snapshot's families; its `failed_computed` counts the whole
    /// pass so far, so the latest is kept.
    fn add(&mut self, snapshot: &tally_core::RegistrySnapshot) {
        self.series += snapshot
            .families
            .iter()
            .map(|f| f.series.len())
            .sum::<usize>();
        self.clamped += snapshot.families.iter().map(|f| f.clamped).sum::<u64>();
        self.failed_computed = self.failed_computed.max(snapshot.failed_computed);
    }
}
