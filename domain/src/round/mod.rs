//! A funding round: a budget set aside by the fund, a window, eligible areas and themes.
//! It keeps only counters (budget, awarded, remaining) and the ids it has already
//! approved, so its state does not grow with the number of applications: applications are
//! aggregates of their own.
//!
//! Invariant: awarded never exceeds budget (Σ approved + Σ increases − Σ cuts ≤ budget).

mod aggregate;
mod commands;
mod error;
mod events;
#[cfg(test)]
mod tests;

pub use aggregate::Round;
pub use commands::{
    ApplicationFacts, DecisionMode, LogPlace, PanelSeesScores, RoundCommand, RoundTerms,
    VoteCandidate,
};
pub use error::RoundError;
pub use events::{RoundEvent, VoteLine, VoteOutcome};
