//! Exemplars in the formats that carry them: OpenMetrics text (after a
//! counter's `_total` sample and after the classic bucket that holds the
//! exemplar's value) and protobuf (`Counter.exemplar`, `Bucket.exemplar`
//! and, for native histograms, `Histogram.exemplars`). Prometheus text
//! 0.0.4 and JSON have no place for them.

use tally_core::Exemplar;

use super::escape::label_value;
use super::number::write_f64;
#[cfg(feature = "protobuf")]
use super::proto;
use super::wire;

/// For each classic bucket of ascending upper `bounds` (and a last one
/// for `+Inf`), the latest of `exemplars` whose value it holds: above the
/// previous bound, at most its own.
pub(crate) fn per_bucket<'a>(
    exemplars: &'a [Exemplar],
    bounds: &[f64],
    out: &mut Vec<Option<&'a Exemplar>>,
) {
    out.clear();
    out.resize(bounds.len() + 1, None);
    // Oldest first, so a later exemplar of the same bucket replaces it.
    for e in exemplars {
        let bucket = bounds.partition_point(|&b| b < e.value);
        out[bucket] = Some(e);
    }
}

/// ` # {trace_id="…",span_id="…"} value timestamp`, before a sample's
/// newline.
pub(crate) fn write_openmetrics(out: &mut Vec<u8>, e: &Exemplar) {
    out.extend_from_slice(b" # {");
    for (i, (name, value)) in e.labels().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"=\"");
        label_value(out, value);
        out.push(b'"');
    }
    out.extend_from_slice(b"} ");
    write_f64(out, e.value);
    out.push(b' ');
    write_f64(out, e.timestamp);
}

/// The `io.prometheus.client.Exemplar` message as field `field` of `out`,
/// byte for byte what prost writes for [`to_proto`].
pub(crate) fn write_proto(out: &mut Vec<u8>, field: u32, e: &Exemplar, scratch: &mut Vec<u8>) {
    scratch.clear();
    let mut pair = Vec::new();
    for (name, value) in e.labels() {
        pair.clear();
        wire::bytes(&mut pair, 1, name.as_bytes());
        wire::bytes(&mut pair, 2, value.as_bytes());
        wire::bytes(scratch, 1, &pair);
    }
    wire::double(scratch, 2, e.value);
    let (seconds, nanos) = split_timestamp(e.timestamp);
    pair.clear();
    if seconds != 0 {
        wire::int(&mut pair, 1, seconds);
    }
    if nanos != 0 {
        wire::int(&mut pair, 2, i64::from(nanos));
    }
    wire::bytes(scratch, 3, &pair);
    wire::bytes(out, field, scratch);
}

/// The exemplar as a prost message (the reference encoder's).
#[cfg(feature = "protobuf")]
pub(crate) fn to_proto(e: &Exemplar) -> proto::Exemplar {
    let (seconds, nanos) = split_timestamp(e.timestamp);
    proto::Exemplar {
        label: e
            .labels()
            .map(|(name, value)| proto::LabelPair {
                name: Some(name.to_owned()),
                value: Some(value.to_owned()),
            })
            .collect(),
        value: Some(e.value),
        timestamp: Some(proto::Timestamp { seconds, nanos }),
    }
}

/// Unix seconds as whole seconds and nanoseconds.
fn split_timestamp(t: f64) -> (i64, i32) {
    let seconds = t.floor();
    let nanos = ((t - seconds) * 1e9).round().min(999_999_999.0);
    (seconds as i64, nanos as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(value: f64, t: f64) -> Exemplar {
        Exemplar {
            trace_id: "ab\"c".into(),
            span_id: String::new(),
            value,
            timestamp: t,
        }
    }

    #[test]
    fn each_exemplar_goes_to_the_bucket_holding_its_value_latest_wins() {
        let (a, b, c, d) = (ex(0.1, 1.0), ex(0.05, 2.0), ex(0.3, 3.0), ex(9.0, 4.0));
        let all = [a, b.clone(), c.clone(), d.clone()];
        let mut out = Vec::new();
        per_bucket(&all, &[0.1, 0.25, 1.0], &mut out);
        assert_eq!(out, [Some(&b), None, Some(&c), Some(&d)]);
    }

    #[test]
    fn openmetrics_form_escapes_and_omits_an_empty_span() {
        let mut out = Vec::new();
        write_openmetrics(&mut out, &ex(0.5, 1_700_000_000.25));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#" # {trace_id="ab\"c"} 0.5 1700000000.25"#
        );
    }
}
