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
//! per head with the same figures in a table beside it), `inside.rs` (the areas a map
//! draws, with their totals), `series.rs` (money over time: a chart and its table).

pub mod areas;
pub mod awards;
pub mod choropleth;
pub mod downloads;
pub mod figures;
pub mod frame;
pub mod funds;
pub mod glossary;
pub mod home;
pub mod inside;
pub mod ledger;
pub mod search;
pub mod series;

use axum::routing::get;
use axum::Router;

use crate::server::http::App;

/// The public pages' stable addresses and what each shows (API-REFERENCE.md "Public
/// pages" is rendered from this list). Every page takes `?asOf=YYYY-MM-DD` where its
/// figures can be seen as of an earlier day, and answers `ETag`/`If-None-Match` and
/// `X-Min-Position` like GraphQL's public queries.
pub const ADDRESSES: &[(&str, &str)] = &[
    ("/", "every fund's position; the map of England by amount per head (`?show=awarded|disbursed`; `?in={local authority}` for its wards, `&level=lsoa` for its neighbourhoods) with the same figures in a table; the latest awards and payments; search"),
    ("/areas/{code}", "one area at any level (region, local authority, ward, MSOA, LSOA): totals, its map with its children coloured and ranked, its awards (paged), money over time, social return, deprivation context, downloads"),
    ("/areas/{code}/awards.csv", "the area's awards as CSV (UTF-8 with BOM, rows by date, no cell runs as a formula)"),
    ("/areas/{code}/360giving.json", "the area's awards as a 360Giving data package"),
    ("/awards/{id}", "one award's public story: round, recipient, place, amount, variations, payments and returns with dates, reported spend by category, outcomes"),
    ("/funds/{id}", "a fund's position over time, its rounds and awards"),
    ("/rounds/{id}", "a round's budget and awards; a participatory round's results with vote counts and the rule that decided them"),
    ("/search?q=", "places by name or postcode (once `fundledger import postcodes` has loaded a lookup), recipients, awards"),
    ("/glossary", "every figure the pages show, defined as the API defines it"),
    ("/ledger", "the ledger's head hash and position, how to check them, the latest events in public form"),
    ("/export/360giving.json", "every award as a 360Giving data package"),
    ("/export/360giving.csv", "every award in 360Giving's flattened CSV layout"),
];

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
