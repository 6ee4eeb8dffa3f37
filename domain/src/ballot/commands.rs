use serde::{Deserialize, Serialize};

use crate::application::ApplicationStatus;
use crate::round::DecisionMode;
use crate::{ApplicationId, Date, RoundId};

/// The round as the application layer read it just before a ballot is cast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundForBallot {
    pub round_id: RoundId,
    pub decision_mode: DecisionMode,
    /// Opened and not closed.
    pub is_open: bool,
    /// `allocateByVotes` has started: the tally is being or has been taken.
    pub voting_closed: bool,
    pub opens_on: Date,
    pub closes_on: Date,
}

/// One application a ballot chooses, as the application layer read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BallotChoice {
    pub application_id: ApplicationId,
    pub round_id: RoundId,
    pub status: ApplicationStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum BallotCommand {
    /// Second half of the round's `BallotCodesIssued`. Idempotent: issuing an issued ballot
    /// for the same round and batch emits nothing.
    Issue {
        round_id: RoundId,
        batch_id: String,
        issued_on: Date,
    },
    /// Vote once, while the round is open and inside its window, for 1 to
    /// `MAX_CHOICES_PER_BALLOT` distinct applications of the round still in contention.
    Cast {
        round: RoundForBallot,
        choices: Vec<BallotChoice>,
        cast_on: Date,
    },
}
