//! The attribute's arguments: `name = "..."`, `crate = "..."` and
//! `objective(success = 99.9, latency = "250ms", latency_target = 99.0,
//! window = "30d")`. Unknown keys get a "did you mean"; repeated keys are
//! refused; every error is spanned on its key or value.

use proc_macro2::TokenStream;
use syn::{Ident, LitStr};

use crate::attr::default_crate;
use crate::ctxt::Ctxt;
use crate::nested::{skip, string, unknown};
use crate::objective::{self, ObjectiveArgs};

const KEYS: &[&str] = &["name", "objective", "crate"];

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
                "objective" => out.objective = Some(objective::parse(cx, &meta, key)?),
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
