//! The public story of one award (`/awards/{id}`): what anyone may see of it, dated, now
//! or as it stood at the end of a day. Payments from `rm_drawdowns` (their date and amount
//! only, as the 360Giving export publishes them), figures as of a day from
//! `rm_award_daily`, outcomes from `rm_outcomes`, the amount first approved from
//! `rm_applications`. Variations and returns are kept one by one by no read model (the
//! register keeps their sums), so they are read from the award's own events: one indexed
//! read of one aggregate's stream (`events`' primary key), never a replay of the log.
//! Nothing here carries a sealed text (a drawdown's purpose, a reason) or a payment's
//! reference.

use domain::award::AwardEvent;
use domain::{AwardId, Date};
use infrastructure::{upcast, Database};
use rust_decimal::Decimal;
use serde::Serialize;

use super::{date, exact, Result};
use crate::{from_pence, on_pool, ProjectionError};

/// An award's money as it stood at the end of a day (sums of its daily series).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AwardFigures {
    pub awarded: Decimal,
    pub paid: Decimal,
    pub returned: Decimal,
    /// paid − returned.
    pub disbursed: Decimal,
    /// Spend reported for periods ending on or before the day.
    pub spend_reported: Decimal,
}

/// One payment: its date and amount (never its reference).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PaidOn {
    pub paid_on: Date,
    pub amount: Decimal,
}

/// One variation: its date, the amount before and the amount after (never its reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Variation {
    pub varied_on: Date,
    pub from: Decimal,
    pub to: Decimal,
}

/// One return of money to the fund: its date and amount (never its reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ReturnedOn {
    pub returned_on: Date,
    pub amount: Decimal,
}

/// One outcome reported: the indicator, the quantity and the end of its period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutcomeReport {
    pub indicator: String,
    pub quantity: Decimal,
    pub period_end: Date,
}

/// The award's variations and returns, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AwardChanges {
    pub variations: Vec<Variation>,
    pub returns: Vec<ReturnedOn>,
}

/// The award's figures at the end of `as_of` (zero before it was made).
pub async fn award_figures_as_of(
    db: &Database,
    award: &AwardId,
    as_of: Date,
) -> Result<AwardFigures> {
    let row: (i64, i64, i64, i64) = on_pool!(db, |pool| sqlx::query_as(
        "SELECT CAST(coalesce(sum(awarded_pence), 0) AS BIGINT),
                CAST(coalesce(sum(paid_pence), 0) AS BIGINT),
                CAST(coalesce(sum(returned_pence), 0) AS BIGINT),
                CAST(coalesce(sum(spend_pence), 0) AS BIGINT)
           FROM rm_award_daily WHERE award_id = $1 AND day <= $2"
    )
    .bind(award.as_str())
    .bind(as_of.to_string())
    .fetch_one(pool)
    .await?);
    let (awarded, paid, returned, spend) = row;
    Ok(AwardFigures {
        awarded: from_pence(awarded),
        paid: from_pence(paid),
        returned: from_pence(returned),
        disbursed: from_pence(paid - returned),
        spend_reported: from_pence(spend),
    })
}

/// The award's payments, by date, up to the end of `as_of` (all without one).
pub async fn award_payments(
    db: &Database,
    award: &AwardId,
    as_of: Option<Date>,
) -> Result<Vec<PaidOn>> {
    let last = last_day(as_of);
    let rows: Vec<(i64, String)> = on_pool!(db, |pool| sqlx::query_as(
        "SELECT amount_pence, paid_on FROM rm_drawdowns
          WHERE award_id = $1 AND paid_on IS NOT NULL AND paid_on <= $2
          ORDER BY paid_on, drawdown_id"
    )
    .bind(award.as_str())
    .bind(&last)
    .fetch_all(pool)
    .await?);
    rows.into_iter()
        .map(|(amount, paid_on)| {
            Ok(PaidOn {
                paid_on: date(&paid_on)?,
                amount: from_pence(amount),
            })
        })
        .collect()
}

