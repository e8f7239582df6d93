//! Prometheus recording and alerting rules for service-level objectives,
//! generated from a registry: multi-window, multi-burn-rate alerts as in
//! the Google SRE workbook (chapter "Alerting on SLOs").
//!
//! An objective is declared on an instrumented function
//! (`#[tally::instrument(objective(...))]`, read from the registry's
//! instrumented families), on a family field of a `#[derive(Metrics)]`
//! struct (`#[metric(objective(...))]`, read from
//! [`Registry::objectives`](tally_core::Registry::objectives)), or added
//! here for a family of the registry ([`SloRules::family_success`],
//! [`SloRules::family_latency`]). For each
//! objective and each window of its alerts, a recording rule
//! `tally_slo:error_ratio:rate<window>{slo="..."}` holds the ratio of bad
//! events (failed calls, or calls over the latency threshold) to all
//! events; `tally_slo:objective_ratio{slo}` holds the target. An alert
//! fires when the error ratio over both a long and a short window is above
//! `factor` times the error budget (1 - target):
//!
//! | severity | long | short | factor | budget spent |
//! |----------|------|-------|--------|--------------|
//! | page | 1h | 5m | 14.4 | 2% in 1 h |
//! | page | 6h | 30m | 6 | 5% in 6 h |
//! | ticket | 1d | 2h | 3 | 10% in 1 d |
//! | ticket | 3d | 6h | 1 | 10% in 3 d |
//!
//! (for a 30-day window; [`BurnWindow::scaled`] keeps the same budget
//! fractions for another).
//!
//! ```
//! use tally_core::Registry;
//! use tally_export::rules::SloRules;
//!
//! let registry = Registry::new();
//! let requests = registry
//!     .register(tally_core::Desc::new("http_requests", "Requests."), tally_core::Counter::<bool>::new())
//!     .unwrap();
//! requests.with(true).inc();
//! let yaml = SloRules::from_registry(&registry)
//!     .family_success("http", "http_requests", r#"flag="false""#, 99.9, std::time::Duration::from_secs(30 * 86400))
//!     .unwrap()
//!     .to_yaml();
//! assert!(yaml.contains("alert: SLOErrorBudgetBurn"));
//! ```

use std::fmt::Write as _;
use std::time::Duration;

use tally_core::instrument::{self, FamilyObjective, FunctionInfo};
use tally_core::{MetricKind, Registry, RegistrySnapshot};

/// One pair of windows of a multi-window, multi-burn-rate alert.
#[derive(Clone, Debug, PartialEq)]
pub struct BurnWindow {
    /// The long window: how much budget was spent.
    pub long: Duration,
    /// The short window (typically long / 12): whether it is still burning.
    pub short: Duration,
    /// The burn rate (multiple of the error budget's even spend) alerted on.
    pub factor: f64,
    /// The `severity` label of the alert (`page`, `ticket`).
    pub severity: &'static str,
    /// How long the condition must hold before the alert fires.
    pub r#for: Duration,
}

const MIN: u64 = 60;
const HOUR: u64 = 3600;
const DAY: u64 = 86400;

impl BurnWindow {
    /// The SRE workbook's four windows for a 30-day objective.
    pub fn sre_workbook() -> Vec<BurnWindow> {
        let w = |long, short, factor, severity, r#for| BurnWindow {
            long: Duration::from_secs(long),
            short: Duration::from_secs(short),
            factor,
            severity,
            r#for: Duration::from_secs(r#for),
        };
        vec![
            w(HOUR, 5 * MIN, 14.4, "page", 2 * MIN),
            w(6 * HOUR, 30 * MIN, 6.0, "page", 15 * MIN),
            w(DAY, 2 * HOUR, 3.0, "ticket", HOUR),
            w(3 * DAY, 6 * HOUR, 1.0, "ticket", 3 * HOUR),
        ]
    }

    /// The workbook's windows scaled to an objective over `window` (the
    /// same fractions of the budget in the same fractions of the window),
    /// each at least `floor` (e.g. four scrape intervals).
    pub fn scaled(window: Duration, floor: Duration) -> Vec<BurnWindow> {
        let ratio = window.as_secs_f64() / (30 * DAY) as f64;
        let scale = |d: Duration| {
            Duration::from_secs((d.as_secs_f64() * ratio).round().max(1.0) as u64).max(floor)
        };
        BurnWindow::sre_workbook()
            .into_iter()
            .map(|w| BurnWindow {
                long: scale(w.long),
                short: scale(w.short),
                r#for: Duration::from_secs((w.r#for.as_secs_f64() * ratio).round() as u64),
                ..w
            })
            .collect()
    }
}

