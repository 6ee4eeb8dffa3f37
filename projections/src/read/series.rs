//! Money over time: an area's or a fund's money moved in each month, quarter or year, and
//! the running totals, from the daily series (one indexed query per call). The running
//! totals at the last period are the figures `totals(asOf)` and `fund.position(asOf)`
//! answer, to the penny: the same rows summed the same way.

use chrono::{Datelike, Months};
use domain::{Date, FundId, GeoCode};
use infrastructure::Database;
use rust_decimal::Decimal;
use serde::Serialize;

use super::{award_conditions, with_area, AwardFilter, Result};
use crate::sql::{bind_all, Sql};
use crate::{from_pence, on_pool};

/// Whose money over time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeriesScope {
    /// The awards in this area and every area below it (as `totals` counts them).
    Area(GeoCode),
    /// A fund: awarded, paid and returned from the fund's own series (as its position),
    /// spend reported over its awards.
    Fund(FundId),
}

/// How long each period is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SeriesInterval {
    Month,
    Quarter,
    Year,
}

impl SeriesInterval {
    fn months(self) -> u32 {
        match self {
            SeriesInterval::Month => 1,
            SeriesInterval::Quarter => 3,
            SeriesInterval::Year => 12,
        }
    }

    /// The first day of the period `day` falls in.
    pub fn start_of(self, day: Date) -> Date {
        let month0 = day.month0() - day.month0() % self.months();
        Date::from_ymd_opt(day.year(), month0 + 1, 1).unwrap_or(day)
    }

    /// The interval for a series from `first` to `last`: months up to three years, then
    /// quarters up to ten years, then years (a chart stays readable at about 40 bars).
    pub fn for_span(first: Date, last: Date) -> SeriesInterval {
        let months = (last.year() - first.year()) * 12 + last.month() as i32 - first.month() as i32;
        match months {
            ..36 => SeriesInterval::Month,
            36..120 => SeriesInterval::Quarter,
            _ => SeriesInterval::Year,
        }
    }
}

/// Money moved in one period, and the running totals at its end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MoneyPeriod {
    /// The period's first day.
    pub start: Date,
    /// The period's last day (the series' last day for the last period).
    pub end: Date,
    pub moved: MoneyMoved,
    /// Σ over every period up to and including this one.
    pub cumulative: MoneyMoved,
}

/// Awarded, paid, returned and spend reported over some days, in pounds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct MoneyMoved {
    pub awarded: Decimal,
    pub paid: Decimal,
    pub returned: Decimal,
    pub reported_spend: Decimal,
}

impl MoneyMoved {
    /// paid − returned.
    pub fn disbursed(&self) -> Decimal {
        self.paid - self.returned
    }

    fn add(&mut self, other: &MoneyMoved) {
        self.awarded += other.awarded;
        self.paid += other.paid;
        self.returned += other.returned;
        self.reported_spend += other.reported_spend;
    }

    fn is_zero(&self) -> bool {
        *self == MoneyMoved::default()
    }
}

/// A scope's money over time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MoneyOverTime {
    pub interval: SeriesInterval,
    /// From the period of the first day anything moved to the period of the last day
    /// (`as_of`, else the later of today and the last day anything moved), every period
    /// present, zero when nothing moved in it; empty when nothing ever moved.
    pub periods: Vec<MoneyPeriod>,
}

/// `scope`'s money over time up to the end of `as_of` (`None`: every day, up to `today`
/// or the last day anything moved), by `interval` (`None`: chosen for the span).
pub async fn money_over_time(
    db: &Database,
    scope: &SeriesScope,
    as_of: Option<Date>,
    today: Date,
    interval: Option<SeriesInterval>,
) -> Result<MoneyOverTime> {
    let days = money_by_day(db, scope, as_of).await?;
    Ok(periods_of(&days, as_of, today, interval))
}

/// The daily changes of `scope` up to `as_of`, by day, in one statement.
async fn money_by_day(
    db: &Database,
    scope: &SeriesScope,
    as_of: Option<Date>,
) -> Result<Vec<(Date, MoneyMoved)>> {
    let mut sql = Sql::default();
    match scope {
        SeriesScope::Area(code) => push_area_days(&mut sql, code, as_of),
        SeriesScope::Fund(fund) => push_fund_days(&mut sql, fund, as_of),
    }
    let rows: Vec<(String, i64, i64, i64, i64)> =
        on_pool!(db, |pool| bind_all!(sqlx::query_as(&sql.text), &sql.params)
            .fetch_all(pool)
            .await?);
    rows.into_iter()
        .map(|(day, awarded, paid, returned, spend)| {
            Ok((
                super::date(&day)?,
                MoneyMoved {
                    awarded: from_pence(awarded),
                    paid: from_pence(paid),
                    returned: from_pence(returned),
                    reported_spend: from_pence(spend),
                },
            ))
        })
        .collect()
}

/// ` AND {column} <= as_of` when there is one.
fn day_limit(sql: &mut Sql, column: &str, as_of: Option<Date>) {
    if let Some(day) = as_of {
        sql.push(&format!(" AND {column} <= "))
            .bind_text(day.to_string());
    }
}

