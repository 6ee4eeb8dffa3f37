//! Typed queries over the read models, for the API and the CLI. Every function reads SQL
//! tables the projector keeps; none replays events. Amounts are exact `Decimal` pounds with
//! two places ("1250.00" when formatted); dates are calendar dates.
//!
//! Roll-ups go through the reference geography at query time: an award counts in its own
//! neighbourhood and in every ancestor of it, so geography loaded after the awards is right.
//! As-of figures are sums of the daily series up to and including the date.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use domain::{
    apportion, AwardId, Date, Fraction, FundId, GeoCode, GeoLevel, Money, Nation, OutcomeProxy,
    RoundId,
};
use infrastructure::Database;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::sql::{bind_all, Param, Sql};
use crate::{from_pence, on_pool, ProjectionError};

/// The most rows one page of a list query returns.
pub const MAX_PAGE_SIZE: u32 = 500;

type Result<T> = std::result::Result<T, ProjectionError>;

// ---------------------------------------------------------------- result types

/// A fund's position: what came in, what is set aside, what went out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FundPosition {
    pub fund_id: FundId,
    pub name: String,
    pub funder_org_id: String,
    pub funder_name: String,
    pub established_on: Date,
    /// The date the figures are as of; `None` for now.
    pub as_of: Option<Date>,
    pub capital_received: Decimal,
    /// Budgets allocated to rounds, net of budget released back to the fund.
    pub allocated: Decimal,
    /// Approved amounts after variations.
    pub awarded: Decimal,
    /// Recorded payments.
    pub paid: Decimal,
    /// Money returned by grantees.
    pub returned: Decimal,
    /// Payments minus returns.
    pub disbursed: Decimal,
    /// Not allocated to any round: received − allocated + returns credited.
    pub available: Decimal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RoundStatus {
    Open,
    Closed,
}

impl RoundStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            RoundStatus::Open => "open",
            RoundStatus::Closed => "closed",
        }
    }
}

/// How many of a round's applications are in each status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ApplicationCounts {
    pub submitted: i64,
    pub withdrawn: i64,
    pub declined: i64,
    pub approved: i64,
    pub total: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoundSummary {
    pub round_id: RoundId,
    pub fund_id: FundId,
    pub name: String,
    pub status: RoundStatus,
    pub opens_on: Date,
    pub closes_on: Date,
    pub closed_on: Option<Date>,
    /// "PANEL" or "PARTICIPATORY".
    pub decision_mode: String,
    pub themes: Vec<String>,
    pub eligible_areas: Vec<String>,
    pub budget: Decimal,
    pub awarded: Decimal,
    /// Budget neither awarded nor returned to the fund (zero once closed).
    pub remaining: Decimal,
    /// Unawarded budget and later cuts returned to the fund after closing.
    pub returned_to_fund: Decimal,
    pub applications: ApplicationCounts,
}

/// An application as the register shows it. Contact details and scores are not here:
/// they are private and read from the aggregate by the API when allowed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApplicationRecord {
    pub application_id: String,
    pub round_id: RoundId,
    pub fund_id: FundId,
    pub applicant_org_id: String,
    pub applicant_name: String,
    pub title: String,
    pub amount_requested: Decimal,
    pub neighbourhood: String,
    pub themes: Vec<String>,
    /// "submitted", "withdrawn", "declined" or "approved".
    pub status: String,
    pub submitted_on: Date,
    pub decided_on: Option<Date>,
    pub award_id: Option<AwardId>,
    pub approved_amount: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DrawdownRecord {
    pub drawdown_id: String,
    pub amount: Decimal,
    pub purpose: String,
    /// "requested", "approved", "rejected" or "paid".
    pub status: String,
    pub requested_on: Date,
    pub decided_on: Option<Date>,
    pub paid_on: Option<Date>,
    pub payment_ref: Option<String>,
    pub reason: Option<String>,
}

/// One award in the public register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AwardRecord {
    pub award_id: AwardId,
    /// `None` for a historic grant, which went through no application or round here.
    pub application_id: Option<String>,
    pub fund_id: FundId,
    pub round_id: Option<RoundId>,
    pub recipient_org_id: String,
    pub recipient_name: String,
    pub title: String,
    /// `None` when a historic grant named no GSS area fundledger knows.
    pub neighbourhood: Option<String>,
    pub themes: Vec<String>,
    /// "offered", "active", "closed" or "historic" (imported from 360Giving).
    pub status: String,
    /// The 360Giving id of a historic grant.
    pub grant_id: Option<String>,
    pub awarded_on: Date,
    pub accepted_on: Option<Date>,
    pub closed_on: Option<Date>,
    /// Awarded after variations; once closed, what the award cost (paid − returned).
    /// Each figure is defined once in GLOSSARY.md.
    pub awarded: Decimal,
    pub paid: Decimal,
    pub returned: Decimal,
    /// Paid minus returned.
    pub disbursed: Decimal,
    /// Σ drawdowns approved and not yet paid.
    pub approved_unpaid: Decimal,
    /// Σ drawdowns requested and not yet approved or rejected.
    pub requested_pending: Decimal,
    /// What a drawdown request may ask for now: `domain::award::available_to_draw`.
    pub available_to_draw: Decimal,
    pub spend_reported: Decimal,
    /// Filled by [`award`]; empty in [`awards`] pages.
    pub drawdowns: Vec<DrawdownRecord>,
}

/// Which awards a list or a total covers. Empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwardFilter {
    /// Awards in this area or any area below it in the reference geography.
    pub neighbourhood: Option<GeoCode>,
    pub round: Option<RoundId>,
    pub fund: Option<FundId>,
    pub recipient_org_id: Option<String>,
    /// Awards to any of these organisations (a member of several: `myAwards`); `None`: no
    /// restriction, `Some(empty)`: none.
    pub recipient_org_ids: Option<Vec<String>>,
    pub theme: Option<String>,
    /// "offered", "active", "closed" or "historic".
    pub status: Option<String>,
    pub awarded_from: Option<Date>,
    pub awarded_to: Option<Date>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AwardPage {
    pub awards: Vec<AwardRecord>,
    /// Pass as `after` for the next page.
    pub end_cursor: Option<String>,
    pub has_next_page: bool,
}

/// Filters for totals. `as_of` makes the figures those of the end of that date, from the
/// daily series.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TotalsFilter {
    pub awards: AwardFilter,
    pub as_of: Option<Date>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub awarded: Decimal,
    pub paid: Decimal,
    pub returned: Decimal,
    /// Paid minus returned.
    pub disbursed: Decimal,
    pub reported_spend: Decimal,
    pub award_count: i64,
    pub recipient_count: i64,
}

impl Totals {
    /// Awarded per head of `population`, to the penny (half up); `None` without one.
    pub fn awarded_per_head(&self, population: Option<i64>) -> Option<Decimal> {
        per_head(self.awarded, population)
    }
}

/// `amount / population` to two places, half away from zero.
pub fn per_head(amount: Decimal, population: Option<i64>) -> Option<Decimal> {
    let population = population.filter(|population| *population > 0)?;
    Some(
        (amount / Decimal::from(population))
            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero),
    )
}

