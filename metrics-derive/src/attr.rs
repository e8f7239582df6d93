//! Attribute parsing shared by the three derives: `#[name(key = value,
//! flag, ...)]` lists whose unknown keys get a "did you mean" and whose
//! repeated keys are refused, each error spanned on the key.

use syn::{Attribute, Expr, ExprLit, Ident, Lit, LitInt, LitStr, Token};

use crate::ctxt::Ctxt;
use crate::nested::skip;
use crate::objective::{self, ObjectiveArgs};
use crate::suggest::{closest, list};

/// One `key` or `key = value` of an attribute list.
pub struct Entry {
    /// The key, for spans and messages.
    pub key: Ident,
    /// The value after `=`, if any.
    pub value: Option<Expr>,
    /// The arguments of `objective(...)` (the one key written as a list).
    pub objective: Option<ObjectiveArgs>,
}

/// The entries of every `#[name(...)]` attribute on one item, keys
/// checked against `known`.
pub struct Attrs {
    entries: Vec<Entry>,
    attr: &'static str,
}

impl Attrs {
    /// Parses every `#[attr(...)]` in `attrs`. Unknown and repeated keys
    /// are reported into `cx` and left out.
    pub fn parse(cx: &Ctxt, attrs: &[Attribute], attr: &'static str, known: &[&str]) -> Attrs {
        let mut entries: Vec<Entry> = Vec::new();
        for a in attrs.iter().filter(|a| a.path().is_ident(attr)) {
            if let syn::Meta::Path(path) = &a.meta {
                cx.error_spanned_by(
                    path,
                    format!("expected `#[{attr}(...)]` with at least one key inside"),
                );
                continue;
            }
            let result = a.parse_nested_meta(|meta| {
                let key = match meta.path.get_ident() {
                    Some(key) => key.clone(),
                    None => {
                        cx.error_spanned_by(&meta.path, format!("expected a key of `#[{attr}]`"));
                        skip(&meta)?;
                        return Ok(());
                    }
                };
                let name = key.to_string();
                let mut objective = None;
                let value = if meta.input.peek(Token![=]) {
                    Some(meta.value()?.parse::<Expr>()?)
                } else if name == "objective" && known.contains(&"objective") {
                    // The same parser as `#[tally::instrument(objective(...))]`.
                    let key = key.clone();
                    objective = Some(objective::parse(cx, &meta, key)?);
                    None
                } else if meta.input.peek(syn::token::Paren) {
                    skip(&meta)?;
                    cx.error_spanned_by(&key, format!("expected `{name} = ...`"));
                    return Ok(());
                } else {
                    None
                };
                if !known.contains(&name.as_str()) {
                    let mut message = format!(
                        "unknown key `{name}` in `#[{attr}]`; expected one of {}",
                        list(known)
                    );
                    if let Some(hint) = closest(&name, known) {
                        message =
                            format!("unknown key `{name}` in `#[{attr}]`; did you mean `{hint}`?");
                    }
                    cx.error_spanned_by(&key, message);
                } else if entries.iter().any(|e| e.key == key) {
                    cx.error_spanned_by(&key, format!("duplicate `{name}` in `#[{attr}]`"));
                } else {
                    entries.push(Entry {
                        key,
                        value,
                        objective,
                    });
                }
                Ok(())
            });
            if let Err(e) = result {
                cx.syn_error(e);
            }
        }
        Attrs { entries, attr }
    }

    /// Removes and returns the entry `key`, if present.
    pub fn take(&mut self, key: &str) -> Option<Entry> {
        let i = self.entries.iter().position(|e| e.key == key)?;
        Some(self.entries.remove(i))
    }

    /// The keys present (in order), for checks over all of them.
    pub fn keys(&self) -> Vec<Ident> {
        self.entries.iter().map(|e| e.key.clone()).collect()
    }

