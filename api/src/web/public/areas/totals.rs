//! The area's totals (GraphQL `neighbourhood { totals(asOf) }`: the awards in it and in
//! every area below it) as a headline and a GOV.UK summary list, with its population.

use maud::{html, Markup};

use super::super::figures;
use super::data::{Area, Totals};
use crate::web::layout::{self, SummaryRow};

/// The headline and the summary list of `area`'s totals.
pub fn section(area: &Area, name: &str) -> Markup {
    let totals = &area.totals;
    html! {
        @if totals.award_count == 0 {
            p class="govuk-body-l" { "Nothing has been awarded in " (name) " yet." }
        } @else {
            p class="govuk-body-l fl-area-headline" {
                (figures::money_headline(&totals.awarded)) " awarded in "
                (awards_in_words(totals.award_count)) " to "
                (groups_in_words(totals.recipient_count)) "."
            }
        }
        h2 class="govuk-heading-m" id="totals" { "Money in " (name) }
        (layout::summary_list(&rows(totals, area.population)))
        p class="govuk-body-s" {
            "Every award made to this area or to any area inside it counts once. "
            a class="govuk-link" href="/glossary" { "What each figure means" }
        }
    }
}

fn awards_in_words(count: i64) -> String {
    match count {
        1 => "1 award".to_string(),
        count => format!("{} awards", figures::count(count)),
    }
}

fn groups_in_words(count: i64) -> String {
    match count {
        1 => "1 group".to_string(),
        count => format!("{} groups", figures::count(count)),
    }
}

fn row(key: &str, value: String) -> SummaryRow {
    SummaryRow {
        key: key.to_string(),
        value: html! { (value) },
        action: None,
    }
}

fn rows(totals: &Totals, population: Option<i64>) -> Vec<SummaryRow> {
    vec![
        row("Awarded", figures::money(&totals.awarded)),
        row("Paid", figures::money(&totals.paid)),
        row("Returned", figures::money(&totals.returned)),
        row(
            "Paid out (paid less returned)",
            figures::money(&totals.disbursed),
        ),
        row(
            "Spending reported by groups",
            figures::money(&totals.reported_spend),
        ),
        row(
            "Awarded per person",
            figures::per_head(totals.per_head.as_deref()),
        ),
        row("Awards", figures::count(totals.award_count)),
        row("Groups awarded", figures::count(totals.recipient_count)),
        row(
            "People living here",
            population
                .map(figures::count)
                .unwrap_or_else(|| "Not known".to_string()),
        ),
    ]
}