/// An area of the reference geography (or a well-formed code that is not in it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Area {
    pub code: String,
    /// `None` when the code is not in the reference geography.
    pub name: Option<String>,
    pub level: Option<String>,
    pub parent_code: Option<String>,
    pub population: Option<i64>,
    pub imd_decile: Option<i16>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NeighbourhoodTotals {
    pub area: Area,
    pub totals: Totals,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum NeighbourhoodOrder {
    #[default]
    AwardedDesc,
    DisbursedDesc,
    AwardCountDesc,
    AwardedPerHeadDesc,
    CodeAsc,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NeighbourhoodQuery {
    pub level: Option<GeoLevel>,
    /// Only areas at or below this one.
    pub within: Option<GeoCode>,
    pub order: NeighbourhoodOrder,
    pub first: u32,
    /// An `end_cursor` from the previous page.
    pub after: Option<String>,
    /// Totals as they stood at the end of this day (amounts from the daily series, counts
    /// over the awards made by then); `None`: now.
    pub as_of: Option<Date>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NeighbourhoodPage {
    pub areas: Vec<NeighbourhoodTotals>,
    pub end_cursor: Option<String>,
    pub has_next_page: bool,
}

/// The head of the hash chain: `events` events chained, the last at `position`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerHead {
    pub events: i64,
    pub position: i64,
    /// Hex SHA-256; 64 zeros for an empty ledger.
    pub head: String,
}

// ---------------------------------------------------------------- SQL building

/// `area(code)`: the area itself and every area below it in the reference geography,
/// from the ancestor table (one indexed lookup, no recursive walk). The area itself is
/// listed even when it is not in the reference data, so its own awards still count.
fn push_area_cte(sql: &mut Sql, code: &str) {
    sql.push("area(code) AS (SELECT CAST(").bind_text(code);
    let code_param = sql.last_param();
    sql.push(" AS TEXT) UNION SELECT code FROM geography_ancestors WHERE ancestor = ")
        .param_again(code_param)
        .push(")");
}

/// `WITH area(code)` for the filter's neighbourhood, if any.
fn with_area(sql: &mut Sql, filter: &AwardFilter) {
    if let Some(code) = &filter.neighbourhood {
        sql.push("WITH ");
        push_area_cte(sql, code.as_str());
        sql.push(" ");
    }
}

/// ` AND …` conditions on `rm_awards a` for the filter (after `with_area`).
fn award_conditions(sql: &mut Sql, filter: &AwardFilter) {
    if filter.neighbourhood.is_some() {
        sql.push(" AND a.neighbourhood IN (SELECT code FROM area)");
    }
    if let Some(fund) = &filter.fund {
        sql.push(" AND a.fund_id = ").bind_text(fund.as_str());
    }
    if let Some(round) = &filter.round {
        sql.push(" AND a.round_id = ").bind_text(round.as_str());
    }
    if let Some(org) = &filter.recipient_org_id {
        sql.push(" AND a.recipient_org_id = ")
            .bind_text(org.as_str());
    }
    if let Some(orgs) = &filter.recipient_org_ids {
        if orgs.is_empty() {
            sql.push(" AND 1 = 0");
        } else {
            sql.push(" AND a.recipient_org_id IN (");
            for (index, org) in orgs.iter().enumerate() {
                sql.push(if index == 0 { "" } else { ", " })
                    .bind_text(org.as_str());
            }
            sql.push(")");
        }
    }
    if let Some(theme) = &filter.theme {
        sql.push(" AND EXISTS (SELECT 1 FROM rm_award_themes t WHERE t.award_id = a.award_id AND t.theme = ")
            .bind_text(theme.as_str())
            .push(")");
    }
    if let Some(status) = &filter.status {
        sql.push(" AND a.status = ")
            .bind_text(status.to_lowercase());
    }
    if let Some(from) = filter.awarded_from {
        sql.push(" AND a.awarded_on >= ")
            .bind_text(from.to_string());
    }
    if let Some(to) = filter.awarded_to {
        sql.push(" AND a.awarded_on <= ").bind_text(to.to_string());
    }
}

// ---------------------------------------------------------------- row decoding

fn date(text: &str) -> Result<Date> {
    text.parse()
        .map_err(|_| ProjectionError::BadRow(format!("'{text}' is not a date")))
}

fn opt_date(text: Option<String>) -> Result<Option<Date>> {
    text.as_deref().map(date).transpose()
}

fn list(text: &str) -> Result<Vec<String>> {
    serde_json::from_str(text)
        .map_err(|error| ProjectionError::BadRow(format!("'{text}' is not a JSON list: {error}")))
}

#[derive(sqlx::FromRow)]
struct FundRow {
    fund_id: String,
    name: String,
    funder_org_id: String,
    funder_name: String,
    established_on: String,
    received_pence: i64,
    allocated_pence: i64,
    awarded_pence: i64,
    paid_pence: i64,
    returned_pence: i64,
    available_pence: i64,
}

impl FundRow {
    fn into_position(self, as_of: Option<Date>) -> Result<FundPosition> {
        Ok(FundPosition {
            fund_id: FundId::new(self.fund_id),
            name: self.name,
            funder_org_id: self.funder_org_id,
            funder_name: self.funder_name,
            established_on: date(&self.established_on)?,
            as_of,
            capital_received: from_pence(self.received_pence),
            allocated: from_pence(self.allocated_pence),
            awarded: from_pence(self.awarded_pence),
            paid: from_pence(self.paid_pence),
            returned: from_pence(self.returned_pence),
            disbursed: from_pence(self.paid_pence - self.returned_pence),
            available: from_pence(self.available_pence),
        })
    }
}

const FUND_COLUMNS: &str = "f.fund_id, f.name, f.funder_org_id, f.funder_name, f.established_on";

#[derive(sqlx::FromRow)]
struct RoundRow {
    round_id: String,
    fund_id: String,
    name: String,
    status: String,
    opens_on: String,
    closes_on: String,
    closed_on: Option<String>,
    decision_mode: String,
    themes: String,
    eligible_areas: String,
    budget_pence: i64,
    awarded_pence: i64,
    returned_to_fund_pence: i64,
}

impl RoundRow {
    fn into_summary(self, applications: ApplicationCounts) -> Result<RoundSummary> {
        Ok(RoundSummary {
            round_id: RoundId::new(self.round_id),
            fund_id: FundId::new(self.fund_id),
            name: self.name,
            status: if self.status == "closed" {
                RoundStatus::Closed
            } else {
                RoundStatus::Open
            },
            opens_on: date(&self.opens_on)?,
            closes_on: date(&self.closes_on)?,
            closed_on: opt_date(self.closed_on)?,
            decision_mode: self.decision_mode,
            themes: list(&self.themes)?,
            eligible_areas: list(&self.eligible_areas)?,
            budget: from_pence(self.budget_pence),
            awarded: from_pence(self.awarded_pence),
            remaining: from_pence(
                self.budget_pence - self.awarded_pence - self.returned_to_fund_pence,
            ),
            returned_to_fund: from_pence(self.returned_to_fund_pence),
            applications,
        })
    }
}

const ROUND_COLUMNS: &str =
    "round_id, fund_id, name, status, opens_on, closes_on, closed_on, decision_mode, themes, \
     eligible_areas, budget_pence, awarded_pence, returned_to_fund_pence";

#[derive(sqlx::FromRow)]
struct AwardRow {
    award_id: String,
    application_id: Option<String>,
    fund_id: String,
    round_id: Option<String>,
    recipient_org_id: String,
    recipient_name: String,
    title: String,
    neighbourhood: Option<String>,
    themes: String,
    status: String,
    awarded_on: String,
    accepted_on: Option<String>,
    closed_on: Option<String>,
    awarded_pence: i64,
    paid_pence: i64,
    returned_pence: i64,
    spend_reported_pence: i64,
    grant_id: Option<String>,
    approved_unpaid_pence: i64,
    requested_pending_pence: i64,
}

/// The register's columns, and the sums of the award's open drawdowns (by the drawdowns'
/// primary key, so a page of awards stays one indexed statement).
const AWARD_COLUMNS: &str = "a.award_id, a.application_id, a.fund_id, a.round_id, a.recipient_org_id, \
     a.recipient_name, a.title, a.neighbourhood, a.themes, a.status, a.awarded_on, a.accepted_on, a.closed_on, \
     a.awarded_pence, a.paid_pence, a.returned_pence, a.spend_reported_pence, a.grant_id, \
     CAST(coalesce((SELECT sum(d.amount_pence) FROM rm_drawdowns d \
       WHERE d.award_id = a.award_id AND d.status = 'approved'), 0) AS BIGINT) AS approved_unpaid_pence, \
     CAST(coalesce((SELECT sum(d.amount_pence) FROM rm_drawdowns d \
       WHERE d.award_id = a.award_id AND d.status = 'requested'), 0) AS BIGINT) AS requested_pending_pence";

/// The domain's own rule for what may be drawn, on the register's figures.
fn available_to_draw(row: &AwardRow) -> Result<Decimal> {
    use domain::award::AwardStatus;
    // The words the fold writes to `rm_awards.status`.
    let status = match row.status.as_str() {
        "offered" => AwardStatus::Offered,
        "active" => AwardStatus::Active,
        "closed" => AwardStatus::Closed,
        "historic" => AwardStatus::Historic,
        other => {
            return Err(ProjectionError::BadRow(format!(
                "award {}: status '{other}'",
                row.award_id
            )))
        }
    };
    let money = |pence: i64| {
        u64::try_from(pence)
            .map(Money::from_pence)
            .map_err(|_| ProjectionError::BadRow(format!("award {}: {pence} pence", row.award_id)))
    };
    let available = domain::award::available_to_draw(
        status,
        money(row.awarded_pence)?,
        money(row.paid_pence)?,
        money(row.approved_unpaid_pence)?,
    );
    Ok(available.amount())
}

impl AwardRow {
    fn into_record(self) -> Result<AwardRecord> {
        let available_to_draw = available_to_draw(&self)?;
        Ok(AwardRecord {
            award_id: AwardId::new(self.award_id),
            application_id: self.application_id,
            fund_id: FundId::new(self.fund_id),
            round_id: self.round_id.map(RoundId::new),
            recipient_org_id: self.recipient_org_id,
            recipient_name: self.recipient_name,
            title: self.title,
            neighbourhood: self.neighbourhood,
            themes: list(&self.themes)?,
            status: self.status,
            grant_id: self.grant_id,
            awarded_on: date(&self.awarded_on)?,
            accepted_on: opt_date(self.accepted_on)?,
            closed_on: opt_date(self.closed_on)?,
            awarded: from_pence(self.awarded_pence),
            paid: from_pence(self.paid_pence),
            returned: from_pence(self.returned_pence),
            disbursed: from_pence(self.paid_pence - self.returned_pence),
            approved_unpaid: from_pence(self.approved_unpaid_pence),
            requested_pending: from_pence(self.requested_pending_pence),
            available_to_draw,
            spend_reported: from_pence(self.spend_reported_pence),
            drawdowns: Vec::new(),
        })
    }
}

#[derive(sqlx::FromRow)]
struct DrawdownRow {
    drawdown_id: String,
    amount_pence: i64,
    purpose: String,
    status: String,
    requested_on: String,
    decided_on: Option<String>,
    paid_on: Option<String>,
    payment_ref: Option<String>,
    reason: Option<String>,
}

#[derive(sqlx::FromRow)]
struct ApplicationRow {
    application_id: String,
    round_id: String,
    fund_id: String,
    applicant_org_id: String,
    applicant_name: String,
    title: String,
    amount_requested_pence: i64,
    neighbourhood: String,
    themes: String,
    status: String,
    submitted_on: String,
    decided_on: Option<String>,
    award_id: Option<String>,
    approved_pence: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct AreaRow {
    code: String,
    name: String,
    level: String,
    parent_code: Option<String>,
    population: Option<i64>,
    imd_decile: Option<i64>,
}

impl From<AreaRow> for Area {
    fn from(row: AreaRow) -> Area {
        Area {
            code: row.code,
            name: Some(row.name),
            level: Some(row.level),
            parent_code: row.parent_code,
            population: row.population,
            imd_decile: row.imd_decile.and_then(|decile| i16::try_from(decile).ok()),
        }
    }
}

// ---------------------------------------------------------------- funds

/// Every fund's position now, by fund id.
pub async fn funds(db: &Database) -> Result<Vec<FundPosition>> {
    let sql = format!(
        "SELECT {FUND_COLUMNS}, f.received_pence, f.allocated_pence, f.awarded_pence, f.paid_pence, \
         f.returned_pence, f.available_pence FROM rm_funds f ORDER BY f.fund_id"
    );
    let rows: Vec<FundRow> = on_pool!(db, |pool| sqlx::query_as(&sql).fetch_all(pool).await?);
    rows.into_iter()
        .map(|row| row.into_position(None))
        .collect()
}

/// A fund's position now, or at the end of `as_of` (from the fund's daily series).
pub async fn fund_position(
    db: &Database,
    fund: &FundId,
    as_of: Option<Date>,
) -> Result<Option<FundPosition>> {
    let row: Option<FundRow> = match as_of {
        None => {
            let sql = format!(
                "SELECT {FUND_COLUMNS}, f.received_pence, f.allocated_pence, f.awarded_pence, f.paid_pence, \
                 f.returned_pence, f.available_pence FROM rm_funds f WHERE f.fund_id = $1"
            );
            on_pool!(db, |pool| sqlx::query_as(&sql)
                .bind(fund.as_str())
                .fetch_optional(pool)
                .await?)
        }
        Some(day) => {
            let sql = format!(
                "SELECT {FUND_COLUMNS},
                    CAST(coalesce(sum(d.received_pence), 0) AS BIGINT) AS received_pence,
                    CAST(coalesce(sum(d.allocated_pence), 0) AS BIGINT) AS allocated_pence,
                    CAST(coalesce(sum(d.awarded_pence), 0) AS BIGINT) AS awarded_pence,
                    CAST(coalesce(sum(d.paid_pence), 0) AS BIGINT) AS paid_pence,
                    CAST(coalesce(sum(d.returned_pence), 0) AS BIGINT) AS returned_pence,
                    CAST(coalesce(sum(d.available_pence), 0) AS BIGINT) AS available_pence
                   FROM rm_funds f LEFT JOIN rm_fund_daily d ON d.fund_id = f.fund_id AND d.day <= $1
                  WHERE f.fund_id = $2
                  GROUP BY {FUND_COLUMNS}"
            );
            on_pool!(db, |pool| sqlx::query_as(&sql)
                .bind(day.to_string())
                .bind(fund.as_str())
                .fetch_optional(pool)
                .await?)
        }
    };
    row.map(|row| row.into_position(as_of)).transpose()
}

// ---------------------------------------------------------------- rounds and applications

/// Application counts by status for each round, in the order of `round_ids`: one query
/// per [`COUNT_ROUNDS_PER_QUERY`] rounds, not one per round.
async fn application_counts(db: &Database, round_ids: &[String]) -> Result<Vec<ApplicationCounts>> {
    let mut by_round: HashMap<String, ApplicationCounts> = HashMap::new();
    for chunk in round_ids.chunks(COUNT_ROUNDS_PER_QUERY) {
        let mut sql = Sql::default();
        sql.push("SELECT round_id, status, count(*) FROM rm_applications WHERE round_id IN (");
        for (index, round_id) in chunk.iter().enumerate() {
            if index > 0 {
                sql.push(", ");
            }
            sql.bind_text(round_id.as_str());
        }
        sql.push(") GROUP BY round_id, status");
        let rows: Vec<(String, String, i64)> =
            on_pool!(db, |pool| bind_all!(sqlx::query_as(&sql.text), &sql.params)
                .fetch_all(pool)
                .await?);
        for (round_id, status, n) in rows {
            let count = by_round.entry(round_id).or_default();
            match status.as_str() {
                "submitted" => count.submitted = n,
                "withdrawn" => count.withdrawn = n,
                "declined" => count.declined = n,
                "approved" => count.approved = n,
                _ => {}
            }
            count.total += n;
        }
    }
    Ok(round_ids
        .iter()
        .map(|round_id| by_round.remove(round_id).unwrap_or_default())
        .collect())
}

/// Bound parameters per counting query (SQLite allows 32,766).
const COUNT_ROUNDS_PER_QUERY: usize = 500;

pub async fn round_summary(db: &Database, round: &RoundId) -> Result<Option<RoundSummary>> {
    let sql = format!("SELECT {ROUND_COLUMNS} FROM rm_rounds WHERE round_id = $1");
    let row: Option<RoundRow> = on_pool!(db, |pool| sqlx::query_as(&sql)
        .bind(round.as_str())
        .fetch_optional(pool)
        .await?);
    let Some(row) = row else { return Ok(None) };
    let counts = application_counts(db, std::slice::from_ref(&row.round_id)).await?;
    row.into_summary(counts.into_iter().next().unwrap_or_default())
        .map(Some)
}

/// Rounds, optionally of one fund and in one status, by round id.
pub async fn rounds(
    db: &Database,
    fund: Option<&FundId>,
    status: Option<RoundStatus>,
) -> Result<Vec<RoundSummary>> {
    let mut sql = Sql::default();
    sql.push(&format!(
        "SELECT {ROUND_COLUMNS} FROM rm_rounds WHERE 1 = 1"
    ));
    if let Some(fund) = fund {
        sql.push(" AND fund_id = ").bind_text(fund.as_str());
    }
    if let Some(status) = status {
        sql.push(" AND status = ").bind_text(status.as_str());
    }
    sql.push(" ORDER BY round_id");
    let rows: Vec<RoundRow> =
        on_pool!(db, |pool| bind_all!(sqlx::query_as(&sql.text), &sql.params)
            .fetch_all(pool)
            .await?);
    let ids: Vec<String> = rows.iter().map(|row| row.round_id.clone()).collect();
    let counts = application_counts(db, &ids).await?;
    rows.into_iter()
        .zip(counts)
        .map(|(row, counts)| row.into_summary(counts))
        .collect()
}

/// A round's applications, by application id.
pub async fn applications(db: &Database, round: &RoundId) -> Result<Vec<ApplicationRecord>> {
    let rows: Vec<ApplicationRow> = on_pool!(db, |pool| {
        sqlx::query_as(
        "SELECT application_id, round_id, fund_id, applicant_org_id, applicant_name, title, amount_requested_pence,
                neighbourhood, themes, status, submitted_on, decided_on, award_id, approved_pence
           FROM rm_applications WHERE round_id = $1 ORDER BY application_id"
    )
    .bind(round.as_str())
    .fetch_all(pool)
    .await?
    });
    rows.into_iter()
        .map(|row| {
            Ok(ApplicationRecord {
                application_id: row.application_id,
                round_id: RoundId::new(row.round_id),
                fund_id: FundId::new(row.fund_id),
                applicant_org_id: row.applicant_org_id,
                applicant_name: row.applicant_name,
                title: row.title,
                amount_requested: from_pence(row.amount_requested_pence),
                neighbourhood: row.neighbourhood,
                themes: list(&row.themes)?,
                status: row.status,
                submitted_on: date(&row.submitted_on)?,
                decided_on: opt_date(row.decided_on)?,
                award_id: row.award_id.map(AwardId::new),
                approved_amount: row.approved_pence.map(from_pence),
            })
        })
        .collect()
}

// ---------------------------------------------------------------- awards

/// One award with its drawdowns.
pub async fn award(db: &Database, award: &AwardId) -> Result<Option<AwardRecord>> {
    let sql = format!("SELECT {AWARD_COLUMNS} FROM rm_awards a WHERE a.award_id = $1");
    let row: Option<AwardRow> = on_pool!(db, |pool| sqlx::query_as(&sql)
        .bind(award.as_str())
        .fetch_optional(pool)
        .await?);
    let Some(row) = row else { return Ok(None) };
    let mut record = row.into_record()?;
    let drawdowns: Vec<DrawdownRow> = on_pool!(db, |pool| {
        sqlx::query_as(
        "SELECT drawdown_id, amount_pence, purpose, status, requested_on, decided_on, paid_on, payment_ref, reason
           FROM rm_drawdowns WHERE award_id = $1 ORDER BY requested_on, drawdown_id"
    )
    .bind(award.as_str())
    .fetch_all(pool)
    .await?
    });
    record.drawdowns = drawdowns
        .into_iter()
        .map(|row| {
            Ok(DrawdownRecord {
                drawdown_id: row.drawdown_id,
                amount: from_pence(row.amount_pence),
                purpose: row.purpose,
                status: row.status,
                requested_on: date(&row.requested_on)?,
                decided_on: opt_date(row.decided_on)?,
                paid_on: opt_date(row.paid_on)?,
                payment_ref: row.payment_ref,
                reason: row.reason,
            })
        })
        .collect::<Result<_>>()?;
    Ok(Some(record))
}

/// What the 360Giving export publishes of an award beyond its register entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AwardPublication {
    /// The application's amount requested (`amountAppliedFor`); `None` for a historic
    /// grant, which went through no application here.
    pub applied_for: Option<Decimal>,
    /// The latest business date of an event that changed what the award's record says
    /// (`dateModified`): made, accepted, paid, varied, returned or closed.
    pub modified_on: Date,
    /// A historic grant's fields of the 360Giving standard as the funder published them
    /// (a JSON object); `None` for awards made here and grants imported before it was kept.
    pub published_grant: Option<String>,
    /// The recorded payments, by date (never their references, which are private).
    pub payments: Vec<Payment>,
}

/// One recorded payment: the drawdown it paid, its amount and date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Payment {
    pub drawdown_id: String,
    pub amount: Decimal,
    pub paid_on: Date,
}

#[derive(sqlx::FromRow)]
struct PublicationRow {
    award_id: String,
    applied_for_pence: Option<i64>,
    modified_on: String,
    published_grant: Option<String>,
}

#[derive(sqlx::FromRow)]
struct PaymentRow {
    award_id: String,
    drawdown_id: String,
    amount_pence: i64,
    paid_on: String,
}

/// `{select} … IN (awards…) {order}`: one statement for a page of awards.
fn for_awards(select: &str, awards: &[AwardId], order: &str) -> Sql {
    let mut sql = Sql::default();
    sql.push(select).push(" IN (");
    for (index, award) in awards.iter().enumerate() {
        if index > 0 {
            sql.push(", ");
        }
        sql.bind_text(award.as_str());
    }
    sql.push(")").push(order);
    sql
}

/// The publication details of `awards` (a page of the register, at most
/// [`MAX_PAGE_SIZE`]), in two statements; awards not in the register are left out.
pub async fn award_publications(
    db: &Database,
    awards: &[AwardId],
) -> Result<HashMap<AwardId, AwardPublication>> {
    if awards.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = for_awards(
        "SELECT a.award_id, p.amount_requested_pence AS applied_for_pence, a.modified_on, a.published_grant
           FROM rm_awards a LEFT JOIN rm_applications p ON p.application_id = a.application_id
          WHERE a.award_id",
        awards,
        "",
    );
    let rows: Vec<PublicationRow> =
        on_pool!(db, |pool| bind_all!(sqlx::query_as(&sql.text), &sql.params)
            .fetch_all(pool)
            .await?);
    let mut found = HashMap::with_capacity(rows.len());
    for row in rows {
        let publication = AwardPublication {
            applied_for: row.applied_for_pence.map(from_pence),
            modified_on: date(&row.modified_on)?,
            published_grant: row.published_grant,
            payments: Vec::new(),
        };
        found.insert(AwardId::new(row.award_id), publication);
    }
    let sql = for_awards(
        "SELECT award_id, drawdown_id, amount_pence, paid_on FROM rm_drawdowns
          WHERE paid_on IS NOT NULL AND award_id",
        awards,
        " ORDER BY award_id, paid_on, drawdown_id",
    );
    let rows: Vec<PaymentRow> =
        on_pool!(db, |pool| bind_all!(sqlx::query_as(&sql.text), &sql.params)
            .fetch_all(pool)
            .await?);
    for row in rows {
        if let Some(publication) = found.get_mut(&AwardId::new(row.award_id)) {
            publication.payments.push(Payment {
                drawdown_id: row.drawdown_id,
                amount: from_pence(row.amount_pence),
                paid_on: date(&row.paid_on)?,
            });
        }
    }
    Ok(found)
}

/// A page of awards matching `filter`, by award id, now; `after` is the previous page's
/// `end_cursor`. `first` is capped at [`MAX_PAGE_SIZE`]. (`awards_listed` for other
/// orders and earlier days.)
pub async fn awards(
    db: &Database,
    filter: &AwardFilter,
    first: u32,
    after: Option<&str>,
) -> Result<AwardPage> {
    awards_listed(db, filter, &AwardListing::default(), first, after).await
}

/// An award page's cursor is an award's id (`end_cursor`): anything else is refused, not
/// read as a place in the order of ids (which would silently answer some other page).
async fn check_award_cursor(db: &Database, cursor: &str) -> Result<()> {
    let refused = || {
        ProjectionError::BadQuery(format!(
            "cursor '{}' is not an award page's cursor; pass a pageInfo.endCursor",
            cursor.chars().take(MAX_CURSOR_CHARS).collect::<String>()
        ))
    };
    if cursor.is_empty() || cursor.chars().count() > MAX_CURSOR_CHARS {
        return Err(refused());
    }
    let found: Option<i32> = on_pool!(db, |pool| sqlx::query_scalar(
        "SELECT 1 FROM rm_awards WHERE award_id = $1"
    )
    .bind(cursor)
    .fetch_optional(pool)
    .await?);
    match found {
        Some(_) => Ok(()),
        None => Err(refused()),
    }
}

/// The longest award page cursor (an award id) accepted.
const MAX_CURSOR_CHARS: usize = 200;

// ---------------------------------------------------------------- totals

/// Totals over the awards matching the filter, now or as of the end of a date. Awards in
/// a neighbourhood roll up to every ancestor in the reference geography.
pub async fn totals(db: &Database, filter: &TotalsFilter) -> Result<Totals> {
    // One statement either way: a public `neighbourhood { totals }` is one round trip.
    let mut sql = Sql::default();
    with_area(&mut sql, &filter.awards);
    match filter.as_of {
        None => {
            sql.push(
                "SELECT CAST(coalesce(sum(a.awarded_pence), 0) AS BIGINT), CAST(coalesce(sum(a.paid_pence), 0) AS BIGINT),
                        CAST(coalesce(sum(a.returned_pence), 0) AS BIGINT), CAST(coalesce(sum(a.spend_reported_pence), 0) AS BIGINT),
                        count(*), count(DISTINCT a.recipient_org_id)
                   FROM rm_awards a WHERE 1 = 1",
            );
            award_conditions(&mut sql, &filter.awards);
        }
        Some(day) => {
            // Amounts from the daily series up to the day; counts over the awards made
            // by then.
            sql.push(if filter.awards.neighbourhood.is_some() {
                ", "
            } else {
                "WITH "
            });
            sql.push(
                "sums AS (
                    SELECT sum(d.awarded_pence) AS awarded, sum(d.paid_pence) AS paid,
                           sum(d.returned_pence) AS returned, sum(d.spend_pence) AS spend
                      FROM rm_award_daily d JOIN rm_awards a ON a.award_id = d.award_id
                     WHERE d.day <= ",
            )
            .bind_text(day.to_string());
            let day_param = sql.last_param();
            award_conditions(&mut sql, &filter.awards);
            sql.push(
                "), counts AS (
                    SELECT count(*) AS awards, count(DISTINCT a.recipient_org_id) AS recipients
                      FROM rm_awards a WHERE a.awarded_on <= ",
            )
            .param_again(day_param);
            award_conditions(&mut sql, &filter.awards);
            sql.push(
                ") SELECT CAST(coalesce(sums.awarded, 0) AS BIGINT), CAST(coalesce(sums.paid, 0) AS BIGINT),
                          CAST(coalesce(sums.returned, 0) AS BIGINT), CAST(coalesce(sums.spend, 0) AS BIGINT),
                          CAST(counts.awards AS BIGINT), CAST(counts.recipients AS BIGINT)
                     FROM sums, counts",
            );
        }
    }
    let (awarded, paid, returned, spend, award_count, recipient_count): (
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
    ) = on_pool!(db, |pool| bind_all!(sqlx::query_as(&sql.text), &sql.params)
        .fetch_one(pool)
        .await?);
    Ok(Totals {
        awarded: from_pence(awarded),
        paid: from_pence(paid),
        returned: from_pence(returned),
        disbursed: from_pence(paid - returned),
        reported_spend: from_pence(spend),
        award_count,
        recipient_count,
    })
}

/// An area from the reference geography, or a bare code when it is not there.
pub async fn area(db: &Database, code: &GeoCode) -> Result<Area> {
    let row: Option<AreaRow> = on_pool!(db, |pool| sqlx::query_as(
        "SELECT code, name, level, parent_code, CAST(population AS BIGINT) AS population,
                CAST(imd_decile AS BIGINT) AS imd_decile FROM geography WHERE code = $1"
    )
    .bind(code.as_str())
    .fetch_optional(pool)
    .await?);
    Ok(row.map(Area::from).unwrap_or_else(|| Area {
        code: code.as_str().to_string(),
        name: None,
        level: None,
        parent_code: None,
        population: None,
        imd_decile: None,
    }))
}

/// The areas directly below `code` in the reference geography, by code: those whose
/// parent of any kind it is (an MSOA's LSOAs as well as a ward's).
pub async fn children(db: &Database, code: &GeoCode) -> Result<Vec<Area>> {
    let rows: Vec<AreaRow> = on_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT code, name, level, parent_code, CAST(population AS BIGINT) AS population,
                CAST(imd_decile AS BIGINT) AS imd_decile FROM geography
          WHERE code IN (SELECT code FROM geography_parents WHERE parent_code = $1) ORDER BY code",
        )
        .bind(code.as_str())
        .fetch_all(pool)
        .await?
    });
    Ok(rows.into_iter().map(Area::from).collect())
}

