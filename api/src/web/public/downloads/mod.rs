//! Downloads for one place: its awards as CSV (opens cleanly in Excel: UTF-8 with a byte
//! order mark, dates as dates, rows by date, no cell that can run as a formula) and as a
//! 360Giving package filtered to it.
//!
//! - `awards_csv.rs`: `/areas/{code}/awards.csv`, read page by page through the public
//!   GraphQL schema (the same figures the API answers), `?asOf=` honoured.
//! - `giving360.rs`: `/areas/{code}/360giving.json`, the register's 360Giving export
//!   (`crate::export`) filtered to the area: the same grant ids and shape.
//!
//! Both are tagged with the read models' version like the register's exports (`ETag`,
//! `304` on `If-None-Match`, `X-Min-Position` honoured), and streamed: the first chunk is
//! made before answering, so an unknown area is a 404 and an unreadable store a 503, and
//! only a failure later can cut a body short.

mod awards_csv;
mod giving360;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::{Stream, StreamExt};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::json;

use super::frame;
use crate::server::conditional;
use crate::server::http::App;
use crate::server::public::conditional_tag;
use crate::web::work::gql;

pub use awards_csv::area_csv;
pub use giving360::area_360giving;

/// The downloads section of an area's page.
pub fn links(code: &str, as_of: Option<domain::Date>) -> Markup {
    // The CSV follows the page's day; the 360Giving package is the register as published now.
    let csv = super::frame::with_as_of(&format!("/areas/{code}/awards.csv"), as_of);
    html! {
        h2 class="govuk-heading-m" { "Download the data for this place" }
        ul class="govuk-list" {
            li {
                a class="govuk-link" href=(csv) { "Awards in this place (CSV, opens in Excel)" }
                @if let Some(day) = as_of { " as they stood at the end of " (super::figures::date(&day.to_string())) }
            }
            li { a class="govuk-link" href={ "/areas/" (code) "/360giving.json" } { "Awards in this place (360Giving JSON)" } }
        }
        p class="govuk-body-s" {
            "The CSV has one row per award, oldest first, with the amounts awarded, paid, "
            "returned and disbursed and the spend reported. The 360Giving file is the "
            a class="govuk-link" href="https://standard.threesixtygiving.org/" { "360Giving Data Standard" }
            " package of the same awards."
        }
    }
}

#[derive(Debug, Deserialize)]
struct Place {
    neighbourhood: PlaceName,
}

#[derive(Debug, Deserialize)]
struct PlaceName {
    code: String,
    name: Option<String>,
}

/// An area of the reference geography, as the public API names it.
struct KnownArea {
    code: domain::GeoCode,
    name: String,
}

/// The area `code` names, or the answer for a code that names none (404: malformed or
/// not in the reference geography) or a store that cannot be read.
async fn known_area(app: &App, code: &str) -> Result<KnownArea, Response> {
    let place: Place = gql::read_public(
        app,
        "query($code: GeoCode!) { neighbourhood(code: $code) { code name } }",
        json!({ "code": code }),
    )
    .await
    .map_err(|problem| match problem.code.as_str() {
        "BAD_INPUT" => frame::not_found("area"),
        _ => frame::problem(&problem),
    })?;
    let (Some(name), Ok(code)) = (place.neighbourhood.name, place.neighbourhood.code.parse())
    else {
        return Err(frame::not_found("area"));
    };
    Ok(KnownArea { code, name })
}

/// A download's answer: the read models' version tag (or the `304` that answers a
/// request already holding it) and the area, before anything is read.
async fn prepare(
    app: &App,
    headers: &HeaderMap,
    code: &str,
) -> Result<(Option<HeaderValue>, KnownArea), Response> {
    let tag = conditional_tag(app, headers).await?;
    let area = known_area(app, code).await?;
    Ok((tag, area))
}

/// A file to download: `first` (already made) and then `rest`, streamed.
fn attachment<S, E>(
    content_type: &'static str,
    file_name: &str,
    first: Bytes,
    rest: S,
    tag: Option<HeaderValue>,
) -> Response
where
    S: Stream<Item = Result<Bytes, E>> + Send + 'static,
    E: std::fmt::Display + Send + Sync + 'static,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let rest = rest.inspect(|chunk| {
        if let Err(error) = chunk {
            tracing::error!(%error, "a place's download stopped part way; the body is cut short");
        }
    });
    let body = Body::from_stream(futures::stream::once(async move { Ok(first) }).chain(rest));
    let response = (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        body,
    )
        .into_response();
    match tag {
        Some(tag) => conditional::tagged(response, tag),
        None => response,
    }
}

/// A plain-text answer (a download has no page frame).
fn plain(status: StatusCode, text: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}
