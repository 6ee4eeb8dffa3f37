//! The social-return account of a scope (UK SROI method, `domain::sroi`), read from
//! `rm_awards`, `rm_award_daily`, `rm_award_inputs`, `rm_outcomes` and
//! `rm_outcome_proxy_versions`:
//!
//! - investment = money disbursed (paid − returned) + recorded inputs, on the awards in
//!   scope that can carry outcomes (never historic grants);
//! - base date = the first day money or an input went in (the earliest day with a payment,
//!   or the earliest input's date): year 1 of the account starts there;
//! - each outcome report valued with its fund's proxy version in force on its period end
//!   (the latest effective date on or before it, ties to the later version; a report dated
//!   before the indicator's first version takes that first version), in its own year;
//! - "at current proxies": every report valued with its indicator's latest version set.

use std::collections::{BTreeMap, BTreeSet};

use domain::sroi::{self, Outcome, Sensitivity, Shift, SENSITIVITY_POINTS};
use domain::{Date, FundId, Money, OutcomeProxy};
use infrastructure::Database;
use rust_decimal::Decimal;
use serde::Serialize;

use super::{date, exact, scope_exists, scope_sql, scoped, share, Result, SocialReturnScope};
use crate::sql::{bind_all, Sql};
use crate::{from_pence, on_pool, ProjectionError};

/// One version of a fund's proxy for an indicator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProxyVersion {
    pub fund_id: FundId,
    pub indicator: String,
    /// 1 for the first version set for the indicator, then 2, 3, … in the order set.
    pub version: u32,
    /// The `OutcomeProxySet` event's sequence in its fund's stream (0: carried over from
    /// before versions were kept, until a rebuild).
    pub sequence: i64,
    pub effective_from: Date,
    pub set_on: Date,
    pub proxy: OutcomeProxy,
}

/// One year of a line's benefit: its value, the discount factor 1 / 1.035^year (shown to
/// 6 places; the value is divided by the exact 1.035^year) and its present value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineYear {
    pub year: u32,
    pub value: Decimal,
    pub discount_factor: Decimal,
    pub present_value: Decimal,
}

/// The outcomes of one indicator of one fund valued with one proxy version. Figures are
/// rounded to the penny for showing; the account's totals are summed from the unrounded
/// values, so lines may differ from the totals by a penny each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SocialReturnLine {
    pub fund_id: FundId,
    pub indicator: String,
    /// Total quantity of these reports.
    pub quantity: Decimal,
    /// Outcome reports behind the quantity.
    pub reports: i64,
    /// The version the reports are valued with; `None` when the fund has none for the
    /// indicator (reports from before that was refused): listed and valued at zero.
    pub version: Option<ProxyVersion>,
    pub proxy: Option<OutcomeProxy>,
    pub gross: Decimal,
    /// First-year impact after deadweight, attribution and displacement.
    pub impact: Decimal,
    pub present_value: Decimal,
    pub low: Decimal,
    pub high: Decimal,
    /// Year by year, years counted from the account's base date.
    pub years: Vec<LineYear>,
}

impl SocialReturnLine {
    pub fn valued(&self) -> bool {
        self.proxy.is_some()
    }
}

/// A social-return account (UK SROI method, `domain::sroi`). Money to the penny.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SocialReturn {
    /// The investment: `disbursed` + `inputs`.
    pub invested: Decimal,
    /// Payments minus returns on the awards in scope that can carry outcomes.
    pub disbursed: Decimal,
    /// Match funding, in-kind contributions and volunteer time recorded on them.
    pub inputs: Decimal,
    /// The first day money or an input went in: year 1 starts here. `None` when nothing
    /// has gone in yet (outcomes are then valued in year 1).
    pub base_date: Option<Date>,
    /// Present value of the outcomes.
    pub social_value: Decimal,
    pub net_present_value: Decimal,
    pub ratio: Option<Decimal>,
    pub net_ratio: Option<Decimal>,
    pub annual_impact: Decimal,
    pub payback_months: Option<Decimal>,
    pub low: Decimal,
    pub high: Decimal,
    pub ratio_low: Option<Decimal>,
    pub ratio_high: Option<Decimal>,
    pub sensitivity: Vec<Sensitivity>,
    /// Present value with every report valued at its indicator's latest version.
    pub at_current_proxies: Decimal,
    pub ratio_at_current_proxies: Option<Decimal>,
    /// By indicator, fund, then version.
    pub lines: Vec<SocialReturnLine>,
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    fund_id: String,
    indicator: String,
    sequence: i64,
    effective_from: String,
    set_on: String,
    unit: String,
    value_per_unit_pence: i64,
    deadweight: String,
    attribution: String,
    displacement: String,
    drop_off: String,
    duration_years: i64,
}

