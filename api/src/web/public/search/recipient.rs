//! `/search?recipient=ORG`: one group's awards (a group's link from the search results):
//! how many, what they were awarded in all, and the awards themselves.

use axum::response::Response;
use maud::html;
use serde::Deserialize;
use serde_json::json;

use super::super::figures;
use super::super::frame::{self, PublicPage};
use super::results::{awards_in_words, awards_section, AwardFound, AWARD_FIELDS};
use crate::server::http::App;
use crate::web::work::forms::encode;
use crate::web::work::gql;
use crate::web::work::places;

/// The most of a group's awards listed (the rest are in the API and the downloads).
const MAX_AWARDS_LISTED: i32 = 100;

#[derive(Debug, Deserialize)]
struct RecipientData {
    awards: AwardPage,
    totals: RecipientTotals,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AwardPage {
    nodes: Vec<AwardFound>,
    page_info: PageInfo,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    has_next_page: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RecipientTotals {
    award_count: i64,
    awarded: String,
    disbursed: String,
}

/// The page of the group `org`; not found when no award names it.
pub async fn render(app: &App, org: &str) -> Result<PublicPage, Response> {
    let query = format!(
        "query Recipient($org: String!, $first: Int) {{ \
         awards(filter: {{ recipientOrgId: $org }}, first: $first) {{ nodes {{ {AWARD_FIELDS} }} pageInfo {{ hasNextPage }} }} \
         totals(filter: {{ recipientOrgId: $org }}) {{ awardCount awarded disbursed }} }}"
    );
    let data: RecipientData = gql::read_public(
        app,
        &query,
        json!({ "org": org, "first": MAX_AWARDS_LISTED }),
    )
    .await
    .map_err(|problem| frame::problem(&problem))?;
    let Some(first) = data.awards.nodes.first() else {
        return Err(frame::not_found("group"));
    };
    let name = first.recipient_name.clone();
    let index = places::places(app)
        .await
        .map_err(|problem| frame::problem(&problem))?;
    let totals = &data.totals;
    let body = html! {
        span class="govuk-caption-l" { "Group" }
        h1 class="govuk-heading-xl" { (name) }
        p class="govuk-body-l" {
            (awards_in_words(totals.award_count)) ", "
            (figures::money(&totals.awarded)) " awarded, "
            (figures::money(&totals.disbursed)) " disbursed."
        }
        (awards_section("Their awards", &data.awards.nodes, &index))
        @if data.awards.page_info.has_next_page {
            p class="govuk-body" {
                "The first " (MAX_AWARDS_LISTED) " awards are listed. Every award is in the "
                a class="govuk-link" href="/graphql" { "API" } "."
            }
        }
        p class="govuk-body" { a class="govuk-link" href="/search" { "Search again" } }
    };
    Ok(PublicPage {
        title: name,
        body,
        as_of: None,
        time_travel: false,
        path: format!("/search?recipient={}", encode(org)),
    })
}