/// The areas of the reference geography among `codes`, by code; codes it does not know
/// are left out. One query per [`MAX_PAGE_SIZE`] codes (exports look up a page's
/// neighbourhoods at once instead of one query per award).
pub async fn areas(db: &Database, codes: &[String]) -> Result<Vec<Area>> {
    let mut found = Vec::with_capacity(codes.len());
    for chunk in codes.chunks(MAX_PAGE_SIZE as usize) {
        let mut sql = Sql::default();
        sql.push(
            "SELECT code, name, level, parent_code, CAST(population AS BIGINT) AS population,
                    CAST(imd_decile AS BIGINT) AS imd_decile FROM geography WHERE code IN (",
        );
        for (index, code) in chunk.iter().enumerate() {
            if index > 0 {
                sql.push(", ");
            }
            sql.bind_text(code.as_str());
        }
        sql.push(") ORDER BY code");
        let rows: Vec<AreaRow> =
            on_pool!(db, |pool| bind_all!(sqlx::query_as(&sql.text), &sql.params)
                .fetch_all(pool)
                .await?);
        found.extend(rows.into_iter().map(Area::from));
    }
    found.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(found)
}

/// Totals for one area (its own awards and those of every area below it), optionally as
/// of a date and for one round, theme or fund.
pub async fn neighbourhood_totals(
    db: &Database,
    code: &GeoCode,
    as_of: Option<Date>,
    round: Option<&RoundId>,
    theme: Option<&str>,
    fund: Option<&FundId>,
) -> Result<NeighbourhoodTotals> {
    let filter = TotalsFilter {
        awards: AwardFilter {
            neighbourhood: Some(code.clone()),
            round: round.cloned(),
            fund: fund.cloned(),
            theme: theme.map(str::to_string),
            ..AwardFilter::default()
        },
        as_of,
    };
    Ok(NeighbourhoodTotals {
        area: area(db, code).await?,
        totals: totals(db, &filter).await?,
    })
}

#[derive(sqlx::FromRow)]
struct RankedRow {
    code: String,
    name: String,
    level: String,
    parent_code: Option<String>,
    population: Option<i64>,
    imd_decile: Option<i64>,
    awarded_pence: i64,
    paid_pence: i64,
    returned_pence: i64,
    spend_pence: i64,
    award_count: i64,
    recipient_count: i64,
}

impl From<RankedRow> for NeighbourhoodTotals {
    fn from(row: RankedRow) -> Self {
        NeighbourhoodTotals {
            area: Area {
                code: row.code,
                name: Some(row.name),
                level: Some(row.level),
                parent_code: row.parent_code,
                population: row.population,
                imd_decile: row.imd_decile.and_then(|decile| i16::try_from(decile).ok()),
            },
            totals: Totals {
                awarded: from_pence(row.awarded_pence),
                paid: from_pence(row.paid_pence),
                returned: from_pence(row.returned_pence),
                disbursed: from_pence(row.paid_pence - row.returned_pence),
                reported_spend: from_pence(row.spend_pence),
                award_count: row.award_count,
                recipient_count: row.recipient_count,
            },
        }
    }
}

/// Areas of the reference geography with their rolled-up totals, ranked. Pages are
/// offsets into the ranking (`end_cursor` is the offset of the next page).
pub async fn neighbourhoods(
    db: &Database,
    query: &NeighbourhoodQuery,
) -> Result<NeighbourhoodPage> {
    let first = query.first.clamp(1, MAX_PAGE_SIZE);
    let offset: i64 = match &query.after {
        None => 0,
        Some(cursor) => cursor.parse().map_err(|_| {
            ProjectionError::BadQuery(format!("cursor '{cursor}' is not from neighbourhoods"))
        })?,
    };
    let sql = ranked_neighbourhoods_sql(query, first, offset);
    let rows: Vec<RankedRow> =
        on_pool!(db, |pool| bind_all!(sqlx::query_as(&sql.text), &sql.params)
            .fetch_all(pool)
            .await?);
    let has_next_page = rows.len() > first as usize;
    let areas: Vec<NeighbourhoodTotals> = rows
        .into_iter()
        .take(first as usize)
        .map(NeighbourhoodTotals::from)
        .collect();
    Ok(NeighbourhoodPage {
        end_cursor: has_next_page.then(|| (offset + areas.len() as i64).to_string()),
        areas,
        has_next_page,
    })
}

/// `rolled(code, awarded, paid, returned, spend, awards, recipients)`: each award's
/// neighbourhood rolled up to itself and every ancestor it has (only the awards in the
/// query's `within` area when it has one: no other award reaches an area inside it), now
/// or as of the query's day.
fn push_rolled_cte(sql: &mut Sql, query: &NeighbourhoodQuery) {
    // Within an area, only its awards, rolled up only to the areas listed (`kids`): not
    // to every area above each award (measured for Hull's wards at 1,000,000 events:
    // 21 ms rolling to all 190 areas in Hull, 6 ms to its 21 wards).
    let in_area = if query.within.is_some() {
        " AND a.neighbourhood IN (SELECT code FROM area) AND up.ancestor IN (SELECT code FROM kids)"
    } else {
        ""
    };
    let Some(day) = query.as_of else {
        sql.push(
            "rolled AS (
            SELECT up.ancestor AS code, sum(a.awarded_pence) AS awarded, sum(a.paid_pence) AS paid,
                   sum(a.returned_pence) AS returned, sum(a.spend_reported_pence) AS spend,
                   count(*) AS awards, count(DISTINCT a.recipient_org_id) AS recipients
              FROM rm_awards a JOIN geography_ancestors up ON up.code = a.neighbourhood
             WHERE 1 = 1",
        )
        .push(in_area)
        .push(" GROUP BY up.ancestor)");
        return;
    };
    sql.push(
        "sums AS (
            SELECT d.award_id, sum(d.awarded_pence) AS awarded, sum(d.paid_pence) AS paid,
                   sum(d.returned_pence) AS returned, sum(d.spend_pence) AS spend
              FROM rm_award_daily d WHERE d.day <= ",
    )
    .bind_text(day.to_string());
    let day_param = sql.last_param();
    if query.within.is_some() {
        // Only the area's awards' days, by the series' key (award, day): summing every
        // award's series took an authority's wards 4.8 s at 300,000 awards, this 0.3 s.
        sql.push(
            " AND d.award_id IN (SELECT a.award_id FROM rm_awards a
                                  WHERE a.neighbourhood IN (SELECT code FROM area))",
        );
    }
    sql.push(
        " GROUP BY d.award_id),
        rolled AS (
            SELECT up.ancestor AS code, sum(coalesce(s.awarded, 0)) AS awarded,
                   sum(coalesce(s.paid, 0)) AS paid, sum(coalesce(s.returned, 0)) AS returned,
                   sum(coalesce(s.spend, 0)) AS spend,
                   count(*) AS awards, count(DISTINCT a.recipient_org_id) AS recipients
              FROM rm_awards a JOIN geography_ancestors up ON up.code = a.neighbourhood
              LEFT JOIN sums s ON s.award_id = a.award_id
             WHERE a.awarded_on <= ",
    )
    .param_again(day_param)
    .push(in_area)
    .push(" GROUP BY up.ancestor)");
}

/// `, kids AS (…), `: the areas of `area` (at `level`, if any) with their geography row,
/// found by code through the covering index (migration 0021) rather than by reading every
/// area of the level.
fn push_listed_areas_cte(sql: &mut Sql, level: Option<GeoLevel>) {
    sql.push(
        ", kids AS (SELECT g.code, g.name, g.level, g.parent_code, g.population, g.imd_decile
                      FROM area JOIN geography g ON g.code = area.code WHERE 1 = 1",
    );
    if let Some(level) = level {
        sql.push(" AND g.level = ").bind_text(level.as_str());
    }
    sql.push("), ");
}

/// The query behind [`neighbourhoods`]: every area of the query's level (and area) with
/// its rolled-up totals, in the query's order, one row more than the page to tell whether
/// another page follows.
fn ranked_neighbourhoods_sql(query: &NeighbourhoodQuery, first: u32, offset: i64) -> Sql {
    let mut sql = Sql::default();
    sql.push("WITH ");
    if let Some(within) = &query.within {
        push_area_cte(&mut sql, within.as_str());
        push_listed_areas_cte(&mut sql, query.level);
    }
    push_rolled_cte(&mut sql, query);
    let listed = if query.within.is_some() {
        "kids"
    } else {
        "geography"
    };
    sql.push(&format!(
        "
        SELECT g.code, g.name, g.level, g.parent_code, CAST(g.population AS BIGINT) AS population,
               CAST(g.imd_decile AS BIGINT) AS imd_decile,
               CAST(coalesce(r.awarded, 0) AS BIGINT) AS awarded_pence,
               CAST(coalesce(r.paid, 0) AS BIGINT) AS paid_pence,
               CAST(coalesce(r.returned, 0) AS BIGINT) AS returned_pence,
               CAST(coalesce(r.spend, 0) AS BIGINT) AS spend_pence,
               CAST(coalesce(r.awards, 0) AS BIGINT) AS award_count,
               CAST(coalesce(r.recipients, 0) AS BIGINT) AS recipient_count
          FROM {listed} g LEFT JOIN rolled r ON r.code = g.code
         WHERE 1 = 1",
    ));
    if let (Some(level), None) = (query.level, &query.within) {
        sql.push(" AND g.level = ").bind_text(level.as_str());
    }
    sql.push(match query.order {
        NeighbourhoodOrder::AwardedDesc => " ORDER BY awarded_pence DESC, g.code",
        NeighbourhoodOrder::DisbursedDesc => " ORDER BY coalesce(r.paid, 0) - coalesce(r.returned, 0) DESC, g.code",
        NeighbourhoodOrder::AwardCountDesc => " ORDER BY award_count DESC, g.code",
        NeighbourhoodOrder::AwardedPerHeadDesc => {
            " ORDER BY CASE WHEN g.population > 0 THEN CAST(coalesce(r.awarded, 0) AS REAL) / g.population ELSE 0 END DESC, g.code"
        }
        NeighbourhoodOrder::CodeAsc => " ORDER BY g.code",
    });
    sql.push(" LIMIT ")
        .bind(Param::Int(i64::from(first) + 1))
        .push(" OFFSET ")
        .bind(Param::Int(offset));
    sql
}

// ---------------------------------------------------------------- ledger

/// The head of the hash chain as far as the projector has got.
pub async fn ledger_head(db: &Database) -> Result<LedgerHead> {
    let row: Option<(i64, i64, String)> = on_pool!(db, |pool| sqlx::query_as(
        "SELECT ordinal, position, hash FROM ledger_chain ORDER BY ordinal DESC LIMIT 1"
    )
    .fetch_optional(pool)
    .await?);
    Ok(match row {
        Some((ordinal, position, hash)) => LedgerHead {
            events: ordinal,
            position,
            head: hash,
        },
        None => LedgerHead {
            events: 0,
            position: 0,
            head: crate::chain::GENESIS_HASH.to_string(),
        },
    })
}

// ---------------------------------------------------------------- social return

mod award_listing;
mod award_story;
mod deprivation;
mod inputs;
mod ledger_events;
mod local_authority;
mod places;
mod recent;
mod reports_due;
mod search;
mod series;
mod social_return;

pub use award_listing::{awards_listed, AwardListing, AwardOrder};
pub use award_story::{
    award_approved_amount, award_changes, award_figures_as_of, award_outcomes, award_payments,
    AwardChanges, AwardFigures, OutcomeReport, PaidOn, ReturnedOn, Variation,
};
pub use deprivation::{deprivation, DecileShare};
pub use inputs::{award_inputs, InputRecord};
pub use ledger_events::{public_events, PublicEvent, PublicEventPage, PRIVATE_RECORD};
pub use local_authority::local_authority;
pub use places::{geography_version, reference_places, ReferencePlace};
pub use recent::{recent_awards, recent_payments, RecentPayment};
pub use reports_due::{
    active_awards_reports_due, award_report_history, award_reports_due, AwardReportsDue,
};
pub use search::{search_awards, search_recipients, RecipientMatch, MAX_SEARCH_RESULTS};
pub use series::{
    money_over_time, periods_of, MoneyMoved, MoneyOverTime, MoneyPeriod, SeriesInterval,
    SeriesScope,
};
pub use social_return::{
    outcome_proxy_versions, social_return, version_in_force, LineYear, ProxyVersion, SocialReturn,
    SocialReturnLine,
};

/// What a social-return account covers: exactly one of a fund, a round, an award, or an
/// area (its awards and those of every area below it, across funds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SocialReturnScope {
    Fund(FundId),
    Round(RoundId),
    Award(AwardId),
    Neighbourhood(GeoCode),
}

