//! Delimited Prometheus protobuf (`io.prometheus.client.MetricFamily`,
//! each record prefixed by its varint length), the format Prometheus
//! scrapes native histograms in.
//!
//! Route: prost, with hand-written structs mirroring upstream
//! `metrics.proto` ([`proto`](super::proto)); `prometheus-client`'s
//! protobuf support encodes the OpenMetrics data model, a different
//! message Prometheus does not scrape, and has no native histograms.
//! This encoder writes the wire format of those messages directly
//! ([`wire`]), with each label pair encoded once per family
//! and no allocation per series; [`encode_protobuf_prost`](super::encode_protobuf_prost)
//! builds the prost messages instead, and the tests check both give the
//! same bytes (fields in tag order, proto2 optionals written when set).
//!
//! Counters are families named `<name>_total`, as client_golang names
//! them (Prometheus adds no suffix to protobuf counters). Histograms
//! carry classic buckets (without `+Inf`, which is optional) and native
//! buckets ([`native`](super::native)) in the same message, so a
//! Prometheus without native histograms still gets buckets. Opt-in
//! quantiles become a separate `SUMMARY` family, as in the text formats.

use metrics_core::{
    FamilySnapshot, HistogramSnapshot, LabelDesc, MetricKind, RegistrySnapshot, Value,
};

use super::buckets::Classic;
use super::native::{native_buckets_into, native_schema, Bounds, NativeBuckets};
use super::openmetrics::EncodeOptions;
use super::proto::MetricType;
use super::protobuf_prost::{first_histogram, timestamp};
use super::quantiles::{quantile_family_name, quantile_value, quantiles, summary_quantiles};
use super::wire;

/// Appends `snapshot` as delimited protobuf `MetricFamily` records.
pub fn encode_protobuf(snapshot: &RegistrySnapshot, options: &EncodeOptions, out: &mut Vec<u8>) {
    let mut encoder = Encoder::new(snapshot, options);
    for family in &snapshot.families {
        encoder.family(family, out);
    }
}

/// Buffers and per-encode state, reused across families.
struct Encoder {
    /// The `Metric.label` fields of the constant labels.
    consts: Vec<u8>,
    /// The encoded `Timestamp` of `_created`, if any.
    created: Option<Vec<u8>>,
    /// The `Metric.label` fields of the current family's label values.
    pairs: Pairs,
    classic: Classic,
    bounds: Option<Bounds>,
    native: NativeBuckets,
    quantiles: Vec<f64>,
    /// The record being built, one metric, one message, one item.
    record: Vec<u8>,
    metric: Vec<u8>,
    message: Vec<u8>,
    item: Vec<u8>,
}

impl Encoder {
    fn new(snapshot: &RegistrySnapshot, options: &EncodeOptions) -> Self {
        let mut consts = Vec::new();
        for (name, value) in snapshot.const_labels.iter() {
            label_field(&mut consts, name, value);
        }
        let created = options.created.map(|t| {
            let ts = timestamp(t);
            let mut b = Vec::new();
            if ts.seconds != 0 {
                wire::int(&mut b, 1, ts.seconds);
            }
            if ts.nanos != 0 {
                wire::int(&mut b, 2, i64::from(ts.nanos));
            }
            b
        });
        Encoder {
            consts,
            created,
            pairs: Pairs::default(),
            classic: Classic::default(),
            bounds: None,
            native: NativeBuckets::default(),
            quantiles: Vec::new(),
            record: Vec::new(),
            metric: Vec::new(),
            message: Vec::new(),
            item: Vec::new(),
        }
    }

