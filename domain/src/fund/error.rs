use crate::outcome::{FractionError, MAX_DURATION_YEARS, MIN_DURATION_YEARS};
use crate::{DateError, FundId, Money, RoundId};

/// Why a fund refused a command. Messages are read by fund officers.
///
/// Ids in errors are the fund's own; before the fund is established it has none, and the
/// id is empty (the caller knows the id it asked for).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FundError {
    #[error("fund {0} already exists")]
    AlreadyEstablished(FundId),
    #[error("fund {0} has not been established")]
    NotEstablished(FundId),
    #[error("{0} must not be empty")]
    MissingField(&'static str),
    #[error("an amount of £0.00 records nothing; give an amount above zero")]
    ZeroAmount,
    #[error(
        "allocating {requested} to round {round} exceeds the {available} available in fund {fund}"
    )]
    InsufficientFunds {
        requested: Money,
        available: Money,
        round: RoundId,
        fund: FundId,
    },
    #[error("round {0} already has a budget from this fund")]
    RoundAlreadyAllocated(RoundId),
    #[error("capital tranche {0} was already received")]
    DuplicateTranche(String),
    #[error("releasing {amount} from round {round} to fund {fund} exceeds the {allocated} that round still holds")]
    ReleaseExceedsAllocation {
        amount: Money,
        allocated: Money,
        round: RoundId,
        fund: FundId,
    },
    #[error("round {round}'s terms name fund {terms_fund}, not {fund}")]
    TermsForOtherFund {
        round: RoundId,
        terms_fund: FundId,
        fund: FundId,
    },
    #[error("round {round} closes on {closes_on}, before it opens on {opens_on}")]
    RoundDatesOutOfOrder {
        round: RoundId,
        opens_on: String,
        closes_on: String,
    },
    #[error("round {round} has no budget from fund {fund}, so nothing can be released from it")]
    UnknownRound { round: RoundId, fund: FundId },
    #[error(transparent)]
    Date(#[from] DateError),
    #[error("the amount would pass the largest amount the ledger holds")]
    Overflow,
    #[error("{field} must be a share from 0 to 1: {error}")]
    InvalidShare {
        field: &'static str,
        error: FractionError,
    },
    #[error("an outcome lasting {years} years can't be valued; give {MIN_DURATION_YEARS} to {MAX_DURATION_YEARS} years")]
    DurationOutOfRange { years: u32 },
    #[error("a priority list of {count} areas is too long; at most {max} are accepted")]
    TooManyPriorityAreas { count: usize, max: usize },
    #[error("{field} has {chars} characters; at most {max} are accepted")]
    TooLong {
        field: &'static str,
        chars: usize,
        max: usize,
    },
}
