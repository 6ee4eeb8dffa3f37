//! `/ledger`: the ledger's head hash and position, how to check them, and the latest
//! events in public form.

use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use maud::html;

use super::frame::{self, PublicPage};
use crate::server::http::App;

/// `GET /ledger`
pub async fn page(State(app): State<App>, headers: HeaderMap, uri: Uri) -> Response {
    let render = async {
        Ok(PublicPage {
            title: "The ledger".into(),
            body: html! { h1 class="govuk-heading-xl" { "The ledger" } },
            as_of: None,
            time_travel: false,
            path: "/ledger".into(),
        })
    };
    frame::serve(&app, &headers, &uri, render).await
}
