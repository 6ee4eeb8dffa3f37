//! `/`: where the money went. Every fund's position; a map of England's local
//! authorities coloured by amount per head (awarded, or `?show=disbursed`), or one
//! authority's wards (`?in={LAD}`) or neighbourhoods (`&level=lsoa`); what of the total
//! is not on the map and why, so no figure on the page contradicts another; the latest
//! awards and payments; search. Every figure is GraphQL's (`gql::read_public`), as of
//! `?asOf=` when given.
//!
//! - `view.rs`: what the address asks for (which map, which measure) and the page's links.
//! - `data.rs`: the GraphQL questions and their answers.
//! - `map.rs`: the map section (the switches, the choropleth, what is not on it).
//! - `sections.rs`: the headline, the funds, the latest awards and payments, the data.

mod data;
mod map;
mod sections;
mod view;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use maud::html;

use super::frame::{self, PageQuery, PublicPage};
use crate::server::http::App;
use view::View;

/// `GET /`
pub async fn page(
    State(app): State<App>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let Some(view) = View::from_query(&query) else {
        return frame::not_found("local authority");
    };
    let path = view.href(None);
    let as_of = match frame::as_of(&path, &query) {
        Ok(as_of) => as_of,
        Err(answered) => return answered,
    };
    let view = view.on(as_of);
    let render = async {
        let overview = data::overview(&app, as_of)
            .await
            .map_err(|problem| frame::problem(&problem))?;
        let map = data::map(&app, &view).await?;
        let places = data::place_names(&app, &overview).await;
        // The heading is the whole ledger's (the headline's figures are); the title names
        // the zoomed authority, so each view reads apart in a list of tabs or a history.
        let title = match &map.zoomed {
            Some(authority) => format!("Where the money went: {}", authority.name),
            None => "Where the money went".to_string(),
        };
        let body = html! {
            h1 class="govuk-heading-xl" { "Where the money went" }
            (sections::headline(&overview, as_of))
            (frame::search_form(""))
            (map::section(&view, &map, &overview))
            (sections::funds(&overview, as_of))
            (sections::latest_awards(&overview, &places, as_of))
            (sections::latest_payments(&overview, as_of))
            (sections::the_data(&overview))
        };
        Ok(PublicPage {
            title,
            body,
            as_of,
            time_travel: true,
            path,
        })
    };
    frame::serve(&app, &headers, &uri, render).await
}
