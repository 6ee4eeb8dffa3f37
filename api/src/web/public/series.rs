//! Money over time for an area or a fund: a chart drawn on the server and the same
//! figures in a table (the chart's figures are never hidden from screen readers). The
//! figures are GraphQL's `moneyOverTime` (one query); the chart is `series/chart.rs`.

mod chart;

use maud::{html, Markup};
use serde::Deserialize;
use serde_json::json;

use super::figures;
use crate::server::http::App;
use crate::web::layout;
use crate::web::work::gql;

/// Whose money over time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// An area (GSS code) and every area below it.
    Area(String),
    /// A fund (id).
    Fund(String),
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AreaSeries {
    neighbourhood: Option<Owner>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FundSeries {
    fund: Option<Owner>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Owner {
    money_over_time: Series,
}

/// A series as GraphQL answers it (money as decimal strings).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Series {
    pub interval: String,
    pub periods: Vec<Period>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Period {
    pub start: String,
    pub end: String,
    pub awarded: String,
    pub disbursed: String,
    pub reported_spend: String,
    pub cumulative_awarded: String,
    pub cumulative_disbursed: String,
}

const PERIOD_FIELDS: &str = "interval periods { start end awarded disbursed reportedSpend \
     cumulativeAwarded cumulativeDisbursed }";

/// The series of `scope` up to the end of `as_of`, through GraphQL.
async fn read(
    app: &App,
    scope: &Scope,
    as_of: Option<domain::Date>,
) -> Result<Series, gql::Problem> {
    let as_of = as_of.map(|date| date.to_string());
    let missing = || gql::Problem::new("NOT_FOUND", "no such fund or area");
    match scope {
        Scope::Area(code) => {
            let query = format!(
                "query($code: GeoCode!, $asOf: Date) {{ neighbourhood(code: $code) {{ moneyOverTime(asOf: $asOf) {{ {PERIOD_FIELDS} }} }} }}"
            );
            let data: AreaSeries =
                gql::read_public(app, &query, json!({ "code": code, "asOf": as_of })).await?;
            Ok(data.neighbourhood.ok_or_else(missing)?.money_over_time)
        }
        Scope::Fund(id) => {
            let query = format!(
                "query($id: String!, $asOf: Date) {{ fund(id: $id) {{ moneyOverTime(asOf: $asOf) {{ {PERIOD_FIELDS} }} }} }}"
            );
            let data: FundSeries =
                gql::read_public(app, &query, json!({ "id": id, "asOf": as_of })).await?;
            Ok(data.fund.ok_or_else(missing)?.money_over_time)
        }
    }
}

/// The "Money over time" section of a page for `scope`, up to the end of `as_of`.
pub async fn section(app: &App, scope: Scope, as_of: Option<domain::Date>) -> Markup {
    let series = read(app, &scope, as_of).await;
    html! {
        section class="fl-series" aria-labelledby="money-over-time" {
            h2 class="govuk-heading-l" id="money-over-time" { "Money over time" }
            @match series {
                Err(_) => p class="govuk-body" {
                    "The figures over time cannot be shown at the moment. Try again later."
                },
                Ok(series) if series.periods.is_empty() => p class="govuk-body" {
                    @match as_of {
                        Some(date) => { "Nothing had been awarded yet by the end of " (figures::date(&date.to_string())) "." },
                        None => "Nothing has been awarded yet.",
                    }
                },
                Ok(series) => (filled(&series)),
            }
        }
    }
}

/// The summary, the chart and the table of a series with at least one period.
fn filled(series: &Series) -> Markup {
    let summary_id = "money-over-time-summary";
    html! {
        p class="govuk-body" id=(summary_id) { (summary(series)) }
        (chart::chart(series, summary_id))
        details class="govuk-details fl-series__figures" {
            summary class="govuk-details__summary" {
                span class="govuk-details__summary-text" { "Show the figures as a table" }
            }
            div class="govuk-details__text" {
                (table(series))
            }
        }
        p class="govuk-body-s" {
            "Disbursed is money paid out less money given back. "
            a class="govuk-link" href="/glossary#money-over-time" { "What these figures mean" }
        }
    }
}

/// The sentence the chart is labelled with: where the two lines end, and since when.
pub(crate) fn summary(series: &Series) -> String {
    let (Some(first), Some(last)) = (series.periods.first(), series.periods.last()) else {
        return String::new();
    };
    let step = interval_word(&series.interval);
    format!(
        "A chart of the money awarded and disbursed in total, {step} by {step}, from {} to {}: by {}, {} had been awarded and {} disbursed.",
        period_name(&series.interval, &first.start),
        period_name(&series.interval, &last.start),
        figures::date(&last.end),
        figures::money(&last.cumulative_awarded),
        figures::money(&last.cumulative_disbursed),
    )
}

fn interval_word(interval: &str) -> &'static str {
    match interval {
        "YEAR" => "year",
        "QUARTER" => "quarter",
        _ => "month",
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A period as people name it, from its first day (`2025-04-01`): "April 2025", "April
/// to June 2025", "2025".
pub(crate) fn period_name(interval: &str, start: &str) -> String {
    let year = start.get(..4).unwrap_or(start);
    let month: usize = start
        .get(5..7)
        .and_then(|month| month.parse().ok())
        .unwrap_or(1);
    let name = |month: usize| MONTHS[(month.clamp(1, 12)) - 1];
    match interval {
        "YEAR" => year.to_string(),
        "QUARTER" => format!("{} to {} {year}", name(month), name(month + 2)),
        _ => format!("{} {year}", name(month)),
    }
}

fn table(series: &Series) -> Markup {
    let rows: Vec<Vec<Markup>> = series
        .periods
        .iter()
        .map(|period| {
            vec![
                html! { (period_name(&series.interval, &period.start)) },
                html! { (figures::money(&period.awarded)) },
                html! { (figures::money(&period.disbursed)) },
                html! { (figures::money(&period.reported_spend)) },
                html! { (figures::money(&period.cumulative_awarded)) },
                html! { (figures::money(&period.cumulative_disbursed)) },
            ]
        })
        .collect();
    layout::table(
        "Money over time",
        &[
            "Period",
            "Awarded in the period",
            "Disbursed in the period",
            "Spending reported in the period",
            "Awarded in total",
            "Disbursed in total",
        ],
        &rows,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_named_as_people_name_them() {
        assert_eq!(period_name("MONTH", "2025-04-01"), "April 2025");
        assert_eq!(
            period_name("QUARTER", "2025-10-01"),
            "October to December 2025"
        );
        assert_eq!(period_name("YEAR", "2019-01-01"), "2019");
    }
}