/// Why rules could not be generated.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RulesError {
    /// The family named is not in the registry.
    #[error("no family `{0}` in the registry")]
    NoFamily(String),
    /// The family is not of the kind the objective needs.
    #[error("family `{name}` is a {found:?}; a {wanted} objective needs a {needs}")]
    WrongKind {
        /// The family.
        name: String,
        /// Its kind.
        found: MetricKind,
        /// The objective.
        wanted: &'static str,
        /// The kind needed.
        needs: &'static str,
    },
    /// A target that cannot be met or measured.
    #[error("objective `{slo}`: {reason}")]
    Invalid {
        /// The objective's name.
        slo: String,
        /// What is wrong.
        reason: String,
    },
    /// An objective name used twice.
    #[error("two objectives are named `{0}`")]
    Duplicate(String),
    /// No windows, or a short window not shorter than its long one.
    #[error("bad burn windows: {0}")]
    Windows(String),
}

/// One objective, as PromQL.
#[derive(Clone, Debug)]
struct Slo {
    name: String,
    /// Bad events per second over `[w]` (`{w}` replaced by the window).
    bad: String,
    /// All events per second over `[w]`.
    total: String,
    /// The target as a ratio (0.999).
    target: f64,
    window: Duration,
    labels: Vec<(String, String)>,
}

/// The rules of a registry's objectives. Build with
/// [`from_registry`](SloRules::from_registry), add family objectives, then
/// [`to_yaml`](SloRules::to_yaml).
#[derive(Debug)]
pub struct SloRules {
    snapshot: RegistrySnapshot,
    slos: Vec<Slo>,
    windows: Vec<BurnWindow>,
    errors: Vec<RulesError>,
}

impl SloRules {
    /// The objectives of the instrumented functions this registry exports
    /// (their families registered in it), with the workbook's windows.
    pub fn from_registry(registry: &Registry) -> SloRules {
        // Every instrumented function of the program, called or not (its
        // families join the global registry, as on a first call).
        instrument::link();
        let snapshot = registry.snapshot();
        let prefix = registry.prefix().to_string();
        let mut rules = SloRules {
            snapshot,
            slos: Vec::new(),
            windows: BurnWindow::sre_workbook(),
            errors: Vec::new(),
        };
        let calls = tally_core::name::join(&prefix, instrument::CALLS);
        let duration = format!(
            "{}_seconds",
            tally_core::name::join(&prefix, instrument::DURATION)
        );
        let exported = rules.snapshot.families.iter().any(|f| f.name == calls);
        if exported {
            for f in instrument::functions() {
                rules.add_function(&f, &calls, &duration);
            }
        }
        for o in registry.objectives() {
            rules.add_family(&o);
        }
        rules
    }

    /// The objective a family declares (`#[metric(objective(...))]`): on a
    /// counter, its series whose `result` is not `ok` are failures; on a
    /// histogram, its observations over the threshold (a bucket bound).
    fn add_family(&mut self, f: &FamilyObjective) {
        let o = f.objective;
        let family = &f.family;
        let labels = vec![("family".to_string(), family.clone())];
        if let (Some(success), MetricKind::Counter) = (o.success, f.kind) {
            self.push(Slo {
                name: format!("{family}-success"),
                bad: format!(
                    r#"sum(rate({family}_total{{{}!="{}"}}[{{w}}]))"#,
                    instrument::SUCCESS_LABEL,
                    instrument::SUCCESS_VALUE
                ),
                total: format!("sum(rate({family}_total[{{w}}]))"),
                target: success / 100.0,
                window: o.window,
                labels: labels.clone(),
            });
        }
        if let (Some(latency), MetricKind::Histogram) = (o.latency, f.kind) {
            let le = le_matcher(latency.threshold);
            self.push(Slo {
                name: format!("{family}-latency"),
                bad: format!(
                    r#"(sum(rate({family}_count[{{w}}])) - sum(rate({family}_bucket{{le=~"{le}"}}[{{w}}])))"#
                ),
                total: format!("sum(rate({family}_count[{{w}}]))"),
                target: latency.target / 100.0,
                window: o.window,
                labels,
            });
        }
    }

