//! The tokens of an instrumented function: a `static` describing it (its
//! name and objective, constants), submitted to the program's list of
//! instrumented functions at link time, and a body that starts a call guard,
//! runs the original body (a closure for a function, an `async` block for
//! an `async fn`, so `return` and `?` keep their meaning), and finishes the
//! guard with the verdict of the returned value. A future dropped before
//! it completes drops the guard unfinished: counted as cancelled.

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};

use super::ast::{is_instrument, self_type_name, Item};
use super::attr::Args;
use super::valid::{self, Plan};
use crate::ctxt::Ctxt;
use crate::objective::Objective;

/// The implementation.
pub fn expand(args: &Args, item: &Item, plan: &Plan) -> TokenStream {
    match item {
        Item::Fn(f) => {
            let name = match &args.name {
                Some(name) => name.value(),
                None => f.sig.ident.to_string(),
            };
            let mut f = f.clone();
            f.block = Box::new(body(&args.krate, &name, plan.objective, &f.sig, &f.block));
            f.into_token_stream()
        }
        Item::Impl(i) => {
            let mut i = i.clone();
            let ty = self_type_name(&i.self_ty);
            for item in &mut i.items {
                let syn::ImplItem::Fn(f) = item else { continue };
                let own = f.attrs.iter().position(is_instrument).map(|at| {
                    let attr = f.attrs.remove(at);
                    let tokens = match attr.meta {
                        syn::Meta::List(list) => list.tokens,
                        _ => TokenStream::new(),
                    };
                    // Checked (without errors) by `valid`.
                    let cx = Ctxt::new();
                    let own = Args::parse(&cx, tokens);
                    let objective = own
                        .objective
                        .as_ref()
                        .and_then(|o| valid::objective(&cx, o));
                    let _ = cx.check();
                    (own, objective)
                });
                if f.sig.constness.is_some() {
                    continue;
                }
                let (name, objective, krate) = match own {
                    Some((own, objective)) => (
                        own.name.map(|n| n.value()),
                        objective.or(plan.objective),
                        own.krate,
                    ),
                    None => (None, plan.objective, args.krate.clone()),
                };
                let name = name.unwrap_or_else(|| format!("{ty}::{}", f.sig.ident));
                f.block = body(&krate, &name, objective, &f.sig, &f.block);
            }
            i.into_token_stream()
        }
    }
}

/// The instrumented body of a function with signature `sig`.
fn body(
    krate: &syn::Path,
    name: &str,
    objective: Option<Objective>,
    sig: &syn::Signature,
    block: &syn::Block,
) -> syn::Block {
    let p = quote!(#krate::__private::instrument);
    let objective = Objective::tokens(objective, &p);
    // The return type, when it can be written in a `let` (not `impl
    // Trait`): it lets `?` in the body infer its error conversion.
    let annotation = match &sig.output {
        syn::ReturnType::Default => quote!(: ()),
        syn::ReturnType::Type(_, ty) if !mentions_impl(ty) => quote!(: #ty),
        syn::ReturnType::Type(..) => quote!(),
    };
    let run = if sig.asyncness.is_some() {
        quote!(async move #block.await)
    } else {
        quote!((move || #block)())
    };
    syn::parse_quote!({
        static __TALLY_FUNCTION: #p::Function =
            #p::Function::new(#name, ::core::module_path!(), #objective);
        // Listed at link time: rules and dashboards see the function
        // before its first call.
        #p::submit! { #p::Linked(&__TALLY_FUNCTION) }
        let __tally_call = __TALLY_FUNCTION.start();
        let __tally_out #annotation = #run;
        {
            #[allow(unused_imports, clippy::needless_borrow)]
            use #p::{ViaAny as _, ViaLabel as _, ViaResult as _};
            __tally_call.finish((&&&#p::Probe(&__tally_out)).__tally_verdict());
        }
        __tally_out
    })
}

/// Whether `ty` contains `impl Trait` (which a `let` cannot name).
fn mentions_impl(ty: &syn::Type) -> bool {
    fn walk(tokens: TokenStream) -> bool {
        tokens.into_iter().any(|t| match t {
            proc_macro2::TokenTree::Ident(i) => i == "impl",
            proc_macro2::TokenTree::Group(g) => walk(g.stream()),
            _ => false,
        })
    }
    walk(ty.to_token_stream())
}
