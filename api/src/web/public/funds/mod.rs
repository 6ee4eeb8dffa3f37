//! `/funds/{id}` (a fund's position, its rounds, its awards and its money over time) and
//! `/rounds/{id}` (`rounds.rs`: a round's budget, places, themes and awards; a
//! participatory round's results with vote counts and the rule that decided them,
//! `votes.rs`). `awards.rs`: a page of awards as a table, shared by both.

mod awards;
mod rounds;
mod votes;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::json;

use super::frame::{self, PageQuery, PublicPage};
use super::{figures, series};
use crate::server::http::App;
use crate::web::layout::{self, SummaryRow};
use crate::web::work::forms::encode;
use crate::web::work::gql;

pub use rounds::round_page;

/// The query parameter of an awards table's next page (GraphQL's `endCursor`).
const AFTER: &str = "after";

#[derive(Debug, Deserialize)]
struct FundData {
    fund: Option<Fund>,
    awards: awards::AwardPage,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Fund {
    id: String,
    name: String,
    funder_name: String,
    established_on: String,
    position: Position,
    rounds: Vec<Round>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Position {
    capital_received: String,
    allocated: String,
    awarded: String,
    disbursed: String,
    returned: String,
    available: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Round {
    id: String,
    name: String,
    status: String,
    opens_on: String,
    budget: String,
    awarded: String,
}

const FUND_QUERY: &str = "query Fund($id: String!, $asOf: Date, $after: String) {
  fund(id: $id) {
    id name funderName establishedOn
    position(asOf: $asOf) { capitalReceived allocated awarded disbursed returned available }
    rounds { id name status opensOn budget awarded }
  }
  awards(filter: { fund: $id, awardedTo: $asOf }, first: 25, after: $after, orderBy: AWARDED_ON_DESC) {
    edges { node { id title recipientName awardedOn position(asOf: $asOf) { awarded } } }
    pageInfo { hasNextPage endCursor }
  }
}";

/// `GET /funds/{id}`
pub async fn fund_page(
    State(app): State<App>,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let path = format!("/funds/{}", encode(&id));
    let as_of = match frame::as_of(&path, &query) {
        Ok(as_of) => as_of,
        Err(answered) => return answered,
    };
    let after = query.get(AFTER).filter(|after| !after.is_empty()).cloned();
    let render = async {
        let variables = json!({
            "id": id, "asOf": as_of.map(|date| date.to_string()), "after": after,
        });
        let data: FundData = gql::read_public(&app, FUND_QUERY, variables)
            .await
            .map_err(|problem| match problem.code.as_str() {
                "BAD_INPUT" => frame::not_found("page of awards"),
                _ => frame::problem(&problem),
            })?;
        let fund = data.fund.ok_or_else(|| frame::not_found("fund"))?;
        let body = html! {
            span class="govuk-caption-l fl-long-words" { (fund.funder_name) }
            h1 class="govuk-heading-xl fl-long-words" { (fund.name) }
            p class="govuk-body-l" { strong { (figures::money(&fund.position.awarded)) } " awarded" }
            (position_section(&fund))
            (rounds_section(&fund, as_of))
            (awards::section("Awards", &data.awards, &path, as_of, "This fund has made no awards yet."))
            (series::section(&app, series::Scope::Fund(fund.id.clone()), as_of).await)
        };
        Ok(PublicPage {
            title: fund.name,
            body,
            as_of,
            time_travel: true,
            path,
        })
    };
    frame::serve(&app, &headers, &uri, render).await
}

/// The fund's position: every figure of `Fund.position`, as of the page's day.
fn position_section(fund: &Fund) -> Markup {
    let position = &fund.position;
    let row = |key: &str, plain: &str| SummaryRow {
        key: key.to_string(),
        value: html! { (figures::money(plain)) },
        action: None,
    };
    let rows = [
        row("Capital received", &position.capital_received),
        row("Allocated to rounds", &position.allocated),
        row("Awarded", &position.awarded),
        row("Disbursed (paid less returned)", &position.disbursed),
        row("Returned to the fund", &position.returned),
        row("Available to allocate", &position.available),
    ];
    html! {
        h2 class="govuk-heading-m" { "Where the fund's money is" }
        (layout::summary_list(&rows))
        p class="govuk-body-s" {
            "Fund set up on " (figures::date(&fund.established_on)) ". "
            a class="govuk-link" href="/glossary" { "What these figures mean" }
        }
    }
}

/// The fund's rounds (those open by the page's day), each a link.
fn rounds_section(fund: &Fund, as_of: Option<domain::Date>) -> Markup {
    let opened = |round: &&Round| as_of.is_none_or(|day| round.opens_on <= day.to_string());
    let rows: Vec<Vec<Markup>> = fund
        .rounds
        .iter()
        .filter(opened)
        .map(|round| {
            vec![
                html! { a class="govuk-link" href=(format!("/rounds/{}", encode(&round.id))) { (round.name) } },
                html! { (rounds::status_words(&round.status)) },
                html! { (figures::money(&round.budget)) },
                html! { (figures::money(&round.awarded)) },
            ]
        })
        .collect();
    html! {
        @if rows.is_empty() {
            h2 class="govuk-heading-m" { "Rounds" }
            p class="govuk-body" { "The fund has opened no rounds yet." }
        } @else {
            (layout::headed_table(2, "Rounds", &["Round", "Status", "Budget", "Awarded"], &rows))
            @if as_of.is_some() {
                p class="govuk-body-s" { "Rounds' budgets and amounts awarded are today's." }
            }
        }
    }
}
