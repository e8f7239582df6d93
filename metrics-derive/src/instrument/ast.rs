//! The instrumented item: a function (free, or a method written alone)
//! or an `impl` block whose functions are each instrumented.

use proc_macro2::TokenStream;
use syn::spanned::Spanned;

use crate::ctxt::Ctxt;

/// What the attribute is on.
pub enum Item {
    /// `fn`, `async fn`, or a method (`fn f(&self)`).
    Fn(syn::ItemFn),
    /// `impl Type { ... }` or `impl Trait for Type { ... }`.
    Impl(syn::ItemImpl),
}

impl Item {
    /// Parses the item, reporting anything else on its keyword.
    pub fn parse(cx: &Ctxt, tokens: TokenStream) -> Option<Item> {
        let item: syn::Item = match syn::parse2(tokens.clone()) {
            Ok(item) => item,
            Err(_) => {
                // A trait's method declaration (`fn f(&self);`) parses as
                // a foreign item only; anything else, rustc reports.
                cx.error_spanned_by(
                    tokens,
                    "`#[tally::instrument]` goes on a function with a body, a method or an `impl` block",
                );
                return None;
            }
        };
        let wrong = |token: &dyn quote::ToTokens, what: &str| {
            cx.error_spanned_by(
                token.to_token_stream(),
                format!(
                    "`#[tally::instrument]` goes on a function, a method or an `impl` block, not on {what}"
                ),
            );
            None
        };
        match item {
            syn::Item::Fn(f) => Some(Item::Fn(f)),
            syn::Item::Impl(i) => Some(Item::Impl(i)),
            syn::Item::Struct(s) => wrong(&s.struct_token, "a struct"),
            syn::Item::Enum(e) => wrong(&e.enum_token, "an enum"),
            syn::Item::Union(u) => wrong(&u.union_token, "a union"),
            syn::Item::Trait(t) => wrong(&t.trait_token, "a trait (instrument its impls)"),
            syn::Item::Mod(m) => wrong(&m.mod_token, "a module"),
            syn::Item::Const(c) => wrong(&c.const_token, "a constant"),
            syn::Item::Static(s) => wrong(&s.static_token, "a static"),
            syn::Item::Type(t) => wrong(&t.type_token, "a type alias"),
            other => {
                let span = other.span();
                cx.syn_error(syn::Error::new(
                    span,
                    "`#[tally::instrument]` goes on a function, a method or an `impl` block",
                ));
                None
            }
        }
    }
}

/// Whether `attr` is an `#[instrument]` (any path ending so) that a method
/// of an instrumented `impl` block carries for itself.
pub fn is_instrument(attr: &syn::Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|s| s.ident == "instrument")
}

/// The name of an `impl` block's self type (`Store` for `Store<T>`).
pub fn self_type_name(ty: &syn::Type) -> String {
    match ty {
        syn::Type::Path(p) => p
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default(),
        syn::Type::Reference(r) => self_type_name(&r.elem),
        other => quote::quote!(#other).to_string().replace(' ', ""),
    }
}
