//! Service-level objectives as the attributes declare them: parsed
//! ([`args`]) and checked ([`rules`]), shared by `#[tally::instrument]`
//! and `#[derive(Metrics)]` fields.

mod args;
mod rules;

pub use args::{parse, ObjectiveArgs};
pub use rules::{check, Objective};
