//! Budget lines: planned and spent per award × category, as of any date
//! (`rm_budget_categories`, `rm_budget_line_daily`, migration 0011).
//!
//! - Planned: each `BudgetLinesSet` adds its lines and takes away the lines it replaces,
//!   on its `set_on` date.
//! - Spent: each `SpendReported` line adds to its category on the report's `period_end`
//!   (the same date the award's `spend_reported` counts from).
//! - Categories are keyed without regard to case ([`category_key`]); the name is the
//!   budget's spelling, or on an award without budget lines the first one reported.
//!
//! The daily rows are deltas added on conflict, so a batch needs nothing loaded; a name
//! set by a budget replaces the stored one, a name first seen in a report is kept only if
//! none is stored. `verify` recomputes both tables with its own fold
//! ([`ExpectedBudgetLines`]).

use std::collections::{BTreeMap, HashMap};

use domain::award::{category_key, AwardEvent, BudgetLine};
use domain::{AwardId, Date, FundId, GeoCode, Money, RoundId};
use infrastructure::Database;
use rust_decimal::Decimal;

use crate::check::{compare_maps, VerifyReport};
use crate::write::{upsert, Field, OnConflict, StatementSink, Writer};
use crate::{from_pence, on_pool, to_pence, ProjectionError};

const CATEGORY_COLUMNS: &str = "award_id, category_key, category";
const DAILY_COLUMNS: &str = "award_id, category_key, day, planned_pence, spent_pence";

/// The read-model tables of budget lines (a rebuild empties and refills them).
pub(crate) const TABLES: [&str; 2] = ["rm_budget_categories", "rm_budget_line_daily"];

fn p(money: &Money) -> i64 {
    to_pence(money.amount())
}

/// (award, category key).
type CategoryKey = (String, String);
/// (award, category key, day).
type DayKey = (String, String, Date);

/// The budget rows one batch changes.
#[derive(Default)]
pub(crate) struct BudgetBatch {
    /// (award, category key) → (name, whether it replaces a stored name).
    categories: HashMap<CategoryKey, (String, bool)>,
    /// (award, category key, day) → [planned, spent] changes in pence.
    daily: HashMap<DayKey, [i64; 2]>,
}

impl BudgetBatch {
    /// Folds one award event (others change nothing here).
    pub(crate) fn apply(&mut self, award_id: &str, event: &AwardEvent) {
        match event {
            AwardEvent::BudgetLinesSet {
                lines,
                replaced,
                set_on,
                ..
            } => {
                for line in replaced {
                    self.add(award_id, &line.category, *set_on, [-p(&line.amount), 0]);
                }
                for line in lines {
                    self.name(award_id, &line.category, true);
                    self.add(award_id, &line.category, *set_on, [p(&line.amount), 0]);
                }
            }
            AwardEvent::SpendReported {
                lines, period_end, ..
            } => {
                for line in lines {
                    self.name(award_id, &line.category, false);
                    self.add(award_id, &line.category, *period_end, [0, p(&line.amount)]);
                }
            }
            _ => {}
        }
    }

    fn name(&mut self, award_id: &str, category: &str, replaces: bool) {
        let key = (award_id.to_string(), category_key(category));
        let entry = self
            .categories
            .entry(key)
            .or_insert_with(|| (category.trim().to_string(), replaces));
        if replaces {
            *entry = (category.trim().to_string(), true);
        }
    }

    fn add(&mut self, award_id: &str, category: &str, day: Date, change: [i64; 2]) {
        let row = self
            .daily
            .entry((award_id.to_string(), category_key(category), day))
            .or_default();
        row[0] += change[0];
        row[1] += change[1];
    }

    /// Writes the batch's rows back: names (replaced or kept), daily changes (added).
    pub(crate) fn write(&self, writer: Writer, statements: &mut impl StatementSink) {
        let mut names: Vec<(&CategoryKey, &(String, bool))> = self.categories.iter().collect();
        names.sort_unstable_by(|a, b| a.0.cmp(b.0));
        for (replaces, on_conflict) in [(true, OnConflict::Replace), (false, OnConflict::Ignore)] {
            let rows: Vec<_> = names
                .iter()
                .filter(|(_, (_, replacing))| *replacing == replaces)
                .collect();
            upsert(
                statements,
                writer,
                "rm_budget_categories",
                CATEGORY_COLUMNS,
                "award_id, category_key",
                on_conflict,
                &rows,
                |((award, key), (name, _))| {
                    vec![Field::Text(award), Field::Text(key), Field::Text(name)]
                },
            );
        }
        let mut daily: Vec<(&DayKey, &[i64; 2])> = self.daily.iter().collect();
        daily.sort_unstable_by(|a, b| a.0.cmp(b.0));
        upsert(
            statements,
            writer,
            "rm_budget_line_daily",
            DAILY_COLUMNS,
            "award_id, category_key, day",
            OnConflict::Add("rm_budget_line_daily"),
            &daily,
            |((award, key, day), change)| {
                vec![
                    Field::Text(award),
                    Field::Text(key),
                    Field::Date(*day),
                    Field::Int(change[0]),
                    Field::Int(change[1]),
                ]
            },
        );
    }
}

