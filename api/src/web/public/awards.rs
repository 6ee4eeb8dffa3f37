//! `/awards/{id}`: the public story of one award: round, recipient, place, amount,
//! variations, payments and returns with dates, reported spend by category, outcomes.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use maud::html;
use serde::Deserialize;
use serde_json::json;

use super::figures;
use super::frame::{self, PageQuery, PublicPage};
use crate::server::http::App;
use crate::web::work::gql;

#[derive(Debug, Deserialize)]
struct AwardData {
    award: Option<Award>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Award {
    title: String,
    recipient_name: String,
    awarded: String,
}

const AWARD_QUERY: &str =
    "query Award($id: String!) { award(id: $id) { title recipientName awarded } }";

/// `GET /awards/{id}`
pub async fn page(
    State(app): State<App>,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let path = format!("/awards/{}", crate::web::work::forms::encode(&id));
    let as_of = match frame::as_of(&path, &query) {
        Ok(as_of) => as_of,
        Err(answered) => return answered,
    };
    let render = async {
        let data: AwardData = gql::read_public(&app, AWARD_QUERY, json!({ "id": id }))
            .await
            .map_err(|problem| frame::problem(&problem))?;
        let award = data.award.ok_or_else(|| frame::not_found("award"))?;
        let body = html! {
            span class="govuk-caption-l" { (award.recipient_name) }
            h1 class="govuk-heading-xl" { (award.title) }
            p class="govuk-body-l" { (figures::money(&award.awarded)) " awarded" }
        };
        Ok(PublicPage {
            title: award.title,
            body,
            as_of,
            time_travel: true,
            path,
        })
    };
    frame::serve(&app, &headers, &uri, render).await
}
