//! The shared families of all instrumented functions, and the list they
//! read: functions join it on their first call, in order, and never
//! leave, so a function's ordinal (its place in the `function` label) is
//! stable. Label descriptions are rebuilt (and leaked: once per function
//! and per error kind, a bounded amount) when the list grows; a series
//! index never depends on how many functions there are (the `function`
//! label is the most significant, and `error_kind` has a fixed radix), so
//! a description read after a collection still names its series.

use std::sync::{Arc, OnceLock, RwLock};

use crate::desc::{Desc, MetricKind, Unit};
use crate::error::RegistryError;
use crate::label::{LabelDesc, LabelValue};
use crate::metric::{CollectError, Collected, Collector, Metric};
use crate::registry::Registry;
use crate::snapshot::{Series, Value};

use super::function::{Function, KindMap, KIND_SLOTS};
use super::objective::Objective;
use super::outcome::Outcome;

/// `function_calls_total{function, result}`: calls by how they ended.
pub const CALLS: &str = "function_calls";
/// `function_calls_errors_total{function, error_kind}`: failed calls by
/// the variant of their error (error types implementing `LabelValue`).
pub const ERRORS: &str = "function_calls_errors";
/// `function_calls_duration_seconds{function}`: call latency (HDR
/// histogram; classic buckets [`DEFAULT_SECONDS_BOUNDS`](https://docs.rs/tally-export) of the exporters).
pub const DURATION: &str = "function_calls_duration";
/// `function_calls_concurrent{function}`: calls in flight.
pub const CONCURRENT: &str = "function_calls_concurrent";
/// The label naming the instrumented function.
pub const FUNCTION_LABEL: &str = "function";
/// The label of how a call ended (`ok`, `error`, `cancelled`, `panicked`).
pub const RESULT_LABEL: &str = "result";
/// The label of an error's kind.
pub const ERROR_KIND_LABEL: &str = "error_kind";

/// Distinct error kinds across the program; more share the last, `other`.
const KIND_CAP: usize = 64;
const OTHER: &str = "other";

/// One instrumented function, as the generators read it.
#[derive(Clone, Debug)]
pub struct FunctionInfo {
    /// Its `function` label value.
    pub label: &'static str,
    /// Its name as declared (`checkout`, `Store::get`).
    pub name: &'static str,
    /// The module it is declared in.
    pub module: &'static str,
    /// Its objective, if it declares one.
    pub objective: Option<Objective>,
}

struct Layout {
    functions: Vec<(&'static Function, &'static str)>,
    kinds: Vec<&'static str>,
    calls: &'static LabelDesc,
    errors: &'static LabelDesc,
    per_function: &'static LabelDesc,
}

static LAYOUT: RwLock<Layout> = RwLock::new(Layout {
    functions: Vec::new(),
    kinds: Vec::new(),
    calls: &LabelDesc {
        names: &[FUNCTION_LABEL, RESULT_LABEL],
        values: &[&[], Outcome::VALUES],
        dynamic: &[],
    },
    errors: &LabelDesc {
        names: &[FUNCTION_LABEL, ERROR_KIND_LABEL],
        values: &[&[], &[""; KIND_CAP]],
        dynamic: &[],
    },
    per_function: &LabelDesc {
        names: &[FUNCTION_LABEL],
        values: &[&[]],
        dynamic: &[],
    },
});

fn read() -> std::sync::RwLockReadGuard<'static, Layout> {
    LAYOUT.read().unwrap_or_else(|e| e.into_inner())
}

fn write() -> std::sync::RwLockWriteGuard<'static, Layout> {
    LAYOUT.write().unwrap_or_else(|e| e.into_inner())
}

fn leak<T>(v: Vec<T>) -> &'static [T] {
    Box::leak(v.into_boxed_slice())
}

fn desc(
    names: &'static [&'static str],
    values: Vec<&'static [&'static str]>,
) -> &'static LabelDesc {
    Box::leak(Box::new(LabelDesc {
        names,
        values: leak(values),
        dynamic: &[],
    }))
}

impl Layout {
    fn rebuild(&mut self) {
        let names = leak(self.functions.iter().map(|(_, label)| *label).collect());
        let mut kinds = self.kinds.clone();
        kinds.resize(KIND_CAP, "");
        self.calls = desc(self.calls.names, vec![names, Outcome::VALUES]);
        self.errors = desc(self.errors.names, vec![names, leak(kinds)]);
        self.per_function = desc(self.per_function.names, vec![names]);
    }
}