    /// The remaining entries (those no accessor took).
    pub fn rest(&mut self) -> Vec<Entry> {
        std::mem::take(&mut self.entries)
    }

    /// `key = "string"`, reported if it has no string value.
    pub fn string(&mut self, cx: &Ctxt, key: &str) -> Option<LitStr> {
        let entry = self.take(key)?;
        match entry.value {
            Some(Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            })) => Some(s),
            Some(other) => {
                cx.error_spanned_by(other, format!("expected a string: `{key} = \"...\"`"));
                None
            }
            None => {
                cx.error_spanned_by(&entry.key, format!("expected `{key} = \"...\"`"));
                None
            }
        }
    }

    /// `key = 123`, reported if it has no integer value or it overflows.
    pub fn int(&mut self, cx: &Ctxt, key: &str) -> Option<(u64, LitInt)> {
        let entry = self.take(key)?;
        match entry.value {
            Some(Expr::Lit(ExprLit {
                lit: Lit::Int(i), ..
            })) => match i.base10_parse::<u64>() {
                Ok(v) => Some((v, i)),
                Err(e) => {
                    cx.syn_error(e);
                    None
                }
            },
            Some(other) => {
                cx.error_spanned_by(other, format!("expected an integer: `{key} = 123`"));
                None
            }
            None => {
                cx.error_spanned_by(&entry.key, format!("expected `{key} = <integer>`"));
                None
            }
        }
    }

    /// `objective(...)`, parsed (its rules are checked later).
    pub fn objective(&mut self) -> Option<ObjectiveArgs> {
        self.take("objective")?.objective
    }

    /// A bare `key`, reported if it has a value.
    pub fn flag(&mut self, cx: &Ctxt, key: &str) -> Option<Ident> {
        let entry = self.take(key)?;
        if let Some(value) = entry.value {
            cx.error_spanned_by(
                value,
                format!("`{key}` takes no value: write `#[{}({key})]`", self.attr),
            );
        }
        Some(entry.key)
    }

    /// `crate = "path"`: the facade path generated code uses (default
    /// `::tally`).
    pub fn krate(&mut self, cx: &Ctxt) -> syn::Path {
        match self.string(cx, "crate") {
            Some(s) => s.parse::<syn::Path>().unwrap_or_else(|e| {
                cx.error_spanned_by(&s, format!("expected a path such as `\"::tally\"`: {e}"));
                default_crate()
            }),
            None => default_crate(),
        }
    }
}

/// The generics of a stub impl: the input's, plus `Self: Send + Sync +
/// 'static` when there are parameters (the traits' supertraits, which a
/// generic type may not meet unconditionally).
pub fn stub_generics(generics: &syn::Generics) -> syn::Generics {
    let mut generics = generics.clone();
    if !generics.params.is_empty() {
        generics
            .make_where_clause()
            .predicates
            .push(syn::parse_quote!(Self: ::core::marker::Send + ::core::marker::Sync + 'static));
    }
    generics
}

/// `::tally`.
pub fn default_crate() -> syn::Path {
    syn::parse_quote!(::tally)
}

/// Doc comment lines (`///` or `#[doc = "..."]`), trimmed, blank lines
/// dropped, joined with one space.
pub fn doc_text(attrs: &[Attribute]) -> String {
    let mut lines = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("doc")) {
        if let syn::Meta::NameValue(nv) = &attr.meta {
            if let Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            }) = &nv.value
            {
                for line in s.value().lines() {
                    let line = line.trim();
                    if !line.is_empty() {
                        lines.push(line.to_owned());
                    }
                }
            }
        }
    }
    lines.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_you_mean() {
        assert_eq!(closest("prefx", &["prefix", "crate"]), Some("prefix"));
        assert_eq!(
            closest("max_serie", &["max_series", "name"]),
            Some("max_series")
        );
        assert_eq!(closest("zzzzzz", &["prefix", "crate"]), None);
        assert_eq!(closest("Name", &["name"]), Some("name"));
    }
}
