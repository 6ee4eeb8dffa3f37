//! `/funds/{id}` (a fund's position over time, its rounds and awards) and `/rounds/{id}`
//! (a round's budget and awards; a participatory round's results with vote counts and
//! the rule that decided them).

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use maud::html;
use serde::Deserialize;
use serde_json::json;

use super::frame::{self, PageQuery, PublicPage};
use super::{figures, series};
use crate::server::http::App;
use crate::web::work::forms::encode;
use crate::web::work::gql;

#[derive(Debug, Deserialize)]
struct FundData {
    fund: Option<Fund>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Fund {
    id: String,
    name: String,
    position: Position,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Position {
    awarded: String,
}

const FUND_QUERY: &str = "query Fund($id: String!, $asOf: Date) {
  fund(id: $id) { id name position(asOf: $asOf) { awarded } }
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
    let render = async {
        let variables = json!({ "id": id, "asOf": as_of.map(|date| date.to_string()) });
        let data: FundData = gql::read_public(&app, FUND_QUERY, variables)
            .await
            .map_err(|problem| frame::problem(&problem))?;
        let fund = data.fund.ok_or_else(|| frame::not_found("fund"))?;
        let body = html! {
            h1 class="govuk-heading-xl" { (fund.name) }
            p class="govuk-body-l" { (figures::money(&fund.position.awarded)) " awarded" }
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

#[derive(Debug, Deserialize)]
struct RoundData {
    round: Option<Round>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Round {
    name: String,
    budget: String,
}

const ROUND_QUERY: &str = "query Round($id: String!) { round(id: $id) { name budget } }";

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
    let render = async {
        let data: RoundData = gql::read_public(&app, ROUND_QUERY, json!({ "id": id }))
            .await
            .map_err(|problem| frame::problem(&problem))?;
        let round = data.round.ok_or_else(|| frame::not_found("round"))?;
        let body = html! {
            h1 class="govuk-heading-xl" { (round.name) }
            p class="govuk-body-l" { "Budget " (figures::money(&round.budget)) }
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
