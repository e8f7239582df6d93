//! The rules, one function each, all reported at once:
//! - a `const fn` cannot be instrumented (it would read a clock);
//! - a function label is a non-empty string;
//! - an objective follows [`objective::check`]'s rules, against the
//!   latency buckets of `function_calls_duration_seconds`.

use proc_macro2::TokenStream;

use super::ast::{is_instrument, Item};
use super::attr::Args;
use crate::ctxt::Ctxt;
use crate::objective::{self, Objective, ObjectiveArgs};

/// What the expansion needs beyond the arguments: the checked objective.
pub struct Plan {
    /// `::core::option::Option<Objective>` tokens (paths still relative
    /// to the facade, filled in by `expand`).
    pub objective: Option<Objective>,
}

/// Checks the arguments and the item.
pub fn check(cx: &Ctxt, args: &Args, item: &Item) -> Plan {
    check_name(cx, args);
    match item {
        Item::Fn(f) => check_not_const(cx, &f.sig),
        Item::Impl(i) => {
            for item in &i.items {
                if let syn::ImplItem::Fn(f) = item {
                    // A method's own `#[instrument(...)]` is checked as if
                    // it stood alone; its const-ness is an error only then
                    // (a const method of an instrumented block is left as is).
                    if let Some(attr) = f.attrs.iter().find(|a| is_instrument(a)) {
                        check_not_const(cx, &f.sig);
                        let tokens = match &attr.meta {
                            syn::Meta::List(list) => list.tokens.clone(),
                            _ => TokenStream::new(),
                        };
                        let own = Args::parse(cx, tokens);
                        check_name(cx, &own);
                        own.objective.as_ref().map(|o| objective(cx, o));
                    }
                }
            }
        }
    }
    Plan {
        objective: args.objective.as_ref().and_then(|o| objective(cx, o)),
    }
}

/// A `const fn` cannot read a clock or update atomics.
fn check_not_const(cx: &Ctxt, sig: &syn::Signature) {
    if let Some(token) = &sig.constness {
        cx.error_spanned_by(
            token,
            "`#[tally::instrument]` cannot instrument a `const fn`: counting a call reads a clock and updates atomics, which const evaluation cannot do",
        );
    }
}

/// The function label is a non-empty string.
fn check_name(cx: &Ctxt, args: &Args) {
    if let Some(name) = &args.name {
        if name.value().trim().is_empty() {
            cx.error_spanned_by(name, "the function label cannot be empty");
        }
    }
}

/// The objective's rules (see the module doc).
pub fn objective(cx: &Ctxt, o: &ObjectiveArgs) -> Option<Objective> {
    objective::check(
        cx,
        o,
        tally_core::instrument::LATENCY_BUCKETS,
        "function_calls_duration_seconds",
    )
}
