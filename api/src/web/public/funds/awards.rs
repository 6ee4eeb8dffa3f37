//! A page of awards (GraphQL's `awards` connection) as a table: each award a link to its
//! page, with its recipient, date and amount as of the page's day, and a link to the next
//! page.

use maud::{html, Markup};
use serde::Deserialize;

use super::super::figures;
use super::super::frame;
use super::AFTER;
use crate::web::layout;
use crate::web::work::forms::encode;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AwardPage {
    edges: Vec<Edge>,
    page_info: PageInfo,
}

#[derive(Debug, Deserialize)]
struct Edge {
    node: Award,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Award {
    id: String,
    title: String,
    recipient_name: String,
    awarded_on: String,
    position: Position,
}

#[derive(Debug, Deserialize)]
struct Position {
    awarded: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    has_next_page: bool,
    end_cursor: Option<String>,
}

/// The awards section under `heading`: the table, or `none` when the page is empty, and
/// the link to the next page of `path` (the same day).
pub fn section(
    heading: &str,
    page: &AwardPage,
    path: &str,
    as_of: Option<domain::Date>,
    none: &str,
) -> Markup {
    let rows: Vec<Vec<Markup>> = page
        .edges
        .iter()
        .map(|edge| {
            let award = &edge.node;
            vec![
                html! { a class="govuk-link" href=(frame::with_as_of(&format!("/awards/{}", encode(&award.id)), as_of)) { (award.title) } },
                html! { (award.recipient_name) },
                html! { (figures::date(&award.awarded_on)) },
                html! { (figures::money(&award.position.awarded)) },
            ]
        })
        .collect();
    let next = match (&page.page_info.end_cursor, page.page_info.has_next_page) {
        (Some(cursor), true) => {
            let next = format!("{path}?{AFTER}={}", encode(cursor));
            Some(frame::with_as_of(&next, as_of))
        }
        _ => None,
    };
    html! {
        @if rows.is_empty() {
            h2 class="govuk-heading-m" { (heading) }
            p class="govuk-body" { (none) }
        } @else {
            (layout::headed_table(2, heading, &["Award", "Group", "Awarded on", "Amount awarded"], &rows))
        }
        @if let Some(next) = next {
            nav class="govuk-pagination govuk-pagination--block" aria-label=(format!("{heading}: more")) {
                div class="govuk-pagination__next" {
                    a class="govuk-link govuk-pagination__link" href=(next) rel="next" {
                        span class="govuk-pagination__link-title" { "More awards" }
                    }
                }
            }
        }
    }
}
