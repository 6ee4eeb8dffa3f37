//! `Neighbourhood.moneyOverTime` and `Fund.moneyOverTime`: money moved in each month,
//! quarter or year and the running totals, from the daily series (`read::money_over_time`,
//! one query). Public, like the totals they add up to. Definitions: GLOSSARY.md, "Money
//! over time".

use async_graphql::{Context, Enum, Object};
use projections::read;

use super::context::state;
use super::errors::{Coded, GqlResult};
use super::scalars::{DateValue, MoneyValue};
use super::types::money;

/// How long each period of a series is.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum SeriesInterval {
    /// Calendar months.
    Month,
    /// Calendar quarters (January to March, April to June, …).
    Quarter,
    /// Calendar years.
    Year,
}

impl From<SeriesInterval> for read::SeriesInterval {
    fn from(interval: SeriesInterval) -> read::SeriesInterval {
        match interval {
            SeriesInterval::Month => read::SeriesInterval::Month,
            SeriesInterval::Quarter => read::SeriesInterval::Quarter,
            SeriesInterval::Year => read::SeriesInterval::Year,
        }
    }
}

impl From<read::SeriesInterval> for SeriesInterval {
    fn from(interval: read::SeriesInterval) -> SeriesInterval {
        match interval {
            read::SeriesInterval::Month => SeriesInterval::Month,
            read::SeriesInterval::Quarter => SeriesInterval::Quarter,
            read::SeriesInterval::Year => SeriesInterval::Year,
        }
    }
}

/// Money moved period by period and the running totals (`periods`).
pub struct MoneyOverTime(pub read::MoneyOverTime);

#[Object]
impl MoneyOverTime {
    /// The periods' length: as asked, else months for up to three years, quarters for
    /// up to ten, years beyond.
    async fn interval(&self) -> SeriesInterval {
        self.0.interval.into()
    }
    /// The periods, oldest first: from the period of the first day anything moved to the
    /// period of the series' last day (`asOf`, else the later of today and the last day
    /// anything moved). Every period between is present (zero when nothing moved in it);
    /// none when nothing has moved yet. The last period's running totals equal `totals`
    /// (an area) or `position` (a fund) as of the same day, to the penny.
    async fn periods(&self) -> Vec<MoneyPeriod> {
        self.0.periods.iter().cloned().map(MoneyPeriod).collect()
    }
}

/// One period of a series: the money moved in it (by business date) and the running
/// totals at its end.
pub struct MoneyPeriod(pub read::MoneyPeriod);

#[Object]
impl MoneyPeriod {
    /// The period's first day.
    async fn start(&self) -> DateValue {
        DateValue(self.0.start)
    }
    /// The period's last day; the series' last day for the last period.
    async fn end(&self) -> DateValue {
        DateValue(self.0.end)
    }
    /// Awarded in the period: awards made and historic grants dated in it, plus
    /// increases and minus cuts made in it (a closed award's undrawn part on its close).
    async fn awarded(&self) -> MoneyValue {
        money(self.0.moved.awarded)
    }
    /// Payments recorded with a paid date in the period, before returns.
    async fn paid(&self) -> MoneyValue {
        money(self.0.moved.paid)
    }
    /// Money grantees gave back with a return date in the period.
    async fn returned(&self) -> MoneyValue {
        money(self.0.moved.returned)
    }
    /// paid − returned in the period.
    async fn disbursed(&self) -> MoneyValue {
        money(self.0.moved.disbursed())
    }
    /// Spend reports whose period ends in this period.
    async fn reported_spend(&self) -> MoneyValue {
        money(self.0.moved.reported_spend)
    }
    /// Σ awarded up to the end of the period.
    async fn cumulative_awarded(&self) -> MoneyValue {
        money(self.0.cumulative.awarded)
    }
    /// Σ paid up to the end of the period.
    async fn cumulative_paid(&self) -> MoneyValue {
        money(self.0.cumulative.paid)
    }
    /// Σ returned up to the end of the period.
    async fn cumulative_returned(&self) -> MoneyValue {
        money(self.0.cumulative.returned)
    }
    /// Σ paid − Σ returned up to the end of the period.
    async fn cumulative_disbursed(&self) -> MoneyValue {
        money(self.0.cumulative.disbursed())
    }
    /// Σ reported spend up to the end of the period.
    async fn cumulative_reported_spend(&self) -> MoneyValue {
        money(self.0.cumulative.reported_spend)
    }
}

/// `scope`'s series as the two `moneyOverTime` fields answer it.
pub async fn money_over_time(
    ctx: &Context<'_>,
    scope: read::SeriesScope,
    as_of: Option<DateValue>,
    interval: Option<SeriesInterval>,
) -> GqlResult<MoneyOverTime> {
    let today = infrastructure::business_date::business_today();
    let series = read::money_over_time(
        state(ctx).database(),
        &scope,
        as_of.map(|date| date.0),
        today,
        interval.map(Into::into),
    )
    .await
    .coded()?;
    Ok(MoneyOverTime(series))
}
