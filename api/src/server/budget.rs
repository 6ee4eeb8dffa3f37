//! Budget lines over GraphQL: planned, spent and variance per category. Per award (the
//! award's `budgetLines`, admin and the recipient only) and summed over the awards of a
//! round, a fund or an area (`Query.budget`, public: per-category totals, never one
//! award's lines by name).

use async_graphql::{Context, InputObject, Object};
use domain::{AwardId, FundId, RoundId};
use projections::budget_lines::{self, BudgetLineFigures, BudgetScope};
use rust_decimal::Decimal;

use super::context::{award_parties, fund_of_round, state, viewer};
use super::errors::{coded, ApiError, Coded, GqlResult, BAD_INPUT};
use super::scalars::{DateValue, GeoCodeValue, MoneyValue};

/// One budget category's figures (definitions in GLOSSARY.md).
pub struct BudgetLine(pub BudgetLineFigures);

#[Object]
impl BudgetLine {
    /// The category as the budget spells it (categories match without regard to case).
    async fn category(&self) -> &str {
        &self.0.category
    }
    /// Planned: the amount of the award's budget line (Σ over the scope's awards), as
    /// last set by the officer or a variation on or before the as-of date.
    async fn planned(&self) -> MoneyValue {
        MoneyValue(self.0.planned)
    }
    /// Spent: Σ spend reported under the category for periods ending on or before the
    /// as-of date.
    async fn spent(&self) -> MoneyValue {
        MoneyValue(self.0.spent)
    }
    /// Variance: planned − spent. Positive is unspent budget; negative is overspent.
    async fn variance(&self) -> MoneyValue {
        MoneyValue(self.0.variance())
    }
}

/// Budget lines summed over a scope's awards, per category.
pub struct BudgetSummary {
    scope: BudgetScope,
    as_of: Option<domain::Date>,
    lines: Vec<BudgetLineFigures>,
}

fn total(lines: &[BudgetLineFigures], figure: impl Fn(&BudgetLineFigures) -> Decimal) -> Decimal {
    lines.iter().map(figure).sum()
}

#[Object]
impl BudgetSummary {
    /// The date the figures are as of; null for now.
    async fn as_of(&self) -> Option<DateValue> {
        self.as_of.map(DateValue)
    }
    /// Per category, in category order.
    async fn categories(&self) -> Vec<BudgetLine> {
        self.lines.iter().cloned().map(BudgetLine).collect()
    }
    /// Σ planned over the categories.
    async fn planned(&self) -> MoneyValue {
        MoneyValue(total(&self.lines, |line| line.planned))
    }
    /// Σ spent over the categories.
    async fn spent(&self) -> MoneyValue {
        MoneyValue(total(&self.lines, |line| line.spent))
    }
    /// planned − spent.
    async fn variance(&self) -> MoneyValue {
        MoneyValue(total(&self.lines, BudgetLineFigures::variance))
    }
    /// Admin only: how many of the scope's awards had reported more spend than was paid to
    /// them by the as-of date (see `Award.spentAbovePaid`).
    async fn awards_spent_above_paid(&self, ctx: &Context<'_>) -> GqlResult<i64> {
        // Refused to the public as FORBIDDEN, like every other private field.
        let roles = viewer(ctx).roles();
        let allowed = match &self.scope {
            BudgetScope::Fund(fund) => roles.is_officer_of(fund),
            BudgetScope::Round(round) => fund_of_round(ctx, round)
                .await?
                .is_some_and(|fund| roles.is_officer_of(&fund)),
            BudgetScope::Award(award) => award_parties(ctx, award)
                .await?
                .is_some_and(|(fund, _)| roles.is_officer_of(&fund)),
            // An area spans funds: every fund's officer only.
            BudgetScope::Area(_) => roles.all_funds || roles.owner,
        };
        if !allowed {
            return Err(ApiError::Forbidden(
                "awardsSpentAbovePaid is visible to the officers of the scope's fund only".into(),
            ))
            .coded();
        }
        budget_lines::awards_spent_above_paid(state(ctx).database(), &self.scope, self.as_of)
            .await
            .coded()
    }
}

/// Whose budget: exactly one of a fund, a round or an area (the area and every area below
/// it, each award once).
#[derive(InputObject, Debug)]
pub struct BudgetScopeInput {
    pub fund: Option<String>,
    pub round: Option<String>,
    pub neighbourhood: Option<GeoCodeValue>,
}

impl BudgetScopeInput {
    fn to_read(&self) -> GqlResult<BudgetScope> {
        let mut named = Vec::with_capacity(1);
        if let Some(fund) = &self.fund {
            named.push(BudgetScope::Fund(FundId::new(fund.trim())));
        }
        if let Some(round) = &self.round {
            named.push(BudgetScope::Round(RoundId::new(round.trim())));
        }
        if let Some(code) = &self.neighbourhood {
            named.push(BudgetScope::Area(code.0.clone()));
        }
        match named.len() {
            1 => Ok(named.remove(0)),
            count => Err(coded(
                format!("scope names {count} of fund, round and neighbourhood; name exactly one"),
                BAD_INPUT,
            )),
        }
    }
}

/// `Query.budget`.
pub async fn budget_summary(
    ctx: &Context<'_>,
    scope: BudgetScopeInput,
    as_of: Option<DateValue>,
) -> GqlResult<BudgetSummary> {
    let scope = scope.to_read()?;
    let as_of = as_of.map(|date| date.0);
    let lines = budget_lines::budget_lines(state(ctx).database(), &scope, as_of)
        .await
        .coded()?;
    Ok(BudgetSummary {
        scope,
        as_of,
        lines,
    })
}

/// `Award.budgetLines` (the caller checks who may see them).
pub async fn award_lines(
    ctx: &Context<'_>,
    award_id: &AwardId,
    as_of: Option<DateValue>,
) -> GqlResult<Vec<BudgetLine>> {
    let scope = BudgetScope::Award(award_id.clone());
    let lines = budget_lines::budget_lines(state(ctx).database(), &scope, as_of.map(|d| d.0))
        .await
        .coded()?;
    Ok(lines.into_iter().map(BudgetLine).collect())
}

/// `Award.spentAbovePaid` (the caller checks who may see it).
pub async fn award_spent_above_paid(
    ctx: &Context<'_>,
    award_id: &AwardId,
    as_of: Option<DateValue>,
) -> GqlResult<bool> {
    let scope = BudgetScope::Award(award_id.clone());
    let flagged =
        budget_lines::awards_spent_above_paid(state(ctx).database(), &scope, as_of.map(|d| d.0))
            .await
            .coded()?;
    Ok(flagged > 0)
}
