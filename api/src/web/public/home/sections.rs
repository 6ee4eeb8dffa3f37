//! The home page's sections other than the map: the headline figures, every fund's
//! position, the latest awards and payments, and where the data comes from.

use std::collections::HashMap;

use maud::{html, Markup};

use super::super::figures;
use super::super::frame;
use super::data::{Overview, LATEST};
use crate::web::layout;
use crate::web::work::forms::encode;

/// The totals in a sentence (amounts rounded for reading), then exactly.
pub fn headline(overview: &Overview, as_of: Option<domain::Date>) -> Markup {
    let totals = &overview.totals;
    html! {
        @if totals.award_count == 0 {
            p class="govuk-body-l" {
                @if as_of.is_some() { "Nothing had been awarded by then." } @else { "Nothing has been awarded yet." }
            }
        } @else {
            p class="govuk-body-l" {
                (figures::money_headline(&totals.awarded)) " awarded in "
                (figures::count(totals.award_count)) (if totals.award_count == 1 { " award" } else { " awards" })
                " to " (figures::count(totals.recipient_count))
                (if totals.recipient_count == 1 { " group" } else { " groups" }) "; "
                (figures::money_headline(&totals.disbursed)) " paid out, less returns."
            }
            dl class="govuk-summary-list fl-home__totals" {
                (row("Awarded", &figures::money(&totals.awarded)))
                (row("Paid out, less returns (disbursed)", &figures::money(&totals.disbursed)))
                (row("Awards", &figures::count(totals.award_count)))
                (row("Groups funded", &figures::count(totals.recipient_count)))
            }
        }
    }
}

fn row(key: &str, value: &str) -> Markup {
    html! {
        div class="govuk-summary-list__row" {
            dt class="govuk-summary-list__key" { (key) }
            dd class="govuk-summary-list__value" { (value) }
        }
    }
}

/// Every fund's position, each fund linking to its page.
pub fn funds(overview: &Overview, as_of: Option<domain::Date>) -> Markup {
    let rows: Vec<Vec<Markup>> = overview
        .funds
        .iter()
        .map(|fund| {
            let position = &fund.position;
            let href = frame::with_as_of(&format!("/funds/{}", encode(&fund.id)), as_of);
            vec![
                html! {
                    a class="govuk-link" href=(href) { (fund.name) }
                    br;
                    span class="govuk-body-s fl-home__funder" { "From " (fund.funder_name) }
                },
                html! { (figures::money(&position.capital_received)) },
                html! { (figures::money(&position.allocated)) },
                html! { (figures::money(&position.awarded)) },
                html! { (figures::money(&position.disbursed)) },
                html! { (figures::money(&position.returned)) },
                html! { (figures::money(&position.available)) },
            ]
        })
        .collect();
    html! {
        section class="fl-home__funds" aria-labelledby="funds-heading" {
            h2 class="govuk-heading-l" id="funds-heading" { "Funds" }
            @if rows.is_empty() {
                p class="govuk-body" { "No fund had been set up by then." }
            } @else {
                (layout::table_region("Every fund's position", html! {
                    table class="govuk-table" {
                        caption class="govuk-table__caption govuk-visually-hidden" { "Every fund's position" }
                        thead class="govuk-table__head" {
                            tr class="govuk-table__row" {
                                th scope="col" class="govuk-table__header" { "Fund" }
                                @for heading in ["Capital received", "Allocated to rounds", "Awarded", "Disbursed (paid, less returns)", "Returned", "Available"] {
                                    th scope="col" class="govuk-table__header govuk-table__header--numeric" { (heading) }
                                }
                            }
                        }
                        tbody class="govuk-table__body" {
                            @for cells in &rows {
                                tr class="govuk-table__row" {
                                    th scope="row" class="govuk-table__header" { (cells[0]) }
                                    @for cell in &cells[1..] {
                                        td class="govuk-table__cell govuk-table__cell--numeric" { (cell) }
                                    }
                                }
                            }
                        }
                    }
                }))
                p class="govuk-body-s" {
                    a class="govuk-link" href="/glossary" { "What each figure means" }
                }
            }
        }
    }
}

