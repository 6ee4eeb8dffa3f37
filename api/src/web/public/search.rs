//! `/search?q=`: places by name (local authorities, wards, neighbourhoods) or by
//! postcode (once a postcode lookup is loaded: `fundledger import postcodes`),
//! recipients and awards.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use maud::html;

use super::frame::{self, PageQuery, PublicPage};
use crate::server::http::App;
use crate::web::work::places;

/// Places shown for a search.
pub const MAX_PLACES: usize = 20;

/// `GET /search?q=`
pub async fn page(
    State(app): State<App>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let text = query.get("q").cloned().unwrap_or_default();
    let render = async {
        let found = if text.trim().is_empty() {
            Vec::new()
        } else {
            places::search(&app, &text, MAX_PLACES)
                .await
                .map_err(|problem| frame::problem(&problem))?
        };
        let body = html! {
            h1 class="govuk-heading-xl" { "Search" }
            (frame::search_form(&text))
            ul class="govuk-list" {
                @for place in &found {
                    li { a class="govuk-link" href={ "/areas/" (place.code) } { (place.name) } }
                }
            }
        };
        Ok(PublicPage {
            title: "Search".into(),
            body,
            as_of: None,
            time_travel: false,
            path: "/search".into(),
        })
    };
    frame::serve(&app, &headers, &uri, render).await
}
