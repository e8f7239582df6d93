//! A Grafana dashboard generated from a registry: a row per name prefix
//! (the part before the first `_`), a panel per family (the per-second
//! rate of a counter, the value of a gauge, p50/p90/p99 of a histogram
//! from its classic buckets or its native histogram, a summary's
//! quantiles), in the family's unit; and a row of the objectives' error
//! budgets (the share of each objective's budget left over its window).
//!
//! ```
//! use tally_core::{Counter, Desc, Registry};
//! use tally_export::dashboard::DashboardOptions;
//!
//! let registry = Registry::new();
//! registry.register(Desc::new("http_requests", "Requests."), Counter::<()>::new()).unwrap();
//! let json = tally_export::dashboard::dashboard(&registry, &DashboardOptions::default());
//! let panels = json["panels"].as_array().unwrap();
//! assert_eq!(panels[0]["title"], "http");
//! assert_eq!(panels[1]["targets"][0]["expr"], "sum(rate(http_requests_total[$__rate_interval]))");
//! ```

use serde_json::{json, Value};
use tally_core::{FamilySnapshot, MetricKind, Registry};

use crate::read::rules::SloRules;

/// What the dashboard is called and how it queries.
#[derive(Clone, Debug)]
pub struct DashboardOptions {
    /// The dashboard's title.
    pub title: String,
    /// Its uid (stable across imports).
    pub uid: String,
    /// Query histograms' native histograms (Prometheus with
    /// `--enable-feature=native-histograms`) rather than classic buckets.
    pub native_histograms: bool,
    /// The histogram quantiles drawn.
    pub quantiles: Vec<f64>,
}

impl Default for DashboardOptions {
    fn default() -> Self {
        DashboardOptions {
            title: "tally".into(),
            uid: "tally".into(),
            native_histograms: false,
            quantiles: vec![0.5, 0.9, 0.99],
        }
    }
}

/// One query of a panel.
#[derive(Clone, Debug, PartialEq)]
pub struct PanelQuery {
    /// The panel's title.
    pub panel: String,
    /// The PromQL, with Grafana's `$__rate_interval`.
    pub expr: String,
}

/// The dashboard JSON (Grafana's dashboard model, importable as is; a
/// `datasource` variable picks the Prometheus).
pub fn dashboard(registry: &Registry, options: &DashboardOptions) -> Value {
    dashboard_with(registry, &SloRules::from_registry(registry), options)
}

/// The dashboard, with the objectives of `rules` (instrumented functions'
/// and the families' objectives added to it) as error-budget panels.
pub fn dashboard_with(registry: &Registry, rules: &SloRules, options: &DashboardOptions) -> Value {
    let snapshot = registry.snapshot();
    let mut layout = Layout::default();
    let mut prefixes: Vec<&str> = Vec::new();
    for f in &snapshot.families {
        let prefix = prefix(&f.name);
        if !prefixes.contains(&prefix) {
            prefixes.push(prefix);
        }
    }
    for prefix in prefixes {
        layout.row(prefix);
        for f in snapshot
            .families
            .iter()
            .filter(|f| self::prefix(&f.name) == prefix)
        {
            let (targets, unit) = family_targets(f, options);
            layout.panel(&f.name, &f.help, targets, unit, "timeseries");
        }
    }
    let budgets = rules.budgets();
    if !budgets.is_empty() {
        layout.row("error budgets");
        for (slo, expr) in budgets {
            layout.panel(
                &format!("{slo}: error budget left"),
                "The share of the objective's error budget not spent over its window (1 = untouched, 0 = spent, below 0 = objective missed).",
                vec![(expr, slo.clone())],
                "percentunit",
                "stat",
            );
        }
    }
    json!({
        "title": options.title,
        "uid": options.uid,
        "schemaVersion": 39,
        "version": 1,
        "editable": true,
        "refresh": "30s",
        "time": {"from": "now-1h", "to": "now"},
        "tags": ["tally"],
        "templating": {"list": [{
            "name": "datasource",
            "label": "Prometheus",
            "type": "datasource",
            "query": "prometheus",
        }]},
        "panels": layout.panels,
    })
}