// ---------------------------------------------------------------- verify

/// `verify`'s own fold of the budget lines, in decimal pounds: each award's current lines
/// (to check what each `BudgetLinesSet` says it replaced, and that spend names them), the
/// names, and planned and spent by day.
#[derive(Default)]
pub(crate) struct ExpectedBudgetLines {
    lines: BTreeMap<String, Vec<BudgetLine>>,
    names: BTreeMap<(String, String), String>,
    daily: BTreeMap<(String, String, String), (Decimal, Decimal)>,
}

impl ExpectedBudgetLines {
    /// Folds the award event at `position` of award `id`.
    pub(crate) fn fold(
        &mut self,
        report: &mut VerifyReport,
        position: i64,
        id: &str,
        award_event: &AwardEvent,
    ) {
        match award_event {
            AwardEvent::BudgetLinesSet {
                lines,
                replaced,
                set_on,
                ..
            } => {
                let current = self.lines.get(id).cloned().unwrap_or_default();
                if &current != replaced {
                    report.mismatch(format!(
                        "event at position {position}: award {id}'s budget replaces {replaced:?} but its lines were {current:?}"
                    ));
                }
                for line in &current {
                    self.change(
                        id,
                        &line.category,
                        set_on,
                        -line.amount.amount(),
                        Decimal::ZERO,
                    );
                }
                for line in lines {
                    let key = (id.to_string(), line.category.trim().to_lowercase());
                    self.names.insert(key, line.category.trim().to_string());
                    self.change(
                        id,
                        &line.category,
                        set_on,
                        line.amount.amount(),
                        Decimal::ZERO,
                    );
                }
                self.lines.insert(id.to_string(), lines.clone());
            }
            AwardEvent::SpendReported {
                lines, period_end, ..
            } => {
                let budget = self.lines.get(id).cloned().unwrap_or_default();
                for line in lines {
                    if !budget.is_empty() && !budget.iter().any(|b| b.category == line.category) {
                        report.mismatch(format!(
                            "event at position {position}: award {id} reports spend under \"{}\", which is not one of its budget lines",
                            line.category
                        ));
                    }
                    let key = (id.to_string(), line.category.trim().to_lowercase());
                    self.names
                        .entry(key)
                        .or_insert_with(|| line.category.trim().to_string());
                    self.change(
                        id,
                        &line.category,
                        period_end,
                        Decimal::ZERO,
                        line.amount.amount(),
                    );
                }
            }
            _ => {}
        }
    }

    fn change(&mut self, id: &str, category: &str, day: &Date, planned: Decimal, spent: Decimal) {
        let row = self
            .daily
            .entry((
                id.to_string(),
                category.trim().to_lowercase(),
                day.to_string(),
            ))
            .or_default();
        row.0 += planned;
        row.1 += spent;
    }

    /// Compares both tables with the fold (daily rows that net to nothing are left out on
    /// both sides: a line replaced by itself on the same day leaves one or not).
    pub(crate) async fn compare(
        &self,
        db: &Database,
        report: &mut VerifyReport,
    ) -> Result<(), ProjectionError> {
        let names: Vec<(String, String, String)> = on_pool!(db, |pool| sqlx::query_as(&format!(
            "SELECT {CATEGORY_COLUMNS} FROM rm_budget_categories"
        ))
        .fetch_all(pool)
        .await?);
        let have = names
            .into_iter()
            .map(|(award, key, name)| ((award, key), name))
            .collect();
        compare_maps(report, "rm_budget_categories", &self.names, &have);
        let rows: Vec<(String, String, String, i64, i64)> = on_pool!(db, |pool| sqlx::query_as(
            &format!("SELECT {DAILY_COLUMNS} FROM rm_budget_line_daily")
        )
        .fetch_all(pool)
        .await?);
        let have: BTreeMap<(String, String, String), (Decimal, Decimal)> = rows
            .into_iter()
            .filter(|row| row.3 != 0 || row.4 != 0)
            .map(|(award, key, day, planned, spent)| {
                ((award, key, day), (from_pence(planned), from_pence(spent)))
            })
            .collect();
        let want: BTreeMap<(String, String, String), (Decimal, Decimal)> = self
            .daily
            .iter()
            .filter(|(_, (planned, spent))| !planned.is_zero() || !spent.is_zero())
            .map(|(key, (planned, spent))| (key.clone(), (planned.round_dp(2), spent.round_dp(2))))
            .collect();
        compare_maps(report, "rm_budget_line_daily", &want, &have);
        Ok(())
    }
}

