use crate::{AwardId, Date, DateError, DrawdownId, Money, OrgId};

/// Why an award refused a command. Ids in errors are the award's own; before the award is
/// made it has none, and the id is empty (the caller knows the id it asked for).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AwardError {
    #[error("award {0} does not exist")]
    NotFound(AwardId),
    #[error("award {0} was already made with different figures")]
    MadeDifferently(AwardId),
    #[error("award {0} is closed")]
    Closed(AwardId),
    #[error("award {0} is a historic grant imported from 360Giving: closed history, it takes no drawdowns, payments, variations, returns or reports")]
    Historic(AwardId),
    #[error("award {award} already holds {existing}; grant {grant} can't be imported into it")]
    AlreadyExists {
        award: AwardId,
        existing: String,
        grant: String,
    },
    #[error("grant {grant}: its published 360Giving fields {problem}")]
    PublishedFieldsInvalid { grant: String, problem: String },
    #[error("grant {grant}: disbursed {disbursed} is more than the {amount} awarded")]
    DisbursedOverAwarded {
        grant: String,
        disbursed: Money,
        amount: Money,
    },
    #[error("only the recipient {recipient} may do this on award {award}, not {caller}")]
    NotRecipient {
        award: AwardId,
        recipient: OrgId,
        caller: OrgId,
    },
    #[error("the agreement for award {0} was already accepted")]
    AlreadyAccepted(AwardId),
    #[error("award {0}'s agreement must be accepted before a drawdown")]
    AgreementNotAccepted(AwardId),
    #[error("{0} must not be empty")]
    MissingField(&'static str),
    #[error("an amount of £0.00 moves nothing; give an amount above zero")]
    ZeroAmount,
    #[error("drawdown of {amount} exceeds the {available} available to draw on award {award} (awarded − paid − approved and unpaid; returned money goes back to the fund, not to the award)")]
    DrawdownExceedsAvailable {
        amount: Money,
        available: Money,
        award: AwardId,
    },
    #[error("drawdown {drawdown} already exists on award {award}")]
    DuplicateDrawdown {
        drawdown: DrawdownId,
        award: AwardId,
    },
    #[error("drawdown {drawdown} does not exist on award {award}")]
    UnknownDrawdown {
        drawdown: DrawdownId,
        award: AwardId,
    },
    #[error("drawdown {drawdown} is {state}; this needs a drawdown that is {needed}")]
    DrawdownWrongState {
        drawdown: DrawdownId,
        state: &'static str,
        needed: &'static str,
    },
    #[error("award {award} can't be cut to {new_amount}: {committed} is already paid or committed to drawdowns")]
    BelowCommitted {
        award: AwardId,
        new_amount: Money,
        committed: Money,
    },
    #[error("award {award} is already {current}; a variation must change the amount")]
    NoChange { award: AwardId, current: Money },
    #[error("a return of {amount} exceeds the {net_paid} paid (net of returns) on award {award}")]
    ReturnExceedsPaid {
        amount: Money,
        net_paid: Money,
        award: AwardId,
    },
    #[error(transparent)]
    Date(#[from] DateError),
    #[error("a spend report's period ends on {end}, before it starts on {start}")]
    PeriodOutOfOrder { start: String, end: String },
    #[error("an outcome quantity must be zero or more, not {0}")]
    NegativeQuantity(String),
    #[error("report {0} was already made")]
    DuplicateReport(String),
    #[error("award {award} can't close: {pending} drawdowns are still open ({approved_unpaid} approved and unpaid, {requested_pending} requested and not decided); pay or reject them first")]
    PendingDrawdowns {
        award: AwardId,
        pending: usize,
        approved_unpaid: Money,
        requested_pending: Money,
    },
    #[error("the amount would pass the largest amount the ledger holds")]
    Overflow,
    #[error("award {award} is {current}; raising it to {requested} needs the round's budget: reserve the increase in the round, which then applies it here")]
    IncreaseNeedsRound {
        award: AwardId,
        current: Money,
        requested: Money,
    },
    #[error("a spend report has {lines} lines; at most {max} are accepted")]
    TooManyLines { lines: usize, max: usize },
    #[error("an outcome quantity of {0} is out of range; give at most 1,000,000,000 with at most 4 decimal places")]
    QuantityOutOfRange(String),
    #[error("an outcome indicator has {chars} characters; at most {max} are accepted")]
    IndicatorTooLong { chars: usize, max: usize },
    #[error("the fund has no outcome proxy for the indicator \"{indicator}\", so it could not be valued; the fund's indicators: {known}")]
    IndicatorWithoutProxy { indicator: String, known: String },
    #[error("a budget has {lines} lines; at most {max} are accepted")]
    TooManyBudgetLines { lines: usize, max: usize },
    #[error("a budget category has {chars} characters; at most {max} are accepted")]
    CategoryTooLong { chars: usize, max: usize },
    #[error("the budget names the category \"{0}\" twice (categories are matched without regard to case)")]
    DuplicateCategory(String),
    #[error("the budget lines sum to {total}, not the {amount} awarded; they must sum to the award exactly")]
    BudgetNotAwarded { total: Money, amount: Money },
    #[error("award {0}'s agreement is accepted, so its budget lines change only through a variation (varyAward with budgetLines)")]
    BudgetFixed(AwardId),
    #[error("award {award} has budget lines ({categories}); a variation must carry new budget lines summing to the new amount")]
    VariationNeedsBudgetLines { award: AwardId, categories: String },
    #[error("spend category \"{category}\" is not a budget line of this award; its categories: {categories}")]
    UnknownSpendCategory {
        category: String,
        categories: String,
    },
    #[error("award {0}'s agreement must be accepted before spend is reported")]
    SpendBeforeAcceptance(AwardId),
    #[error("the period {start} to {end} overlaps spend report {report_id}, which covers {other_start} to {other_end}; report periods of one award must not overlap")]
    OverlappingSpendPeriod {
        start: Date,
        end: Date,
        report_id: String,
        other_start: Date,
        other_end: Date,
    },
    #[error("an input's description has {chars} characters; at most {max} are accepted")]
    InputDescriptionTooLong { chars: usize, max: usize },
}
