//! The fund: capital in, budgets out to rounds, unused budget and returns back.
//!
//! Invariant (checked in `handle`, asserted in `apply`): budget allocated to rounds never
//! exceeds capital received + money returned + budget released − budget allocated before,
//! i.e. `available` never goes below zero.

mod aggregate;
mod commands;
mod error;
mod events;
mod priority;
#[cfg(test)]
mod tests;

pub use aggregate::Fund;
pub use commands::FundCommand;
pub use error::FundError;
pub use events::FundEvent;
pub use priority::{MAX_PRIORITY_AREAS, MAX_PRIORITY_LIST_NAME_CHARS};