impl VersionRow {
    fn into_version(self, version: u32) -> Result<ProxyVersion> {
        let value_per_unit = Money::new(from_pence(self.value_per_unit_pence))
            .map_err(|error| ProjectionError::BadRow(format!("proxy value: {error}")))?;
        let duration_years = u32::try_from(self.duration_years)
            .map_err(|_| ProjectionError::BadRow(format!("duration {}", self.duration_years)))?;
        Ok(ProxyVersion {
            fund_id: FundId::new(self.fund_id),
            indicator: self.indicator,
            version,
            sequence: self.sequence,
            effective_from: date(&self.effective_from)?,
            set_on: date(&self.set_on)?,
            proxy: OutcomeProxy {
                unit: self.unit,
                value_per_unit,
                deadweight: share(&self.deadweight, "deadweight")?,
                attribution: share(&self.attribution, "attribution")?,
                displacement: share(&self.displacement, "displacement")?,
                drop_off: share(&self.drop_off, "drop-off")?,
                duration_years,
            },
        })
    }
}

/// Every version of a fund's outcome proxies, by indicator, then in the order set.
pub async fn outcome_proxy_versions(db: &Database, fund: &FundId) -> Result<Vec<ProxyVersion>> {
    let rows: Vec<VersionRow> = on_pool!(db, |pool| {
        sqlx::query_as(
        "SELECT fund_id, indicator, sequence, effective_from, set_on, unit, value_per_unit_pence, \
         deadweight, attribution, displacement, drop_off, duration_years \
         FROM rm_outcome_proxy_versions WHERE fund_id = $1 ORDER BY indicator, sequence"
    )
    .bind(fund.as_str())
    .fetch_all(pool)
    .await?
    });
    let mut versions: Vec<ProxyVersion> = Vec::with_capacity(rows.len());
    for row in rows {
        let number = match versions.last() {
            Some(last) if last.indicator == row.indicator => last.version + 1,
            _ => 1,
        };
        versions.push(row.into_version(number)?);
    }
    Ok(versions)
}

/// The version of `versions` (one indicator's, in the order set) in force on `day`.
pub fn version_in_force(versions: &[ProxyVersion], day: Date) -> Option<&ProxyVersion> {
    let in_force = versions
        .iter()
        .filter(|version| version.effective_from <= day)
        .max_by_key(|version| (version.effective_from, version.sequence));
    in_force.or_else(|| {
        versions
            .iter()
            .min_by_key(|version| (version.effective_from, version.sequence))
    })
}

async fn scalar_pence(db: &Database, scope: &SocialReturnScope, select: &str) -> Result<Decimal> {
    let sql = scoped(scope, select);
    let pence: i64 = on_pool!(db, |pool| bind_all!(
        sqlx::query_scalar(&sql.text),
        &sql.params
    )
    .fetch_one(pool)
    .await?);
    Ok(from_pence(pence))
}

/// (disbursed, inputs) of the awards in scope that can carry outcomes.
async fn investment(db: &Database, scope: &SocialReturnScope) -> Result<(Decimal, Decimal)> {
    // Historic grants can never report outcomes: their money would only dilute the ratio.
    let disbursed = scalar_pence(
        db,
        scope,
        "SELECT CAST(coalesce(sum(a.paid_pence - a.returned_pence), 0) AS BIGINT) \
         FROM rm_awards a WHERE a.status <> 'historic'",
    )
    .await?;
    let inputs = scalar_pence(
        db,
        scope,
        "SELECT CAST(coalesce(sum(i.value_pence), 0) AS BIGINT) FROM rm_award_inputs i \
         JOIN rm_awards a ON a.award_id = i.award_id WHERE a.status <> 'historic'",
    )
    .await?;
    Ok((disbursed, inputs))
}

