//! What a family is called and what it measures: name, help, unit, kind.

use std::borrow::Cow;

pub use crate::kind::MetricKind;

use crate::instrument::Objective;

/// The unit of a family, in base units as Prometheus asks (`seconds`, not
/// `milliseconds`; `bytes`, not `kilobytes`). It becomes the last part of
/// the exposed name and OpenMetrics' `# UNIT` line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Unit(&'static str);

impl Unit {
    /// Time, in seconds.
    pub const SECONDS: Unit = Unit("seconds");
    /// Sizes, in bytes.
    pub const BYTES: Unit = Unit("bytes");
    /// A ratio in `0..=1`.
    pub const RATIO: Unit = Unit("ratio");
    /// Temperature, in degrees Celsius.
    pub const CELSIUS: Unit = Unit("celsius");
    /// Length, in meters.
    pub const METERS: Unit = Unit("meters");
    /// Energy, in joules.
    pub const JOULES: Unit = Unit("joules");
    /// Mass, in grams.
    pub const GRAMS: Unit = Unit("grams");
    /// Potential, in volts.
    pub const VOLTS: Unit = Unit("volts");
    /// Current, in amperes.
    pub const AMPERES: Unit = Unit("amperes");

    /// Another unit; it must be a valid name part (`[a-z0-9_]`), in base
    /// units. The registry checks it on registration.
    pub const fn new(name: &'static str) -> Unit {
        Unit(name)
    }

    /// The unit's name, e.g. `seconds`.
    pub const fn as_str(&self) -> &'static str {
        self.0
    }
}

/// The metadata of one family as its owner declares it. The registry adds
/// its prefix and the unit suffix to form the exposed name.
#[derive(Clone, Debug, PartialEq)]
pub struct Desc {
    /// The family name without prefix, unit suffix or `_total`.
    pub name: Cow<'static, str>,
    /// The HELP text.
    pub help: Cow<'static, str>,
    /// The unit, if the family has one.
    pub unit: Option<Unit>,
    /// The name is a convention the ecosystem's dashboards and alerts
    /// know (`process_cpu_seconds_total`, tally's own `tally_*`
    /// self-telemetry): a registry's prefix is not put in front of it
    /// (its constant labels still apply). Set by [`Desc::standard`].
    pub standard: bool,
    /// The family's service-level objective, if it declares one
    /// (`#[metric(objective(...))]`): a success objective on a counter
    /// family with a `result` label, a latency objective on a histogram in
    /// seconds. Rule and dashboard generators read it from
    /// [`Registry::objectives`](crate::Registry::objectives).
    pub objective: Option<Objective>,
}

// An objective's numbers are checked finite where it is declared.
impl Eq for Desc {}

impl Desc {
    /// A description from any strings.
    pub fn new(name: impl Into<Cow<'static, str>>, help: impl Into<Cow<'static, str>>) -> Self {
        Desc {
            name: name.into(),
            help: help.into(),
            unit: None,
            standard: false,
            objective: None,
        }
    }

    /// A description from static strings, usable in a `static`.
    pub const fn from_static(name: &'static str, help: &'static str, unit: Option<Unit>) -> Self {
        Desc {
            name: Cow::Borrowed(name),
            help: Cow::Borrowed(help),
            unit,
            standard: false,
            objective: None,
        }
    }

    /// The same description with a unit.
    pub fn with_unit(mut self, unit: Unit) -> Self {
        self.unit = Some(unit);
        self
    }

    /// The same description marked as a standard name, which a
    /// registry's prefix leaves alone (see [`Desc::standard`](field@Desc::standard)).
    pub const fn standard(mut self) -> Self {
        self.standard = true;
        self
    }

    /// The same description with a service-level objective (see
    /// [`Desc::objective`](field@Desc::objective)).
    pub const fn with_objective(mut self, objective: Objective) -> Self {
        self.objective = Some(objective);
        self
    }

    /// The same description with `prefix_` in front of the name (how a
    /// nested stats struct's families are named after its parent's, and
    /// what [`Registry::register_with_prefix`](crate::Registry::register_with_prefix)
    /// asks for explicitly, standard names included).
    pub fn prefixed(&self, prefix: &str) -> Desc {
        Desc {
            name: Cow::Owned(crate::name::join(prefix, &self.name)),
            help: self.help.clone(),
            unit: self.unit,
            standard: self.standard,
            objective: self.objective,
        }
    }
}