/// One instrumented function of the program, submitted at link time by
/// the attribute's generated code (`inventory::submit!`), so the list
/// holds every instrumented function of the program before any is called.
pub struct Linked(pub &'static Function);

inventory::collect!(Linked);

/// Adds every instrumented function linked into the program to the list
/// (once; those already called keep their place), and registers the
/// families into the global registry, as a first call would: rules and
/// dashboards generated before any call see every function.
pub fn link() {
    static LINKED: OnceLock<()> = OnceLock::new();
    LINKED.get_or_init(|| {
        let mut linked: Vec<&'static Function> =
            inventory::iter::<Linked>.into_iter().map(|l| l.0).collect();
        // Link order is the linker's: sort, so labels and ordinals do
        // not depend on it.
        linked.sort_by_key(|f| (f.name, f.module));
        for function in linked {
            function.join_list();
        }
        ensure_global();
    });
}

// What a function does to the shared list, written here beside the list:
// `function.rs` calls these methods and never imports this module, so
// the two files do not import each other.
impl Function {
    /// Adds the function to the list (at link time or on its first call;
    /// once).
    pub(super) fn join_list(&'static self) {
        let function = self;
        let mut layout = write();
        if layout
            .functions
            .iter()
            .any(|(f, _)| std::ptr::eq(*f, function))
        {
            return;
        }
        let taken = layout
            .functions
            .iter()
            .any(|(_, label)| *label == function.name);
        let label: &'static str = if taken {
            Box::leak(format!("{}::{}", function.module, function.name).into_boxed_str())
        } else {
            function.name
        };
        layout.functions.push((function, label));
        layout.rebuild();
    }

    /// The shared `error_kind` ordinal of each of `values`' local slots.
    pub(super) fn map_kinds(values: &'static [&'static str]) -> KindMap {
        let mut layout = write();
        let mut map = KindMap {
            ordinals: [0; KIND_SLOTS],
            used: values.len().min(KIND_SLOTS),
        };
        for (slot, ordinal) in map.ordinals.iter_mut().enumerate().take(map.used) {
            let name = if slot == KIND_SLOTS - 1 && values.len() > KIND_SLOTS {
                OTHER
            } else {
                values[slot]
            };
            let found = layout.kinds.iter().position(|k| *k == name);
            *ordinal = match found {
                Some(i) => i,
                None if layout.kinds.len() < KIND_CAP - 1 => {
                    layout.kinds.push(name);
                    layout.kinds.len() - 1
                }
                None => {
                    if layout.kinds.len() < KIND_CAP {
                        layout.kinds.push(OTHER);
                    }
                    KIND_CAP - 1
                }
            } as u8;
        }
        layout.rebuild();
        map
    }

    /// Registers the shared families into the global registry (once).
    pub(super) fn export_globally() {
        ensure_global();
    }
}

/// The program's instrumented functions (every one linked into it,
/// called or not), in the order they joined the list.
pub fn functions() -> Vec<FunctionInfo> {
    link();
    read()
        .functions
        .iter()
        .map(|(f, label)| FunctionInfo {
            label,
            name: f.name,
            module: f.module,
            objective: f.objective,
        })
        .collect()
}

fn collector() -> Arc<Functions> {
    static COLLECTOR: OnceLock<Arc<Functions>> = OnceLock::new();
    COLLECTOR.get_or_init(|| Arc::new(Functions)).clone()
}

/// Registers the instrumented functions' families into the global
/// registry (once; a failure, a name already taken, is printed once).
fn ensure_global() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        if let Err(error) = Registry::global().register_collector(collector()) {
            eprintln!("tally: instrumented functions are not exported: {error}");
        }
    });
}

/// Registers the instrumented functions' families (all of the program's,
/// present and future) into `registry`, beside the global registry they
/// join on the first call.
pub fn register(registry: &Registry) -> Result<(), RegistryError> {
    link();
    registry.register_collector(collector())
}

/// The collector of the four families.
struct Functions;

struct Calls;
struct Errors;
struct Durations;
struct Concurrent;

