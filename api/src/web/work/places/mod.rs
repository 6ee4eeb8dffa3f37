//! Choosing a place by its name or from a map, never by typing a GSS code (issue 14).
//! Other screens use `search`, `resolve_names`, `place_name` and `chooser_link`; the
//! chooser pages live here too.
//!
//! - `index.rs`: the reference geography in memory (built once per geography import,
//!   kept here keyed by `projections::read::geography_version`), its ranking of names
//!   and its reading of "one place per line".
//! - `pages.rs`: `/places/choose` (search by name; a local authority or ward narrows to
//!   its neighbourhoods, with a map of them), `/places/map` (England's local authorities
//!   on a map), `/places/chosen` (checks the choice and sends the person back, 303, to
//!   the page that asked, with `place={code}`).
//!
//! The reference geography is public data the same for every viewer, so these read it
//! from the read models directly, not through GraphQL (nothing here is a rule of the
//! ledger's).

mod index;
mod pages;

use std::sync::{Arc, Mutex};

use axum::routing::get;
use axum::Router;

use super::gql::Problem;
use crate::server::http::App;

pub use index::{normalise, PlaceIndex};

/// A place of the reference geography as people read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceMatch {
    /// The GSS code: for links and GraphQL, never the label people read.
    pub code: String,
    pub name: String,
    /// The level in words: "local authority", "ward", "neighbourhood" (LSOA), "region".
    pub level: String,
    /// Where it is, in words: "a ward in Kingston upon Hull"; empty when nothing helps.
    pub context: String,
}

/// One line of a list of place names that does not name exactly one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameProblem {
    /// The line as written.
    pub line: String,
    /// A sentence for beside the field ("No place is called …", "3 places are called …"),
    /// saying how to write each candidate so that it names one place.
    pub message: String,
    /// Places it might mean.
    pub candidates: Vec<PlaceMatch>,
}

pub fn routes() -> Router<App> {
    Router::new()
        .route("/places/choose", get(pages::choose))
        .route("/places/map", get(pages::england_map))
        .route("/places/chosen", get(pages::chosen))
}

/// Places whose name matches `text`, best first (the exact name, then local
/// authorities, wards, neighbourhoods), at most `limit`.
pub async fn search(app: &App, text: &str, limit: usize) -> Result<Vec<PlaceMatch>, Problem> {
    let index = places(app).await?;
    Ok(index
        .search(text, limit, |_| true)
        .into_iter()
        .map(|at| index.matched(at))
        .collect())
}

/// Each line (blank lines skipped) names exactly one place (its name in any case, or
/// "Name, Parent"), or the lines that don't, each with what to write instead. The outer
/// `Err`: the geography could not be read.
pub async fn resolve_names(
    app: &App,
    lines: &[String],
) -> Result<Result<Vec<PlaceMatch>, Vec<NameProblem>>, Problem> {
    Ok(places(app).await?.resolve(lines))
}

/// The place with this code, if the reference geography has it.
pub async fn place_name(app: &App, code: &str) -> Option<PlaceMatch> {
    let index = places(app).await.ok()?;
    Some(index.matched(index.at(code.trim())?))
}

/// The chooser's address: after choosing, the person comes back to `return_to` with
/// `place={code}` added to its query. `level`: `lsoa` for a neighbourhood, `ward`, `lad`,
/// or `any`.
pub fn chooser_link(return_to: &str, level: &str) -> String {
    format!(
        "/places/choose?return={}&level={}",
        super::forms::encode(return_to),
        super::forms::encode(level)
    )
}

pub fn level_in_words(level: &str) -> String {
    match level {
        "country" => "country",
        "region" => "region",
        "lad" => "local authority",
        "ward" => "ward",
        "msoa" => "middle layer area",
        "lsoa" => "neighbourhood",
        other => other,
    }
    .to_string()
}

/// The index kept: for which server state and geography import it was built.
type Kept = Option<(usize, i64, Arc<PlaceIndex>)>;
static KEPT: Mutex<Kept> = Mutex::new(None);

/// The reference geography in memory: built on first use and again only after a new
/// import (one cheap query per call to know).
pub async fn places(app: &App) -> Result<Arc<PlaceIndex>, Problem> {
    let unavailable = |error: projections::ProjectionError| {
        tracing::warn!(%error, "the place chooser could not read the geography");
        Problem::new("UNAVAILABLE", "The list of places cannot be read just now")
    };
    let db = app.state.database();
    let version = projections::read::geography_version(db)
        .await
        .map_err(unavailable)?;
    let state = Arc::as_ptr(&app.state) as usize;
    if let Some((kept_state, kept_version, index)) =
        KEPT.lock().map(|kept| kept.clone()).ok().flatten()
    {
        if kept_state == state && kept_version == version {
            return Ok(index);
        }
    }
    let records = projections::read::reference_places(db)
        .await
        .map_err(unavailable)?;
    let index = Arc::new(
        tokio::task::spawn_blocking(move || PlaceIndex::build(records))
            .await
            .map_err(|error| Problem::new("INTERNAL", error.to_string()))?,
    );
    if let Ok(mut kept) = KEPT.lock() {
        *kept = Some((state, version, index.clone()));
    }
    Ok(index)
}
