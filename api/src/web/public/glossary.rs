//! `/glossary`: every figure the public pages show, defined as the API defines it.

use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use maud::html;

use super::frame::{self, PublicPage};
use crate::server::http::App;

/// `GET /glossary`
pub async fn page(State(app): State<App>, headers: HeaderMap, uri: Uri) -> Response {
    let render = async {
        Ok(PublicPage {
            title: "Glossary".into(),
            body: html! { h1 class="govuk-heading-xl" { "Glossary" } },
            as_of: None,
            time_travel: false,
            path: "/glossary".into(),
        })
    };
    frame::serve(&app, &headers, &uri, render).await
}
