//! An application to a round: submitted, scored by the panel, then approved (by the round,
//! which holds the budget), declined or withdrawn. Its own aggregate so a round with
//! thousands of applications never replays them for one command.

mod aggregate;
mod commands;
mod error;
mod events;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use aggregate::{Application, ApplicationServices, Submission};
pub use commands::{ApplicationCommand, RoundForSubmission, Score};
pub use error::ApplicationError;
pub use events::ApplicationEvent;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ApplicationStatus {
    /// Not yet submitted (the aggregate's default state).
    #[default]
    Draft,
    Submitted,
    Withdrawn,
    Declined,
    Approved,
}
