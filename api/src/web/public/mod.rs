//! The public explorer (issue 15): where the money went, for anyone, without signing in.
//! Server-rendered HTML on the GraphQL schema in this process as the public (`work::gql`
//! `read_public`), so every figure is the API's own; served through the public pages'
//! cache (`frame::serve`, tagged with the read models' version). No JavaScript needed,
//! nothing from another site, GOV.UK Design System patterns, 320 px wide.
//!
//! Stable addresses (other tools link to them; listed in README "Public pages"):
//! - `home.rs`: `/`: every fund's position, the map of England by amount per head (and
//!   one authority's wards or neighbourhoods), the latest awards and payments, search.
//! - `areas.rs`: `/areas/{code}`: one area at any level.
//! - `awards.rs`: `/awards/{id}`: the public story of one award.
//! - `funds.rs`: `/funds/{id}`, `/rounds/{id}` (a participatory round's results).
//! - `search.rs`: `/search?q=`: places by name or postcode, recipients, awards.
//! - `ledger.rs`: `/ledger`: the head hash and position, how to check them, the latest
//!   events in public form.
//! - `glossary.rs`: `/glossary`: every figure, defined as the API defines it.
//! - `downloads.rs`: `/areas/{code}/awards.csv`, `/areas/{code}/360giving.json`.
//!
//! Pieces shared by the pages: `frame.rs` (the page frame, the "as of" date, caching),
//! `figures.rs` (amounts as people read them), `choropleth.rs` (a map coloured by amount
//! per head with the same figures in a table beside it), `series.rs` (money over time:
//! a chart and its table).

pub mod areas;
pub mod awards;
pub mod choropleth;
pub mod downloads;
pub mod figures;
pub mod frame;
pub mod funds;
pub mod glossary;
pub mod home;
pub mod ledger;
pub mod search;
pub mod series;

use axum::routing::get;
use axum::Router;

use crate::server::http::App;

/// Every public page's route; `web::routes` merges them.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/", get(home::page))
        .route("/areas/{code}", get(areas::page))
        .route("/areas/{code}/awards.csv", get(downloads::area_csv))
        .route(
            "/areas/{code}/360giving.json",
            get(downloads::area_360giving),
        )
        .route("/awards/{id}", get(awards::page))
        .route("/funds/{id}", get(funds::fund_page))
        .route("/rounds/{id}", get(funds::round_page))
        .route("/search", get(search::page))
        .route("/glossary", get(glossary::page))
        .route("/ledger", get(ledger::page))
}
