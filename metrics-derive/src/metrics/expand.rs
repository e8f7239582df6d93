//! The tokens of a checked `#[derive(Metrics)]`: the constructor, the
//! `Collector` impl, `register`/`global`/`try_global`, and one const
//! assertion per family for its series budget.

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
    let budgets: Vec<TokenStream> = plan.fields.iter().filter_map(|f| budget(&p, f)).collect();
    let budget_block = (!budgets.is_empty()).then(|| budget_block(&budgets));
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
                let stats = #p::Arc::new(#ident::new());
                match #p::Registry::register_collector(registry, ::core::clone::Clone::clone(&stats) as #p::Arc<dyn #p::Collector>) {
                    ::core::result::Result::Ok(()) => ::core::result::Result::Ok(stats),
                    ::core::result::Result::Err(error) => ::core::result::Result::Err(error),
                }
            }

            /// The process-wide instance, registered into
            /// `Registry::global()` on first use. It never panics: if
            /// registration fails (a name already taken), the instance
            /// works but is not exported, and the error is printed once to
            /// stderr; `try_global()` returns it.
            pub fn global() -> &'static Self {
                &Self::__tally_global().0
            }

            /// The process-wide instance, or why it could not be
            /// registered into `Registry::global()`.
            pub fn try_global() -> ::core::result::Result<&'static Self, #p::RegistryError> {
                let (stats, result) = Self::__tally_global();
                match result {
                    ::core::result::Result::Ok(()) => ::core::result::Result::Ok(&**stats),
                    ::core::result::Result::Err(error) => ::core::result::Result::Err(::core::clone::Clone::clone(error)),
                }
            }

            #[doc(hidden)]
            fn __tally_global() -> &'static (
                #p::Arc<#ident>,
                ::core::result::Result<(), #p::RegistryError>,
            ) {
                static GLOBAL: #p::OnceLock<(
                    #p::Arc<#ident>,
                    ::core::result::Result<(), #p::RegistryError>,
                )> = #p::OnceLock::new();
                GLOBAL.get_or_init(|| {
                    let stats = #p::Arc::new(#ident::new());
                    let result = #p::Registry::register_collector(
                        #p::Registry::global(),
                        ::core::clone::Clone::clone(&stats) as #p::Arc<dyn #p::Collector>,
                    );
                    if let ::core::result::Result::Err(error) = &result {
                        #p::eprintln!(
                            "tally: {}::global() works but is not exported: {}",
                            #name,
                            error,
                        );
                    }
                    (stats, result)
                })
            }
        }

        #budget_block
    }
}

/// The field's initializer in `new()`.
fn init(p: &TokenStream, f: &FieldPlan) -> TokenStream {
    let member = f.field.member;
    let ty = f.field.ty;
    let window = f.window.map(|(nanos, buckets)| {
        let buckets = buckets as usize;
        quote! {
            match #p::Window::new(::core::time::Duration::from_nanos(#nanos), #buckets) {
                ::core::result::Result::Ok(window) => window,
                // Checked when the macro expanded; unreachable.
                ::core::result::Result::Err(error) => ::core::panic!("{}", error),
            }
        }
    });
    match (&f.histogram, window) {
        (Some(h), window) => {
            let config = config(p, h);
            let made = match window {
                Some(window) => quote!(<#ty>::new(#window, #config)),
                None => quote!(<#ty>::with_config(#config)),
            };
            quote! {
                #member: match #made {
                    ::core::result::Result::Ok(histogram) => histogram,
                    // Checked when the macro expanded; unreachable.
                    ::core::result::Result::Err(error) => ::core::panic!("{}", error),
                }
            }
        }
        (None, Some(window)) => quote_spanned!(ty.span()=> #member: <#ty>::new(#window)),
        (None, None) => {
            quote_spanned!(ty.span()=> #member: <#ty as ::core::default::Default>::default())
        }
    }
}

/// The histogram configuration expression.
fn config(p: &TokenStream, h: &HistogramPlan) -> TokenStream {
    let mut config = if h.seconds {
        let mut config = quote!(#p::HistogramConfig::seconds());
        if let Some(lowest) = h.lowest {
            config = quote!(#config.lowest(#lowest));
        }
        if let Some(highest) = h.highest {
            config = quote!(#config.highest(#highest));
        }
        config
    } else {
        let lowest = h.lowest.unwrap_or(1);
        let highest = h.highest.unwrap_or(super::valid::DEFAULT_RAW_HIGHEST);
        quote!(#p::HistogramConfig::raw(#lowest, #highest))
    };
    if let Some(precision) = h.precision {
        config = quote!(#config.precision(#precision));
    }
    if let Some(buckets) = &h.buckets {
        let b = buckets.iter().map(|v| Literal::f64_suffixed(*v));
        config = quote!(#config.buckets(&[#(#b),*]));
    }
    if let Some(quantiles) = &h.quantiles {
        let q = quantiles.iter().map(|v| Literal::f64_suffixed(*v));
        config = quote!(#config.quantiles(&[#(#q),*]));
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
    quote! {
        {
            static DESC: #p::Desc = #p::Desc::from_static(#name, #help, #unit);
            visit(&DESC, &self.#member);
        }
    }
}

/// The const assertion that the field's label set fits its budget,
/// spanned on the label type.
fn budget(p: &TokenStream, f: &FieldPlan) -> Option<TokenStream> {
    let labels = f.field.labels.as_ref()?;
    let budget = f.budget as usize;
    let before = format!("series budget exceeded: field `{}` has ", f.field.member);
    let after = format!(
        " series (the product of its labels' cardinalities), over its budget of {budget}; \
         use fewer or smaller labels, or raise the budget with `#[metric(max_series = N)]`"
    );
    let len = before.len() + after.len() + 20;
    Some(quote_spanned! {labels.span()=>
        const _: () = __tally_series_budget::<#len>(
            #before,
            #after,
            <#labels as #p::LabelSet>::CARDINALITY,
            #budget,
        );
    })
}

/// The budget assertions with the const fn that words their message
/// (const panics cannot format numbers, so it writes the digits itself).
fn budget_block(checks: &[TokenStream]) -> TokenStream {
    quote! {
        const _: () = {
            const fn __tally_series_budget<const N: ::core::primitive::usize>(
                before: &::core::primitive::str,
                after: &::core::primitive::str,
                cardinality: ::core::primitive::usize,
                budget: ::core::primitive::usize,
            ) {
                if cardinality <= budget {
                    return;
                }
                let mut buf = [0u8; N];
                let mut len = 0;
                let mut i = 0;
                let bytes = before.as_bytes();
                while i < bytes.len() {
                    buf[len] = bytes[i];
                    len += 1;
                    i += 1;
                }
                let mut digits = [0u8; 20];
                let mut count = 0;
                let mut n = cardinality;
                loop {
                    digits[count] = b'0' + (n % 10) as ::core::primitive::u8;
                    count += 1;
                    n /= 10;
                    if n == 0 {
                        break;
                    }
                }
                while count > 0 {
                    count -= 1;
                    buf[len] = digits[count];
                    len += 1;
                }
                let bytes = after.as_bytes();
                i = 0;
                while i < bytes.len() {
                    buf[len] = bytes[i];
                    len += 1;
                    i += 1;
                }
                match ::core::str::from_utf8(buf.split_at(len).0) {
                    ::core::result::Result::Ok(message) => ::core::panic!("{}", message),
                    ::core::result::Result::Err(_) => ::core::panic!("series budget exceeded"),
                }
            }
            #(#checks)*
        };
    }
}