/// A fund's current proxy for one indicator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProxyRecord {
    pub fund_id: FundId,
    pub indicator: String,
    pub proxy: OutcomeProxy,
    pub set_on: Date,
}

/// `WITH …` and ` AND …` for the awards (`rm_awards a`) in `scope`.
pub(super) fn scope_sql(scope: &SocialReturnScope) -> (Sql, Sql) {
    let mut with = Sql::default();
    let mut conditions = Sql::default();
    match scope {
        SocialReturnScope::Fund(fund) => {
            conditions.push(" AND a.fund_id = $1");
            conditions
                .params
                .push(Param::Text(fund.as_str().to_string()));
        }
        SocialReturnScope::Round(round) => {
            conditions.push(" AND a.round_id = $1");
            conditions
                .params
                .push(Param::Text(round.as_str().to_string()));
        }
        SocialReturnScope::Award(award) => {
            conditions.push(" AND a.award_id = $1");
            conditions
                .params
                .push(Param::Text(award.as_str().to_string()));
        }
        SocialReturnScope::Neighbourhood(code) => {
            with_area(
                &mut with,
                &AwardFilter {
                    neighbourhood: Some(code.clone()),
                    ..AwardFilter::default()
                },
            );
            conditions.push(" AND a.neighbourhood IN (SELECT code FROM area)");
        }
    }
    (with, conditions)
}

