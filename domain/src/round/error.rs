use crate::application::ApplicationStatus;
use crate::{ApplicationId, AwardId, Money, RoundId};

/// Why a round refused a command. Ids in errors are the round's own; before the round
/// opens it has none, and the id is empty unless the command named one.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RoundError {
    #[error("round {0} does not exist")]
    NotOpened(RoundId),
    #[error("round {0} is already open with a different budget or terms")]
    OpenedDifferently(RoundId),
    #[error("round {0} is closed")]
    Closed(RoundId),
    #[error("round {round} closes on {closes_on}, before it opens on {opens_on}")]
    DatesOutOfOrder {
        round: RoundId,
        opens_on: String,
        closes_on: String,
    },
    #[error("a round needs a name")]
    MissingName,
    #[error("a round's budget must be above £0.00")]
    ZeroBudget,
    #[error("application {application} belongs to round {actual}, not {round}")]
    WrongRound {
        application: ApplicationId,
        round: RoundId,
        actual: RoundId,
    },
    #[error("application {0} was already approved")]
    AlreadyApproved(ApplicationId),
    #[error("application {application} is {status:?} and can't be approved")]
    NotPending {
        application: ApplicationId,
        status: ApplicationStatus,
    },
    #[error("an approval of £0.00 awards nothing; give an amount above zero")]
    ZeroAmount,
    #[error("approving {amount} exceeds the {requested} that application {application} requested")]
    ExceedsRequest {
        amount: Money,
        requested: Money,
        application: ApplicationId,
    },
    #[error("approving {amount} exceeds the {remaining} remaining in round {round}'s budget")]
    OverBudget {
        amount: Money,
        remaining: Money,
        round: RoundId,
    },
    #[error("application {application} has {have} panel scores; round {round} needs {need} before a decision")]
    QuorumNotMet {
        application: ApplicationId,
        have: u32,
        need: u32,
        round: RoundId,
    },
    #[error("{0} must not be empty")]
    MissingField(&'static str),
    #[error("award {award} was not made from an approval in round {round}")]
    UnknownAward { award: AwardId, round: RoundId },
    #[error(
        "round {0} is decided by residents' votes: use allocateByVotes, not approveApplication"
    )]
    DecidedByVotes(RoundId),
    #[error("round {0} is decided by its panel; it has no ballots or votes")]
    NotParticipatory(RoundId),
    #[error("voting in round {0} has closed")]
    VotingClosed(RoundId),
    #[error("voting in round {0} is still open; it closes when allocateByVotes starts")]
    VotingOpen(RoundId),
    #[error("round {0}'s votes were already allocated")]
    AlreadyAllocated(RoundId),
    #[error("issue between 1 and {max} ballot codes at a time, not {count}")]
    BallotCodeCount { count: usize, max: usize },
    #[error("a ballot code appears twice in this batch")]
    DuplicateBallotCode,
    #[error("application {0} is listed twice among the vote candidates")]
    DuplicateCandidate(ApplicationId),
}
