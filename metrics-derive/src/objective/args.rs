//! `objective(success = 99.9, latency = "250ms", latency_target = 99.0,
//! window = "30d")`, as written: parsed, not yet checked (see
//! [`rules`](super::rules)).

use syn::meta::ParseNestedMeta;
use syn::{Ident, Lit, LitStr};

use crate::ctxt::Ctxt;
use crate::nested::{skip, string, unknown};

const OBJECTIVE_KEYS: &[&str] = &["success", "latency", "latency_target", "window"];

/// A number written as an integer or a float, with its token.
#[derive(Clone)]
pub struct Number {
    pub value: f64,
    pub lit: Lit,
}

/// `objective(...)`.
#[derive(Clone, Default)]
pub struct ObjectiveArgs {
    /// The `objective` key, for errors about the whole objective.
    pub key: Option<Ident>,
    pub success: Option<Number>,
    pub latency: Option<LitStr>,
    pub latency_target: Option<Number>,
    pub window: Option<LitStr>,
}

/// `objective(...)` after its key: the one parser of an objective, for
/// `#[tally::instrument(objective(...))]` and `#[metric(objective(...))]`.
pub fn parse(cx: &Ctxt, meta: &ParseNestedMeta, key: Ident) -> syn::Result<ObjectiveArgs> {
    let mut out = ObjectiveArgs {
        key: Some(key.clone()),
        ..ObjectiveArgs::default()
    };
    if !meta.input.peek(syn::token::Paren) {
        cx.error_spanned_by(
            &key,
            "expected `objective(success = 99.9, latency = \"250ms\", latency_target = 99.0, window = \"30d\")`",
        );
        return skip(meta).map(|()| out);
    }
    let mut seen: Vec<Ident> = Vec::new();
    meta.parse_nested_meta(|inner| {
        let Some(key) = inner.path.get_ident().cloned() else {
            cx.error_spanned_by(&inner.path, "expected a key of `objective(...)`");
            return skip(&inner);
        };
        if seen.contains(&key) {
            cx.error_spanned_by(&key, format!("duplicate `{key}` in `objective(...)`"));
            return skip(&inner);
        }
        seen.push(key.clone());
        match key.to_string().as_str() {
            "success" => out.success = number(cx, &inner, &key)?,
            "latency_target" => out.latency_target = number(cx, &inner, &key)?,
            "latency" => out.latency = string(cx, &inner, &key)?,
            "window" => out.window = string(cx, &inner, &key)?,
            other => {
                unknown(cx, &key, other, OBJECTIVE_KEYS, "objective(...)");
                return skip(&inner);
            }
        }
        Ok(())
    })?;
    Ok(out)
}

/// The percentage after `key =`, or `None` (reported).
fn number(cx: &Ctxt, meta: &ParseNestedMeta, key: &Ident) -> syn::Result<Option<Number>> {
    if !meta.input.peek(syn::Token![=]) {
        cx.error_spanned_by(key, format!("expected `{key} = <percentage>`"));
        return skip(meta).map(|()| None);
    }
    let lit = meta.value()?.parse::<Lit>()?;
    let value = match &lit {
        Lit::Int(i) => i.base10_parse::<f64>().ok(),
        Lit::Float(f) => f.base10_parse::<f64>().ok(),
        _ => None,
    };
    match value {
        Some(value) => Ok(Some(Number { value, lit })),
        None => {
            cx.error_spanned_by(lit, format!("expected a percentage: `{key} = 99.9`"));
            Ok(None)
        }
    }
}
