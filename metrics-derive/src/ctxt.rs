//! An error accumulator (serde_derive's `Ctxt`): every check reports into
//! it and carries on, so a user sees all their mistakes at once. It must be
//! consumed with [`Ctxt::check`]; dropping it unchecked is a bug in the
//! macro and panics.

use std::cell::{Cell, RefCell};
use std::fmt::Display;

use proc_macro2::TokenStream;
use quote::ToTokens;

/// Collects spanned errors during parsing and validation.
#[derive(Default)]
pub struct Ctxt {
    errors: RefCell<Option<Vec<syn::Error>>>,
    silent: Cell<bool>,
}

impl Ctxt {
    /// A fresh accumulator.
    pub fn new() -> Self {
        Ctxt {
            errors: RefCell::new(Some(Vec::new())),
            silent: Cell::new(false),
        }
    }

    /// Records an error spanned on `tokens`.
    pub fn error_spanned_by<T: ToTokens, M: Display>(&self, tokens: T, message: M) {
        self.syn_error(syn::Error::new_spanned(tokens.into_token_stream(), message));
    }

    /// Records a `syn` error (e.g. from parsing an attribute).
    pub fn syn_error(&self, error: syn::Error) {
        self.errors
            .borrow_mut()
            .as_mut()
            .expect("Ctxt used after check")
            .push(error);
    }

    /// Fails the expansion without a message of its own, for mistakes
    /// rustc is certain to report itself (e.g. an ill-formed field type):
    /// the output is then only the stubs, and rustc's error stands alone.
    pub fn fail_silently(&self) {
        self.silent.set(true);
    }

    /// Whether any error has been recorded so far.
    pub fn has_errors(&self) -> bool {
        self.errors
            .borrow()
            .as_ref()
            .is_some_and(|errors| !errors.is_empty())
    }

    /// Consumes the accumulator: `Err` with every error, as one
    /// `compile_error!` stream, if any was recorded.
    pub fn check(self) -> Result<(), TokenStream> {
        let errors = self.errors.borrow_mut().take().expect("Ctxt checked twice");
        if errors.is_empty() && !self.silent.get() {
            return Ok(());
        }
        Err(errors.into_iter().map(|e| e.to_compile_error()).collect())
    }
}

impl Drop for Ctxt {
    fn drop(&mut self) {
        if !std::thread::panicking() && self.errors.borrow().is_some() {
            panic!("forgot to check for errors");
        }
    }
}
