//! The reference protobuf encoder: builds the prost messages of
//! [`proto`] and lets prost encode them. Simple and
//! obviously right, but it allocates every label string of every series;
//! [`encode_protobuf`](super::encode_protobuf) writes the same bytes
//! directly (the tests check they are identical).

use std::time::Duration;

use metrics_core::{FamilySnapshot, HistogramSnapshot, MetricKind, RegistrySnapshot, Value};
use prost::Message;

use super::buckets::Classic;
use super::labels::Labels;
use super::native::{native_buckets, native_schema, Bounds};
use super::openmetrics::EncodeOptions;
use super::proto;
use super::quantiles::{quantile_family_name, quantile_value, quantiles, summary_quantiles};

/// Appends `snapshot` as delimited protobuf `MetricFamily` records, by
/// way of prost messages: the reference [`encode_protobuf`](super::encode_protobuf)
/// is tested against (byte for byte).
pub fn encode_protobuf_prost(
    snapshot: &RegistrySnapshot,
    options: &EncodeOptions,
    out: &mut Vec<u8>,
) {
    let created = options.created.map(timestamp);
    let mut classic = Classic::default();
    let mut qs = Vec::new();
    for family in &snapshot.families {
        let labels = Labels::new(&[], family.labels);
        let pairs = |index: usize| -> Vec<proto::LabelPair> {
            let pair = |k: &str, v: &str| proto::LabelPair {
                name: Some(k.to_owned()),
                value: Some(v.to_owned()),
            };
            let consts = snapshot.const_labels.iter().map(|(k, v)| pair(k, v));
            consts
                .chain(labels.pairs(index).map(|(k, v)| pair(k, v)))
                .collect()
        };
        let mut mf = proto::MetricFamily {
            name: Some(family.name.clone()),
            help: Some(family.help.to_string()),
            r#type: None,
            metric: Vec::with_capacity(family.series.len()),
            unit: family.unit.map(|u| u.as_str().to_owned()),
        };
        match family.kind {
            MetricKind::Counter => {
                mf.name = Some(format!("{}_total", family.name));
                mf.r#type = Some(proto::MetricType::Counter as i32);
                for s in &family.series {
                    mf.metric.push(proto::Metric {
                        label: pairs(s.index),
                        counter: Some(proto::Counter {
                            value: s.value.as_f64(),
                            created_timestamp: created.clone(),
                        }),
                        ..Default::default()
                    });
                }
            }
            MetricKind::Gauge | MetricKind::Info => {
                if family.kind == MetricKind::Info {
                    mf.name = Some(format!("{}_info", family.name));
                }
                mf.r#type = Some(proto::MetricType::Gauge as i32);
                for s in &family.series {
                    mf.metric.push(proto::Metric {
                        label: pairs(s.index),
                        gauge: Some(proto::Gauge {
                            value: s.value.as_f64(),
                        }),
                        ..Default::default()
                    });
                }
            }
            MetricKind::Summary => {
                mf.r#type = Some(proto::MetricType::Summary as i32);
                if let Some(first) = first_histogram(family) {
                    summary_quantiles(&first.config(), &mut qs);
                }
                for s in &family.series {
                    if let Value::Summary(h) = &s.value {
                        mf.metric.push(proto::Metric {
                            label: pairs(s.index),
                            summary: Some(summary_message(h, &qs, created.clone())),
                            ..Default::default()
                        });
                    }
                }
            }
            MetricKind::Histogram => {
                mf.r#type = Some(proto::MetricType::Histogram as i32);
                let mut summary = None;
                if let Some(h) = first_histogram(family) {
                    let config = h.config();
                    classic.prepare(&config, family.unit);
                    let bounds = Bounds::new(native_schema(config.precision_digits()));
                    quantiles(&config, &mut qs);
                    if !qs.is_empty() {
                        summary = Some(proto::MetricFamily {
                            name: Some(quantile_family_name(&family.name, family.unit)),
                            help: Some(format!(
                                "{} (quantiles over the process lifetime; not aggregatable)",
                                family.help
                            )),
                            r#type: Some(proto::MetricType::Summary as i32),
                            metric: Vec::new(),
                            unit: mf.unit.clone(),
                        });
                    }
                    for s in &family.series {
                        let Value::Histogram(h) = &s.value else {
                            continue;
                        };
                        classic.count(h);
                        mf.metric.push(proto::Metric {
                            label: pairs(s.index),
                            histogram: Some(histogram(h, &classic, &bounds, created.clone())),
                            ..Default::default()
                        });
                        if let Some(summary) = &mut summary {
                            summary.metric.push(proto::Metric {
                                label: pairs(s.index),
                                summary: Some(summary_message(h, &qs, created.clone())),
                                ..Default::default()
                            });
                        }
                    }
                }
                write_delimited(&mf, out);
                if let Some(summary) = summary {
                    write_delimited(&summary, out);
                }
                continue;
            }
        }
        write_delimited(&mf, out);
    }
}

fn write_delimited(mf: &proto::MetricFamily, out: &mut Vec<u8>) {
    mf.encode_length_delimited(out)
        .expect("a Vec<u8> grows as needed");
}

pub(crate) fn first_histogram(family: &FamilySnapshot) -> Option<&HistogramSnapshot> {
    family.series.iter().find_map(|s| match &s.value {
        Value::Histogram(h) | Value::Summary(h) => Some(&**h),
        _ => None,
    })
}

/// The `Summary` message of one distribution at quantiles `qs`.
fn summary_message(
    h: &HistogramSnapshot,
    qs: &[f64],
    created: Option<proto::Timestamp>,
) -> proto::Summary {
    proto::Summary {
        sample_count: Some(h.count()),
        sample_sum: Some(h.sum_scaled()),
        quantile: qs
            .iter()
            .map(|&q| proto::Quantile {
                quantile: Some(q),
                value: Some(quantile_value(h, q)),
            })
            .collect(),
        created_timestamp: created,
    }
}

/// The `Histogram` message of one series: classic and native buckets.
fn histogram(
    h: &HistogramSnapshot,
    classic: &Classic,
    bounds: &Bounds,
    created: Option<proto::Timestamp>,
) -> proto::Histogram {
    let native = native_buckets(h, bounds);
    proto::Histogram {
        sample_count: Some(h.count()),
        sample_sum: Some(h.sum_scaled()),
        bucket: classic
            .bounds
            .iter()
            .zip(&classic.cumulative)
            .map(|(&b, &c)| proto::Bucket {
                cumulative_count: Some(c),
                upper_bound: Some(b),
                ..Default::default()
            })
            .collect(),
        created_timestamp: created,
        schema: Some(native.schema),
        zero_threshold: Some(native.zero_threshold),
        zero_count: Some(native.zero_count),
        positive_span: native
            .spans
            .iter()
            .map(|&(offset, length)| proto::BucketSpan {
                offset: Some(offset),
                length: Some(length),
            })
            .collect(),
        positive_delta: native.deltas,
        ..Default::default()
    }
}

/// A Unix time in seconds as a protobuf `Timestamp`.
pub(crate) fn timestamp(unix_seconds: f64) -> proto::Timestamp {
    let d = Duration::try_from_secs_f64(unix_seconds.max(0.0)).unwrap_or_default();
    proto::Timestamp {
        seconds: d.as_secs() as i64,
        nanos: d.subsec_nanos() as i32,
    }
}
