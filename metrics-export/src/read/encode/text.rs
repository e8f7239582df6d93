//! The two text formats, Prometheus 0.0.4 and OpenMetrics 1.0, written
//! by one walker over the snapshot; [`Dialect`] holds what differs.

use tally_core::{
    FamilySnapshot, HistogramSnapshot, MetricKind, Registry, RegistrySnapshot, Value,
};

use super::buckets::Classic;
use super::escape::{help_openmetrics, help_text};
use super::exemplars::{per_bucket, write_openmetrics};
use super::labels::{const_labels, Labels};
use super::number::{write_canonical, write_f64, write_i64, write_u64};
use super::plan::{histogram_series, histograms, Plan};
use super::quantiles::quantile_value;

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
    quantile_strs: Vec<u8>,
    quantile_ends: Vec<usize>,
}

/// Appends `snapshot` in the given text dialect (without OpenMetrics'
/// `# EOF`).
pub(crate) fn encode_text(snapshot: &RegistrySnapshot, dialect: Dialect, out: &mut Vec<u8>) {
    let consts = const_labels(&snapshot.const_labels);
    let mut scratch = Scratch::default();
    let mut labels = Labels::new(&consts);
    for family in &snapshot.families {
        encode_family(family, dialect, &mut labels, &mut scratch, out);
    }
}

/// Appends `registry`'s families in the given text dialect (without
/// OpenMetrics' `# EOF`), each read and written in turn
/// ([`Registry::snapshot_each`]), the buffers kept across families.
pub(crate) fn encode_text_each(
    registry: &Registry,
    dialect: Dialect,
    out: &mut Vec<u8>,
    observe: &mut dyn FnMut(&RegistrySnapshot),
) {
    let consts = const_labels(registry.const_labels());
    let mut scratch = Scratch::default();
    let mut labels = Labels::new(&consts);
    registry.snapshot_each(|snapshot| {
        for family in &snapshot.families {
            encode_family(family, dialect, &mut labels, &mut scratch, out);
        }
        observe(snapshot);
    });
}

/// Appends one family.
fn encode_family(
    family: &FamilySnapshot,
    dialect: Dialect,
    labels: &mut Labels,
    scratch: &mut Scratch,
    out: &mut Vec<u8>,
) {
    let plan = Plan::new(family);
    labels.reset(&plan);
    header(out, dialect, &plan);
    match family.kind {
        MetricKind::Counter => counter(&plan, labels, dialect, out),
        MetricKind::Gauge => gauge(&plan, labels, out),
        MetricKind::Histogram => histogram(&plan, labels, dialect, scratch, out),
        MetricKind::Summary => summary(&plan, labels, dialect, scratch, out),
        MetricKind::Info => info(&plan, labels, out),
    }
}

/// The header of the family of `plan`: in 0.0.4 text under its listed
/// name (`name_total` for a counter), in OpenMetrics under its name, with
/// `# UNIT` when the name ends with the unit.
fn header(out: &mut Vec<u8>, dialect: Dialect, plan: &Plan) {
    let (name, kind, unit) = match dialect {
        Dialect::Prometheus => (&*plan.listed, plan.type_name, None),
        Dialect::OpenMetrics { .. } => (
            plan.name,
            plan.kind_name,
            plan.unit.filter(|_| plan.unit_in_name),
        ),
    };
    lines(out, dialect, name, kind, &plan.family.help, unit);
}

