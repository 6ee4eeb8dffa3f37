//! The award register listed in a chosen order and, optionally, as it stood at the end of
//! a day: the awards made by then, each with its amounts and status as they were (from
//! the daily series and the drawdowns' dates). Pages are keyset pages whose cursor is an
//! award id in every order, so a cursor is checked the same way (`check_award_cursor`).

use domain::Date;

use super::{
    award_conditions, check_award_cursor, with_area, AwardFilter, AwardPage, AwardRecord, AwardRow,
    Result, AWARD_COLUMNS, MAX_PAGE_SIZE,
};
use crate::on_pool;
use crate::sql::{bind_all, Param, Sql};

/// The order of a listing; ties (awards made on the same day) go by award id.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AwardOrder {
    /// By award id (the register's own order).
    #[default]
    Id,
    /// Oldest award first: by the day it was made, then id.
    AwardedOn,
    /// Latest award first: by the day it was made, latest first, then id descending.
    AwardedOnDesc,
}

/// How a page of awards is listed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AwardListing {
    pub order: AwardOrder,
    /// The register as it stood at the end of this day; `None`: now.
    pub as_of: Option<Date>,
}

/// The register's columns as they stood at the end of `$day` (parameter `day`): status
/// from the dates of acceptance and closing, amounts summed from the daily series up to
/// the day, the drawdowns open then from their dates (requested by then and not decided
/// by then; approved by then and not paid by then). The same sums as `totals(asOf)`.
fn as_of_columns(day: usize) -> String {
    let d = format!("${day}");
    let daily = |column: &str| {
        format!(
            "CAST(coalesce((SELECT sum(y.{column}) FROM rm_award_daily y \
               WHERE y.award_id = a.award_id AND y.day <= {d}), 0) AS BIGINT)"
        )
    };
    format!(
        "a.award_id, a.application_id, a.fund_id, a.round_id, a.recipient_org_id, \
         a.recipient_name, a.title, a.neighbourhood, a.themes, \
         CASE WHEN a.status = 'historic' THEN 'historic' WHEN a.closed_on <= {d} THEN 'closed' \
              WHEN a.accepted_on <= {d} THEN 'active' ELSE 'offered' END AS status, \
         a.awarded_on, \
         CASE WHEN a.accepted_on <= {d} THEN a.accepted_on END AS accepted_on, \
         CASE WHEN a.closed_on <= {d} THEN a.closed_on END AS closed_on, \
         {} AS awarded_pence, {} AS paid_pence, {} AS returned_pence, {} AS spend_reported_pence, \
         a.grant_id, \
         CAST(coalesce((SELECT sum(w.amount_pence) FROM rm_drawdowns w \
           WHERE w.award_id = a.award_id AND w.status IN ('approved', 'paid') AND w.decided_on <= {d} \
             AND (w.paid_on IS NULL OR w.paid_on > {d})), 0) AS BIGINT) AS approved_unpaid_pence, \
         CAST(coalesce((SELECT sum(w.amount_pence) FROM rm_drawdowns w \
           WHERE w.award_id = a.award_id AND w.requested_on <= {d} \
             AND (w.decided_on IS NULL OR w.decided_on > {d})), 0) AS BIGINT) AS requested_pending_pence",
        daily("awarded_pence"),
        daily("paid_pence"),
        daily("returned_pence"),
        daily("spend_pence"),
    )
}

/// A page of awards matching `filter`, listed as `listing` says; `after` is the previous
/// page's `end_cursor` (an award id). `first` is capped at [`MAX_PAGE_SIZE`].
pub async fn awards_listed(
    db: &infrastructure::Database,
    filter: &AwardFilter,
    listing: &AwardListing,
    first: u32,
    after: Option<&str>,
) -> Result<AwardPage> {
    let first = first.clamp(1, MAX_PAGE_SIZE);
    if let Some(after) = after {
        check_award_cursor(db, after).await?;
    }
    let sql = listing_sql(filter, listing, first, after);
    let rows: Vec<AwardRow> =
        on_pool!(db, |pool| bind_all!(sqlx::query_as(&sql.text), &sql.params)
            .fetch_all(pool)
            .await?);
    let has_next_page = rows.len() > first as usize;
    let awards: Vec<AwardRecord> = rows
        .into_iter()
        .take(first as usize)
        .map(AwardRow::into_record)
        .collect::<Result<_>>()?;
    Ok(AwardPage {
        end_cursor: awards.last().map(|award| award.award_id.to_string()),
        awards,
        has_next_page,
    })
}

/// The statement behind [`awards_listed`]: one row more than the page, to tell whether
/// another page follows.
fn listing_sql(
    filter: &AwardFilter,
    listing: &AwardListing,
    first: u32,
    after: Option<&str>,
) -> Sql {
    let mut sql = Sql::default();
    with_area(&mut sql, filter);
    match listing.as_of {
        None => {
            sql.push(&format!(
                "SELECT {AWARD_COLUMNS} FROM rm_awards a WHERE 1 = 1"
            ));
        }
        Some(day) => {
            // Parameters are numbered in order of first appearance: the day's first is
            // in the columns, before any condition's.
            sql.params.push(Param::Text(day.to_string()));
            let day_param = sql.last_param();
            sql.push(&format!(
                "SELECT {} FROM rm_awards a WHERE a.awarded_on <= ",
                as_of_columns(day_param)
            ))
            .param_again(day_param);
        }
    }
    award_conditions(&mut sql, filter);
    let (compare, direction) = match listing.order {
        AwardOrder::Id | AwardOrder::AwardedOn => (">", ""),
        AwardOrder::AwardedOnDesc => ("<", " DESC"),
    };
    if let Some(after) = after {
        match listing.order {
            AwardOrder::Id => {
                sql.push(" AND a.award_id > ").bind_text(after);
            }
            AwardOrder::AwardedOn | AwardOrder::AwardedOnDesc => {
                sql.push(&format!(
                    " AND (a.awarded_on, a.award_id) {compare} \
                       (SELECT c.awarded_on, c.award_id FROM rm_awards c WHERE c.award_id = "
                ))
                .bind_text(after)
                .push(")");
            }
        }
    }
    sql.push(&match listing.order {
        AwardOrder::Id => " ORDER BY a.award_id".to_string(),
        AwardOrder::AwardedOn | AwardOrder::AwardedOnDesc => {
            format!(" ORDER BY a.awarded_on{direction}, a.award_id{direction}")
        }
    });
    sql.push(" LIMIT ").bind(Param::Int(i64::from(first) + 1));
    sql
}
