//! What the reporting schedule (`domain::award::reports_due`) reads of an award, from the
//! read models: acceptance and status (`rm_awards`), payment dates (`rm_drawdowns`),
//! spend reports' period ends (the days `rm_award_daily` records spend on) and outcome
//! reports' period ends (`rm_outcomes`).

use std::collections::BTreeMap;

use domain::award::{reports_due, ReportHistory, ReportsDue};
use domain::AwardId;
use infrastructure::Database;

use super::{date, opt_date, AwardRecord, Result};
use crate::on_pool;

/// Each award's dated report facts, for one award (`$1` its id) or, with `$1` empty,
/// for every active award.
const REPORT_FACTS: &str = "
SELECT d.award_id, 'paid', d.paid_on
  FROM rm_drawdowns d JOIN rm_awards a ON a.award_id = d.award_id
 WHERE d.paid_on IS NOT NULL AND (($1 = '' AND a.status = 'active') OR a.award_id = $1)
UNION ALL
SELECT y.award_id, 'spend', y.day
  FROM rm_award_daily y JOIN rm_awards a ON a.award_id = y.award_id
 WHERE y.spend_pence <> 0 AND (($1 = '' AND a.status = 'active') OR a.award_id = $1)
UNION ALL
SELECT o.award_id, 'outcome', o.period_end
  FROM rm_outcomes o JOIN rm_awards a ON a.award_id = o.award_id
 WHERE ($1 = '' AND a.status = 'active') OR a.award_id = $1";

/// An active award with reports due, for the report-due emails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwardReportsDue {
    pub award_id: AwardId,
    pub recipient_org_id: String,
    pub recipient_name: String,
    pub title: String,
    pub due: ReportsDue,
}

async fn report_facts(db: &Database, award: &str) -> Result<BTreeMap<String, ReportHistory>> {
    let rows: Vec<(String, String, String)> = on_pool!(db, |pool| sqlx::query_as(REPORT_FACTS)
        .bind(award)
        .fetch_all(pool)
        .await?);
    let mut histories: BTreeMap<String, ReportHistory> = BTreeMap::new();
    for (award_id, kind, day) in rows {
        let day = date(&day)?;
        let history = histories.entry(award_id).or_default();
        match kind.as_str() {
            "paid" => history.paid_on.push(day),
            "spend" => history.spend_period_ends.push(day),
            _ => history.outcome_period_ends.push(day),
        }
    }
    Ok(histories)
}

/// The schedule's facts of `award`: `ReportHistory` filled from the read models.
pub async fn award_report_history(db: &Database, award: &AwardRecord) -> Result<ReportHistory> {
    let mut histories = report_facts(db, award.award_id.as_str()).await?;
    let mut history = histories
        .remove(award.award_id.as_str())
        .unwrap_or_default();
    history.accepted_on = award.accepted_on;
    history.closed = matches!(award.status.as_str(), "closed" | "historic");
    Ok(history)
}

/// The reports `award` has due (the one rule: `domain::award::reports_due`).
pub async fn award_reports_due(db: &Database, award: &AwardRecord) -> Result<ReportsDue> {
    Ok(reports_due(&award_report_history(db, award).await?))
}

/// id, recipient org id and name, title, accepted on.
type AwardRow = (String, String, String, String, Option<String>);

/// Every active award with at least one report due, in award id order.
pub async fn active_awards_reports_due(db: &Database) -> Result<Vec<AwardReportsDue>> {
    let awards: Vec<AwardRow> = on_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT award_id, recipient_org_id, recipient_name, title, accepted_on
               FROM rm_awards WHERE status = 'active' ORDER BY award_id",
        )
        .fetch_all(pool)
        .await?
    });
    let mut histories = report_facts(db, "").await?;
    let mut due = Vec::new();
    for (award_id, recipient_org_id, recipient_name, title, accepted_on) in awards {
        let mut history = histories.remove(&award_id).unwrap_or_default();
        history.accepted_on = opt_date(accepted_on)?;
        let reports = reports_due(&history);
        if reports != ReportsDue::default() {
            due.push(AwardReportsDue {
                award_id: AwardId::new(award_id),
                recipient_org_id,
                recipient_name,
                title,
                due: reports,
            });
        }
    }
    Ok(due)
}
