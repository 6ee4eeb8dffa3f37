//! The latest awards and payments, for the public home page's "latest" lists: the awards
//! made most recently (by the day they were made) and the payments recorded most
//! recently (by the day they were paid), now or as they stood at the end of a day. Each
//! is one statement over an index (`rm_awards (awarded_on, award_id)`,
//! `rm_drawdowns (paid_on, award_id, drawdown_id)`), plus one over the daily series for an
//! earlier day's amounts.

use std::collections::HashMap;

use domain::Date;
use infrastructure::Database;

use super::{AwardRecord, AwardRow, Result, AWARD_COLUMNS, MAX_PAGE_SIZE};
use crate::sql::{bind_all, Param, Sql};
use crate::{from_pence, on_pool};

/// One recorded payment with the award it was paid on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecentPayment {
    pub amount: rust_decimal::Decimal,
    pub paid_on: Date,
    pub award: AwardRecord,
}

/// The `first` awards made most recently (latest day first, then by award id, latest
/// first), among those made by the end of `as_of` when given; their amounts (awarded,
/// paid, returned, disbursed, spend reported) are then as they stood at the end of that
/// day, from the daily series.
pub async fn recent_awards(
    db: &Database,
    first: u32,
    as_of: Option<Date>,
) -> Result<Vec<AwardRecord>> {
    let mut sql = Sql::default();
    sql.push(&format!(
        "SELECT {AWARD_COLUMNS} FROM rm_awards a WHERE 1 = 1"
    ));
    if let Some(day) = as_of {
        sql.push(" AND a.awarded_on <= ").bind_text(day.to_string());
    }
    sql.push(" ORDER BY a.awarded_on DESC, a.award_id DESC LIMIT ")
        .bind(Param::Int(i64::from(first.clamp(1, MAX_PAGE_SIZE))));
    let rows: Vec<AwardRow> =
        on_pool!(db, |pool| bind_all!(sqlx::query_as(&sql.text), &sql.params)
            .fetch_all(pool)
            .await?);
    let awards = rows
        .into_iter()
        .map(AwardRow::into_record)
        .collect::<Result<Vec<_>>>()?;
    match as_of {
        Some(day) => as_they_stood(db, awards, day).await,
        None => Ok(awards),
    }
}

#[derive(sqlx::FromRow)]
struct PaidRow {
    payment_amount_pence: i64,
    payment_paid_on: String,
    #[sqlx(flatten)]
    award: AwardRow,
}

/// The `first` payments recorded most recently (latest day first), among those paid by
/// the end of `as_of` when given, each with its award (whose amounts are then as they
/// stood at the end of that day).
pub async fn recent_payments(
    db: &Database,
    first: u32,
    as_of: Option<Date>,
) -> Result<Vec<RecentPayment>> {
    let mut sql = Sql::default();
    sql.push(&format!(
        "SELECT d.amount_pence AS payment_amount_pence, d.paid_on AS payment_paid_on, {AWARD_COLUMNS}
           FROM rm_drawdowns d JOIN rm_awards a ON a.award_id = d.award_id
          WHERE d.paid_on IS NOT NULL"
    ));
    if let Some(day) = as_of {
        sql.push(" AND d.paid_on <= ").bind_text(day.to_string());
    }
    sql.push(" ORDER BY d.paid_on DESC, d.award_id DESC, d.drawdown_id DESC LIMIT ")
        .bind(Param::Int(i64::from(first.clamp(1, MAX_PAGE_SIZE))));
    let rows: Vec<PaidRow> = on_pool!(db, |pool| bind_all!(sqlx::query_as(&sql.text), &sql.params)
        .fetch_all(pool)
        .await?);
    let mut payments = Vec::with_capacity(rows.len());
    for row in rows {
        payments.push(RecentPayment {
            amount: from_pence(row.payment_amount_pence),
            paid_on: super::date(&row.payment_paid_on)?,
            award: row.award.into_record()?,
        });
    }
    let Some(day) = as_of else {
        return Ok(payments);
    };
    let awards = payments.iter().map(|paid| paid.award.clone()).collect();
    let then = as_they_stood(db, awards, day).await?;
    for (payment, award) in payments.iter_mut().zip(then) {
        payment.award = award;
    }
    Ok(payments)
}

/// `awards` with their amounts as they stood at the end of `day` (the sums of their daily
/// series up to it): one statement for them all.
async fn as_they_stood(
    db: &Database,
    mut awards: Vec<AwardRecord>,
    day: Date,
) -> Result<Vec<AwardRecord>> {
    if awards.is_empty() {
        return Ok(awards);
    }
    let mut sql = Sql::default();
    sql.push(
        "SELECT award_id, CAST(sum(awarded_pence) AS BIGINT), CAST(sum(paid_pence) AS BIGINT),
                CAST(sum(returned_pence) AS BIGINT), CAST(sum(spend_pence) AS BIGINT)
           FROM rm_award_daily WHERE day <= ",
    )
    .bind_text(day.to_string())
    .push(" AND award_id IN (");
    for (index, award) in awards.iter().enumerate() {
        sql.push(if index == 0 { "" } else { ", " })
            .bind_text(award.award_id.as_str());
    }
    sql.push(") GROUP BY award_id");
    let rows: Vec<(String, i64, i64, i64, i64)> =
        on_pool!(db, |pool| bind_all!(sqlx::query_as(&sql.text), &sql.params)
            .fetch_all(pool)
            .await?);
    let sums: HashMap<String, (i64, i64, i64, i64)> = rows
        .into_iter()
        .map(|(award, awarded, paid, returned, spend)| (award, (awarded, paid, returned, spend)))
        .collect();
    for award in &mut awards {
        let (awarded, paid, returned, spend) = sums
            .get(award.award_id.as_str())
            .copied()
            .unwrap_or_default();
        award.awarded = from_pence(awarded);
        award.paid = from_pence(paid);
        award.returned = from_pence(returned);
        award.disbursed = from_pence(paid - returned);
        award.spend_reported = from_pence(spend);
    }
    Ok(awards)
}
