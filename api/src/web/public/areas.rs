//! `/areas/{code}`: one area at any level (region, local authority, ward, MSOA, LSOA).

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use maud::html;
use serde::Deserialize;
use serde_json::json;

use super::frame::{self, PageQuery, PublicPage};
use super::{downloads, figures, series};
use crate::server::http::App;
use crate::web::work::gql;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AreaData {
    neighbourhood: Area,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Area {
    code: String,
    name: Option<String>,
    totals: Totals,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Totals {
    awarded: String,
    award_count: i64,
}

const AREA_QUERY: &str = "query Area($code: GeoCode!, $asOf: Date) {
  neighbourhood(code: $code) { code name totals(asOf: $asOf) { awarded awardCount } }
}";

/// `GET /areas/{code}`
pub async fn page(
    State(app): State<App>,
    Path(code): Path<String>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let path = format!("/areas/{code}");
    let as_of = match frame::as_of(&path, &query) {
        Ok(as_of) => as_of,
        Err(answered) => return answered,
    };
    let render = async {
        let data: AreaData = gql::read_public(
            &app,
            AREA_QUERY,
            json!({ "code": code, "asOf": as_of.map(|date| date.to_string()) }),
        )
        .await
        .map_err(|problem| match problem.code.as_str() {
            "BAD_INPUT" => frame::not_found("area"),
            _ => frame::problem(&problem),
        })?;
        let area = data.neighbourhood;
        let Some(name) = area.name.clone() else {
            return Err(frame::not_found("area"));
        };
        let body = html! {
            h1 class="govuk-heading-xl" { (name) }
            p class="govuk-body-l" {
                (figures::money(&area.totals.awarded)) " awarded in "
                (figures::count(area.totals.award_count)) " awards"
            }
            (series::section(&app, series::Scope::Area(area.code.clone()), as_of).await)
            (downloads::links(&area.code))
        };
        Ok(PublicPage {
            title: name,
            body,
            as_of,
            time_travel: true,
            path,
        })
    };
    frame::serve(&app, &headers, &uri, render).await
}
