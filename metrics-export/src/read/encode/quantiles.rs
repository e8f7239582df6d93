//! Opt-in summary quantiles of HDR histogram families.
//!
//! A family whose [`HistogramConfig::quantiles`] is non-empty is
//! exposed twice in the text formats: as the classic histogram (always;
//! buckets aggregate across instances, quantiles do not) and as a
//! separate family of type `summary` named by [`quantile_family_name`]
//! (`<stem>_quantiles_<unit>`, e.g. `http_latency_quantiles_seconds`),
//! with `quantile` labels, `_sum` and `_count`. The maximum is always
//! included as `quantile="1"` (exact, like `quantile="0"` is the exact
//! minimum); other quantiles are HDR estimates, capped to `[min, max]`.
//! A summary, rather than gauges, because `quantile` is the label name
//! promtool's lint and OpenMetrics parsers reserve for summaries.

use tally_core::{HistogramConfig, HistogramSnapshot, Unit, DEFAULT_SUMMARY_QUANTILES};

/// The name of the summary family of a histogram family `name`.
pub fn quantile_family_name(name: &str, unit: Option<Unit>) -> String {
    if let Some(unit) = unit {
        if let Some(stem) = tally_core::name::unit_stem(name, unit.as_str()) {
            return format!("{stem}_quantiles_{}", unit.as_str());
        }
    }
    format!("{name}_quantiles")
}

/// The quantiles to expose for `config`, in ascending order with `1`
/// (the maximum) included; empty when none were asked for.
pub(crate) fn quantiles(config: &HistogramConfig, out: &mut Vec<f64>) {
    out.clear();
    let asked = config.quantiles();
    if asked.is_empty() {
        return;
    }
    out.extend_from_slice(asked);
    out.push(1.0);
    out.sort_by(f64::total_cmp);
    out.dedup();
}

/// The quantiles of a summary family (a windowed histogram): the
/// configured ones or [`DEFAULT_SUMMARY_QUANTILES`], with `1` (the
/// maximum) included, ascending.
pub(crate) fn summary_quantiles(config: &HistogramConfig, out: &mut Vec<f64>) {
    quantiles(config, out);
    if out.is_empty() {
        out.extend_from_slice(DEFAULT_SUMMARY_QUANTILES);
        out.push(1.0);
    }
}

/// The value at quantile `q` in exposed units: exact for 0 (min) and 1
/// (max), otherwise the HDR estimate within `[min, max]`.
pub fn quantile_value(h: &HistogramSnapshot, q: f64) -> f64 {
    let scale = h.config().scale();
    let v = if h.count() == 0 {
        0
    } else if q >= 1.0 {
        h.max()
    } else if q <= 0.0 {
        h.min()
    } else {
        h.value_at_quantile(q).clamp(h.min(), h.max())
    };
    v as f64 / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(
            quantile_family_name("rpc_latency_seconds", Some(Unit::SECONDS)),
            "rpc_latency_quantiles_seconds"
        );
        assert_eq!(
            quantile_family_name("batch_size", None),
            "batch_size_quantiles"
        );
    }
}