// ---------------------------------------------------------------- queries

/// Whose budget lines: one award, or every award of a round, a fund or an area (the area
/// and each area below it, each award once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BudgetScope {
    Award(AwardId),
    Round(RoundId),
    Fund(FundId),
    Area(GeoCode),
}

impl BudgetScope {
    /// The scope's awards, as a sub-query on `$1`.
    fn awards(&self) -> (&'static str, String) {
        match self {
            BudgetScope::Award(id) => (
                "SELECT award_id FROM rm_awards WHERE award_id = $1",
                id.to_string(),
            ),
            BudgetScope::Round(id) => (
                "SELECT award_id FROM rm_awards WHERE round_id = $1",
                id.to_string(),
            ),
            BudgetScope::Fund(id) => (
                "SELECT award_id FROM rm_awards WHERE fund_id = $1",
                id.to_string(),
            ),
            BudgetScope::Area(code) => (
                "SELECT a.award_id FROM rm_awards a JOIN geography_ancestors g ON g.code = a.neighbourhood WHERE g.ancestor = $1",
                code.to_string(),
            ),
        }
    }
}

/// One category's figures in a scope. Variance is planned − spent: positive when the line
/// is underspent, negative when overspent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetLineFigures {
    pub category: String,
    pub planned: Decimal,
    pub spent: Decimal,
}

impl BudgetLineFigures {
    pub fn variance(&self) -> Decimal {
        self.planned - self.spent
    }
}

/// The last day `as_of` covers (`None`: everything recorded).
fn through(as_of: Option<Date>) -> String {
    as_of.map_or_else(|| "9999-12-31".to_string(), |day| day.to_string())
}

/// Planned and spent per category over the scope's awards, as of the end of `as_of`
/// (categories matched without regard to case; named by the first spelling in order).
/// Categories with nothing planned or spent by then are left out.
pub async fn budget_lines(
    db: &Database,
    scope: &BudgetScope,
    as_of: Option<Date>,
) -> Result<Vec<BudgetLineFigures>, ProjectionError> {
    let (awards, id) = scope.awards();
    let sql = format!(
        "SELECT min(c.category), CAST(sum(d.planned_pence) AS BIGINT), CAST(sum(d.spent_pence) AS BIGINT)
           FROM rm_budget_line_daily d
           JOIN rm_budget_categories c ON c.award_id = d.award_id AND c.category_key = d.category_key
          WHERE d.award_id IN ({awards}) AND d.day <= $2
          GROUP BY d.category_key
         HAVING sum(d.planned_pence) <> 0 OR sum(d.spent_pence) <> 0
          ORDER BY d.category_key"
    );
    let rows: Vec<(String, i64, i64)> = on_pool!(db, |pool| sqlx::query_as(&sql)
        .bind(&id)
        .bind(through(as_of))
        .fetch_all(pool)
        .await?);
    Ok(rows
        .into_iter()
        .map(|(category, planned, spent)| BudgetLineFigures {
            category,
            planned: from_pence(planned),
            spent: from_pence(spent),
        })
        .collect())
}

/// How many of the scope's awards had, by the end of `as_of`, reported more spend than
/// was paid to them (spend by period end, payments by paid date). For one award: 1 if it
/// is flagged, else 0.
pub async fn awards_spent_above_paid(
    db: &Database,
    scope: &BudgetScope,
    as_of: Option<Date>,
) -> Result<i64, ProjectionError> {
    let (awards, id) = scope.awards();
    let sql = format!(
        "SELECT CAST(count(*) AS BIGINT) FROM (
            SELECT award_id FROM rm_award_daily
             WHERE award_id IN ({awards}) AND day <= $2
             GROUP BY award_id
            HAVING sum(spend_pence) > sum(paid_pence)) flagged"
    );
    let count: i64 = on_pool!(db, |pool| sqlx::query_scalar(&sql)
        .bind(&id)
        .bind(through(as_of))
        .fetch_one(pool)
        .await?);
    Ok(count)
}
