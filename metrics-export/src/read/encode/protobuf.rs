//! Delimited Prometheus protobuf (`io.prometheus.client.MetricFamily`,
//! each record prefixed by its varint length), the format Prometheus
//! scrapes native histograms in.
//!
//! Route: hand-written, after prost structs mirroring upstream
//! `metrics.proto` ([`proto`](super::proto), feature `protobuf`); `prometheus-client`'s
//! protobuf support encodes the OpenMetrics data model, a different
//! message Prometheus does not scrape, and has no native histograms.
//! This encoder writes the wire format of those messages directly
//! ([`wire`]), with each label pair encoded once per family
//! and no allocation per series, and without prost (it is compiled in
//! every feature set); [`encode_protobuf_prost`](super::encode_protobuf_prost)
//! (feature `protobuf`) builds the prost messages instead, and the tests check both give the
//! same bytes (fields in tag order, proto2 optionals written when set).
//!
//! Counters are families named `<name>_total`, as client_golang names
//! them (Prometheus adds no suffix to protobuf counters). Histograms
//! carry classic buckets (without `+Inf`, which is optional) and native
//! buckets ([`native`](super::native)) in the same message, so a
//! Prometheus without native histograms still gets buckets. Opt-in
//! quantiles become a separate `SUMMARY` family, as in the text formats.

use tally_core::{Exemplar, HistogramSnapshot, MetricKind, RegistrySnapshot, Value};

use super::buckets::Classic;
use super::exemplars;
use super::label_table::LabelTable;
use super::native::{native_buckets_into, native_schema, Bounds, NativeBuckets};
use super::options::EncodeOptions;
use super::plan::{histograms, Ordinals, Plan};
use super::quantiles::quantile_value;
use super::wire;

/// The `MetricFamily.type` numbers this encoder writes: upstream's
/// `io.prometheus.client.MetricType` (the prost enum
/// [`proto::MetricType`](super::proto::MetricType), feature `protobuf`,
/// has the same numbers; a test compares them). Kept here so that the
/// hand-written encoder builds without prost.
#[derive(Clone, Copy)]
#[repr(i32)]
enum MetricType {
    Counter = 0,
    Gauge = 1,
    Summary = 2,
    Histogram = 4,
}

/// Appends `snapshot` as delimited protobuf `MetricFamily` records.
pub fn encode_protobuf(snapshot: &RegistrySnapshot, options: &EncodeOptions, out: &mut Vec<u8>) {
    let mut encoder = Encoder::new(snapshot, options);
    for family in &snapshot.families {
        encoder.family(&Plan::new(family), out);
    }
}

/// Buffers and per-encode state, reused across families.
struct Encoder {
    /// The `Metric.label` fields of the constant labels.
    consts: Vec<u8>,
    /// The encoded `Timestamp` of `_created`, if any.
    created: Option<Vec<u8>>,
    /// The `Metric.label` field of each value of each label of the
    /// current family.
    pairs: LabelTable,
    /// The label ordinals of the current series.
    ordinals: Ordinals,
    classic: Classic,
    bounds: Option<Bounds>,
    native: NativeBuckets,
    /// The record being built, one metric, one message, one item.
    record: Vec<u8>,
    metric: Vec<u8>,
    message: Vec<u8>,
    item: Vec<u8>,
    exemplar: Vec<u8>,
}

impl Encoder {
    fn new(snapshot: &RegistrySnapshot, options: &EncodeOptions) -> Self {
        let mut consts = Vec::new();
        for (name, value) in snapshot.const_labels.iter() {
            label_field(&mut consts, name, value);
        }
        let created = options.created_timestamp().map(|(seconds, nanos)| {
            let mut b = Vec::new();
            if seconds != 0 {
                wire::int(&mut b, 1, seconds);
            }
            if nanos != 0 {
                wire::int(&mut b, 2, i64::from(nanos));
            }
            b
        });
        Encoder {
            consts,
            created,
            pairs: LabelTable::default(),
            ordinals: Ordinals::default(),
            classic: Classic::default(),
            bounds: None,
            native: NativeBuckets::default(),
            record: Vec::new(),
            metric: Vec::new(),
            message: Vec::new(),
            item: Vec::new(),
            exemplar: Vec::new(),
        }
    }

