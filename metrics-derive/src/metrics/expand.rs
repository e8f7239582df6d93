//! The tokens of a checked `#[derive(Metrics)]`: the constructor, the
//! `Collector` impl, `register`/`global`/`try_global`, and one const
//! assertion per labeled family for its label names and series budget.

use proc_macro2::{Literal, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::ast::{Input, Kind};
use super::valid::{FieldPlan, HistogramPlan, Plan};

/// The implementation.
pub fn expand(input: &Input, plan: &Plan) -> TokenStream {
    let ident = input.ident;
    let krate = &input.krate;
    let p = quote!(#krate::__private);

    let inits = plan.fields.iter().map(|f| init(&p, f));
    let visits = plan.fields.iter().map(|f| visit(&p, f));
    let prefetches = plan.fields.iter().map(|f| prefetch(&p, f));
    let checks = plan.fields.iter().filter_map(|f| check(&p, f));
    let successes = plan.fields.iter().filter_map(|f| check_success(&p, f));
    let name = ident.to_string();

    quote! {
        #[automatically_derived]
        impl #p::Collector for #ident {
            fn for_each_family(
                &self,
                visit: &mut dyn ::core::ops::FnMut(&#p::Desc, &dyn #p::Metric),
            ) {
                #(#visits)*
            }

            fn prefetch(&self, depth: ::core::primitive::usize) {
                #(#prefetches)*
            }
        }

        #[automatically_derived]
        impl ::core::default::Default for #ident {
            fn default() -> Self {
                #ident::new()
            }
        }

        impl #ident {
            /// A new, unregistered instance: every family empty.
            pub fn new() -> Self {
                #ident {
                    #(#inits,)*
                }
            }

            /// A new instance with all its families registered into
            /// `registry`, or none of them if any name is taken (the
            /// registry is then unchanged).
            pub fn register(
                registry: &#p::Registry,
            ) -> ::core::result::Result<#p::Arc<Self>, #p::RegistryError> {
                #p::register(registry, #ident::new())
            }

            /// The process-wide instance, registered into
            /// `Registry::global()` on first use. It never panics: if
            /// registration fails (a name already taken), the instance
            /// works but is not exported, and the error is printed once to
            /// stderr; `try_global()` returns it.
            pub fn global() -> &'static Self {
                Self::__tally_global().get()
            }

            /// The process-wide instance, or why it could not be
            /// registered into `Registry::global()`.
            pub fn try_global() -> ::core::result::Result<&'static Self, #p::RegistryError> {
                Self::__tally_global().try_get()
            }

            #[doc(hidden)]
            fn __tally_global() -> &'static #p::Global<#ident> {
                static GLOBAL: #p::Global<#ident> = #p::Global::new(#ident::new, #name);
                &GLOBAL
            }
        }

        #(#checks)*
        #(#successes)*
    }
}

