//! Info families: constant information (build version, revision,
//! configuration) carried as labels on a single series of value 1.

use crate::desc::MetricKind;
use crate::label::LabelDesc;
use crate::metric::{CollectError, Collected, Metric};
use crate::snapshot::{Series, Value};

/// An OpenMetrics info family: one series whose value is always 1 and
/// whose labels hold the information, e.g.
/// `app_build_info{version="1.2.0",revision="abc123"} 1`.
///
/// Register it under a name ending in `_info` (or not: exporters add the
/// suffix); OpenMetrics exposes it as `# TYPE name info`, Prometheus text
/// and protobuf as a gauge `name_info`. The labels are a static
/// [`LabelDesc`] with exactly one value per label and no runtime-bounded
/// label (see
/// `tally_export::register_build_info!` for the build-info one).
///
/// ```
/// use tally_core::{Desc, Info, LabelDesc, Registry};
/// static LABELS: LabelDesc = LabelDesc { names: &["mode"], values: &[&["fast"]], dynamic: &[] };
/// let registry = Registry::new();
/// registry.register(Desc::new("config_info", "Configuration."), Info::new(&LABELS).unwrap()).unwrap();
/// assert_eq!(registry.snapshot().families[0].name, "config");
/// ```
#[derive(Debug)]
pub struct Info {
    labels: &'static LabelDesc,
}

/// Why an [`Info`] could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InfoError {
    /// A label has no value or several: an info family has one series.
    #[error("info label `{label}` must have exactly one value, it has {count}")]
    NotOneValue {
        /// The label name.
        label: &'static str,
        /// How many values it has.
        count: usize,
    },
    /// A label is runtime-bounded: an info family's values are fixed.
    #[error("info label `{label}` is runtime-bounded; an info family's values are fixed")]
    Dynamic {
        /// The label name.
        label: &'static str,
    },
    /// The names and values lists differ in length.
    #[error("{names} label names but {values} value lists")]
    Mismatched {
        /// Label names given.
        names: usize,
        /// Value lists given.
        values: usize,
    },
}

impl Info {
    /// An info family over `labels` (each label with exactly one value;
    /// label names are checked when it is registered).
    pub fn new(labels: &'static LabelDesc) -> Result<Self, InfoError> {
        if labels.names.len() != labels.values.len() {
            return Err(InfoError::Mismatched {
                names: labels.names.len(),
                values: labels.values.len(),
            });
        }
        for (label, table) in labels.names.iter().zip(labels.dynamic) {
            if table.is_some() {
                return Err(InfoError::Dynamic { label });
            }
        }
        for (label, values) in labels.names.iter().zip(labels.values) {
            if values.len() != 1 {
                return Err(InfoError::NotOneValue {
                    label,
                    count: values.len(),
                });
            }
        }
        Ok(Info { labels })
    }

    /// The `(label, value)` pairs this family exposes.
    pub fn pairs(&self) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        self.labels.pairs(0)
    }
}

impl Metric for Info {
    fn kind(&self) -> MetricKind {
        MetricKind::Info
    }

    fn labels(&self) -> &'static LabelDesc {
        self.labels
    }

    fn collect(&self) -> Result<Collected, CollectError> {
        Ok(Collected {
            series: vec![Series::new(0, Value::Gauge(1))],
            clamped: 0,
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Desc, Registry, RegistryError};

    static BUILD: LabelDesc = LabelDesc {
        names: &["version", "revision"],
        values: &[&["1.2.0"], &["abc"]],
        dynamic: &[],
    };

    #[test]
    fn registers_under_the_name_without_info() {
        let registry = Registry::builder().prefix("app").build().unwrap();
        let info = registry
            .register(
                Desc::new("build_info", "Build."),
                Info::new(&BUILD).unwrap(),
            )
            .unwrap();
        assert_eq!(
            info.pairs().collect::<Vec<_>>(),
            [("version", "1.2.0"), ("revision", "abc")]
        );
        let snapshot = registry.snapshot();
        let family = &snapshot.families[0];
        assert_eq!(family.name, "app_build");
        assert_eq!(family.kind, MetricKind::Info);
        assert_eq!(family.series[0].value.as_f64(), Some(1.0));
        // A second family exposing `app_build` is refused.
        assert!(matches!(
            registry.register(Desc::new("build", "Again."), Info::new(&BUILD).unwrap()),
            Err(RegistryError::Duplicate { .. })
        ));
    }

    #[test]
    fn one_value_per_label() {
        static TWO: LabelDesc = LabelDesc {
            names: &["mode"],
            values: &[&["a", "b"]],
            dynamic: &[],
        };
        static NONE: LabelDesc = LabelDesc {
            names: &["mode"],
            values: &[&[]],
            dynamic: &[],
        };
        static SHORT: LabelDesc = LabelDesc {
            names: &["a", "b"],
            values: &[&["x"]],
            dynamic: &[],
        };
        assert_eq!(
            Info::new(&TWO).unwrap_err(),
            InfoError::NotOneValue {
                label: "mode",
                count: 2
            }
        );
        assert!(Info::new(&NONE).is_err());
        assert!(matches!(
            Info::new(&SHORT),
            Err(InfoError::Mismatched { .. })
        ));
    }

    #[test]
    fn label_names_are_checked_on_registration() {
        static BAD: LabelDesc = LabelDesc {
            names: &["le"],
            values: &[&["1"]],
            dynamic: &[],
        };
        let registry = Registry::new();
        assert!(matches!(
            registry.register(Desc::new("x_info", "Bad."), Info::new(&BAD).unwrap()),
            Err(RegistryError::InvalidLabel { .. })
        ));
    }
}
