use domain::application::ApplicationError;
use domain::award::AwardError;
use domain::ballot::BallotError;
use domain::fund::FundError;
use domain::round::RoundError;

use crate::database::StoreError;
use crate::event_store::CommandError;

/// What kind of failure an error is, for clients (API.md's `extensions.code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    BadInput,
    NotFound,
    Forbidden,
    /// A rule of the ledger would break: over budget, over award, wrong state.
    Conflict,
    /// Lost a race too many times; retrying is safe.
    Concurrency,
    /// The store could not be reached (down, restarting): retry later with the same
    /// idempotency key; a write whose answer was lost is then applied once.
    Unavailable,
    /// The store refuses writes until an operator repairs it (a restored log); retrying
    /// the same request later, with the same idempotency key, is safe.
    NeedsRepair,
    Internal,
}

/// Why a ledger operation was refused or failed. Nothing was written in any case except
/// `Store` after a first half committed, whose second half the process manager completes.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error(transparent)]
    Fund(FundError),
    #[error(transparent)]
    Round(RoundError),
    #[error(transparent)]
    Application(ApplicationError),
    #[error(transparent)]
    Award(AwardError),
    #[error(transparent)]
    Ballot(BallotError),
    #[error("{kind} {id} does not exist")]
    NotFound { kind: &'static str, id: String },
    #[error("{0}")]
    BadInput(String),
    #[error("{0}")]
    Concurrency(String),
    #[error("idempotency key '{0}' was already used for a different request")]
    KeyReused(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl LedgerError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            LedgerError::Fund(error) => fund_error_kind(error),
            LedgerError::Round(error) => round_error_kind(error),
            LedgerError::Application(error) => application_error_kind(error),
            LedgerError::Award(error) => award_error_kind(error),
            LedgerError::Ballot(error) => ballot_error_kind(error),
            LedgerError::NotFound { .. } => ErrorKind::NotFound,
            LedgerError::BadInput(_) => ErrorKind::BadInput,
            LedgerError::Concurrency(_) => ErrorKind::Concurrency,
            LedgerError::KeyReused(_) => ErrorKind::Conflict,
            LedgerError::Store(error) if error.is_unavailable() => ErrorKind::Unavailable,
            // A refused write (a full disk) recorded nothing: the same request may be
            // sent again once the store writes, as after an outage.
            LedgerError::Store(error) if error.is_unwritable() => ErrorKind::Unavailable,
            LedgerError::Store(StoreError::RestoredLogNeedsRepair(_)) => ErrorKind::NeedsRepair,
            LedgerError::Store(_) => ErrorKind::Internal,
        }
    }
}

fn fund_error_kind(error: &FundError) -> ErrorKind {
    match error {
        FundError::NotEstablished(_) => ErrorKind::NotFound,
        FundError::MissingField(_)
        | FundError::ZeroAmount
        | FundError::InvalidShare { .. }
        | FundError::DurationOutOfRange { .. }
        | FundError::TooLong { .. }
        | FundError::TooManyPriorityAreas { .. }
        | FundError::Date(_) => ErrorKind::BadInput,
        _ => ErrorKind::Conflict,
    }
}

fn round_error_kind(error: &RoundError) -> ErrorKind {
    match error {
        RoundError::NotOpened(_) => ErrorKind::NotFound,
        RoundError::MissingName
        | RoundError::ZeroBudget
        | RoundError::ZeroAmount
        | RoundError::DatesOutOfOrder { .. }
        | RoundError::WrongRound { .. }
        | RoundError::BallotCodeCount { .. }
        | RoundError::DuplicateBallotCode
        | RoundError::DuplicateCandidate(_) => ErrorKind::BadInput,
        _ => ErrorKind::Conflict,
    }
}

fn application_error_kind(error: &ApplicationError) -> ErrorKind {
    match error {
        ApplicationError::NotFound(_) => ErrorKind::NotFound,
        ApplicationError::NotApplicant { .. } => ErrorKind::Forbidden,
        ApplicationError::MissingField(_) | ApplicationError::ZeroAmount => ErrorKind::BadInput,
        _ => ErrorKind::Conflict,
    }
}

fn award_error_kind(error: &AwardError) -> ErrorKind {
    match error {
        AwardError::NotFound(_) | AwardError::UnknownDrawdown { .. } => ErrorKind::NotFound,
        AwardError::NotRecipient { .. } => ErrorKind::Forbidden,
        AwardError::MissingField(_)
        | AwardError::ZeroAmount
        | AwardError::PeriodOutOfOrder { .. }
        | AwardError::Date(_)
        | AwardError::NegativeQuantity(_)
        | AwardError::QuantityOutOfRange(_)
        | AwardError::IndicatorTooLong { .. }
        | AwardError::IndicatorWithoutProxy { .. }
        | AwardError::DisbursedOverAwarded { .. }
        | AwardError::TooManyBudgetLines { .. }
        | AwardError::CategoryTooLong { .. }
        | AwardError::DuplicateCategory(_)
        | AwardError::BudgetNotAwarded { .. }
        | AwardError::VariationNeedsBudgetLines { .. }
        | AwardError::UnknownSpendCategory { .. }
        | AwardError::OverlappingSpendPeriod { .. }
        | AwardError::InputDescriptionTooLong { .. } => ErrorKind::BadInput,
        _ => ErrorKind::Conflict,
    }
}

fn ballot_error_kind(error: &BallotError) -> ErrorKind {
    match error {
        // The code is the credential: a wrong one is refused like a wrong token.
        BallotError::InvalidCode(_) => ErrorKind::Forbidden,
        BallotError::NoChoices
        | BallotError::TooManyChoices { .. }
        | BallotError::DuplicateChoice(_)
        | BallotError::WrongRound { .. }
        | BallotError::MissingField(_) => ErrorKind::BadInput,
        _ => ErrorKind::Conflict,
    }
}

/// Converts a command error, wrapping the aggregate's own refusal with `wrap`.
pub(crate) fn from_command<E: std::error::Error>(
    error: CommandError<E>,
    wrap: fn(E) -> LedgerError,
) -> LedgerError {
    match error {
        CommandError::Rejected(error) => wrap(error),
        error @ CommandError::Concurrency { .. } => LedgerError::Concurrency(error.to_string()),
        CommandError::KeyReused(key) => LedgerError::KeyReused(key),
        CommandError::Store(error) => LedgerError::Store(error),
        CommandError::Missing { kind, id } => LedgerError::NotFound { kind, id },
    }
}
