//! `#[derive(LabelSet)]`: a struct of `LabelValue` fields as the labels of
//! a family, named after the fields, first field most significant.
//!
//! A field whose type is not a `LabelValue` is a type error reported by
//! the trait's own message, spanned on the field's type (the derive only
//! names the type; rustc does the rest).

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields};

use crate::attr::Attrs;
use crate::ctxt::Ctxt;

/// Entry point: `impl LabelSet`, or errors plus a stub.
pub fn derive(input: &DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let mut attrs = Attrs::parse(&cx, &input.attrs, "label", &["crate"]);
    let krate = attrs.krate(&cx);
    let ident = &input.ident;

    // Rule: not generic (a label set's cardinality must be a constant).
    if !input.generics.params.is_empty() {
        cx.error_spanned_by(
            &input.generics,
            "`LabelSet` cannot be derived for a generic struct: a label set must be fixed",
        );
    }

    // Rule: a struct with named fields; the names become label names.
    let mut fields = Vec::new();
    match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(named) => {
                for f in &named.named {
                    let mut fattrs = Attrs::parse(&cx, &f.attrs, "label", &["rename"]);
                    let field = f.ident.as_ref().expect("named field");
                    let name = match fattrs.string(&cx, "rename") {
                        Some(lit) => (
                            crate::label_value::explicit_label_name(&cx, &lit),
                            quote!(#lit),
                        ),
                        None => {
                            let name = field.to_string();
                            let name = name.strip_prefix("r#").unwrap_or(&name).to_owned();
                            if let Err(reason) = tally_core::name::check_label_name(&name) {
                                cx.error_spanned_by(
                                    field,
                                    format!("field `{name}` is not a valid label name: {reason}; rename it with `#[label(rename = \"...\")]`"),
                                );
                            }
                            (name, quote!(#field))
                        }
                    };
                    fields.push((f, name));
                }
            }
            other => cx.error_spanned_by(
                other,
                "`LabelSet` is derived for structs with named fields: the field names are the label names",
            ),
        },
        Data::Enum(e) => cx.error_spanned_by(
            e.enum_token,
            "`LabelSet` is derived for structs of labels; for a fieldless enum use `#[derive(LabelValue)]`",
        ),
        Data::Union(u) => cx.error_spanned_by(u.union_token, "`LabelSet` is derived for structs, not unions"),
    }

    // Rule: label names are unique within the set.
    for (i, (_, (name, tokens))) in fields.iter().enumerate() {
        if fields[..i].iter().any(|(_, (n, _))| n == name) {
            cx.error_spanned_by(
                tokens,
                format!("label name \"{name}\" appears twice in this label set"),
            );
        }
    }

    let p = quote!(#krate::__private);
    let usize_ = quote!(::core::primitive::usize);
    if let Err(errors) = cx.check() {
        // The stub keeps the type usable as a label elsewhere, so its uses
        // do not add errors to the real one.
        let generics = crate::attr::stub_generics(&input.generics);
        let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
        return quote! {
            #errors
            #[automatically_derived]
            impl #impl_generics #p::LabelSet for #ident #ty_generics #where_clause {
                const CARDINALITY: #usize_ = 1;
                const DESC: &'static #p::LabelDesc = &#p::LabelDesc { names: &[], values: &[], dynamic: &[] };
                fn index(&self) -> #usize_ {
                    ::core::unreachable!()
                }
                fn from_index(_: #usize_) -> ::core::option::Option<Self> {
                    ::core::option::Option::None
                }
            }
        };
    }

    // Each field's type as a `LabelValue`, spanned on the type so an
    // unbounded type is reported there.
    let value = |ty: &syn::Type| quote_spanned!(ty.span()=> <#ty as #p::LabelValue>);
    let names = fields.iter().map(|(_, (name, _))| name);
    let tys: Vec<TokenStream> = fields.iter().map(|(f, _)| value(&f.ty)).collect();
    let members: Vec<&syn::Ident> = fields
        .iter()
        .map(|(f, _)| f.ident.as_ref().unwrap())
        .collect();
    // Locals that cannot clash with `index` and `rest` whatever the fields
    // are called.
    let locals: Vec<syn::Ident> = (0..fields.len())
        .map(|i| quote::format_ident!("__tally_label_{}", i))
        .collect();
    quote! {
        #[automatically_derived]
        impl #p::LabelSet for #ident {
            const CARDINALITY: #usize_ = 1 #(* #tys::CARDINALITY)*;
            const EXPIRING: #usize_ = 0 #(+ #tys::EXPIRES as #usize_)*;
            const DESC: &'static #p::LabelDesc = &#p::LabelDesc {
                names: &[#(#names),*],
                values: &[#(#tys::VALUES),*],
                dynamic: &[#(#tys::DYNAMIC),*],
            };

            #[inline(always)]
            fn index(&self) -> #usize_ {
                let mut index: #usize_ = 0;
                #(index = index * #tys::CARDINALITY + #tys::ordinal(&self.#members);)*
                index
            }

            #[inline(always)]
            fn generation(&self) -> ::core::primitive::u32 {
                0 #(| #tys::generation(&self.#members))*
            }

            fn from_index(index: #usize_) -> ::core::option::Option<Self> {
                if index >= <Self as #p::LabelSet>::CARDINALITY {
                    return ::core::option::Option::None;
                }
                let mut rest: #usize_ = <Self as #p::LabelSet>::CARDINALITY;
                #(
                    rest /= #tys::CARDINALITY;
                    let #locals = match #tys::from_ordinal((index / rest) % #tys::CARDINALITY) {
                        ::core::option::Option::Some(value) => value,
                        ::core::option::Option::None => return ::core::option::Option::None,
                    };
                )*
                ::core::option::Option::Some(#ident { #(#members: #locals),* })
            }
        }
    }
}