/// An area's awards' daily changes, summed by day (the awards `totals` counts).
fn push_area_days(sql: &mut Sql, code: &GeoCode, as_of: Option<Date>) {
    let filter = AwardFilter {
        neighbourhood: Some(code.clone()),
        ..AwardFilter::default()
    };
    with_area(sql, &filter);
    sql.push(
        "SELECT d.day, CAST(sum(d.awarded_pence) AS BIGINT), CAST(sum(d.paid_pence) AS BIGINT),
                CAST(sum(d.returned_pence) AS BIGINT), CAST(sum(d.spend_pence) AS BIGINT)
           FROM rm_award_daily d JOIN rm_awards a ON a.award_id = d.award_id
          WHERE 1 = 1",
    );
    award_conditions(sql, &filter);
    day_limit(sql, "d.day", as_of);
    sql.push(" GROUP BY d.day ORDER BY d.day");
}

/// A fund's daily changes: its own series for what its position shows; spend is only
/// kept per award, so it comes from the fund's awards.
fn push_fund_days(sql: &mut Sql, fund: &FundId, as_of: Option<Date>) {
    sql.push(
        "SELECT day, CAST(sum(awarded) AS BIGINT), CAST(sum(paid) AS BIGINT),
                CAST(sum(returned) AS BIGINT), CAST(sum(spend) AS BIGINT)
           FROM (SELECT f.day AS day, f.awarded_pence AS awarded, f.paid_pence AS paid,
                        f.returned_pence AS returned, CAST(0 AS BIGINT) AS spend
                   FROM rm_fund_daily f WHERE f.fund_id = ",
    )
    .bind_text(fund.as_str());
    let fund_param = sql.last_param();
    day_limit(sql, "f.day", as_of);
    sql.push(
        " UNION ALL
                 SELECT d.day, CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(0 AS BIGINT), d.spend_pence
                   FROM rm_award_daily d JOIN rm_awards a ON a.award_id = d.award_id
                  WHERE a.fund_id = ",
    )
    .param_again(fund_param);
    day_limit(sql, "d.day", as_of);
    sql.push(") moves GROUP BY day ORDER BY day");
}

/// `days` (in order) summed into periods: from the first day anything moved to the last
/// day of the series, every period present.
pub fn periods_of(
    days: &[(Date, MoneyMoved)],
    as_of: Option<Date>,
    today: Date,
    interval: Option<SeriesInterval>,
) -> MoneyOverTime {
    let moved: Vec<&(Date, MoneyMoved)> = days.iter().filter(|(_, m)| !m.is_zero()).collect();
    let (Some(first), Some(last_moved)) = (moved.first(), moved.last()) else {
        return MoneyOverTime {
            interval: interval.unwrap_or(SeriesInterval::Month),
            periods: Vec::new(),
        };
    };
    let last = as_of.unwrap_or_else(|| today.max(last_moved.0));
    let interval = interval.unwrap_or_else(|| SeriesInterval::for_span(first.0, last));
    let mut periods: Vec<MoneyPeriod> = Vec::new();
    let mut start = interval.start_of(first.0);
    let mut cumulative = MoneyMoved::default();
    let mut next_day = moved.iter().peekable();
    while start <= last {
        let next = start
            .checked_add_months(Months::new(interval.months()))
            .unwrap_or(Date::MAX);
        let mut period = MoneyMoved::default();
        while let Some((day, money)) = next_day.next_if(|(day, _)| *day < next) {
            debug_assert!(*day >= start);
            period.add(money);
        }
        cumulative.add(&period);
        periods.push(MoneyPeriod {
            start,
            end: next.pred_opt().unwrap_or(next).min(last),
            moved: period,
            cumulative,
        });
        start = next;
    }
    MoneyOverTime { interval, periods }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> Date {
        text.parse().unwrap()
    }

    fn awarded(pounds: i64) -> MoneyMoved {
        MoneyMoved {
            awarded: Decimal::from(pounds),
            ..MoneyMoved::default()
        }
    }

    #[test]
    fn every_period_from_the_first_move_to_the_last_day_is_present() {
        let days = [
            (day("2025-01-20"), awarded(100)),
            (day("2025-01-31"), awarded(5)),
            (day("2025-04-02"), awarded(10)),
        ];
        let series = periods_of(&days, None, day("2025-05-15"), None);
        assert_eq!(series.interval, SeriesInterval::Month);
        let starts: Vec<String> = series.periods.iter().map(|p| p.start.to_string()).collect();
        assert_eq!(
            starts,
            [
                "2025-01-01",
                "2025-02-01",
                "2025-03-01",
                "2025-04-01",
                "2025-05-01"
            ]
        );
        assert_eq!(series.periods[0].moved.awarded, Decimal::from(105));
        assert_eq!(series.periods[0].end, day("2025-01-31"));
        assert_eq!(series.periods[1].moved.awarded, Decimal::ZERO);
        assert_eq!(series.periods[4].cumulative.awarded, Decimal::from(115));
        assert_eq!(series.periods[4].end, day("2025-05-15"));
    }

    #[test]
    fn the_interval_follows_the_span_and_quarters_start_on_quarter_days() {
        let days = [(day("2019-02-10"), awarded(1))];
        let quarters = periods_of(&days, Some(day("2023-01-01")), day("2026-01-01"), None);
        assert_eq!(quarters.interval, SeriesInterval::Quarter);
        assert_eq!(quarters.periods[0].start, day("2019-01-01"));
        assert_eq!(quarters.periods.last().unwrap().start, day("2023-01-01"));
        let years = periods_of(&days, None, day("2031-06-01"), None);
        assert_eq!(years.interval, SeriesInterval::Year);
        assert_eq!(years.periods.len(), 13);
    }

    #[test]
    fn nothing_moved_is_no_periods() {
        let days = [(day("2025-01-20"), MoneyMoved::default())];
        assert!(periods_of(&days, None, day("2025-05-15"), None)
            .periods
            .is_empty());
    }
}