/// The outcomes reported for the award, by period end then indicator, for periods ending
/// on or before `as_of` (all without one).
pub async fn award_outcomes(
    db: &Database,
    award: &AwardId,
    as_of: Option<Date>,
) -> Result<Vec<OutcomeReport>> {
    let last = last_day(as_of);
    let rows: Vec<(String, String, String)> = on_pool!(db, |pool| sqlx::query_as(
        "SELECT indicator, quantity, period_end FROM rm_outcomes
          WHERE award_id = $1 AND period_end <= $2
          ORDER BY period_end, indicator, report_id"
    )
    .bind(award.as_str())
    .bind(&last)
    .fetch_all(pool)
    .await?);
    rows.into_iter()
        .map(|(indicator, quantity, period_end)| {
            Ok(OutcomeReport {
                indicator,
                quantity: exact(&quantity, "outcome quantity")?,
                period_end: date(&period_end)?,
            })
        })
        .collect()
}

/// The amount the award's application was approved for, before any variation; `None`
/// for an award with no application here (a historic grant).
pub async fn award_approved_amount(db: &Database, award: &AwardId) -> Result<Option<Decimal>> {
    let pence: Option<Option<i64>> = on_pool!(db, |pool| sqlx::query_scalar(
        "SELECT p.approved_pence FROM rm_awards a
           JOIN rm_applications p ON p.application_id = a.application_id
          WHERE a.award_id = $1"
    )
    .bind(award.as_str())
    .fetch_optional(pool)
    .await?);
    Ok(pence.flatten().map(from_pence))
}

/// The award's variations and returns dated on or before `as_of` (all without one),
/// from its own events, oldest first.
pub async fn award_changes(
    db: &Database,
    award: &AwardId,
    as_of: Option<Date>,
) -> Result<AwardChanges> {
    const POSTGRES: &str = "SELECT event_type, event_version, payload::text FROM events \
        WHERE aggregate_type = 'Award' AND aggregate_id = $1 \
          AND event_type IN ('AwardVaried', 'MoneyReturned') ORDER BY sequence";
    const SQLITE: &str = "SELECT event_type, event_version, payload FROM events \
        WHERE aggregate_type = 'Award' AND aggregate_id = $1 \
          AND event_type IN ('AwardVaried', 'MoneyReturned') ORDER BY sequence";
    let rows: Vec<(String, String, String)> = match db {
        Database::Postgres(pool) => {
            sqlx::query_as(POSTGRES)
                .bind(award.as_str())
                .fetch_all(pool)
                .await?
        }
        Database::Sqlite(pool) => {
            sqlx::query_as(SQLITE)
                .bind(award.as_str())
                .fetch_all(pool)
                .await?
        }
    };
    let mut changes = AwardChanges::default();
    for (event_type, event_version, payload) in rows {
        match award_event(&event_type, &event_version, &payload)? {
            AwardEvent::AwardVaried {
                old_amount,
                new_amount,
                varied_on,
                ..
            } if as_of.is_none_or(|day| varied_on <= day) => changes.variations.push(Variation {
                varied_on,
                from: old_amount.amount(),
                to: new_amount.amount(),
            }),
            AwardEvent::MoneyReturned {
                amount,
                returned_on,
                ..
            } if as_of.is_none_or(|day| returned_on <= day) => changes.returns.push(ReturnedOn {
                returned_on,
                amount: amount.amount(),
            }),
            _ => {}
        }
    }
    Ok(changes)
}

fn award_event(event_type: &str, event_version: &str, payload: &str) -> Result<AwardEvent> {
    let corrupt = |error: String| ProjectionError::BadRow(format!("Award {event_type}: {error}"));
    let payload = serde_json::from_str(payload).map_err(|error| corrupt(error.to_string()))?;
    let payload = upcast("Award", event_type, event_version, payload)
        .map_err(|error| corrupt(error.to_string()))?;
    serde_json::from_value(payload).map_err(|error| corrupt(error.to_string()))
}

/// The last day a query covers: `as_of`, or the end of the ledger's range without one
/// (dates are stored as `YYYY-MM-DD` text, which sorts as dates do).
fn last_day(as_of: Option<Date>) -> String {
    match as_of {
        Some(day) => day.to_string(),
        None => "9999-12-31".to_string(),
    }
}
