//! OTLP/HTTP protobuf: a [`RegistrySnapshot`] as one
//! `ExportMetricsServiceRequest` (the body of `POST /v1/metrics`).
//!
//! The mapping:
//! - counters: monotonic cumulative `Sum`s (`as_int` for integer
//!   counters, `as_double` for float ones);
//! - gauges: `Gauge`s;
//! - histograms: cumulative `ExponentialHistogram`s built from the HDR
//!   cells (each cell whole in the bucket holding its midpoint, the rule of
//!   the native histograms, see [`native_schema`](super::native_schema)),
//!   halved in resolution until at most [`OtlpOptions::max_buckets`]
//!   buckets remain; or, with [`OtlpHistograms::Explicit`], explicit-bucket
//!   `Histogram`s over the classic bounds. Both carry count, sum, min, max;
//! - windowed families ([`MetricKind::Summary`]): `Summary`s with the
//!   quantiles of the text formats (the maximum as quantile 1).
//!
//! Names drop the unit suffix, which moves to `unit` in UCUM (`s`, `By`,
//! ...): Prometheus' OTLP receiver adds `_seconds` and `_total` back.
//! Labels (the registry's constant labels first) become string
//! attributes; [`OtlpOptions::resource`] becomes the resource
//! (`service.name` and the like). Snapshots carry no creation time:
//! every point's `start_time_unix_nano` is [`OtlpOptions::start_time`],
//! the process start by default (a correct lower bound: every series of
//! a process starts at zero no earlier than the process).

use std::time::{SystemTime, UNIX_EPOCH};

use prost::Message;
use tally_core::{FamilySnapshot, HistogramSnapshot, MetricKind, RegistrySnapshot, Unit, Value};

use super::buckets::Classic;
use super::native::{native_buckets_into, native_schema, Bounds, NativeBuckets};
use super::options::process_start;
use super::otlp_proto as otlp;
use super::plan::{Ordinals, Plan};
use super::quantiles::{quantile_value, summary_quantiles};

/// The content type of an OTLP/HTTP protobuf request and response.
pub const CONTENT_TYPE_OTLP: &str = "application/x-protobuf";

/// How histogram families go out over OTLP.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OtlpHistograms {
    /// `ExponentialHistogram` from the HDR cells (the default): the
    /// distribution at the HDR's resolution, no bounds to choose.
    #[default]
    Exponential,
    /// Explicit-bucket `Histogram` over the family's classic bounds (for
    /// receivers without exponential histograms).
    Explicit,
}

/// What the OTLP encoder puts around the snapshot.
#[derive(Clone, Debug, PartialEq)]
pub struct OtlpOptions {
    /// Resource attributes, e.g. `("service.name", "checkout")`.
    pub resource: Vec<(String, String)>,
    /// Exponential or explicit-bucket histograms.
    pub histograms: OtlpHistograms,
    /// Most buckets of an exponential histogram; a finer one is halved
    /// in resolution (its scale lowered) until it fits. 160 is the
    /// OpenTelemetry SDKs' default.
    pub max_buckets: usize,
    /// Unix time in seconds used as every point's
    /// `start_time_unix_nano` (default: the process start, else 0).
    pub start_time: Option<f64>,
}

impl Default for OtlpOptions {
    fn default() -> Self {
        OtlpOptions {
            resource: Vec::new(),
            histograms: OtlpHistograms::Exponential,
            max_buckets: 160,
            start_time: process_start(),
        }
    }
}

/// The lowest scale OTLP allows.
const MIN_SCALE: i32 = -10;

/// Appends `snapshot` as an OTLP `ExportMetricsServiceRequest` taken at
/// `now` to `out`.
pub fn encode_otlp(
    snapshot: &RegistrySnapshot,
    options: &OtlpOptions,
    now: SystemTime,
    out: &mut Vec<u8>,
) {
    otlp_request(snapshot, options, now)
        .encode(out)
        .expect("a Vec<u8> grows as needed");
}