/// `{with} {select} {conditions}` with the single scope parameter bound once.
fn scoped(scope: &SocialReturnScope, select: &str) -> Sql {
    let (with, conditions) = scope_sql(scope);
    let mut sql = Sql::default();
    sql.push(&with.text).push(select).push(&conditions.text);
    // The scope has exactly one parameter, in the WITH (area) or in the conditions.
    sql.params = with.params;
    sql.params.extend(conditions.params);
    debug_assert_eq!(sql.params.len(), 1);
    sql
}

fn exact(text: &str, what: &str) -> Result<Decimal> {
    Decimal::from_str_exact(text)
        .map_err(|_| ProjectionError::BadRow(format!("{what} '{text}' is not a decimal")))
}

fn share(text: &str, what: &str) -> Result<Fraction> {
    text.parse()
        .map_err(|error| ProjectionError::BadRow(format!("{what} '{text}': {error}")))
}

#[derive(sqlx::FromRow)]
struct ProxyRow {
    fund_id: String,
    indicator: String,
    unit: String,
    value_per_unit_pence: i64,
    deadweight: String,
    attribution: String,
    displacement: String,
    drop_off: String,
    duration_years: i64,
    set_on: String,
}

impl ProxyRow {
    fn into_record(self) -> Result<ProxyRecord> {
        let value_per_unit = Money::new(from_pence(self.value_per_unit_pence))
            .map_err(|error| ProjectionError::BadRow(format!("proxy value: {error}")))?;
        Ok(ProxyRecord {
            fund_id: FundId::new(self.fund_id),
            indicator: self.indicator,
            proxy: OutcomeProxy {
                unit: self.unit,
                value_per_unit,
                deadweight: share(&self.deadweight, "deadweight")?,
                attribution: share(&self.attribution, "attribution")?,
                displacement: share(&self.displacement, "displacement")?,
                drop_off: share(&self.drop_off, "drop-off")?,
                duration_years: u32::try_from(self.duration_years).map_err(|_| {
                    ProjectionError::BadRow(format!("duration {}", self.duration_years))
                })?,
            },
            set_on: date(&self.set_on)?,
        })
    }
}

