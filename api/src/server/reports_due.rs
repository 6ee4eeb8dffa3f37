//! `Award.spendReportDueOn`, `outcomeReportDueOn` and `reportsLate`: the reporting
//! schedule (`domain::award::reports_due`, GLOSSARY.md "Reports due") over the award's
//! read models (`projections::read::award_reports_due`). The report-due emails
//! (`crate::notifications`) use the same rule.

use async_graphql::Context;
use domain::award::ReportsDue;
use projections::read;

use super::context::state;
use super::errors::{Coded, GqlResult};

/// The reports `award` has due now.
pub async fn award_reports_due(
    ctx: &Context<'_>,
    award: &read::AwardRecord,
) -> GqlResult<ReportsDue> {
    read::award_reports_due(state(ctx).database(), award)
        .await
        .coded()
}

/// Whether a report of `award` is late today (the business date).
pub async fn award_reports_late(ctx: &Context<'_>, award: &read::AwardRecord) -> GqlResult<bool> {
    let due = award_reports_due(ctx, award).await?;
    Ok(due.late(infrastructure::business_today()))
}
