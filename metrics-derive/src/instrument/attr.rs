//! The attribute's arguments: `name = "..."`, `crate = "..."` and
//! `objective(success = 99.9, latency = "250ms", latency_target = 99.0,
//! window = "30d")`. Unknown keys get a "did you mean"; repeated keys are
//! refused; every error is spanned on its key or value.

use proc_macro2::TokenStream;
use syn::meta::ParseNestedMeta;
use syn::{Ident, Lit, LitStr};

use crate::attr::{closest, default_crate, list};
use crate::ctxt::Ctxt;

const KEYS: &[&str] = &["name", "objective", "crate"];
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

/// Everything inside `#[instrument(...)]`.
#[derive(Clone)]
pub struct Args {
    pub name: Option<LitStr>,
    pub krate: syn::Path,
    pub objective: Option<ObjectiveArgs>,
}

impl Args {
    /// Parses `args`, reporting mistakes into `cx`.
    pub fn parse(cx: &Ctxt, args: TokenStream) -> Args {
        let mut out = Args {
            name: None,
            krate: default_crate(),
            objective: None,
        };
        let mut seen: Vec<Ident> = Vec::new();
        let parser = syn::meta::parser(|meta| {
            let Some(key) = meta.path.get_ident().cloned() else {
                cx.error_spanned_by(&meta.path, "expected a key of `#[instrument]`");
                return skip(&meta);
            };
            if seen.contains(&key) {
                cx.error_spanned_by(&key, format!("duplicate `{key}` in `#[instrument]`"));
                return skip(&meta);
            }
            seen.push(key.clone());
            match key.to_string().as_str() {
                "name" => out.name = string(cx, &meta, &key)?,
                "crate" => {
                    if let Some(s) = string(cx, &meta, &key)? {
                        match s.parse::<syn::Path>() {
                            Ok(path) => out.krate = path,
                            Err(e) => cx.error_spanned_by(
                                &s,
                                format!("expected a path such as `\"::tally\"`: {e}"),
                            ),
                        }
                    }
                }
                "objective" => out.objective = Some(objective(cx, &meta, key)?),
                other => {
                    unknown(cx, &key, other, KEYS, "#[instrument]");
                    return skip(&meta);
                }
            }
            Ok(())
        });
        if let Err(e) = syn::parse::Parser::parse2(parser, args) {
            cx.syn_error(e);
        }
        out
    }
}

/// `objective(...)` after its key: the one parser of an objective, for
/// `#[tally::instrument(objective(...))]` and `#[metric(objective(...))]`.
pub fn objective(cx: &Ctxt, meta: &ParseNestedMeta, key: Ident) -> syn::Result<ObjectiveArgs> {
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

fn unknown(cx: &Ctxt, key: &Ident, name: &str, known: &[&str], within: &str) {
    let message = match closest(name, known) {
        Some(hint) => format!("unknown key `{name}` in `{within}`; did you mean `{hint}`?"),
        None => format!(
            "unknown key `{name}` in `{within}`; expected one of {}",
            list(known)
        ),
    };
    cx.error_spanned_by(key, message);
}

fn string(cx: &Ctxt, meta: &ParseNestedMeta, key: &Ident) -> syn::Result<Option<LitStr>> {
    if !meta.input.peek(syn::Token![=]) {
        cx.error_spanned_by(key, format!("expected `{key} = \"...\"`"));
        return skip(meta).map(|()| None);
    }
    match meta.value()?.parse::<Lit>()? {
        Lit::Str(s) => Ok(Some(s)),
        other => {
            cx.error_spanned_by(other, format!("expected a string: `{key} = \"...\"`"));
            Ok(None)
        }
    }
}

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

/// Consumes `= value` or `(...)` after a key that was reported.
fn skip(meta: &ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        meta.value()?.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in meta.input);
        let _: TokenStream = content.parse()?;
    }
    Ok(())
}