    fn family(&mut self, family: &FamilySnapshot, out: &mut Vec<u8>) {
        self.pairs.prepare(family.labels);
        match family.kind {
            MetricKind::Counter => {
                let name = format!("{}_total", family.name);
                self.start(&name, &family.help, MetricType::Counter);
                for s in &family.series {
                    self.message.clear();
                    wire::double(&mut self.message, 1, s.value.as_f64().unwrap_or(0.0));
                    if let Some(created) = &self.created {
                        wire::bytes(&mut self.message, 3, created);
                    }
                    self.metric(s.index, 3);
                }
                self.finish(family, out);
            }
            MetricKind::Gauge => {
                self.start(&family.name, &family.help, MetricType::Gauge);
                for s in &family.series {
                    self.message.clear();
                    wire::double(&mut self.message, 1, s.value.as_f64().unwrap_or(0.0));
                    self.metric(s.index, 2);
                }
                self.finish(family, out);
            }
            MetricKind::Info => {
                // No info type in the protobuf format: a gauge `name_info`.
                let name = format!("{}_info", family.name);
                self.start(&name, &family.help, MetricType::Gauge);
                for s in &family.series {
                    self.message.clear();
                    wire::double(&mut self.message, 1, s.value.as_f64().unwrap_or(0.0));
                    self.metric(s.index, 2);
                }
                self.finish(family, out);
            }
            MetricKind::Histogram => self.histogram_family(family, out),
            MetricKind::Summary => {
                self.start(&family.name, &family.help, MetricType::Summary);
                if let Some(first) = first_histogram(family) {
                    summary_quantiles(&first.config(), &mut self.quantiles);
                    self.summary_metrics(family);
                }
                self.finish(family, out);
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
        self.pairs.write(&mut self.metric, index);
        wire::bytes(&mut self.metric, field, &self.message);
        wire::bytes(&mut self.record, 4, &self.metric);
    }

    /// Ends the record with the unit and appends it, length first.
    fn finish(&mut self, family: &FamilySnapshot, out: &mut Vec<u8>) {
        if let Some(unit) = family.unit {
            wire::bytes(&mut self.record, 5, unit.as_str().as_bytes());
        }
        wire::varint(out, self.record.len() as u64);
        out.extend_from_slice(&self.record);
    }

    fn histogram_family(&mut self, family: &FamilySnapshot, out: &mut Vec<u8>) {
        self.start(&family.name, &family.help, MetricType::Histogram);
        let Some(first) = first_histogram(family) else {
            return self.finish(family, out);
        };
        let config = first.config();
        self.classic.prepare(&config, family.unit);
        let schema = native_schema(config.precision_digits());
        if self.bounds.as_ref().is_none_or(|b| b.schema != schema) {
            self.bounds = Some(Bounds::new(schema));
        }
        for s in &family.series {
            let Value::Histogram(h) = &s.value else {
                continue;
            };
            self.histogram_message(h);
            self.metric(s.index, 7);
        }
        self.finish(family, out);

        quantiles(&config, &mut self.quantiles);
        if self.quantiles.is_empty() {
            return;
        }
        let name = quantile_family_name(&family.name, family.unit);
        let help = format!(
            "{} (quantiles over the process lifetime; not aggregatable)",
            family.help
        );
        self.start(&name, &help, MetricType::Summary);
        self.summary_metrics(family);
        self.finish(family, out);
    }

    /// One `Summary` metric per distribution of `family`, at
    /// `self.quantiles`.
    fn summary_metrics(&mut self, family: &FamilySnapshot) {
        for s in &family.series {
            let (Value::Histogram(h) | Value::Summary(h)) = &s.value else {
                continue;
            };
            self.message.clear();
            wire::uint(&mut self.message, 1, h.count());
            wire::double(&mut self.message, 2, h.sum_scaled());
            for &q in &self.quantiles {
                self.item.clear();
                wire::double(&mut self.item, 1, q);
                wire::double(&mut self.item, 2, quantile_value(h, q));
                wire::bytes(&mut self.message, 3, &self.item);
            }
            if let Some(created) = &self.created {
                wire::bytes(&mut self.message, 4, created);
            }
            self.metric(s.index, 4);
        }
    }

    /// The `Histogram` message of one series into `message`: classic and
    /// native buckets, fields in tag order.
    fn histogram_message(&mut self, h: &HistogramSnapshot) {
        let m = &mut self.message;
        m.clear();
        wire::uint(m, 1, h.count());
        wire::double(m, 2, h.sum_scaled());
        self.classic.count(h);
        for (&bound, &count) in self.classic.bounds.iter().zip(&self.classic.cumulative) {
            self.item.clear();
            wire::uint(&mut self.item, 1, count);
            wire::double(&mut self.item, 2, bound);
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

/// The encoded `Metric.label` fields of every value of every label of a
/// family, and the series-index strides to pick them.
#[derive(Default)]
struct Pairs {
    desc: Option<&'static LabelDesc>,
    strides: Vec<usize>,
    fields: Vec<u8>,
    ends: Vec<usize>,
    base: Vec<usize>,
}

impl Pairs {
    fn prepare(&mut self, desc: &'static LabelDesc) {
        self.desc = Some(desc);
        let n = desc.values.len();
        self.strides.clear();
        self.strides.resize(n, 1);
        for i in (0..n.saturating_sub(1)).rev() {
            self.strides[i] = self.strides[i + 1] * desc.values[i + 1].len();
        }
        self.fields.clear();
        self.ends.clear();
        self.base.clear();
        for (l, (name, values)) in desc.names.iter().zip(desc.values).enumerate() {
            self.base.push(self.ends.len());
            for ordinal in 0..values.len() {
                label_field(&mut self.fields, name, desc.value_name(l, ordinal));
                self.ends.push(self.fields.len());
            }
        }
    }

    fn write(&self, out: &mut Vec<u8>, index: usize) {
        let desc = self.desc.expect("prepared");
        for (l, values) in desc.values.iter().enumerate() {
            let i = self.base[l] + (index / self.strides[l]) % values.len();
            let start = if i == 0 { 0 } else { self.ends[i - 1] };
            out.extend_from_slice(&self.fields[start..self.ends[i]]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_lengths() {
        for n in [0usize, 1, 127, 128, 16_383, 16_384, 1 << 30] {
            let mut out = Vec::new();
            wire::varint(&mut out, n as u64);
            assert_eq!(varint_len(n), out.len(), "{n}");
        }
    }
}
