//! The two text formats, Prometheus 0.0.4 and OpenMetrics 1.0, written
//! by one walker over the snapshot; [`Dialect`] holds what differs.

use metrics_core::{
    FamilySnapshot, HistogramConfig, HistogramSnapshot, MetricKind, RegistrySnapshot, Value,
};

use super::buckets::Classic;
use super::escape::{help_openmetrics, help_text};
use super::labels::{const_labels, Labels};
use super::number::{write_canonical, write_f64, write_i64, write_u64};
use super::quantiles::{quantile_family_name, quantile_value, quantiles, summary_quantiles};

/// Which text format to write.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Dialect {
    /// Prometheus text 0.0.4: counters are described as `name_total`.
    Prometheus,
    /// OpenMetrics 1.0: counters described as `name`, `# UNIT`, escaped
    /// quotes in HELP, `_created` samples (when `created` is set).
    OpenMetrics {
        /// Unix time (seconds) to report as every counter, histogram and
        /// summary's `_created`.
        created: Option<f64>,
    },
}

/// Scratch space reused across families within one encode.
#[derive(Default)]
struct Scratch {
    classic: Classic,
    quantiles: Vec<f64>,
    quantile_strs: Vec<u8>,
    quantile_ends: Vec<usize>,
}

/// Appends `snapshot` in the given text dialect (without OpenMetrics'
/// `# EOF`).
pub(crate) fn encode_text(snapshot: &RegistrySnapshot, dialect: Dialect, out: &mut Vec<u8>) {
    let consts = const_labels(&snapshot.const_labels);
    let mut scratch = Scratch::default();
    let mut labels = Labels::new(&consts, <() as metrics_core::LabelSet>::DESC);
    for family in &snapshot.families {
        labels.reset(family.labels);
        match family.kind {
            MetricKind::Counter => counter(family, &mut labels, dialect, out),
            MetricKind::Gauge => gauge(family, &mut labels, dialect, out),
            MetricKind::Histogram => histogram(family, &mut labels, dialect, &mut scratch, out),
            MetricKind::Summary => summary(family, &mut labels, dialect, &mut scratch, out),
            MetricKind::Info => info(family, &mut labels, dialect, out),
        }
    }
}

/// `# HELP`, `# TYPE` and (OpenMetrics, with a unit) `# UNIT` lines.
fn header(
    out: &mut Vec<u8>,
    dialect: Dialect,
    name: &str,
    suffix: &str,
    kind: &str,
    help: &str,
    unit: Option<&str>,
) {
    out.extend_from_slice(b"# HELP ");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(suffix.as_bytes());
    out.push(b' ');
    match dialect {
        Dialect::Prometheus => help_text(out, help),
        Dialect::OpenMetrics { .. } => help_openmetrics(out, help),
    }
    out.extend_from_slice(b"\n# TYPE ");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(suffix.as_bytes());
    out.push(b' ');
    out.extend_from_slice(kind.as_bytes());
    out.push(b'\n');
    if let (Dialect::OpenMetrics { .. }, Some(unit)) = (dialect, unit) {
        if name
            .strip_suffix(unit)
            .is_some_and(|stem| stem.ends_with('_'))
        {
            out.extend_from_slice(b"# UNIT ");
            out.extend_from_slice(name.as_bytes());
            out.push(b' ');
            out.extend_from_slice(unit.as_bytes());
            out.push(b'\n');
        }
    }
}

/// The start of a sample line: `head{labels} ` (with the space), where
/// `head` is the sample name (family name and suffix, joined once per
/// family).
#[inline]
fn sample_start(
    out: &mut Vec<u8>,
    head: &str,
    labels: &mut Labels,
    index: usize,
    extra: Option<(&[u8], &[u8])>,
) {
    out.extend_from_slice(head.as_bytes());
    labels.write(out, index, extra);
}

/// Appends a counter or gauge value and the newline.
#[inline]
fn scalar(out: &mut Vec<u8>, value: &Value) {
    match *value {
        Value::Counter(v) => write_u64(out, v),
        Value::Gauge(v) => write_i64(out, v),
        Value::CounterF64(v) | Value::GaugeF64(v) => write_f64(out, v),
        // A distribution never sits in a counter or gauge family.
        Value::Histogram(ref h) | Value::Summary(ref h) => write_u64(out, h.count()),
    }
    out.push(b'\n');
}

/// `name_created{labels} <created>` when OpenMetrics has a created time.
#[inline]
fn created(out: &mut Vec<u8>, dialect: Dialect, head: &str, labels: &mut Labels, index: usize) {
    if let Dialect::OpenMetrics {
        created: Some(created),
    } = dialect
    {
        sample_start(out, head, labels, index, None);
        write_f64(out, created);
        out.push(b'\n');
    }
}

fn unit_str(family: &FamilySnapshot) -> Option<&'static str> {
    family.unit.map(|u| u.as_str())
}

fn counter(family: &FamilySnapshot, labels: &mut Labels, dialect: Dialect, out: &mut Vec<u8>) {
    let name = family.name.as_str();
    let suffix = match dialect {
        Dialect::Prometheus => "_total",
        Dialect::OpenMetrics { .. } => "",
    };
    header(
        out,
        dialect,
        name,
        suffix,
        "counter",
        &family.help,
        unit_str(family),
    );
    let total = format!("{name}_total");
    let created_head = format!("{name}_created");
    for series in &family.series {
        sample_start(out, &total, labels, series.index, None);
        scalar(out, &series.value);
        created(out, dialect, &created_head, labels, series.index);
    }
}