/// The first day money (a payment) or an input went into the scope's awards. The scope's
/// conditions stand in each branch: on the branches' union PostgreSQL could not use them
/// and read every award's payments (144 ms for Hull at 1,000,000 events; 3 ms so).
async fn base_date(db: &Database, scope: &SocialReturnScope) -> Result<Option<Date>> {
    let (with, conditions) = scope_sql(scope);
    let mut sql = Sql::default();
    sql.push(&with.text)
        .push(
            "SELECT min(first_day) FROM (\
               SELECT min(y.day) AS first_day \
                 FROM rm_award_daily y JOIN rm_awards a ON a.award_id = y.award_id \
                WHERE y.paid_pence > 0 AND a.status <> 'historic'",
        )
        .push(&conditions.text)
        .push(
            " UNION ALL \
               SELECT min(i.contributed_on) \
                 FROM rm_award_inputs i JOIN rm_awards a ON a.award_id = i.award_id \
                WHERE a.status <> 'historic'",
        )
        .push(&conditions.text)
        .push(") firsts");
    // One parameter, in the WITH (an area) or named twice in the conditions.
    sql.params = with.params;
    sql.params.extend(conditions.params);
    let day: Option<String> = on_pool!(db, |pool| bind_all!(
        sqlx::query_scalar(&sql.text),
        &sql.params
    )
    .fetch_one(pool)
    .await?);
    day.as_deref().map(date).transpose()
}

/// One outcome report of the scope: (fund, indicator, quantity, period end).
type Report = (String, String, Decimal, Date);

async fn reports(db: &Database, scope: &SocialReturnScope) -> Result<Vec<Report>> {
    let sql = scoped(
        scope,
        "SELECT a.fund_id, o.indicator, o.quantity, o.period_end FROM rm_outcomes o \
         JOIN rm_awards a ON a.award_id = o.award_id WHERE 1 = 1",
    );
    let rows: Vec<(String, String, String, String)> =
        on_pool!(db, |pool| bind_all!(sqlx::query_as(&sql.text), &sql.params)
            .fetch_all(pool)
            .await?);
    rows.into_iter()
        .map(|(fund, indicator, quantity, period_end)| {
            Ok((
                fund,
                indicator,
                exact(&quantity, "outcome quantity")?,
                date(&period_end)?,
            ))
        })
        .collect()
}

/// (fund, indicator) → its versions in the order set, for the funds of `reports`.
async fn versions_of(
    db: &Database,
    reports: &[Report],
) -> Result<BTreeMap<(String, String), Vec<ProxyVersion>>> {
    let funds: BTreeSet<&String> = reports.iter().map(|(fund, ..)| fund).collect();
    let mut versions: BTreeMap<(String, String), Vec<ProxyVersion>> = BTreeMap::new();
    for fund in funds {
        for version in outcome_proxy_versions(db, &FundId::new(fund.as_str())).await? {
            versions
                .entry((fund.clone(), version.indicator.clone()))
                .or_default()
                .push(version);
        }
    }
    Ok(versions)
}

fn too_large(error: sroi::SroiError) -> ProjectionError {
    ProjectionError::BadQuery(error.to_string())
}

fn add(total: Decimal, value: Decimal) -> Result<Decimal> {
    total
        .checked_add(value)
        .ok_or_else(|| ProjectionError::BadQuery("the social value is too large to add up".into()))
}

/// A line's reports grouped by the year they fall in: year offset → quantity.
struct Grouped {
    quantities: BTreeMap<u32, Decimal>,
    reports: i64,
}

/// (indicator, fund, version sequence or `None`) → the line's version and its reports.
type Lines = BTreeMap<(String, String, Option<i64>), (Option<ProxyVersion>, Grouped)>;

fn group(
    reports: &[Report],
    versions: &BTreeMap<(String, String), Vec<ProxyVersion>>,
    base: Option<Date>,
) -> Result<Lines> {
    let mut lines = Lines::new();
    for (fund, indicator, quantity, day) in reports {
        let version = versions
            .get(&(fund.clone(), indicator.clone()))
            .and_then(|versions| version_in_force(versions, *day));
        let key = (
            indicator.clone(),
            fund.clone(),
            version.map(|version| version.sequence),
        );
        let (_, grouped) = lines.entry(key).or_insert_with(|| {
            let grouped = Grouped {
                quantities: BTreeMap::new(),
                reports: 0,
            };
            (version.cloned(), grouped)
        });
        let offset = base.map_or(0, |base| sroi::years_between(base, *day));
        let entry = grouped.quantities.entry(offset).or_default();
        *entry = entry.checked_add(*quantity).ok_or_else(|| {
            ProjectionError::BadQuery("outcome quantities are too large to add up".into())
        })?;
        grouped.reports += 1;
    }
    Ok(lines)
}

