use crate::application::ApplicationStatus;
use crate::{ApplicationId, Date, RoundId};

/// Why a ballot refused a command. Messages never include the code or its hash.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BallotError {
    /// Said the same way whether the code was never issued or was issued for another
    /// round, so a guess learns nothing.
    #[error("this ballot code is not valid for round {0}")]
    InvalidCode(RoundId),
    #[error("this ballot code has already been used")]
    AlreadyCast,
    #[error("this ballot was issued for round {issued} (batch {batch}), not round {requested}")]
    IssuedElsewhere {
        issued: RoundId,
        batch: String,
        requested: RoundId,
    },
    #[error("round {0} is decided by its panel; it takes no ballots")]
    NotParticipatory(RoundId),
    #[error("round {0} is closed")]
    RoundClosed(RoundId),
    #[error("voting in round {0} has closed: its votes are being or have been allocated")]
    VotingClosed(RoundId),
    #[error("round {round} takes votes from {opens_on} to {closes_on}; {cast_on} is outside that window")]
    OutsideWindow {
        round: RoundId,
        opens_on: Date,
        closes_on: Date,
        cast_on: Date,
    },
    #[error("a ballot must choose at least one application")]
    NoChoices,
    #[error("a ballot chooses at most {max} applications, not {count}")]
    TooManyChoices { count: usize, max: usize },
    #[error("application {0} is chosen more than once on this ballot")]
    DuplicateChoice(ApplicationId),
    #[error("application {application} belongs to round {actual}, not {round}")]
    WrongRound {
        application: ApplicationId,
        round: RoundId,
        actual: RoundId,
    },
    #[error("application {application} is {status:?} and can't receive votes")]
    NotInContention {
        application: ApplicationId,
        status: ApplicationStatus,
    },
    #[error("{0} must not be empty")]
    MissingField(&'static str),
}