const PROXY_SELECT: &str =
    "SELECT fund_id, indicator, unit, value_per_unit_pence, deadweight, attribution, \
     displacement, drop_off, duration_years, set_on FROM rm_outcome_proxies";

/// A fund's current outcome proxies, by indicator.
pub async fn outcome_proxies(db: &Database, fund: &FundId) -> Result<Vec<ProxyRecord>> {
    let sql = format!("{PROXY_SELECT} WHERE fund_id = $1 ORDER BY indicator");
    let rows: Vec<ProxyRow> = on_pool!(db, |pool| sqlx::query_as(&sql)
        .bind(fund.as_str())
        .fetch_all(pool)
        .await?);
    rows.into_iter().map(ProxyRow::into_record).collect()
}

/// Whether the fund, round or award a scope names exists (an area always does).
async fn scope_exists(db: &Database, scope: &SocialReturnScope) -> Result<bool> {
    let (table, key, id) = match scope {
        SocialReturnScope::Fund(fund) => ("rm_funds", "fund_id", fund.as_str()),
        SocialReturnScope::Round(round) => ("rm_rounds", "round_id", round.as_str()),
        SocialReturnScope::Award(award) => ("rm_awards", "award_id", award.as_str()),
        SocialReturnScope::Neighbourhood(_) => return Ok(true),
    };
    let sql = format!("SELECT count(*) FROM {table} WHERE {key} = $1");
    let found: i64 = on_pool!(db, |pool| sqlx::query_scalar(&sql)
        .bind(id)
        .fetch_one(pool)
        .await?);
    Ok(found > 0)
}