/// Values one line's outcomes (adding them to `outcomes`, for the account).
fn value_line(
    (indicator, fund, _): (String, String, Option<i64>),
    version: Option<ProxyVersion>,
    grouped: Grouped,
    outcomes: &mut Vec<Outcome>,
) -> Result<SocialReturnLine> {
    let mut sums = [Decimal::ZERO; 5]; // gross, impact, present value, low, high
    let mut years: BTreeMap<u32, (Decimal, Decimal, Decimal)> = BTreeMap::new();
    let quantity = grouped
        .quantities
        .values()
        .try_fold(Decimal::ZERO, |total, quantity| add(total, *quantity))?;
    if let Some(version) = &version {
        for (offset, quantity) in &grouped.quantities {
            let outcome = Outcome {
                quantity: *quantity,
                proxy: version.proxy.clone(),
                year_offset: *offset,
            };
            let central = sroi::value_outcome(&outcome, &Shift::NONE).map_err(too_large)?;
            let low = sroi::value_outcome(&outcome, &Shift::all_shares(SENSITIVITY_POINTS));
            let high = sroi::value_outcome(&outcome, &Shift::all_shares(-SENSITIVITY_POINTS));
            let parts = [
                central.gross,
                central.impact,
                central.present_value,
                low.map_err(too_large)?.present_value,
                high.map_err(too_large)?.present_value,
            ];
            for (sum, part) in sums.iter_mut().zip(parts) {
                *sum = add(*sum, part)?;
            }
            for year in &central.years {
                let entry = years.entry(year.year).or_insert((
                    Decimal::ZERO,
                    year.discount_divisor,
                    Decimal::ZERO,
                ));
                entry.0 = add(entry.0, year.value)?;
                entry.2 = add(entry.2, year.present_value)?;
            }
            outcomes.push(outcome);
        }
    }
    Ok(SocialReturnLine {
        fund_id: FundId::new(fund),
        indicator,
        quantity,
        reports: grouped.reports,
        proxy: version.as_ref().map(|version| version.proxy.clone()),
        version,
        gross: sroi::to_pence(sums[0]),
        impact: sroi::to_pence(sums[1]),
        present_value: sroi::to_pence(sums[2]),
        low: sroi::to_pence(sums[3]),
        high: sroi::to_pence(sums[4]),
        years: years
            .into_iter()
            .map(|(year, (value, divisor, present_value))| LineYear {
                year,
                value: sroi::to_pence(value),
                discount_factor: sroi::account::display_factor(divisor),
                present_value: sroi::to_pence(present_value),
            })
            .collect(),
    })
}

/// Present value with every report valued at its indicator's latest version set.
fn at_current_proxies(
    reports: &[Report],
    versions: &BTreeMap<(String, String), Vec<ProxyVersion>>,
    base: Option<Date>,
) -> Result<Decimal> {
    let mut outcomes = Vec::with_capacity(reports.len());
    for (fund, indicator, quantity, day) in reports {
        let latest = versions
            .get(&(fund.clone(), indicator.clone()))
            .and_then(|versions| versions.iter().max_by_key(|version| version.sequence));
        if let Some(latest) = latest {
            outcomes.push(Outcome {
                quantity: *quantity,
                proxy: latest.proxy.clone(),
                year_offset: base.map_or(0, |base| sroi::years_between(base, *day)),
            });
        }
    }
    sroi::account::present_value(&outcomes, &Shift::NONE)
        .map(sroi::to_pence)
        .map_err(too_large)
}

/// The social-return account of a scope. `None` when the fund, round or award does not
/// exist.
pub async fn social_return(
    db: &Database,
    scope: &SocialReturnScope,
) -> Result<Option<SocialReturn>> {
    if !scope_exists(db, scope).await? {
        return Ok(None);
    }
    let (disbursed, inputs) = investment(db, scope).await?;
    let invested = disbursed + inputs;
    let base_date = base_date(db, scope).await?;
    let reports = reports(db, scope).await?;
    let versions = versions_of(db, &reports).await?;
    let mut outcomes = Vec::new();
    let mut lines = Vec::new();
    for (key, (version, grouped)) in group(&reports, &versions, base_date)? {
        lines.push(value_line(key, version, grouped, &mut outcomes)?);
    }
    let account = sroi::account(&outcomes, invested).map_err(too_large)?;
    let current = at_current_proxies(&reports, &versions, base_date)?;
    Ok(Some(SocialReturn {
        invested,
        disbursed,
        inputs,
        base_date,
        social_value: account.present_value,
        net_present_value: account.net_present_value,
        ratio: account.ratio,
        net_ratio: account.net_ratio,
        annual_impact: account.annual_impact,
        payback_months: account.payback_months,
        low: account.low,
        high: account.high,
        ratio_low: account.ratio_low,
        ratio_high: account.ratio_high,
        sensitivity: account.sensitivity,
        at_current_proxies: current,
        ratio_at_current_proxies: sroi::ratio(current, invested),
        lines,
    }))
}
