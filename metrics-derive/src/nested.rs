//! Values inside nested attribute lists (`key = "..."`, `key(...)`), for
//! the parsers of `#[tally::instrument(...)]` and `objective(...)`: each
//! mistake reported into the context, spanned on its key or value, and
//! the value skipped so parsing goes on.

use proc_macro2::TokenStream;
use syn::meta::ParseNestedMeta;
use syn::{Ident, Lit, LitStr};

use crate::ctxt::Ctxt;
use crate::suggest::{closest, list};

/// Reports an unknown `key` of `within` with the closest known one.
pub fn unknown(cx: &Ctxt, key: &Ident, name: &str, known: &[&str], within: &str) {
    let message = match closest(name, known) {
        Some(hint) => format!("unknown key `{name}` in `{within}`; did you mean `{hint}`?"),
        None => format!(
            "unknown key `{name}` in `{within}`; expected one of {}",
            list(known)
        ),
    };
    cx.error_spanned_by(key, message);
}

/// The string after `key =`, or `None` (reported).
pub fn string(cx: &Ctxt, meta: &ParseNestedMeta, key: &Ident) -> syn::Result<Option<LitStr>> {
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

/// Consumes `= value` or `(...)` after a key that was reported.
pub fn skip(meta: &ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        meta.value()?.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in meta.input);
        let _: TokenStream = content.parse()?;
    }
    Ok(())
}