/// Every panel's queries: what a test runs against Prometheus.
pub fn queries(dashboard: &Value) -> Vec<PanelQuery> {
    let mut out = Vec::new();
    for panel in dashboard["panels"].as_array().into_iter().flatten() {
        for target in panel["targets"].as_array().into_iter().flatten() {
            if let Some(expr) = target["expr"].as_str() {
                out.push(PanelQuery {
                    panel: panel["title"].as_str().unwrap_or_default().to_string(),
                    expr: expr.to_string(),
                });
            }
        }
    }
    out
}

fn prefix(name: &str) -> &str {
    name.split('_').next().unwrap_or(name)
}

/// The Grafana unit of a family's values.
fn grafana_unit(f: &FamilySnapshot) -> &'static str {
    match f.unit.map(|u| u.as_str()) {
        Some("seconds") => "s",
        Some("bytes") => "bytes",
        Some("ratio") => "percentunit",
        Some("celsius") => "celsius",
        Some("meters") => "lengthm",
        Some("joules") => "joule",
        Some("volts") => "volt",
        Some("amperes") => "amp",
        _ => "short",
    }
}

fn family_targets(
    f: &FamilySnapshot,
    options: &DashboardOptions,
) -> (Vec<(String, String)>, &'static str) {
    let labels: Vec<&str> = f.labels.names.to_vec();
    let by = |extra: &[&str]| {
        let all: Vec<&str> = labels.iter().chain(extra).copied().collect();
        if all.is_empty() {
            String::new()
        } else {
            format!(" by ({}) ", all.join(", "))
        }
    };
    let legend = if labels.is_empty() {
        f.name.clone()
    } else {
        labels
            .iter()
            .map(|l| format!("{{{{{l}}}}}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let name = &f.name;
    match f.kind {
        MetricKind::Counter => {
            let unit = match grafana_unit(f) {
                "short" => "ops",
                other => other,
            };
            (
                vec![(
                    format!("sum{}(rate({name}_total[$__rate_interval]))", by(&[])),
                    legend,
                )],
                unit,
            )
        }
        MetricKind::Gauge => (
            vec![(format!("sum{}({name})", by(&[])), legend)],
            grafana_unit(f),
        ),
        MetricKind::Info => (vec![(format!("{name}_info"), legend)], "short"),
        MetricKind::Summary => (
            vec![(name.clone(), format!("{legend} q{{{{quantile}}}}"))],
            grafana_unit(f),
        ),
        MetricKind::Histogram => {
            let targets = options
                .quantiles
                .iter()
                .map(|q| {
                    let expr = if options.native_histograms {
                        format!(
                            "histogram_quantile({q}, sum{}(rate({name}[$__rate_interval])))",
                            by(&[])
                        )
                    } else {
                        format!(
                            "histogram_quantile({q}, sum{}(rate({name}_bucket[$__rate_interval])))",
                            by(&["le"])
                        )
                    };
                    (expr, format!("p{} {legend}", q * 100.0))
                })
                .collect();
            (targets, grafana_unit(f))
        }
    }
}

/// Panels placed on Grafana's 24-column grid, two per line.
#[derive(Default)]
struct Layout {
    panels: Vec<Value>,
    y: u64,
    x: u64,
    id: u64,
}

impl Layout {
    fn row(&mut self, title: &str) {
        if self.x != 0 {
            self.y += 8;
            self.x = 0;
        }
        self.id += 1;
        self.panels.push(json!({
            "type": "row",
            "id": self.id,
            "title": title,
            "collapsed": false,
            "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y},
            "panels": [],
        }));
        self.y += 1;
    }

    fn panel(
        &mut self,
        title: &str,
        help: &str,
        targets: Vec<(String, String)>,
        unit: &str,
        kind: &str,
    ) {
        self.id += 1;
        let targets: Vec<Value> = targets
            .into_iter()
            .enumerate()
            .map(|(i, (expr, legend))| {
                json!({
                    "datasource": {"type": "prometheus", "uid": "${datasource}"},
                    "expr": expr,
                    "legendFormat": legend,
                    "refId": ((b'A' + i as u8) as char).to_string(),
                })
            })
            .collect();
        self.panels.push(json!({
            "type": kind,
            "id": self.id,
            "title": title,
            "description": help,
            "datasource": {"type": "prometheus", "uid": "${datasource}"},
            "targets": targets,
            "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
            "gridPos": {"h": 8, "w": 12, "x": self.x, "y": self.y},
        }));
        if self.x == 0 {
            self.x = 12;
        } else {
            self.x = 0;
            self.y += 8;
        }
    }
}
