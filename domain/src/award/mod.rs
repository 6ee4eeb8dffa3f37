//! An award: money promised to a community group, drawn down in approved and paid
//! instalments, possibly varied, returned, reported on and closed.
//!
//! Invariants: paid ≤ awarded; returned ≤ paid; approved-unpaid + paid ≤ awarded; once
//! closed, awarded = paid − returned (what the award cost).

mod aggregate;
mod budget;
#[cfg(test)]
mod budget_tests;
mod commands;
mod error;
mod events;
mod inputs;
#[cfg(test)]
mod inputs_tests;
mod reports_due;
#[cfg(test)]
mod tests;

pub use aggregate::{
    available_to_draw, Award, AwardDetails, AwardStatus, Drawdown, DrawdownState,
    MAX_SPEND_LINES_PER_REPORT,
};
pub use budget::{
    category_key, check_budget_lines, Budget, BudgetLine, SpendPeriod, MAX_BUDGET_LINES,
    MAX_CATEGORY_CHARS,
};
pub use commands::{AwardCommand, HistoricGrant, SpendLine};
pub use error::AwardError;
pub use events::AwardEvent;
pub use inputs::{
    InputKind, InputRecorded, InputRecorder, RecordInput, MAX_INPUT_DESCRIPTION_CHARS,
};
pub use reports_due::{reports_due, ReportHistory, ReportsDue, REPORT_DUE_DAYS};
