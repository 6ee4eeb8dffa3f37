//! `/search?q=`: one box for what a resident knows: a town, ward or neighbourhood by name
//! (the reference geography in memory, `work::places`), a postcode (once a postcode lookup
//! is loaded: `fundledger import postcodes`), a group (recipient) or an award. Results are
//! grouped: the postcode's place first, then places, groups and awards. `/search?recipient=`
//! lists one group's awards (a group's link from the results).
//!
//! A postcode that is found is shown first, not redirected to: a resident sees at once
//! which neighbourhood, ward and authority it is in and picks the level they meant (the
//! neighbourhood's page alone would hide the others), and a mistyped postcode that happens
//! to exist is seen for what it is rather than landing somewhere unexplained.
//!
//! - `results.rs`: the search's sections.
//! - `postcode.rs`: the postcode's section.
//! - `recipient.rs`: one group's awards.

mod postcode;
mod recipient;
mod results;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;

use super::frame::{self, PageQuery, PublicPage};
use crate::server::http::App;

/// Places shown for a search.
pub const MAX_PLACES: usize = 20;
/// Groups, and awards, shown for a search (each at most this many).
pub const MAX_FOUND: i32 = 20;

/// `GET /search?q=` (or `?recipient=ORG`: that group's awards).
pub async fn page(
    State(app): State<App>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    if let Some(org) = query.get("recipient").filter(|org| !org.trim().is_empty()) {
        let org = org.trim().to_string();
        let render = async { recipient::render(&app, &org).await };
        return frame::serve(&app, &headers, &uri, render).await;
    }
    let text = query.get("q").cloned().unwrap_or_default();
    let render = async {
        let body = results::body(&app, &text).await?;
        let title = match text.trim() {
            "" => "Search".to_string(),
            words => format!(
                "Search results for \u{201c}{}\u{201d}",
                results::shortened(words)
            ),
        };
        Ok(PublicPage {
            title,
            body,
            as_of: None,
            time_travel: false,
            path: "/search".into(),
        })
    };
    frame::serve(&app, &headers, &uri, render).await
}
