//! The public story of one award (`Award.position`, `payments`, `variations`, `returns`,
//! `spendByCategory`, `outcomes`, `approvedAmount`): what anyone may see of an award, each
//! thing dated, now or as it stood at the end of a day. Only money, dates, categories and
//! indicators: never a sealed text (a drawdown's purpose, a variation's or a return's
//! reason; PERSONAL-DATA.md) and never a payment's reference (the 360Giving export
//! publishes a payment's date and amount only). Planned budget lines stay with the fund's
//! officers and the recipient (`Award.budgetLines`).

use async_graphql::{Context, Enum, SimpleObject};
use domain::{AwardId, Date};
use projections::budget_lines::{self, BudgetScope};
use projections::read;

use super::context::state;
use super::errors::{Coded, GqlResult};
use super::scalars::{DateValue, DecimalValue, MoneyValue};

/// The order of a page of awards.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
pub enum AwardOrder {
    /// By award id (the register's own order).
    #[default]
    Id,
    /// Latest first: by the date awarded, newest first, then by award id, descending.
    Latest,
}

/// An award's money, now or as it stood at the end of `asOf` (definitions in GLOSSARY.md).
#[derive(SimpleObject)]
pub struct AwardPosition {
    /// The day the figures are as of; null for now.
    pub as_of: Option<DateValue>,
    /// Approved plus increases minus cuts by then (once closed, what it cost); 0.00 before
    /// the award was made.
    pub awarded: MoneyValue,
    /// Σ payments recorded by then.
    pub paid: MoneyValue,
    /// Σ money given back to the fund by then.
    pub returned: MoneyValue,
    /// paid − returned.
    pub disbursed: MoneyValue,
    /// Σ spend reported for periods ending by then.
    pub spend_reported: MoneyValue,
}

/// A payment to the recipient: its date and amount, as the 360Giving export publishes it
/// (never its reference).
#[derive(SimpleObject)]
pub struct AwardPayment {
    /// The day it was paid.
    pub paid_on: DateValue,
    pub amount: MoneyValue,
}

/// A change to the amount awarded (never its reason, which is personal data).
#[derive(SimpleObject)]
pub struct AwardVariation {
    /// The day the award was varied.
    pub varied_on: DateValue,
    /// The amount awarded before the variation.
    pub from: MoneyValue,
    /// The amount awarded after it.
    pub to: MoneyValue,
}

/// Money the recipient gave back to the fund (never its reason, which is personal data).
#[derive(SimpleObject)]
pub struct AwardReturn {
    /// The day it was returned.
    pub returned_on: DateValue,
    pub amount: MoneyValue,
}

/// Spend reported under one budget category.
#[derive(SimpleObject)]
pub struct CategorySpend {
    /// The category as the budget spells it.
    pub category: String,
    /// Σ spend reported under the category for periods ending by the as-of date.
    pub spent: MoneyValue,
}

/// An outcome the recipient reported.
#[derive(SimpleObject)]
pub struct ReportedOutcome {
    /// What was counted (the fund's outcome indicator, e.g. "meals served").
    pub indicator: String,
    /// How many.
    pub quantity: DecimalValue,
    /// The last day of the period the report covers.
    pub period_end: DateValue,
}

/// `Award.approvedAmount`: the application's approval, or a historic grant's published
/// amount (`awarded`: a historic grant is never varied).
pub async fn approved_amount(
    ctx: &Context<'_>,
    award: &read::AwardRecord,
) -> GqlResult<MoneyValue> {
    let approved = read::award_approved_amount(state(ctx).database(), &award.award_id)
        .await
        .coded()?;
    Ok(MoneyValue(approved.unwrap_or(award.awarded)))
}

/// `Award.position`: the register's figures now, else the award's daily series' sums.
pub async fn position(
    ctx: &Context<'_>,
    award: &read::AwardRecord,
    as_of: Option<DateValue>,
) -> GqlResult<AwardPosition> {
    let figures = match as_of {
        None => read::AwardFigures {
            awarded: award.awarded,
            paid: award.paid,
            returned: award.returned,
            disbursed: award.disbursed,
            spend_reported: award.spend_reported,
        },
        Some(day) => read::award_figures_as_of(state(ctx).database(), &award.award_id, day.0)
            .await
            .coded()?,
    };
    Ok(AwardPosition {
        as_of,
        awarded: MoneyValue(figures.awarded),
        paid: MoneyValue(figures.paid),
        returned: MoneyValue(figures.returned),
        disbursed: MoneyValue(figures.disbursed),
        spend_reported: MoneyValue(figures.spend_reported),
    })
}

fn day(as_of: Option<DateValue>) -> Option<Date> {
    as_of.map(|date| date.0)
}

/// `Award.payments`.
pub async fn payments(
    ctx: &Context<'_>,
    award: &AwardId,
    as_of: Option<DateValue>,
) -> GqlResult<Vec<AwardPayment>> {
    let payments = read::award_payments(state(ctx).database(), award, day(as_of))
        .await
        .coded()?;
    Ok(payments
        .into_iter()
        .map(|payment| AwardPayment {
            paid_on: DateValue(payment.paid_on),
            amount: MoneyValue(payment.amount),
        })
        .collect())
}

/// `Award.variations` and `Award.returns`, from one read of the award's changes.
pub async fn changes(
    ctx: &Context<'_>,
    award: &AwardId,
    as_of: Option<DateValue>,
) -> GqlResult<read::AwardChanges> {
    read::award_changes(state(ctx).database(), award, day(as_of))
        .await
        .coded()
}

/// `Award.variations`.
pub fn variations(changes: read::AwardChanges) -> Vec<AwardVariation> {
    changes
        .variations
        .into_iter()
        .map(|variation| AwardVariation {
            varied_on: DateValue(variation.varied_on),
            from: MoneyValue(variation.from),
            to: MoneyValue(variation.to),
        })
        .collect()
}

/// `Award.returns`.
pub fn returns(changes: read::AwardChanges) -> Vec<AwardReturn> {
    changes
        .returns
        .into_iter()
        .map(|returned| AwardReturn {
            returned_on: DateValue(returned.returned_on),
            amount: MoneyValue(returned.amount),
        })
        .collect()
}

/// `Award.spendByCategory`: the award's budget-line figures, spent only, for the
/// categories with spend reported.
pub async fn spend_by_category(
    ctx: &Context<'_>,
    award: &AwardId,
    as_of: Option<DateValue>,
) -> GqlResult<Vec<CategorySpend>> {
    let scope = BudgetScope::Award(award.clone());
    let lines = budget_lines::budget_lines(state(ctx).database(), &scope, day(as_of))
        .await
        .coded()?;
    Ok(lines
        .into_iter()
        .filter(|line| !line.spent.is_zero())
        .map(|line| CategorySpend {
            category: line.category,
            spent: MoneyValue(line.spent),
        })
        .collect())
}

/// `Award.outcomes`.
pub async fn outcomes(
    ctx: &Context<'_>,
    award: &AwardId,
    as_of: Option<DateValue>,
) -> GqlResult<Vec<ReportedOutcome>> {
    let reports = read::award_outcomes(state(ctx).database(), award, day(as_of))
        .await
        .coded()?;
    Ok(reports
        .into_iter()
        .map(|report| ReportedOutcome {
            indicator: report.indicator,
            quantity: DecimalValue(report.quantity),
            period_end: DateValue(report.period_end),
        })
        .collect())
}