    fn family(&mut self, plan: &Plan, out: &mut Vec<u8>) {
        let family = plan.family;
        self.pairs.fill(family.labels, &family.names, label_field);
        self.ordinals.reset(plan);
        match family.kind {
            MetricKind::Counter => {
                self.start(&plan.listed, &family.help, MetricType::Counter);
                for s in &family.series {
                    self.message.clear();
                    wire::double(&mut self.message, 1, s.value.as_f64().unwrap_or(0.0));
                    if let Some(e) = s.exemplars.last() {
                        exemplars::write_proto(&mut self.message, 2, e, &mut self.item);
                    }
                    if let Some(created) = &self.created {
                        wire::bytes(&mut self.message, 3, created);
                    }
                    self.metric(s.index, 3);
                }
                self.finish(plan, out);
            }
            // No info type in protobuf: an info family is a gauge `name_info`.
            MetricKind::Gauge | MetricKind::Info => {
                self.start(&plan.listed, &family.help, MetricType::Gauge);
                for s in &family.series {
                    self.message.clear();
                    wire::double(&mut self.message, 1, s.value.as_f64().unwrap_or(0.0));
                    self.metric(s.index, 2);
                }
                self.finish(plan, out);
            }
            MetricKind::Histogram => self.histogram_family(plan, out),
            MetricKind::Summary => {
                self.start(&plan.listed, &family.help, MetricType::Summary);
                if plan.config.is_some() {
                    self.summary_metrics(plan);
                }
                self.finish(plan, out);
            }
        }
    }

    /// Starts a record: name, help, type.
    fn start(&mut self, name: &str, help: &str, kind: MetricType) {
        self.record.clear();
        wire::bytes(&mut self.record, 1, name.as_bytes());
        wire::bytes(&mut self.record, 2, help.as_bytes());
        wire::uint(&mut self.record, 3, kind as u64);
    }

    /// Adds a metric of series `index` whose value message (in
    /// `message`) is `Metric` field `field`.
    fn metric(&mut self, index: usize, field: u32) {
        self.metric.clear();
        self.metric.extend_from_slice(&self.consts);
        self.ordinals.seek(index);
        for (l, &ordinal) in self.ordinals.get().iter().enumerate() {
            self.metric
                .extend_from_slice(self.pairs.fragment(l, ordinal));
        }
        wire::bytes(&mut self.metric, field, &self.message);
        wire::bytes(&mut self.record, 4, &self.metric);
    }

    /// Ends the record with the unit and appends it, length first.
    fn finish(&mut self, plan: &Plan, out: &mut Vec<u8>) {
        if let Some(unit) = plan.unit {
            wire::bytes(&mut self.record, 5, unit.as_bytes());
        }
        wire::varint(out, self.record.len() as u64);
        out.extend_from_slice(&self.record);
    }

    fn histogram_family(&mut self, plan: &Plan, out: &mut Vec<u8>) {
        let family = plan.family;
        self.start(&plan.listed, &family.help, MetricType::Histogram);
        let Some(config) = &plan.config else {
            return self.finish(plan, out);
        };
        self.classic.prepare(config, family.unit);
        let schema = native_schema(config);
        if self.bounds.as_ref().is_none_or(|b| b.schema != schema) {
            self.bounds = Some(Bounds::new(schema));
        }
        for s in &family.series {
            let Value::Histogram(h) = &s.value else {
                continue;
            };
            self.histogram_message(h, &s.exemplars);
            self.metric(s.index, 7);
        }
        self.finish(plan, out);

        if let Some(quantiles) = &plan.quantile_family {
            self.start(&quantiles.name, &quantiles.help, MetricType::Summary);
            self.summary_metrics(plan);
            self.finish(plan, out);
        }
    }