/// `snapshot` as an OTLP `ExportMetricsServiceRequest` taken at `now`.
pub fn otlp_request(
    snapshot: &RegistrySnapshot,
    options: &OtlpOptions,
    now: SystemTime,
) -> otlp::ExportMetricsServiceRequest {
    let time = unix_nanos(now);
    let start = options
        .start_time
        .map(|s| (s.max(0.0) * 1e9) as u64)
        .unwrap_or(0)
        .min(time);
    let mut encoder = Encoder {
        snapshot,
        options,
        start,
        time,
        classic: Classic::default(),
        native: NativeBuckets::default(),
        quantiles: Vec::new(),
        ordinals: Ordinals::default(),
    };
    let metrics = snapshot
        .families
        .iter()
        .map(|family| encoder.metric(&Plan::new(family)))
        .collect();
    otlp::ExportMetricsServiceRequest {
        resource_metrics: vec![otlp::ResourceMetrics {
            resource: Some(otlp::Resource {
                attributes: options
                    .resource
                    .iter()
                    .map(|(k, v)| key_value(k, v))
                    .collect(),
                dropped_attributes_count: 0,
            }),
            scope_metrics: vec![otlp::ScopeMetrics {
                scope: Some(otlp::InstrumentationScope {
                    name: "tally".to_owned(),
                    version: env!("CARGO_PKG_VERSION").to_owned(),
                    ..Default::default()
                }),
                metrics,
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    }
}

/// The UCUM code of a tally unit (OTLP's `unit`).
pub fn ucum_unit(unit: Unit) -> &'static str {
    match unit.as_str() {
        "seconds" => "s",
        "bytes" => "By",
        "ratio" => "1",
        "celsius" => "Cel",
        "meters" => "m",
        "joules" => "J",
        "grams" => "g",
        "volts" => "V",
        "amperes" => "A",
        other => other,
    }
}

/// Reusable state of one encoding.
struct Encoder<'a> {
    snapshot: &'a RegistrySnapshot,
    options: &'a OtlpOptions,
    start: u64,
    time: u64,
    classic: Classic,
    native: NativeBuckets,
    quantiles: Vec<f64>,
    /// The label ordinals of the current series.
    ordinals: Ordinals,
}

impl Encoder<'_> {
    fn metric(&mut self, plan: &Plan) -> otlp::Metric {
        use otlp::metric::Data;
        let family = plan.family;
        self.ordinals.reset(plan);
        let name = match (family.kind, family.unit) {
            // An info family is the gauge `name_info` (= 1).
            (MetricKind::Info, _) => format!("{}_info", family.name),
            (_, Some(unit)) => family
                .name
                .strip_suffix(unit.as_str())
                .and_then(|n| n.strip_suffix('_'))
                .unwrap_or(&family.name)
                .to_owned(),
            (_, None) => family.name.clone(),
        };
        let data = match family.kind {
            MetricKind::Counter => Data::Sum(otlp::Sum {
                data_points: self.numbers(family),
                aggregation_temporality: otlp::AggregationTemporality::Cumulative as i32,
                is_monotonic: true,
            }),
            MetricKind::Gauge | MetricKind::Info => Data::Gauge(otlp::Gauge {
                data_points: self.numbers(family),
            }),
            MetricKind::Summary => Data::Summary(otlp::Summary {
                data_points: self.summaries(family),
            }),
            MetricKind::Histogram => match self.options.histograms {
                OtlpHistograms::Exponential => {
                    Data::ExponentialHistogram(otlp::ExponentialHistogram {
                        data_points: self.exponential(family),
                        aggregation_temporality: otlp::AggregationTemporality::Cumulative as i32,
                    })
                }
                OtlpHistograms::Explicit => Data::Histogram(otlp::Histogram {
                    data_points: self.explicit(family),
                    aggregation_temporality: otlp::AggregationTemporality::Cumulative as i32,
                }),
            },
        };
        otlp::Metric {
            name: name.to_owned(),
            description: family.help.to_string(),
            unit: family.unit.map(ucum_unit).unwrap_or_default().to_owned(),
            data: Some(data),
        }
    }

    /// The attributes of series `index`: constant labels, then the
    /// family's labels.
    fn attributes(&mut self, family: &FamilySnapshot, index: usize) -> Vec<otlp::KeyValue> {
        let desc = family.labels;
        self.ordinals.seek(index);
        let consts = &self.snapshot.const_labels;
        let mut attributes = Vec::with_capacity(consts.len() + desc.names.len());
        attributes.extend(consts.iter().map(|(k, v)| key_value(k, v)));
        attributes.extend(
            self.ordinals
                .get()
                .iter()
                .enumerate()
                .map(|(l, &ordinal)| key_value(desc.names[l], family.value_name(l, ordinal))),
        );
        attributes
    }

    fn numbers(&mut self, family: &FamilySnapshot) -> Vec<otlp::NumberDataPoint> {
        use otlp::number_data_point::Value as V;
        let mut points = Vec::with_capacity(family.series.len());
        for s in &family.series {
            let value = match s.value {
                Value::Counter(v) => V::AsInt(i64::try_from(v).unwrap_or(i64::MAX)),
                Value::Gauge(v) => V::AsInt(v),
                Value::CounterF64(v) | Value::GaugeF64(v) => V::AsDouble(v),
                Value::Histogram(_) | Value::Summary(_) => continue,
            };
            points.push(otlp::NumberDataPoint {
                attributes: self.attributes(family, s.index),
                start_time_unix_nano: self.start,
                time_unix_nano: self.time,
                value: Some(value),
                flags: 0,
            });
        }
        points
    }

    fn summaries(&mut self, family: &FamilySnapshot) -> Vec<otlp::SummaryDataPoint> {
        let mut points = Vec::with_capacity(family.series.len());
        for s in &family.series {
            let (Value::Summary(h) | Value::Histogram(h)) = &s.value else {
                continue;
            };
            summary_quantiles(&h.config(), &mut self.quantiles);
            points.push(otlp::SummaryDataPoint {
                attributes: self.attributes(family, s.index),
                start_time_unix_nano: self.start,
                time_unix_nano: self.time,
                count: h.count(),
                sum: h.sum_scaled(),
                quantile_values: self
                    .quantiles
                    .iter()
                    .map(|&q| otlp::ValueAtQuantile {
                        quantile: q,
                        value: quantile_value(h, q),
                    })
                    .collect(),
                flags: 0,
            });
        }
        points
    }

    fn exponential(&mut self, family: &FamilySnapshot) -> Vec<otlp::ExponentialHistogramDataPoint> {
        let mut points = Vec::with_capacity(family.series.len());
        let mut bounds: Option<Bounds> = None;
        for s in &family.series {
            let Value::Histogram(h) = &s.value else {
                continue;
            };
            let bounds = bounds.get_or_insert_with(|| Bounds::new(native_schema(&h.config())));
            native_buckets_into(h, bounds, &mut self.native);
            let (scale, positive) = exponential_buckets(&self.native, self.options.max_buckets);
            let (min, max) = min_max(h);
            points.push(otlp::ExponentialHistogramDataPoint {
                attributes: self.attributes(family, s.index),
                start_time_unix_nano: self.start,
                time_unix_nano: self.time,
                count: h.count(),
                sum: Some(h.sum_scaled()),
                scale,
                zero_count: self.native.zero_count,
                positive: Some(positive),
                negative: None,
                flags: 0,
                min,
                max,
                zero_threshold: 0.0,
            });
        }
        points
    }

    fn explicit(&mut self, family: &FamilySnapshot) -> Vec<otlp::HistogramDataPoint> {
        let mut points = Vec::with_capacity(family.series.len());
        let mut prepared = false;
        for s in &family.series {
            let Value::Histogram(h) = &s.value else {
                continue;
            };
            if !prepared {
                self.classic.prepare(&h.config(), family.unit);
                prepared = true;
            }
            self.classic.count(h);
            let mut previous = 0;
            let mut bucket_counts: Vec<u64> = self
                .classic
                .cumulative
                .iter()
                .map(|&c| {
                    let n = c.saturating_sub(previous);
                    previous = c;
                    n
                })
                .collect();
            bucket_counts.push(h.count().saturating_sub(previous));
            let (min, max) = min_max(h);
            points.push(otlp::HistogramDataPoint {
                attributes: self.attributes(family, s.index),
                start_time_unix_nano: self.start,
                time_unix_nano: self.time,
                count: h.count(),
                sum: Some(h.sum_scaled()),
                bucket_counts,
                explicit_bounds: self.classic.bounds.clone(),
                flags: 0,
                min,
                max,
            });
        }
        points
    }
}

/// Min and max in exposed units, absent for an empty series.
fn min_max(h: &HistogramSnapshot) -> (Option<f64>, Option<f64>) {
    if h.count() == 0 {
        return (None, None);
    }
    let scale = h.config().scale();
    (Some(h.min() as f64 / scale), Some(h.max() as f64 / scale))
}

/// Native buckets (Prometheus indices: bucket `i` is
/// `(2^((i-1)/2^s), 2^(i/2^s)]`) as OTLP's dense positive buckets
/// (bucket `i` is `(base^i, base^(i+1)]`, so one index lower), the scale
/// lowered until at most `max_buckets` remain.
pub(crate) fn exponential_buckets(
    native: &NativeBuckets,
    max_buckets: usize,
) -> (i32, otlp::Buckets) {
    // (OTLP index, count) of every non-empty bucket, ascending.
    let mut sparse: Vec<(i32, u64)> = Vec::with_capacity(native.deltas.len());
    let mut index = 0i32;
    let mut count = 0i64;
    let mut deltas = native.deltas.iter();
    for &(offset, length) in &native.spans {
        index += offset;
        for _ in 0..length {
            count += deltas.next().copied().unwrap_or(0);
            if count > 0 {
                sparse.push((index - 1, count as u64));
            }
            index += 1;
        }
    }
    let mut scale = native.schema;
    let max_buckets = max_buckets.max(1) as i64;
    while let (Some(first), Some(last)) = (sparse.first(), sparse.last()) {
        if i64::from(last.0) - i64::from(first.0) < max_buckets || scale <= MIN_SCALE {
            break;
        }
        // Halve the resolution: bucket i at scale s is bucket i >> 1
        // (floor) at scale s - 1.
        scale -= 1;
        let mut merged: Vec<(i32, u64)> = Vec::with_capacity(sparse.len());
        for (i, c) in sparse.drain(..) {
            let i = i >> 1;
            match merged.last_mut() {
                Some((j, total)) if *j == i => *total += c,
                _ => merged.push((i, c)),
            }
        }
        sparse = merged;
    }
    let Some(&(offset, _)) = sparse.first() else {
        return (scale, otlp::Buckets::default());
    };
    let len = (sparse.last().map_or(offset, |l| l.0) - offset + 1) as usize;
    let mut bucket_counts = vec![0u64; len];
    for (i, c) in sparse {
        bucket_counts[(i - offset) as usize] = c;
    }
    (
        scale,
        otlp::Buckets {
            offset,
            bucket_counts,
        },
    )
}

fn key_value(key: &str, value: &str) -> otlp::KeyValue {
    otlp::KeyValue {
        key: key.to_owned(),
        value: Some(otlp::AnyValue {
            value: Some(otlp::any_value::Value::StringValue(value.to_owned())),
        }),
    }
}

fn unix_nanos(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn native(schema: i32, spans: &[(i32, u32)], deltas: &[i64]) -> NativeBuckets {
        NativeBuckets {
            schema,
            zero_threshold: 0.0,
            zero_count: 0,
            spans: spans.to_vec(),
            deltas: deltas.to_vec(),
        }
    }

    #[test]
    fn native_indices_shift_down_by_one() {
        // Native buckets 5 (count 2) and 6 (count 3), then 10 (count 1).
        let n = native(3, &[(5, 2), (3, 1)], &[2, 1, -2]);
        let (scale, b) = exponential_buckets(&n, 160);
        assert_eq!(scale, 3);
        assert_eq!(b.offset, 4);
        assert_eq!(b.bucket_counts, [2, 3, 0, 0, 0, 1]);
    }

    #[test]
    fn downscales_until_it_fits() {
        // OTLP buckets -1 and 6 at scale 3: 8 wide; at most 4 allowed.
        let n = native(3, &[(0, 1), (6, 1)], &[5, -2]);
        let (scale, b) = exponential_buckets(&n, 4);
        // Scale 2: -1 and 3 (5 wide); scale 1: -1 and 1 (3 wide).
        assert_eq!(scale, 1);
        assert_eq!(b.offset, -1);
        assert_eq!(b.bucket_counts, [5, 0, 3]);
    }

    #[test]
    fn empty_histogram_has_no_buckets() {
        let (scale, b) = exponential_buckets(&native(8, &[], &[]), 160);
        assert_eq!(scale, 8);
        assert!(b.bucket_counts.is_empty());
    }

    #[test]
    fn units_in_ucum() {
        assert_eq!(ucum_unit(Unit::SECONDS), "s");
        assert_eq!(ucum_unit(Unit::BYTES), "By");
        assert_eq!(ucum_unit(Unit::new("widgets")), "widgets");
    }
}
