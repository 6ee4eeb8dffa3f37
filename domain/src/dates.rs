//! Rules for dates a caller supplies (`receivedOn`, `paidOn`, report periods). The ledger
//! passes its business date (`today`, the UK calendar date) in with the command, so the
//! domain stays free of clocks. A date after today would count in as-of figures only from
//! that future day while what it paid for counts from today: as-of figures could go
//! negative in between. A date before what it depends on (the fund's establishment, the
//! drawdown's approval, the award) would count money before it could exist.

use crate::Date;

/// Why a caller-supplied date was refused. `field` is the API's name for the date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("{field} {date} is after the ledger's business date {today} (today in Europe/London); a date can't be in the future")]
    AfterToday {
        field: &'static str,
        date: Date,
        today: Date,
    },
    #[error("{field} {date} is before {limit_name} on {limit}")]
    BeforeLimit {
        field: &'static str,
        date: Date,
        /// What the limit is, as a phrase ("fund FUND-1 was established").
        limit_name: String,
        limit: Date,
    },
}

/// Refuses `date` after the business date `today`.
pub fn not_after_today(field: &'static str, date: Date, today: Date) -> Result<(), DateError> {
    if date > today {
        return Err(DateError::AfterToday { field, date, today });
    }
    Ok(())
}

/// Refuses `date` before `limit`; `limit_name` says what happened on `limit`.
pub fn not_before(
    field: &'static str,
    date: Date,
    limit: Date,
    limit_name: impl FnOnce() -> String,
) -> Result<(), DateError> {
    if date < limit {
        return Err(DateError::BeforeLimit {
            field,
            date,
            limit_name: limit_name(),
            limit,
        });
    }
    Ok(())
}
