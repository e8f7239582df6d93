//! Why a registration was refused.

/// A registration the registry refused; the registry is left unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// A family with this exposed name is already registered (or the same
    /// collector names it twice).
    #[error("a metric family named `{name}` is already registered")]
    Duplicate {
        /// The exposed family name.
        name: String,
    },
    /// The name breaks the Prometheus naming rules.
    #[error("invalid metric name `{name}`: {reason}")]
    InvalidName {
        /// The offending name.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A non-counter family ends with a suffix exporters add themselves.
    #[error(
        "metric name `{name}` ends with `{suffix}`, which exporters reserve for generated samples"
    )]
    ReservedSuffix {
        /// The offending name.
        name: String,
        /// The reserved suffix it ends with.
        suffix: &'static str,
    },
    /// The unit is not a valid base unit.
    #[error("metric `{name}`: invalid unit `{unit}`: {reason}")]
    InvalidUnit {
        /// The family name.
        name: String,
        /// The offending unit.
        unit: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A label name breaks the rules.
    #[error("metric `{name}`: invalid label name `{label}`: {reason}")]
    InvalidLabel {
        /// The family name (empty for a registry's constant label).
        name: String,
        /// The offending label name.
        label: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Two labels of one series would have the same name.
    #[error("metric `{name}`: label `{label}` appears twice (in the family or among the registry's constant labels)")]
    DuplicateLabel {
        /// The family name (empty for a registry's constant label).
        name: String,
        /// The repeated label name.
        label: String,
    },
    /// [`RegistryBuilder::build_global`](crate::RegistryBuilder::build_global)
    /// came after the global registry was first used or set.
    #[error("the global registry is already in use: configure it with `RegistryBuilder::build_global` at startup, before anything registers or reads it")]
    GlobalInUse,
}