    /// One `Summary` metric per distribution of the family, at the plan's
    /// quantiles.
    fn summary_metrics(&mut self, plan: &Plan) {
        for (index, h) in histograms(plan.family) {
            self.message.clear();
            wire::uint(&mut self.message, 1, h.count());
            wire::double(&mut self.message, 2, h.sum_scaled());
            for &q in &plan.quantiles {
                self.item.clear();
                wire::double(&mut self.item, 1, q);
                wire::double(&mut self.item, 2, quantile_value(h, q));
                wire::bytes(&mut self.message, 3, &self.item);
            }
            if let Some(created) = &self.created {
                wire::bytes(&mut self.message, 4, created);
            }
            self.metric(index, 4);
        }
    }

    /// The `Histogram` message of one series into `message`: classic and
    /// native buckets, fields in tag order.
    fn histogram_message(&mut self, h: &HistogramSnapshot, series_exemplars: &[Exemplar]) {
        let m = &mut self.message;
        m.clear();
        wire::uint(m, 1, h.count());
        wire::double(m, 2, h.sum_scaled());
        self.classic.count(h);
        let mut per_bucket = Vec::new();
        if !series_exemplars.is_empty() {
            exemplars::per_bucket(series_exemplars, &self.classic.bounds, &mut per_bucket);
        }
        for (i, (&bound, &count)) in self
            .classic
            .bounds
            .iter()
            .zip(&self.classic.cumulative)
            .enumerate()
        {
            self.item.clear();
            wire::uint(&mut self.item, 1, count);
            wire::double(&mut self.item, 2, bound);
            if let Some(e) = per_bucket.get(i).copied().flatten() {
                exemplars::write_proto(&mut self.item, 3, e, &mut self.exemplar);
            }
            wire::bytes(m, 3, &self.item);
        }
        let bounds = self.bounds.as_ref().expect("set per family");
        native_buckets_into(h, bounds, &mut self.native);
        let native = &self.native;
        wire::sint(m, 5, i64::from(native.schema));
        wire::double(m, 6, native.zero_threshold);
        wire::uint(m, 7, native.zero_count);
        for &(offset, length) in &native.spans {
            self.item.clear();
            wire::sint(&mut self.item, 1, i64::from(offset));
            wire::uint(&mut self.item, 2, u64::from(length));
            wire::bytes(m, 12, &self.item);
        }
        for &delta in &native.deltas {
            wire::sint(m, 13, delta);
        }
        if let Some(created) = &self.created {
            wire::bytes(m, 15, created);
        }
        for e in series_exemplars {
            exemplars::write_proto(m, 16, e, &mut self.exemplar);
        }
    }
}

/// Appends a `Metric.label` field (`LabelPair { name, value }`).
fn label_field(out: &mut Vec<u8>, name: &str, value: &str) {
    let len = 2 + varint_len(name.len()) + name.len() + varint_len(value.len()) + value.len();
    wire::key(out, 1, wire::LEN);
    wire::varint(out, len as u64);
    wire::bytes(out, 1, name.as_bytes());
    wire::bytes(out, 2, value.as_bytes());
}

fn varint_len(n: usize) -> usize {
    let bits = usize::BITS - n.leading_zeros();
    (bits.max(1) as usize).div_ceil(7)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "protobuf")]
    #[test]
    fn metric_type_numbers_are_upstreams() {
        use super::super::proto::MetricType as Upstream;
        for (ours, upstream) in [
            (MetricType::Counter, Upstream::Counter),
            (MetricType::Gauge, Upstream::Gauge),
            (MetricType::Summary, Upstream::Summary),
            (MetricType::Histogram, Upstream::Histogram),
        ] {
            assert_eq!(ours as i32, upstream as i32);
        }
    }

    #[test]
    fn varint_lengths() {
        for n in [0usize, 1, 127, 128, 16_383, 16_384, 1 << 30] {
            let mut out = Vec::new();
            wire::varint(&mut out, n as u64);
            assert_eq!(varint_len(n), out.len(), "{n}");
        }
    }
}