// ---------------------------------------------------------------- equity

/// One row of one nation's index: the nation and the IMD decile (1 = most deprived 10% of
/// that nation's small areas). Each nation ranks only its own areas, so the nation is
/// always part of the key: deciles of different nations are never pooled.
pub type DecileKey = (Nation, i16);

/// A fund's awards in one decile of one nation's index, or (no nation, no decile) the money
/// not assigned to any decile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EquityGroup {
    /// `None` for the not-assigned group.
    pub nation: Option<Nation>,
    /// `None` for the not-assigned group.
    pub imd_decile: Option<i16>,
    /// People in every LSOA of this nation and decile in the reference geography
    /// ([`decile_populations`]), whatever the fund awarded where; `None` for the
    /// not-assigned group.
    pub population: Option<i64>,
    /// `awarded_direct + awarded_apportioned`.
    pub awarded: Decimal,
    /// Awards made to LSOAs of this decile (in the not-assigned group: awards to areas with
    /// no decile and no LSOA with people below them).
    pub awarded_direct: Decimal,
    /// An estimate: this decile's parts of awards made to larger areas, shared by the
    /// population of their LSOAs ([`domain::apportion`]); in the not-assigned group, the
    /// parts falling on LSOAs without a decile.
    pub awarded_apportioned: Decimal,
    /// `awarded / population` to the penny, half away from zero; `None` without people.
    pub awarded_per_head: Option<Decimal>,
    /// Awards counted in `awarded_direct`.
    pub award_count: i64,
    /// Awards to larger areas with people in this group.
    pub apportioned_award_count: i64,
}

/// How a fund's awards fall across deprivation deciles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Equity {
    pub fund_id: FundId,
    /// The local authorities the fund has awarded in: every `lad` at or above an award's
    /// neighbourhood in the reference geography. Populations do not depend on them.
    pub local_authorities: Vec<String>,
    /// The fund's awarded total (historic grants included); the groups add up to it.
    pub awarded: Decimal,
    /// For each nation with deciles in the reference geography or the awards (England,
    /// Wales, Scotland, Northern Ireland), deciles 1 to 10, each present, awarded or not;
    /// then the not-assigned group if any money falls in it.
    pub groups: Vec<EquityGroup>,
}

/// The local authorities the fund's award neighbourhoods lie in.
const FUND_LADS: &str = "SELECT DISTINCT up.ancestor FROM rm_awards a
      JOIN geography_ancestors up ON up.code = a.neighbourhood
      JOIN geography g ON g.code = up.ancestor
     WHERE a.fund_id = $1 AND g.level = 'lad' ORDER BY up.ancestor";

/// The denominators of per-head figures: the people in every LSOA of each nation's decile
/// in the reference geography. Fixed: they do not move with where a fund awards. This is
/// the one place populations are chosen (a fund's declared priority areas will restrict
/// the LSOAs here).
pub async fn decile_populations(db: &Database) -> Result<BTreeMap<DecileKey, i64>> {
    let rows: Vec<(String, i64, i64)> = on_pool!(db, |pool| sqlx::query_as(
        "SELECT substr(code, 1, 1), CAST(imd_decile AS BIGINT), CAST(sum(population) AS BIGINT)
           FROM geography
          WHERE level = 'lsoa' AND imd_decile IS NOT NULL AND population IS NOT NULL
          GROUP BY substr(code, 1, 1), imd_decile"
    )
    .fetch_all(pool)
    .await?);
    rows.into_iter()
        .map(|(letter, decile, people)| Ok((decile_key(&letter, decile)?, people)))
        .collect()
}

fn decile_key(code: &str, decile: i64) -> Result<DecileKey> {
    let nation = code
        .chars()
        .next()
        .and_then(Nation::from_letter)
        .ok_or_else(|| ProjectionError::BadRow(format!("'{code}' names no UK nation")))?;
    let decile =
        i16::try_from(decile).map_err(|_| ProjectionError::BadRow(format!("decile {decile}")))?;
    Ok((nation, decile))
}

/// What one group has been given so far. `None` keys the not-assigned group.
#[derive(Debug, Clone, Copy, Default)]
struct DecileTally {
    direct_pence: i64,
    apportioned_pence: i64,
    award_count: i64,
    apportioned_award_count: i64,
}

type Tallies = BTreeMap<Option<DecileKey>, DecileTally>;

