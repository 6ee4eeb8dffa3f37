//! `/rounds/{id}`: a round's budget, awarded, remaining and returned to the fund, its
//! dates, eligible places (by name, each a link), themes and awards; a participatory
//! round's results (`votes.rs`). A round's figures are today's (GraphQL has no round as of
//! a day), so the page offers no earlier date.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::json;

use super::super::figures;
use super::super::frame::{self, PageQuery, PublicPage};
use super::{awards, votes, AFTER};
use crate::server::http::App;
use crate::web::layout::{self, SummaryRow};
use crate::web::work::forms::encode;
use crate::web::work::gql;

/// The most eligible places named on a round's page (each is one lookup); more are
/// counted, not named.
const MAX_PLACES_NAMED: usize = 50;

#[derive(Debug, Deserialize)]
struct RoundData {
    round: Option<Round>,
    awards: awards::AwardPage,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Round {
    pub fund_id: String,
    pub name: String,
    pub status: String,
    pub decision_mode: String,
    pub opens_on: String,
    pub closes_on: String,
    pub closed_on: Option<String>,
    pub themes: Vec<String>,
    pub eligible_areas: Vec<String>,
    pub budget: String,
    pub awarded: String,
    pub remaining: String,
    pub returned_to_fund: String,
    pub fund: Option<FundName>,
    pub ballots_cast: Option<i64>,
    pub voting_closed_on: Option<String>,
    pub votes_allocated_on: Option<String>,
    pub applications: Vec<votes::Application>,
}

#[derive(Debug, Deserialize)]
pub(super) struct FundName {
    pub name: String,
}

const ROUND_QUERY: &str = "query Round($id: String!, $after: String) {
  round(id: $id) {
    fundId name status decisionMode opensOn closesOn closedOn themes eligibleAreas
    budget awarded remaining returnedToFund fund { name }
    ballotsCast votingClosedOn votesAllocatedOn
    applications { id title applicantName amountRequested status votes approvedAmount awardId }
  }
  awards(filter: { round: $id }, first: 25, after: $after, orderBy: AWARDED_ON_DESC) {
    edges { node { id title recipientName awardedOn position { awarded } } }
    pageInfo { hasNextPage endCursor }
  }
}";

#[derive(Debug, Deserialize)]
struct PlaceData {
    neighbourhood: Place,
}

#[derive(Debug, Deserialize)]
struct Place {
    name: Option<String>,
}

const PLACE_QUERY: &str = "query Place($code: GeoCode!) { neighbourhood(code: $code) { name } }";

/// `GET /rounds/{id}`
pub async fn round_page(
    State(app): State<App>,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let path = format!("/rounds/{}", encode(&id));
    let as_of = match frame::as_of(&path, &query) {
        Ok(as_of) => as_of,
        Err(answered) => return answered,
    };
    let after = query.get(AFTER).filter(|after| !after.is_empty()).cloned();
    let render = async {
        let data: RoundData =
            gql::read_public(&app, ROUND_QUERY, json!({ "id": id, "after": after }))
                .await
                .map_err(|problem| match problem.code.as_str() {
                    "BAD_INPUT" => frame::not_found("page of awards"),
                    _ => frame::problem(&problem),
                })?;
        let round = data.round.ok_or_else(|| frame::not_found("round"))?;
        let places = place_names(&app, &round.eligible_areas).await;
        let body = html! {
            @if let Some(fund) = &round.fund {
                span class="govuk-caption-l fl-long-words" { (fund.name) }
            }
            h1 class="govuk-heading-xl fl-long-words" { (round.name) }
            p class="govuk-body-l" {
                strong { (figures::money(&round.awarded)) } " awarded of a "
                (figures::money(&round.budget)) " budget"
            }
            (about(&round, &places))
            (votes::section(&round))
            (awards::section("Awards", &data.awards, &path, None, "This round has made no awards yet."))
        };
        Ok(PublicPage {
            title: round.name,
            body,
            as_of,
            time_travel: false,
            path,
        })
    };
    frame::serve(&app, &headers, &uri, render).await
}

/// The round's status in words.
pub(super) fn status_words(status: &str) -> &'static str {
    match status {
        "OPEN" => "Open",
        "CLOSED" => "Closed",
        _ => "Not known",
    }
}

/// (code, name) of the first [`MAX_PLACES_NAMED`] eligible places; a place the reference
/// geography does not know keeps no name.
async fn place_names(app: &App, codes: &[String]) -> Vec<(String, Option<String>)> {
    let mut places = Vec::with_capacity(codes.len().min(MAX_PLACES_NAMED));
    for code in codes.iter().take(MAX_PLACES_NAMED) {
        let name = gql::read_public::<PlaceData>(app, PLACE_QUERY, json!({ "code": code }))
            .await
            .ok()
            .and_then(|data| data.neighbourhood.name);
        places.push((code.clone(), name));
    }
    places
}

fn about(round: &Round, places: &[(String, Option<String>)]) -> Markup {
    let money = |plain: &str| html! { (figures::money(plain)) };
    let row = |key: &str, value: Markup| SummaryRow {
        key: key.to_string(),
        value,
        action: None,
    };
    let mut rows = vec![
        row(
            "Fund",
            html! {
                a class="govuk-link" href=(format!("/funds/{}", encode(&round.fund_id))) {
                    (round.fund.as_ref().map_or(round.fund_id.as_str(), |fund| fund.name.as_str()))
                }
            },
        ),
        row("Status", html! { (status_words(&round.status)) }),
        row(
            "How awards are decided",
            html! { (decided_by(&round.decision_mode)) },
        ),
        row(
            "Open for applications",
            html! {
                (figures::date(&round.opens_on)) " to " (figures::date(&round.closes_on))
            },
        ),
    ];
    if let Some(closed) = &round.closed_on {
        rows.push(row("Closed on", html! { (figures::date(closed)) }));
    }
    rows.push(row("Budget", money(&round.budget)));
    rows.push(row("Awarded", money(&round.awarded)));
    rows.push(row("Remaining", money(&round.remaining)));
    rows.push(row("Returned to the fund", money(&round.returned_to_fund)));
    rows.push(row("Places it funds", places_list(round, places)));
    if !round.themes.is_empty() {
        rows.push(row("Themes", html! { (round.themes.join(", ")) }));
    }
    html! {
        h2 class="govuk-heading-m" { "About this round" }
        (layout::summary_list(&rows))
    }
}

fn decided_by(mode: &str) -> &'static str {
    match mode {
        "PARTICIPATORY" => "By residents' votes",
        _ => "By a panel",
    }
}

fn places_list(round: &Round, places: &[(String, Option<String>)]) -> Markup {
    let unnamed = round.eligible_areas.len().saturating_sub(places.len());
    html! {
        @if round.eligible_areas.is_empty() {
            "Anywhere"
        } @else {
            ul class="govuk-list" {
                @for (code, name) in places {
                    li {
                        a class="govuk-link" href=(format!("/areas/{}", encode(code))) {
                            (name.as_deref().unwrap_or("An area outside the reference geography"))
                        }
                    }
                }
                @if unnamed > 0 {
                    li { "and " (figures::count(unnamed as i64)) " more places" }
                }
            }
        }
    }
}
