//! Downloads for one place: its awards as CSV (opens cleanly in Excel: UTF-8 with a byte
//! order mark, dates as dates, rows by date, no cell that can run as a formula) and as a
//! 360Giving package filtered to it.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::{html, Markup};

use super::frame;
use crate::server::http::App;

/// The downloads section of an area's page.
pub fn links(code: &str) -> Markup {
    html! {
        h2 class="govuk-heading-m" { "Download the data for this place" }
        ul class="govuk-list" {
            li { a class="govuk-link" href={ "/areas/" (code) "/awards.csv" } { "Awards in this place (CSV, opens in Excel)" } }
            li { a class="govuk-link" href={ "/areas/" (code) "/360giving.json" } { "Awards in this place (360Giving JSON)" } }
        }
    }
}

/// `GET /areas/{code}/awards.csv`
pub async fn area_csv(
    State(_app): State<App>,
    Path(_code): Path<String>,
    _headers: HeaderMap,
) -> Response {
    frame::answer(StatusCode::NOT_FOUND, frame::document("Not yet", html! {}))
}

/// `GET /areas/{code}/360giving.json`
pub async fn area_360giving(
    State(_app): State<App>,
    Path(_code): Path<String>,
    _headers: HeaderMap,
) -> Response {
    frame::answer(StatusCode::NOT_FOUND, frame::document("Not yet", html! {}))
}