    fn add_function(&mut self, f: &FunctionInfo, calls: &str, duration: &str) {
        let Some(o) = f.objective else { return };
        let function = escape(f.label);
        let labels = vec![("function".to_string(), f.label.to_string())];
        if let Some(success) = o.success {
            self.push(Slo {
                name: format!("{}-success", f.label),
                bad: format!(
                    r#"sum(rate({calls}_total{{function="{function}",result=~"error|panicked"}}[{{w}}]))"#
                ),
                total: format!(r#"sum(rate({calls}_total{{function="{function}"}}[{{w}}]))"#),
                target: success / 100.0,
                window: o.window,
                labels: labels.clone(),
            });
        }
        if let Some(latency) = o.latency {
            let le = le_matcher(latency.threshold);
            self.push(Slo {
                name: format!("{}-latency", f.label),
                bad: format!(
                    r#"(sum(rate({duration}_count{{function="{function}"}}[{{w}}])) - sum(rate({duration}_bucket{{function="{function}",le=~"{le}"}}[{{w}}])))"#
                ),
                total: format!(r#"sum(rate({duration}_count{{function="{function}"}}[{{w}}]))"#),
                target: latency.target / 100.0,
                window: o.window,
                labels,
            });
        }
    }

    fn push(&mut self, slo: Slo) {
        if self.slos.iter().any(|s| s.name == slo.name) {
            self.errors.push(RulesError::Duplicate(slo.name));
        } else {
            self.slos.push(slo);
        }
    }

    /// Adds a success objective on counter family `family` (its exposed
    /// name, without `_total`): the series matching `bad_matchers` (PromQL
    /// label matchers, e.g. `status=~"5.."`) are failures, and `target`
    /// percent of all must not be.
    pub fn family_success(
        mut self,
        slo: &str,
        family: &str,
        bad_matchers: &str,
        target: f64,
        window: Duration,
    ) -> Result<SloRules, RulesError> {
        self.family(family, MetricKind::Counter, "success", "counter")?;
        check_target(slo, target)?;
        self.push(Slo {
            name: slo.to_string(),
            bad: format!("sum(rate({family}_total{{{bad_matchers}}}[{{w}}]))"),
            total: format!("sum(rate({family}_total[{{w}}]))"),
            target: target / 100.0,
            window,
            labels: Vec::new(),
        });
        self.first_error()
    }

    /// Adds a latency objective on histogram family `family`: `target`
    /// percent of its observations at or under `threshold` seconds, which
    /// must be one of its classic bucket bounds.
    pub fn family_latency(
        mut self,
        slo: &str,
        family: &str,
        threshold: f64,
        target: f64,
        window: Duration,
    ) -> Result<SloRules, RulesError> {
        self.family(family, MetricKind::Histogram, "latency", "histogram")?;
        check_target(slo, target)?;
        let snapshot = self.snapshot.families.iter().find(|f| f.name == family);
        let mut bounds = Vec::new();
        if let Some(h) = snapshot.and_then(|f| {
            f.series.iter().find_map(|s| match &s.value {
                tally_core::Value::Histogram(h) => Some(h.config()),
                _ => None,
            })
        }) {
            crate::bucket_bounds(&h, snapshot.and_then(|f| f.unit), &mut bounds);
            if !bounds.iter().any(|b| (b - threshold).abs() <= b * 1e-9) {
                return Err(RulesError::Invalid {
                    slo: slo.to_string(),
                    reason: format!(
                        "{threshold} s is not a bucket bound of `{family}` ({bounds:?})"
                    ),
                });
            }
        }
        let le = le_matcher(threshold);
        self.push(Slo {
            name: slo.to_string(),
            bad: format!(
                r#"(sum(rate({family}_count[{{w}}])) - sum(rate({family}_bucket{{le=~"{le}"}}[{{w}}])))"#
            ),
            total: format!("sum(rate({family}_count[{{w}}]))"),
            target: target / 100.0,
            window,
            labels: Vec::new(),
        });
        self.first_error()
    }

    /// Replaces the alert windows (default: [`BurnWindow::sre_workbook`]).
    pub fn windows(mut self, windows: Vec<BurnWindow>) -> Result<SloRules, RulesError> {
        if windows.is_empty() {
            return Err(RulesError::Windows("none given".into()));
        }
        for w in &windows {
            if w.short >= w.long || w.short.as_secs() == 0 || w.factor.is_nan() || w.factor <= 0.0 {
                return Err(RulesError::Windows(format!(
                    "{w:?}: the short window must be at least 1 s and shorter than the long one, the factor positive"
                )));
            }
        }
        self.windows = windows;
        Ok(self)
    }

    fn family(
        &self,
        family: &str,
        kind: MetricKind,
        wanted: &'static str,
        needs: &'static str,
    ) -> Result<(), RulesError> {
        let found = self
            .snapshot
            .families
            .iter()
            .find(|f| f.name == family)
            .ok_or_else(|| RulesError::NoFamily(family.to_string()))?;
        if found.kind != kind {
            return Err(RulesError::WrongKind {
                name: family.to_string(),
                found: found.kind,
                wanted,
                needs,
            });
        }
        Ok(())
    }

    fn first_error(mut self) -> Result<SloRules, RulesError> {
        match self.errors.pop() {
            Some(e) => Err(e),
            None => Ok(self),
        }
    }

    /// Each objective's name and the share of its error budget left over
    /// its window, as PromQL (for the dashboard).
    pub(crate) fn budgets(&self) -> Vec<(String, String)> {
        self.slos
            .iter()
            .map(|slo| {
                let w = prom_duration(slo.window);
                let bad = slo.bad.replace("{w}", &w).replace("rate(", "increase(");
                let total = slo.total.replace("{w}", &w).replace("rate(", "increase(");
                let budget = number(1.0 - slo.target);
                (
                    slo.name.clone(),
                    format!("1 - (({bad} or 0 * {total}) / {total}) / {budget}"),
                )
            })
            .collect()
    }

    /// The objectives' names, in order.
    pub fn objectives(&self) -> Vec<&str> {
        self.slos.iter().map(|s| s.name.as_str()).collect()
    }

    /// The rules file: one group per objective.
    pub fn to_yaml(&self) -> String {
        let mut out =
            String::from("# Generated by tally: SLO recording and alerting rules.\ngroups:\n");
        if self.slos.is_empty() {
            out.truncate(out.len() - 1);
            out.push_str(" []\n");
            return out;
        }
        let mut durations: Vec<Duration> = Vec::new();
        for w in &self.windows {
            for d in [w.long, w.short] {
                if !durations.contains(&d) {
                    durations.push(d);
                }
            }
        }
        durations.sort();
        for slo in &self.slos {
            let _ = writeln!(out, "  - name: tally-slo-{}\n    rules:", slo.name);
            let mut labels = vec![("slo".to_string(), slo.name.clone())];
            labels.extend(slo.labels.iter().cloned());
            for d in &durations {
                let w = prom_duration(*d);
                let bad = slo.bad.replace("{w}", &w);
                let total = slo.total.replace("{w}", &w);
                // No bad series yet counts as no bad events.
                let expr = format!("({bad} or 0 * {total}) / {total}");
                let _ = writeln!(out, "      - record: tally_slo:error_ratio:rate{w}");
                let _ = writeln!(out, "        expr: {}", quote(&expr));
                write_labels(&mut out, &labels, "        ");
            }
            let _ = writeln!(out, "      - record: tally_slo:objective_ratio");
            let _ = writeln!(out, "        expr: vector({})", number(slo.target));
            write_labels(&mut out, &labels, "        ");
            let budget = 1.0 - slo.target;
            let mut severities: Vec<&str> = Vec::new();
            for w in &self.windows {
                if !severities.contains(&w.severity) {
                    severities.push(w.severity);
                }
            }
            for severity in severities {
                let windows: Vec<&BurnWindow> = self
                    .windows
                    .iter()
                    .filter(|w| w.severity == severity)
                    .collect();
                let selector = format!(r#"{{slo="{}"}}"#, escape(&slo.name));
                let expr = windows
                    .iter()
                    .map(|w| {
                        let threshold = number(w.factor * budget);
                        format!(
                            "(tally_slo:error_ratio:rate{long}{selector} > {threshold} and tally_slo:error_ratio:rate{short}{selector} > {threshold})",
                            long = prom_duration(w.long),
                            short = prom_duration(w.short),
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(" or ");
                let r#for = windows.iter().map(|w| w.r#for).min().unwrap_or_default();
                let _ = writeln!(out, "      - alert: SLOErrorBudgetBurn");
                let _ = writeln!(out, "        expr: {}", quote(&expr));
                if !r#for.is_zero() {
                    let _ = writeln!(out, "        for: {}", prom_duration(r#for));
                }
                let mut alert_labels = labels.clone();
                alert_labels.push(("severity".to_string(), severity.to_string()));
                write_labels(&mut out, &alert_labels, "        ");
                let _ = writeln!(out, "        annotations:");
                let _ = writeln!(
                    out,
                    "          summary: {}",
                    quote(&format!(
                        "{}: error budget burning fast ({:.3}% objective over {})",
                        slo.name,
                        slo.target * 100.0,
                        prom_duration(slo.window)
                    ))
                );
                let _ = writeln!(
                    out,
                    "          description: {}",
                    quote(&format!(
                        "The error ratio of {} is above {} times its budget over both windows of a burn-rate pair; at this rate the {} budget is spent early.",
                        slo.name,
                        windows.iter().map(|w| number(w.factor)).collect::<Vec<_>>().join(" / "),
                        prom_duration(slo.window)
                    ))
                );
            }
        }
        out
    }

    /// Writes [`to_yaml`](Self::to_yaml) to `path`.
    pub fn write(&self, path: impl AsRef<std::path::Path>) -> std::io::Result<()> {
        std::fs::write(path, self.to_yaml())
    }
}

fn check_target(slo: &str, target: f64) -> Result<(), RulesError> {
    if target > 0.0 && target < 100.0 {
        return Ok(());
    }
    Err(RulesError::Invalid {
        slo: slo.to_string(),
        reason: format!(
            "target {target}% is not strictly between 0 and 100 (100% leaves no error budget)"
        ),
    })
}

fn write_labels(out: &mut String, labels: &[(String, String)], indent: &str) {
    let _ = writeln!(out, "{indent}labels:");
    for (k, v) in labels {
        let _ = writeln!(out, "{indent}  {k}: {}", quote(v));
    }
}

/// A YAML double-quoted string.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A PromQL string literal's content.
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The `le` values a bound may be exposed as (`0.25`; `1` and `1.0`).
fn le_matcher(bound: f64) -> String {
    let mut forms = vec![format!("{bound}")];
    if bound.fract() == 0.0 {
        forms.push(format!("{bound:.1}"));
    }
    if bound < 1e-4 {
        // Go's %g, as a Prometheus client would write it.
        let e = format!("{bound:e}");
        if let Some((m, x)) = e.split_once('e') {
            let x: i32 = x.parse().unwrap_or(0);
            forms.push(format!(
                "{m}e{}{:02}",
                if x < 0 { '-' } else { '+' },
                x.abs()
            ));
        }
    }
    forms
        .iter()
        .map(|f| f.replace('.', "\\\\."))
        .collect::<Vec<_>>()
        .join("|")
}

/// A float for PromQL (no exponent for ordinary ratios).
fn number(v: f64) -> String {
    let s = format!("{v:.12}");
    let s = s.trim_end_matches('0');
    s.trim_end_matches('.').to_string()
}

/// A Prometheus duration: `5m`, `1h`, `3d`, `90s`.
pub(crate) fn prom_duration(d: Duration) -> String {
    let s = d.as_secs();
    if d.subsec_millis() != 0 || s == 0 {
        return format!("{}ms", d.as_millis());
    }
    for (unit, len) in [("w", 7 * DAY), ("d", DAY), ("h", HOUR), ("m", MIN)] {
        if (s / len) * len == s {
            return format!("{}{unit}", s / len);
        }
    }
    format!("{s}s")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_numbers() {
        assert_eq!(prom_duration(Duration::from_secs(300)), "5m");
        assert_eq!(prom_duration(Duration::from_secs(3 * DAY)), "3d");
        assert_eq!(prom_duration(Duration::from_secs(90)), "90s");
        assert_eq!(prom_duration(Duration::from_millis(1500)), "1500ms");
        assert_eq!(number(14.4 * 0.001), "0.0144");
        assert_eq!(number(0.999), "0.999");
        assert_eq!(number(6.0), "6");
    }

    #[test]
    fn scaled_windows_keep_budget_fractions() {
        let w = BurnWindow::scaled(Duration::from_secs(3 * DAY), Duration::from_secs(60));
        assert_eq!(w[0].long, Duration::from_secs(360));
        assert_eq!(w[0].short, Duration::from_secs(60));
        assert_eq!(w[0].factor, 14.4);
    }
}