/// The latest awards: title, recipient, place, date, amount.
pub fn latest_awards(
    overview: &Overview,
    places: &HashMap<String, String>,
    as_of: Option<domain::Date>,
) -> Markup {
    let rows: Vec<Vec<Markup>> = overview
        .recent_awards
        .iter()
        .map(|award| {
            let href = frame::with_as_of(&format!("/awards/{}", encode(&award.id)), as_of);
            let place = award
                .neighbourhood
                .as_ref()
                .and_then(|code| Some((code, places.get(code)?)));
            vec![
                html! { a class="govuk-link" href=(href) { (award.title) } },
                html! { (award.recipient_name) },
                html! {
                    @match place {
                        Some((code, name)) => a class="govuk-link" href=(frame::with_as_of(&format!("/areas/{code}"), as_of)) { (name) },
                        None => { "Not recorded" },
                    }
                },
                html! { (figures::date(&award.awarded_on)) },
                html! { (figures::money(&award.awarded)) },
            ]
        })
        .collect();
    latest_table(
        "latest-awards",
        "Latest awards",
        &["Award", "Recipient", "Place", "Awarded on", "Amount"],
        &rows,
        &none_yet("award", as_of),
    )
}

/// The latest payments: the award paid (title, recipient), the day, the amount.
pub fn latest_payments(overview: &Overview, as_of: Option<domain::Date>) -> Markup {
    let rows: Vec<Vec<Markup>> = overview
        .recent_payments
        .iter()
        .map(|payment| {
            let award = &payment.award;
            let href = frame::with_as_of(&format!("/awards/{}", encode(&award.id)), as_of);
            vec![
                html! { a class="govuk-link" href=(href) { (award.title) } },
                html! { (award.recipient_name) },
                html! { (figures::date(&payment.paid_on)) },
                html! { (figures::money(&payment.amount)) },
            ]
        })
        .collect();
    latest_table(
        "latest-payments",
        "Latest payments",
        &["Award", "Recipient", "Paid on", "Amount"],
        &rows,
        &none_yet("payment", as_of),
    )
}

/// The last column holds amounts: right-aligned, as GOV.UK tables align numbers.
fn header_class(numeric: bool) -> &'static str {
    if numeric {
        "govuk-table__header govuk-table__header--numeric"
    } else {
        "govuk-table__header"
    }
}

fn cell_class(numeric: bool) -> &'static str {
    if numeric {
        "govuk-table__cell govuk-table__cell--numeric"
    } else {
        "govuk-table__cell"
    }
}

/// What a latest list says when it is empty.
fn none_yet(what: &str, as_of: Option<domain::Date>) -> String {
    match as_of {
        Some(_) => format!("No {what} had been made by then."),
        None => format!("No {what} has been made yet."),
    }
}

fn latest_table(
    id: &str,
    heading: &str,
    headings: &[&str],
    rows: &[Vec<Markup>],
    none: &str,
) -> Markup {
    html! {
        section class="fl-home__latest" aria-labelledby=(format!("{id}-heading")) {
            h2 class="govuk-heading-l" id=(format!("{id}-heading")) { (heading) }
            @if rows.is_empty() {
                p class="govuk-body" { (none) }
            } @else {
                p class="govuk-body-s" { "The " (LATEST) " most recent, latest first." }
                (layout::table_region(heading, html! {
                    table class="govuk-table" {
                        caption class="govuk-table__caption govuk-visually-hidden" { (heading) }
                        thead class="govuk-table__head" {
                            tr class="govuk-table__row" {
                                @for (index, column) in headings.iter().enumerate() {
                                    th scope="col" class=(header_class(index + 1 == headings.len())) { (column) }
                                }
                            }
                        }
                        tbody class="govuk-table__body" {
                            @for cells in rows {
                                tr class="govuk-table__row" {
                                    th scope="row" class="govuk-table__header" { (cells[0]) }
                                    @for (index, cell) in cells.iter().enumerate().skip(1) {
                                        td class=(cell_class(index + 1 == cells.len())) { (cell) }
                                    }
                                }
                            }
                        }
                    }
                }))
            }
        }
    }
}

/// Where the figures come from and how to take them away or check them.
pub fn the_data(overview: &Overview) -> Markup {
    html! {
        section aria-labelledby="data-heading" {
            h2 class="govuk-heading-l" id="data-heading" { "The data" }
            ul class="govuk-list govuk-list--bullet" {
                li {
                    a class="govuk-link" href="/graphql" { "The GraphQL API" }
                    ": every public figure, by fund, round, award and area"
                }
                li {
                    "Every award in the 360Giving Data Standard: "
                    a class="govuk-link" href="/export/360giving.json" { "360Giving JSON" }
                    " or "
                    a class="govuk-link" href="/export/360giving.csv" { "360Giving CSV" }
                }
            }
            p class="govuk-body" {
                "Every figure is read from the ledger's chained event log. At "
                a class="govuk-link" href="/ledger" { "ledger position " (overview.ledger.position) }
                " its head hash is "
                code class="fl-home__hash" { (overview.ledger.head) }
                "."
            }
        }
    }
}