/// The field's initializer in `new()`.
fn init(p: &TokenStream, f: &FieldPlan) -> TokenStream {
    let member = f.field.member;
    let ty = f.field.ty;
    let window = f.window.map(|(nanos, slots)| {
        let slots = slots as usize;
        // Checked when the macro expanded; unreachable.
        quote! {
            ::core::result::Result::expect(
                #p::Window::new(::core::time::Duration::from_nanos(#nanos), #slots),
                "checked by #[derive(Metrics)]",
            )
        }
    });
    match (&f.histogram, window) {
        (Some(h), window) => {
            let config = config(p, h);
            let made = match window {
                Some(window) => quote!(<#ty>::with_config(#window, #config)),
                None => quote!(<#ty>::with_config(#config)),
            };
            // Checked when the macro expanded; unreachable. `expect` is
            // one instance per family type, where a `panic!` with the
            // error's `Display` was formatting code in every field.
            quote! {
                #member: ::core::result::Result::expect(#made, "checked by #[derive(Metrics)]")
            }
        }
        (None, Some(window)) => quote_spanned!(ty.span()=> #member: <#ty>::new(#window)),
        (None, None) => {
            quote_spanned!(ty.span()=> #member: <#ty as ::core::default::Default>::default())
        }
    }
}

/// The histogram configuration expression: the configuration the rules
/// checked, spelled out.
fn config(p: &TokenStream, h: &HistogramPlan) -> TokenStream {
    let c = h.config();
    let (lowest, highest) = (c.lowest(), c.highest());
    let scale = Literal::f64_suffixed(c.scale());
    // A precision the field gave in digits stays in digits (HdrHistogram's
    // own cells); the default is the core's, in bits.
    let precision = match h.precision {
        Some(digits) => quote!(.with_precision_digits(#digits)),
        None => {
            let bits = c.precision_bits();
            quote!(.with_precision_bits(#bits))
        }
    };
    let mut config =
        quote!(#p::HistogramConfig::raw(#lowest, #highest).with_scale(#scale)#precision);
    if let Some(buckets) = c.classic_buckets() {
        let b = buckets.iter().map(|v| Literal::f64_suffixed(*v));
        config = quote!(#config.with_classic_buckets(&[#(#b),*]));
    }
    if !c.quantiles().is_empty() {
        let q = c.quantiles().iter().map(|v| Literal::f64_suffixed(*v));
        config = quote!(#config.with_quantiles(&[#(#q),*]));
    }
    config
}

/// The field's part of `for_each_family`.
fn visit(p: &TokenStream, f: &FieldPlan) -> TokenStream {
    let member = f.field.member;
    let ty = f.field.ty;
    if f.field.kind == Some(Kind::Flatten) {
        let collector = quote_spanned!(ty.span()=> <#ty as #p::Collector>::for_each_family);
        if f.flatten_prefix.is_empty() {
            return quote!(#collector(&self.#member, &mut *visit););
        }
        let prefix = &f.flatten_prefix;
        return quote! {
            #collector(&self.#member, &mut |desc: &#p::Desc, metric: &dyn #p::Metric| {
                visit(&#p::Desc::prefixed(desc, #prefix), metric)
            });
        };
    }
    let name = &f.name;
    let help = &f.field.help;
    let unit = match &f.unit {
        Some(unit) => quote!(::core::option::Option::Some(#p::Unit::new(#unit))),
        None => quote!(::core::option::Option::None),
    };
    let mut desc = quote!(#p::Desc::from_static(#name, #help, #unit));
    if let Some(o) = &f.objective {
        let objective = o.objective.expr(&quote!(#p::instrument));
        desc = quote!(#desc.with_objective(#objective));
    }
    quote! {
        {
            static DESC: #p::Desc = #desc;
            visit(&DESC, &self.#member);
        }
    }
}

/// The field's part of `prefetch`: the families are the struct's own
/// fields, so the struct's depth is theirs.
fn prefetch(p: &TokenStream, f: &FieldPlan) -> TokenStream {
    let member = f.field.member;
    let ty = f.field.ty;
    // Spanned as `visit` is, so a field of the wrong type is reported
    // once, on its type.
    let prefetch = match f.field.kind == Some(Kind::Flatten) {
        true => quote_spanned!(ty.span()=> <#ty as #p::Collector>::prefetch),
        false => quote_spanned!(ty.span()=> <#ty as #p::Metric>::prefetch),
    };
    quote!(#prefetch(&self.#member, depth);)
}

/// The const evaluation that refuses a success objective on a family
/// whose label set has no `result` label, spanned on `success`.
fn check_success(p: &TokenStream, f: &FieldPlan) -> Option<TokenStream> {
    let labels = f.field.labels.as_ref()?;
    let span = f.objective.as_ref()?.success.as_ref()?.span();
    let member = f.field.member.to_string();
    let member = member.strip_prefix("r#").unwrap_or(&member);
    let p: TokenStream = p
        .clone()
        .into_iter()
        .map(|mut t| {
            t.set_span(span);
            t
        })
        .collect();
    Some(quote_spanned! {span=>
        const _: () = #p::check_success_family::<#labels>(#member);
    })
}

/// The const evaluation that refuses what the registry would refuse of
/// the field's label set (invalid or repeated label names, known only as
/// trait constants) and a series count over its budget, spanned on the
/// label type.
fn check(p: &TokenStream, f: &FieldPlan) -> Option<TokenStream> {
    let labels = f.field.labels.as_ref()?;
    // An unlabeled family (`()`, also what a family type without
    // arguments means) has one series and no label names: nothing to
    // evaluate, and a const item less per field to type-check.
    if matches!(labels, syn::Type::Tuple(t) if t.elems.is_empty()) {
        return None;
    }
    let budget = f.budget as usize;
    let member = f.field.member.to_string();
    let member = member.strip_prefix("r#").unwrap_or(&member);
    // The whole call carries the label type's span, so rustc reports a
    // failed evaluation there.
    let span = labels.span();
    let p: TokenStream = p
        .clone()
        .into_iter()
        .map(|mut t| {
            t.set_span(span);
            t
        })
        .collect();
    Some(quote_spanned! {span=>
        const _: () = #p::check_family::<#labels>(#member, #budget);
    })
}