static CALLS_DESC: Desc = Desc::from_static(
    CALLS,
    "Calls of instrumented functions, by how they ended.",
    None,
);
static ERRORS_DESC: Desc = Desc::from_static(
    ERRORS,
    "Failed calls of instrumented functions, by the kind of their error.",
    None,
);
static DURATION_DESC: Desc = Desc::from_static(
    DURATION,
    "Latency of instrumented functions' calls (async: the whole future).",
    Some(Unit::SECONDS),
);
static CONCURRENT_DESC: Desc = Desc::from_static(
    CONCURRENT,
    "Calls of instrumented functions in flight.",
    None,
);

impl Collector for Functions {
    fn for_each_family(&self, visit: &mut dyn FnMut(&Desc, &dyn Metric)) {
        visit(&CALLS_DESC, &Calls);
        visit(&ERRORS_DESC, &Errors);
        visit(&DURATION_DESC, &Durations);
        visit(&CONCURRENT_DESC, &Concurrent);
    }
}

/// The joined functions whose series exist, with their ordinals.
fn states() -> Vec<(usize, &'static super::function::State)> {
    read()
        .functions
        .iter()
        .enumerate()
        .filter_map(|(i, (f, _))| f.state.get().map(|s| (i, s)))
        .collect()
}

impl Metric for Calls {
    fn kind(&self) -> MetricKind {
        MetricKind::Counter
    }

    fn labels(&self) -> &'static LabelDesc {
        read().calls
    }

    fn collect(&self) -> Result<Collected, CollectError> {
        let mut series = Vec::new();
        for (i, state) in states() {
            for s in state.calls.collect()?.series {
                series.push(Series {
                    index: i * Outcome::VALUES.len() + s.index,
                    ..s
                });
            }
        }
        Ok(Collected {
            series,
            clamped: 0,
            ..Default::default()
        })
    }
}

impl Metric for Errors {
    fn kind(&self) -> MetricKind {
        MetricKind::Counter
    }

    fn labels(&self) -> &'static LabelDesc {
        read().errors
    }

    fn collect(&self) -> Result<Collected, CollectError> {
        let mut series = Vec::new();
        for (i, state) in states() {
            let Some(map) = state.kinds.get() else {
                continue;
            };
            let mut by_kind: Vec<Series> = Vec::new();
            for s in state.errors.collect()?.series {
                let Some(&kind) = map.ordinals.get(s.index) else {
                    continue;
                };
                // Slots past the error type's variants are unused; two
                // slots may share `other`.
                let index = i * KIND_CAP + kind as usize;
                match by_kind.iter_mut().find(|e| e.index == index) {
                    Some(existing) => {
                        if let (Value::Counter(a), Value::Counter(b)) =
                            (&mut existing.value, &s.value)
                        {
                            *a += b;
                        }
                    }
                    None if s.index < map.used => by_kind.push(Series { index, ..s }),
                    None => {}
                }
            }
            series.extend(by_kind);
        }
        series.sort_by_key(|s| s.index);
        Ok(Collected {
            series,
            clamped: 0,
            ..Default::default()
        })
    }
}

impl Metric for Durations {
    fn kind(&self) -> MetricKind {
        MetricKind::Histogram
    }

    fn labels(&self) -> &'static LabelDesc {
        read().per_function
    }

    fn collect(&self) -> Result<Collected, CollectError> {
        let mut series = Vec::new();
        let mut clamped = 0;
        for (i, state) in states() {
            let collected = state.latency.collect()?;
            clamped += collected.clamped;
            series.extend(
                collected
                    .series
                    .into_iter()
                    .map(|s| Series { index: i, ..s }),
            );
        }
        Ok(Collected {
            series,
            clamped,
            ..Default::default()
        })
    }
}

impl Metric for Concurrent {
    fn kind(&self) -> MetricKind {
        MetricKind::Gauge
    }

    fn labels(&self) -> &'static LabelDesc {
        read().per_function
    }

    fn collect(&self) -> Result<Collected, CollectError> {
        let series = states()
            .into_iter()
            .map(|(i, state)| {
                // Ended first: a call ends after it starts, so the
                // difference is never negative (at worst it counts a call
                // that ended meanwhile).
                let ended: u64 = state.calls.values().iter().sum();
                let started = state.started.get();
                Series::new(i, Value::Gauge(started.saturating_sub(ended) as i64))
            })
            .collect();
        Ok(Collected {
            series,
            clamped: 0,
            ..Default::default()
        })
    }
}
