//! The reference protobuf encoder: builds the prost messages of
//! [`proto`] and lets prost encode them. Simple and
//! obviously right, but it allocates every label string of every series;
//! [`encode_protobuf`](super::encode_protobuf) writes the same bytes
//! directly (the tests check they are identical).

use prost::Message;
use tally_core::{Exemplar, HistogramSnapshot, MetricKind, RegistrySnapshot};

use super::buckets::Classic;
use super::exemplars;
use super::native::{native_buckets, native_schema, Bounds};
use super::options::EncodeOptions;
use super::plan::{histogram_series, histograms, Plan};
use super::proto;
use super::quantiles::quantile_value;

/// Appends `snapshot` as delimited protobuf `MetricFamily` records, by
/// way of prost messages: the reference [`encode_protobuf`](super::encode_protobuf)
/// is tested against (byte for byte).
pub fn encode_protobuf_prost(
    snapshot: &RegistrySnapshot,
    options: &EncodeOptions,
    out: &mut Vec<u8>,
) {
    let created = options
        .created_timestamp()
        .map(|(seconds, nanos)| proto::Timestamp { seconds, nanos });
    let mut classic = Classic::default();
    for family in &snapshot.families {
        let plan = Plan::new(family);
        let pairs = |index: usize| -> Vec<proto::LabelPair> {
            let pair = |k: &str, v: &str| proto::LabelPair {
                name: Some(k.to_owned()),
                value: Some(v.to_owned()),
            };
            let consts = snapshot.const_labels.iter().map(|(k, v)| pair(k, v));
            consts
                .chain(plan.pairs(index).map(|(k, v)| pair(k, v)))
                .collect()
        };
        let r#type = match family.kind {
            MetricKind::Counter => proto::MetricType::Counter,
            MetricKind::Gauge => proto::MetricType::Gauge,
            MetricKind::Histogram => proto::MetricType::Histogram,
            MetricKind::Summary => proto::MetricType::Summary,
            MetricKind::Info => proto::MetricType::Gauge,
        };
        let mut mf = proto::MetricFamily {
            name: Some(plan.listed.to_string()),
            help: Some(family.help.to_string()),
            r#type: Some(r#type as i32),
            metric: Vec::with_capacity(family.series.len()),
            unit: plan.unit.map(str::to_owned),
        };
        let mut summary = None;
        match family.kind {
            MetricKind::Counter => {
                for s in &family.series {
                    mf.metric.push(proto::Metric {
                        label: pairs(s.index),
                        counter: Some(proto::Counter {
                            value: s.value.as_f64(),
                            exemplar: s.exemplars.last().map(exemplars::to_proto),
                            created_timestamp: created.clone(),
                        }),
                        ..Default::default()
                    });
                }
            }
            MetricKind::Gauge | MetricKind::Info => {
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
                for (index, h) in histograms(family) {
                    mf.metric.push(proto::Metric {
                        label: pairs(index),
                        summary: Some(summary_message(h, &plan.quantiles, created.clone())),
                        ..Default::default()
                    });
                }
            }
            MetricKind::Histogram => {
                if let Some(config) = &plan.config {
                    classic.prepare(config, family.unit);
                    let bounds = Bounds::new(native_schema(config));
                    summary = plan.quantile_family.as_ref().map(|q| proto::MetricFamily {
                        name: Some(q.name.clone()),
                        help: Some(q.help.clone()),
                        r#type: Some(proto::MetricType::Summary as i32),
                        metric: Vec::new(),
                        unit: mf.unit.clone(),
                    });
                    for (series, h) in histogram_series(family) {
                        let index = series.index;
                        classic.count(h);
                        mf.metric.push(proto::Metric {
                            label: pairs(index),
                            histogram: Some(histogram(
                                h,
                                &series.exemplars,
                                &classic,
                                &bounds,
                                created.clone(),
                            )),
                            ..Default::default()
                        });
                        if let Some(summary) = &mut summary {
                            summary.metric.push(proto::Metric {
                                label: pairs(index),
                                summary: Some(summary_message(h, &plan.quantiles, created.clone())),
                                ..Default::default()
                            });
                        }
                    }
                }
            }
        }
        write_delimited(&mf, out);
        if let Some(summary) = summary {
            write_delimited(&summary, out);
        }
    }
}

fn write_delimited(mf: &proto::MetricFamily, out: &mut Vec<u8>) {
    mf.encode_length_delimited(out)
        .expect("a Vec<u8> grows as needed");
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
    series_exemplars: &[Exemplar],
    classic: &Classic,
    bounds: &Bounds,
    created: Option<proto::Timestamp>,
) -> proto::Histogram {
    let native = native_buckets(h, bounds);
    let mut per_bucket = Vec::new();
    exemplars::per_bucket(series_exemplars, &classic.bounds, &mut per_bucket);
    proto::Histogram {
        sample_count: Some(h.count()),
        sample_sum: Some(h.sum_scaled()),
        bucket: classic
            .bounds
            .iter()
            .zip(&classic.cumulative)
            .zip(&per_bucket)
            .map(|((&b, &c), e)| proto::Bucket {
                cumulative_count: Some(c),
                upper_bound: Some(b),
                exemplar: e.map(exemplars::to_proto),
                ..Default::default()
            })
            .collect(),
        exemplars: series_exemplars.iter().map(exemplars::to_proto).collect(),
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
