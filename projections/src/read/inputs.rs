//! The inputs recorded against an award (`rm_award_inputs`).

use domain::{AwardId, Date};
use infrastructure::Database;
use rust_decimal::Decimal;
use serde::Serialize;

use super::{date, Result};
use crate::{from_pence, on_pool};

/// One input: match funding, an in-kind contribution or volunteer time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputRecord {
    pub input_id: String,
    /// `match_funding`, `in_kind` or `volunteer_time`.
    pub kind: String,
    pub value: Decimal,
    pub description: String,
    pub contributed_on: Date,
    /// `grantee` or `officer`.
    pub recorded_by: String,
}

/// An award's inputs, by date, then id.
pub async fn award_inputs(db: &Database, award: &AwardId) -> Result<Vec<InputRecord>> {
    let rows: Vec<(String, String, i64, String, String, String)> =
        on_pool!(db, |pool| sqlx::query_as(
            "SELECT input_id, kind, value_pence, description, contributed_on, recorded_by \
             FROM rm_award_inputs WHERE award_id = $1 ORDER BY contributed_on, input_id"
        )
        .bind(award.as_str())
        .fetch_all(pool)
        .await?);
    rows.into_iter()
        .map(
            |(input_id, kind, value_pence, description, contributed_on, recorded_by)| {
                Ok(InputRecord {
                    input_id,
                    kind,
                    value: from_pence(value_pence),
                    description,
                    contributed_on: date(&contributed_on)?,
                    recorded_by,
                })
            },
        )
        .collect()
}
