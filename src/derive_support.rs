//! What every `#[derive(Metrics)]` struct would otherwise copy: the
//! compile-time checks of a family's label set (run in const evaluation,
//! as the label names and cardinalities are trait constants), and the
//! bodies of `register()` and `global()`. Reached through
//! `tally::__private`; not a public API.

use std::sync::{Arc, OnceLock};

use tally_core::name::{check_label_name, lint_label_name, repeated_label, str_eq};
use tally_core::{Collector, LabelSet, Registry, RegistryError};

/// Panics (in const evaluation: a compile error) with the message built
/// from the `Message` expression.
macro_rules! fail {
    ($message:expr) => {
        match std::str::from_utf8($message.as_bytes()) {
            Ok(message) => panic!("{}", message),
            Err(_) => panic!("a derived metric family's labels are refused"),
        }
    };
}

/// Fails const evaluation, naming `field`, when its label set `L` would
/// make the registry refuse the family or exceed its series budget:
/// an invalid or reserved label name, two labels of one name (two label
/// types, or one type twice, exposing the same name), or more than
/// `budget` series; and a label name promtool's lint refuses (camelCase). The derive emits `const _: () = check_family::<L>(..)`
/// spanned on the field's label type.
pub const fn check_family<L: LabelSet>(field: &str, budget: usize) {
    let names = L::DESC.names;
    let mut i = 0;
    while i < names.len() {
        // An empty name is the stub of a `LabelValue` derive that failed,
        // whose own error is already reported.
        if !names[i].is_empty() {
            let checked = match check_label_name(names[i]) {
                Ok(()) => lint_label_name(names[i]),
                Err(reason) => Err(reason),
            };
            if let Err(reason) = checked {
                fail!(Message::new()
                    .str("field `")
                    .str(field)
                    .str("`: invalid label name `")
                    .str(names[i])
                    .str("`: ")
                    .str(reason));
            }
        }
        i += 1;
    }
    if let Some(i) = repeated_label(names) {
        if !names[i].is_empty() {
            fail!(Message::new()
                .str("field `")
                .str(field)
                .str("`: two of its labels are named `")
                .str(names[i])
                .str("`, and a series cannot carry one label name twice; name them apart with `#[label(name = \"...\")]` on the label types, or with a `#[derive(LabelSet)]` struct whose field names are the label names"));
        }
    }
    if L::CARDINALITY > budget {
        fail!(Message::new()
            .str("series budget exceeded: field `")
            .str(field)
            .str("` has ")
            .num(L::CARDINALITY)
            .str(" series (the product of its labels' cardinalities), over its budget of ")
            .num(budget)
            .str("; use fewer or smaller labels, or raise the budget with `#[metric(max_series = N)]`"));
    }
}

/// Refuses, in const evaluation, a success objective
/// (`#[metric(objective(success = ...))]`) on a counter family whose label
/// set `L` has no `result` label with an `ok` value: the rule generators
/// count its series whose `result` is not `ok` as failures. The derive
/// emits `const _: () = check_success_family::<L>(..)` spanned on
/// `success`.
pub const fn check_success_family<L: LabelSet>(field: &str) {
    let desc = L::DESC;
    let mut i = 0;
    while i < desc.names.len() {
        if str_eq(desc.names[i], tally_core::instrument::SUCCESS_LABEL) {
            let values = desc.values[i];
            let mut v = 0;
            while v < values.len() {
                if str_eq(values[v], tally_core::instrument::SUCCESS_VALUE) {
                    return;
                }
                v += 1;
            }
            fail!(Message::new()
                .str("field `")
                .str(field)
                .str("`: a success objective counts the series whose `result` is not `ok` as failures, but its `result` label has no `ok` value; name the success variant `Ok` (or `#[label(rename = \"ok\")]` on it)"));
        }
        i += 1;
    }
    fail!(Message::new()
        .str("field `")
        .str(field)
        .str("`: a success objective needs a `result` label telling failures apart (`ok` a success, any other value a failure); e.g. `#[derive(LabelValue)] #[label(name = \"result\")] enum Outcome { Ok, Error }` and `Counter<(Route, Outcome)>`"));
}

/// A panic message built in const evaluation, which cannot format
/// (it writes numbers' digits itself). Text past its capacity is cut.
struct Message {
    buf: [u8; 640],
    len: usize,
}

impl Message {
    const fn new() -> Self {
        Message {
            buf: [0; 640],
            len: 0,
        }
    }

    const fn str(mut self, s: &str) -> Self {
        let bytes = s.as_bytes();
        let mut i = 0;
        while i < bytes.len() && self.len < self.buf.len() {
            self.buf[self.len] = bytes[i];
            self.len += 1;
            i += 1;
        }
        self
    }

    const fn num(mut self, mut n: usize) -> Self {
        let mut digits = [0u8; 20];
        let mut count = 0;
        loop {
            digits[count] = b'0' + (n % 10) as u8;
            count += 1;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        while count > 0 && self.len < self.buf.len() {
            count -= 1;
            self.buf[self.len] = digits[count];
            self.len += 1;
        }
        self
    }

    const fn as_bytes(&self) -> &[u8] {
        self.buf.split_at(self.len).0
    }
}

/// `Stats::register(registry)`: a new instance with all its families
/// registered into `registry`, or none of them.
pub fn register<C: Collector + 'static>(
    registry: &Registry,
    stats: C,
) -> Result<Arc<C>, RegistryError> {
    let stats = Arc::new(stats);
    registry.register_collector(stats.clone())?;
    Ok(stats)
}

/// The process-wide instance of a derived stats struct, registered into
/// [`Registry::global()`] on first use. Each struct keeps one in a
/// `static` (statics cannot be generic, so the derive declares it).
pub struct Global<C: 'static> {
    cell: OnceLock<(Arc<C>, Result<(), RegistryError>)>,
    new: fn() -> C,
    type_name: &'static str,
}

impl<C: Collector + 'static> Global<C> {
    /// The slot of the struct named `type_name`, made by `new`.
    pub const fn new(new: fn() -> C, type_name: &'static str) -> Self {
        Global {
            cell: OnceLock::new(),
            new,
            type_name,
        }
    }

    fn init(&'static self) -> &'static (Arc<C>, Result<(), RegistryError>) {
        self.cell.get_or_init(|| {
            let stats = Arc::new((self.new)());
            let result = Registry::global().register_collector(stats.clone());
            if let Err(error) = &result {
                eprintln!(
                    "tally: {}::global() works but is not exported: {}",
                    self.type_name, error
                );
            }
            (stats, result)
        })
    }

    /// `Stats::global()`: the instance, whether or not it could be
    /// registered (the error is printed once to stderr).
    pub fn get(&'static self) -> &'static C {
        &self.init().0
    }

    /// `Stats::try_global()`: the instance, or why it could not be
    /// registered.
    pub fn try_get(&'static self) -> Result<&'static C, RegistryError> {
        let (stats, result) = self.init();
        result.clone().map(|()| &**stats)
    }
}