fn gauge(family: &FamilySnapshot, labels: &mut Labels, dialect: Dialect, out: &mut Vec<u8>) {
    let name = family.name.as_str();
    header(
        out,
        dialect,
        name,
        "",
        "gauge",
        &family.help,
        unit_str(family),
    );
    for series in &family.series {
        sample_start(out, name, labels, series.index, None);
        scalar(out, &series.value);
    }
}

/// An info family: `# TYPE name info` and `name_info{...} 1` in
/// OpenMetrics; a gauge named `name_info` in Prometheus text, which has
/// no info type.
fn info(family: &FamilySnapshot, labels: &mut Labels, dialect: Dialect, out: &mut Vec<u8>) {
    let name = family.name.as_str();
    let (suffix, kind) = match dialect {
        Dialect::Prometheus => ("_info", "gauge"),
        Dialect::OpenMetrics { .. } => ("", "info"),
    };
    header(out, dialect, name, suffix, kind, &family.help, None);
    let sample = format!("{name}_info");
    for series in &family.series {
        sample_start(out, &sample, labels, series.index, None);
        scalar(out, &series.value);
    }
}

/// The distributions of a histogram or summary family, with their index.
fn histograms(family: &FamilySnapshot) -> impl Iterator<Item = (usize, &HistogramSnapshot)> {
    family.series.iter().filter_map(|s| match &s.value {
        Value::Histogram(h) | Value::Summary(h) => Some((s.index, &**h)),
        _ => None,
    })
}

/// The header of a histogram or summary family, and the configuration
/// its series share (`None` when it has no series).
fn distribution_header(
    family: &FamilySnapshot,
    kind: &str,
    dialect: Dialect,
    out: &mut Vec<u8>,
) -> Option<HistogramConfig> {
    let unit = unit_str(family);
    header(out, dialect, &family.name, "", kind, &family.help, unit);
    histograms(family).next().map(|(_, first)| first.config())
}

fn histogram(
    family: &FamilySnapshot,
    labels: &mut Labels,
    dialect: Dialect,
    scratch: &mut Scratch,
    out: &mut Vec<u8>,
) {
    let name = family.name.as_str();
    let Some(config) = distribution_header(family, "histogram", dialect, out) else {
        return;
    };
    let classic = &mut scratch.classic;
    classic.prepare(&config, family.unit);
    let heads = Heads::new(name);
    for (index, h) in histograms(family) {
        classic.count(h);
        for (i, &cumulative) in classic.cumulative.iter().enumerate() {
            sample_start(
                out,
                &heads.bucket,
                labels,
                index,
                Some((b"le", classic.le(i))),
            );
            write_u64(out, cumulative);
            out.push(b'\n');
        }
        sample_start(out, &heads.bucket, labels, index, Some((b"le", b"+Inf")));
        write_u64(out, h.count());
        out.push(b'\n');
        sum_count(out, &heads, labels, index, h);
        created(out, dialect, &heads.created, labels, index);
    }

    quantiles(&config, &mut scratch.quantiles);
    if scratch.quantiles.is_empty() {
        return;
    }
    let qname = quantile_family_name(name, family.unit);
    let help = format!(
        "{} (quantiles over the process lifetime; not aggregatable)",
        family.help
    );
    header(out, dialect, &qname, "", "summary", &help, unit_str(family));
    summary_samples(family, &qname, labels, dialect, scratch, out);
}

/// A summary family (a windowed histogram): its quantiles (configured,
/// or the defaults), `_sum` and `_count`.
fn summary(
    family: &FamilySnapshot,
    labels: &mut Labels,
    dialect: Dialect,
    scratch: &mut Scratch,
    out: &mut Vec<u8>,
) {
    let name = family.name.as_str();
    let Some(config) = distribution_header(family, "summary", dialect, out) else {
        return;
    };
    summary_quantiles(&config, &mut scratch.quantiles);
    summary_samples(family, name, labels, dialect, scratch, out);
}

/// The samples of a summary family `name` at `scratch.quantiles`.
fn summary_samples(
    family: &FamilySnapshot,
    name: &str,
    labels: &mut Labels,
    dialect: Dialect,
    scratch: &mut Scratch,
    out: &mut Vec<u8>,
) {
    scratch.quantile_strs.clear();
    scratch.quantile_ends.clear();
    for &q in &scratch.quantiles {
        write_canonical(&mut scratch.quantile_strs, q);
        scratch.quantile_ends.push(scratch.quantile_strs.len());
    }
    let heads = Heads::new(name);
    for (index, h) in histograms(family) {
        let mut start = 0;
        for (&q, &end) in scratch.quantiles.iter().zip(&scratch.quantile_ends) {
            let label = &scratch.quantile_strs[start..end];
            start = end;
            sample_start(out, name, labels, index, Some((b"quantile", label)));
            write_f64(out, quantile_value(h, q));
            out.push(b'\n');
        }
        sum_count(out, &heads, labels, index, h);
        created(out, dialect, &heads.created, labels, index);
    }
}

/// The sample names of a histogram or summary family.
struct Heads {
    bucket: String,
    sum: String,
    count: String,
    created: String,
}

impl Heads {
    fn new(name: &str) -> Self {
        Heads {
            bucket: format!("{name}_bucket"),
            sum: format!("{name}_sum"),
            count: format!("{name}_count"),
            created: format!("{name}_created"),
        }
    }
}

/// `_sum` and `_count` of a histogram or summary series.
fn sum_count(
    out: &mut Vec<u8>,
    heads: &Heads,
    labels: &mut Labels,
    index: usize,
    h: &HistogramSnapshot,
) {
    sample_start(out, &heads.sum, labels, index, None);
    write_f64(out, h.sum_scaled());
    out.push(b'\n');
    sample_start(out, &heads.count, labels, index, None);
    write_u64(out, h.count());
    out.push(b'\n');
}