/// A fund's awards in one area: `(area, its level, its decile, awards, pence)`.
type AreaAwards = (Option<String>, Option<String>, Option<i64>, i64, i64);

async fn awards_by_area(db: &Database, fund: &FundId) -> Result<Vec<AreaAwards>> {
    Ok(on_pool!(db, |pool| sqlx::query_as(
        "SELECT a.neighbourhood, g.level, CAST(g.imd_decile AS BIGINT),
                CAST(count(*) AS BIGINT), CAST(coalesce(sum(a.awarded_pence), 0) AS BIGINT)
           FROM rm_awards a LEFT JOIN geography g ON g.code = a.neighbourhood
          WHERE a.fund_id = $1
          GROUP BY a.neighbourhood, g.level, g.imd_decile"
    )
    .bind(fund.as_str())
    .fetch_all(pool)
    .await?))
}

/// For each larger area the fund awarded in, the people in its LSOAs by group, in
/// apportioning order: nations, then deciles, the not-assigned group (LSOAs without a
/// decile) last.
async fn larger_area_weights(
    db: &Database,
    fund: &FundId,
) -> Result<HashMap<String, Vec<(Option<DecileKey>, u64)>>> {
    let rows: Vec<(String, String, Option<i64>, i64)> = on_pool!(db, |pool| sqlx::query_as(
        "WITH areas(code) AS (
            SELECT DISTINCT a.neighbourhood FROM rm_awards a
              LEFT JOIN geography g ON g.code = a.neighbourhood
             WHERE a.fund_id = $1 AND a.neighbourhood IS NOT NULL
               AND (g.level IS NULL OR g.level <> 'lsoa'))
         SELECT up.ancestor, substr(g.code, 1, 1), CAST(g.imd_decile AS BIGINT),
                CAST(sum(g.population) AS BIGINT)
           FROM areas JOIN geography_ancestors up ON up.ancestor = areas.code
           JOIN geography g ON g.code = up.code
          WHERE g.level = 'lsoa' AND g.population > 0
          GROUP BY up.ancestor, substr(g.code, 1, 1), g.imd_decile"
    )
    .bind(fund.as_str())
    .fetch_all(pool)
    .await?);
    let mut weights: HashMap<String, Vec<(Option<DecileKey>, u64)>> = HashMap::new();
    for (area, letter, decile, people) in rows {
        let key = decile
            .map(|decile| decile_key(&letter, decile))
            .transpose()?;
        let people = u64::try_from(people)
            .map_err(|_| ProjectionError::BadRow(format!("population {people}")))?;
        weights.entry(area).or_default().push((key, people));
    }
    for groups in weights.values_mut() {
        groups.sort_by_key(|(key, _)| (key.is_none(), *key));
    }
    Ok(weights)
}

/// Adds one area's awards to the tallies: to its decile when it is an LSOA, shared by the
/// population of its LSOAs when it is larger, not assigned when neither is known.
fn tally_area(
    tallies: &mut Tallies,
    area: AreaAwards,
    weights: &HashMap<String, Vec<(Option<DecileKey>, u64)>>,
) -> Result<()> {
    let (code, level, decile, awards, pence) = area;
    let shares = code.as_ref().and_then(|code| weights.get(code));
    if level.as_deref() == Some("lsoa") || shares.is_none() {
        let key = match (&code, decile) {
            (Some(code), Some(decile)) if level.as_deref() == Some("lsoa") => {
                Some(decile_key(code, decile)?)
            }
            _ => None,
        };
        let tally = tallies.entry(key).or_default();
        tally.direct_pence += pence;
        tally.award_count += awards;
        return Ok(());
    }
    let shares = shares.expect("checked above");
    let amount = u64::try_from(pence)
        .map_err(|_| ProjectionError::BadRow(format!("awarded {pence} pence")))?;
    let people: Vec<u64> = shares.iter().map(|(_, people)| *people).collect();
    let parts = apportion::by_largest_remainder(amount, &people)
        .ok_or_else(|| ProjectionError::BadRow("an area's LSOAs have no people".into()))?;
    for ((key, _), part) in shares.iter().zip(parts) {
        let tally = tallies.entry(*key).or_default();
        tally.apportioned_pence += i64::try_from(part).expect("a part is at most the amount");
        tally.apportioned_award_count += awards;
    }
    Ok(())
}

fn equity_group(
    key: Option<DecileKey>,
    tally: DecileTally,
    population: Option<i64>,
) -> EquityGroup {
    let awarded = from_pence(tally.direct_pence + tally.apportioned_pence);
    EquityGroup {
        nation: key.map(|(nation, _)| nation),
        imd_decile: key.map(|(_, decile)| decile),
        population,
        awarded,
        awarded_direct: from_pence(tally.direct_pence),
        awarded_apportioned: from_pence(tally.apportioned_pence),
        awarded_per_head: per_head(awarded, population),
        award_count: tally.award_count,
        apportioned_award_count: tally.apportioned_award_count,
    }
}

/// A fund's awards by the deprivation decile of their areas, per nation's index, against
/// the fixed populations of [`decile_populations`]. Awards to larger areas are apportioned
/// to the deciles of their LSOAs by population. `None` when the fund does not exist.
pub async fn equity(db: &Database, fund: &FundId) -> Result<Option<Equity>> {
    if !scope_exists(db, &SocialReturnScope::Fund(fund.clone())).await? {
        return Ok(None);
    }
    let weights = larger_area_weights(db, fund).await?;
    let mut tallies = Tallies::new();
    let mut awarded_pence = 0;
    for area in awards_by_area(db, fund).await? {
        awarded_pence += area.4;
        tally_area(&mut tallies, area, &weights)?;
    }
    let populations = decile_populations(db).await?;
    let nations: BTreeSet<Nation> = populations
        .keys()
        .map(|(nation, _)| *nation)
        .chain(tallies.keys().flatten().map(|(nation, _)| *nation))
        .collect();
    let mut groups = Vec::with_capacity(nations.len() * 10 + 1);
    for nation in nations {
        for decile in 1..=10 {
            let key = (nation, decile);
            let tally = tallies.get(&Some(key)).copied().unwrap_or_default();
            let population = populations.get(&key).copied().unwrap_or(0);
            groups.push(equity_group(Some(key), tally, Some(population)));
        }
    }
    if let Some(tally) = tallies.get(&None) {
        groups.push(equity_group(None, *tally, None));
    }
    let local_authorities: Vec<String> = on_pool!(db, |pool| sqlx::query_scalar(FUND_LADS)
        .bind(fund.as_str())
        .fetch_all(pool)
        .await?);
    Ok(Some(Equity {
        fund_id: fund.clone(),
        local_authorities,
        awarded: from_pence(awarded_pence),
        groups,
    }))
}

// ---------------------------------------------------------------- participatory votes

/// A participatory round's public counts. Ballot codes are never in the read models.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoundVotes {
    pub ballot_codes_issued: i64,
    /// Ballots counted: live until the allocation, then the tally it recorded.
    pub ballots_cast: i64,
    pub voting_closed_on: Option<Date>,
    pub allocated_on: Option<Date>,
}

/// The round's vote counts; `None` for a panel round (or no such round).
pub async fn round_votes(db: &Database, round: &RoundId) -> Result<Option<RoundVotes>> {
    let row: Option<(i64, i64, Option<String>, Option<String>)> = on_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT ballot_codes_issued, ballots_cast, voting_closed_on, allocated_on
               FROM rm_round_votes WHERE round_id = $1",
        )
        .bind(round.as_str())
        .fetch_optional(pool)
        .await?
    });
    row.map(|(issued, cast, closed, allocated)| {
        Ok(RoundVotes {
            ballot_codes_issued: issued,
            ballots_cast: cast,
            voting_closed_on: opt_date(closed)?,
            allocated_on: opt_date(allocated)?,
        })
    })
    .transpose()
}

/// Votes for an application of a participatory round (0 before its first); `None` when
/// its round is decided by a panel.
pub async fn application_votes(
    db: &Database,
    round: &RoundId,
    application_id: &str,
) -> Result<Option<i64>> {
    let votes: Option<i64> = on_pool!(db, |pool| {
        sqlx::query_scalar(
            "SELECT coalesce(v.votes, 0) FROM rm_round_votes r
               LEFT JOIN rm_application_votes v ON v.application_id = $1 AND v.round_id = r.round_id
              WHERE r.round_id = $2",
        )
        .bind(application_id)
        .bind(round.as_str())
        .fetch_optional(pool)
        .await?
    });
    Ok(votes)
}