/// `# HELP`, `# TYPE` and, with a unit, `# UNIT` lines.
fn lines(
    out: &mut Vec<u8>,
    dialect: Dialect,
    name: &str,
    kind: &str,
    help: &str,
    unit: Option<&str>,
) {
    out.extend_from_slice(b"# HELP ");
    out.extend_from_slice(name.as_bytes());
    out.push(b' ');
    match dialect {
        Dialect::Prometheus => help_text(out, help),
        Dialect::OpenMetrics { .. } => help_openmetrics(out, help),
    }
    out.extend_from_slice(b"\n# TYPE ");
    out.extend_from_slice(name.as_bytes());
    out.push(b' ');
    out.extend_from_slice(kind.as_bytes());
    out.push(b'\n');
    if let Some(unit) = unit {
        out.extend_from_slice(b"# UNIT ");
        out.extend_from_slice(name.as_bytes());
        out.push(b' ');
        out.extend_from_slice(unit.as_bytes());
        out.push(b'\n');
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

/// Appends a counter or gauge value (without the newline).
#[inline]
fn scalar(out: &mut Vec<u8>, value: &Value) {
    match *value {
        Value::Counter(v) => write_u64(out, v),
        Value::Gauge(v) => write_i64(out, v),
        Value::CounterF64(v) | Value::GaugeF64(v) => write_f64(out, v),
        // A distribution never sits in a counter or gauge family.
        Value::Histogram(ref h) | Value::Summary(ref h) => write_u64(out, h.count()),
    }
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

fn counter(plan: &Plan, labels: &mut Labels, dialect: Dialect, out: &mut Vec<u8>) {
    let created_head = format!("{}_created", plan.name);
    for series in &plan.family.series {
        sample_start(out, &plan.listed, labels, series.index, None);
        scalar(out, &series.value);
        if let (Dialect::OpenMetrics { .. }, Some(e)) = (dialect, series.exemplars.last()) {
            write_openmetrics(out, e);
        }
        out.push(b'\n');
        created(out, dialect, &created_head, labels, series.index);
    }
}

/// An info family: `name_info{...} 1` under `# TYPE name info`
/// (OpenMetrics) or `# TYPE name_info gauge` (0.0.4).
fn info(plan: &Plan, labels: &mut Labels, out: &mut Vec<u8>) {
    for series in &plan.family.series {
        sample_start(out, &plan.listed, labels, series.index, None);
        scalar(out, &series.value);
        out.push(b'\n');
    }
}

fn gauge(plan: &Plan, labels: &mut Labels, out: &mut Vec<u8>) {
    for series in &plan.family.series {
        sample_start(out, plan.name, labels, series.index, None);
        scalar(out, &series.value);
        out.push(b'\n');
    }
}

fn histogram(
    plan: &Plan,
    labels: &mut Labels,
    dialect: Dialect,
    scratch: &mut Scratch,
    out: &mut Vec<u8>,
) {
    let Some(config) = &plan.config else {
        return;
    };
    let classic = &mut scratch.classic;
    classic.prepare(config, plan.family.unit);
    let heads = Heads::new(plan.name);
    // Filled only in OpenMetrics (allocated on a family's first use).
    let mut exemplars = Vec::new();
    for (series, h) in histogram_series(plan.family) {
        let index = series.index;
        classic.count(h);
        if matches!(dialect, Dialect::OpenMetrics { .. }) {
            per_bucket(&series.exemplars, &classic.bounds, &mut exemplars);
        } else {
            exemplars.clear();
        }
        let exemplar = |i: usize| exemplars.get(i).copied().flatten();
        for (i, &cumulative) in classic.cumulative.iter().enumerate() {
            sample_start(
                out,
                &heads.bucket,
                labels,
                index,
                Some((b"le", classic.le(i))),
            );
            write_u64(out, cumulative);
            if let Some(e) = exemplar(i) {
                write_openmetrics(out, e);
            }
            out.push(b'\n');
        }
        sample_start(out, &heads.bucket, labels, index, Some((b"le", b"+Inf")));
        write_u64(out, h.count());
        if let Some(e) = exemplar(classic.bounds.len()) {
            write_openmetrics(out, e);
        }
        out.push(b'\n');
        sum_count(out, &heads, labels, index, h);
        created(out, dialect, &heads.created, labels, index);
    }

    let Some(family) = &plan.quantile_family else {
        return;
    };
    // Its name ends with the unit exactly when the histogram's does.
    let unit = match dialect {
        Dialect::Prometheus => None,
        Dialect::OpenMetrics { .. } => plan.unit.filter(|_| plan.unit_in_name),
    };
    lines(out, dialect, &family.name, "summary", &family.help, unit);
    summary_samples(plan, &family.name, labels, dialect, scratch, out);
}

/// A summary family (a windowed histogram): its quantiles, `_sum` and
/// `_count`.
fn summary(
    plan: &Plan,
    labels: &mut Labels,
    dialect: Dialect,
    scratch: &mut Scratch,
    out: &mut Vec<u8>,
) {
    if plan.config.is_some() {
        summary_samples(plan, plan.name, labels, dialect, scratch, out);
    }
}

/// The samples of a summary family `name` at the plan's quantiles.
fn summary_samples(
    plan: &Plan,
    name: &str,
    labels: &mut Labels,
    dialect: Dialect,
    scratch: &mut Scratch,
    out: &mut Vec<u8>,
) {
    scratch.quantile_strs.clear();
    scratch.quantile_ends.clear();
    for &q in &plan.quantiles {
        write_canonical(&mut scratch.quantile_strs, q);
        scratch.quantile_ends.push(scratch.quantile_strs.len());
    }
    let heads = Heads::new(name);
    for (index, h) in histograms(plan.family) {
        let mut start = 0;
        for (&q, &end) in plan.quantiles.iter().zip(&scratch.quantile_ends) {
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
