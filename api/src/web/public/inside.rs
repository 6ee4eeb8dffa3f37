//! The areas a public map draws: every area of a level (within an area, if asked), with
//! its awarded and paid-out totals as of a day, read through GraphQL's `neighbourhoods` a
//! page at a time. The home page's map and an area's map and ranking both read here.
//!
//! A query's cost, and so whether the server counts it a heavy operation that waits for
//! the one heavy permit (`server::admission`), is reckoned from the `first` it asks for:
//! the first page asks for one more area than the place index knows of, not for a full
//! page (an authority's 21 wards asked as 400 made every area page's render queue behind
//! every other one's at 1,000,000 events). Later pages, when the index knew of fewer than
//! the store has, are full pages.

use serde::Deserialize;
use serde_json::json;

use crate::server::http::App;
use crate::web::work::gql::{self, Problem};
use crate::web::work::places::PlaceIndex;

/// Areas read per operation: within the schema's complexity limit with their totals
/// (about 11 per area: 400 × 11 < 5,000); all 317 local authorities fit in one page, the
/// largest authority's 639 neighbourhoods in two.
pub const AREAS_PER_PAGE: usize = 400;
/// Pages read at most (a safeguard: no area comes near it).
pub const MAX_PAGES: usize = 5;

/// An area with its totals as of the map's day.
#[derive(Debug, Deserialize)]
pub struct AreaFigures {
    pub code: String,
    pub name: Option<String>,
    pub population: Option<i64>,
    pub totals: AreaTotals,
}

/// Totals as GraphQL writes money (decimal strings).
#[derive(Debug, Deserialize)]
pub struct AreaTotals {
    pub awarded: String,
    pub disbursed: String,
}

/// Which areas, in what order.
pub struct Wanted<'a> {
    /// GraphQL's `GeoLevel`: `LAD`, `WARD`, `LSOA`…
    pub level: &'a str,
    /// Only the areas inside this one (any depth); `None`: all of England's.
    pub within: Option<&'a str>,
    pub as_of: Option<domain::Date>,
    /// GraphQL's `NeighbourhoodOrder`; `None`: its default.
    pub order: Option<&'a str>,
}

const QUERY: &str = "query MapAreas($level: GeoLevel!, $within: GeoCode, $asOf: Date, $orderBy: NeighbourhoodOrder, $first: Int, $after: String) {
  neighbourhoods(level: $level, within: $within, asOf: $asOf, orderBy: $orderBy, first: $first, after: $after) {
    edges { node { code name population totals { awarded disbursed } } }
    pageInfo { hasNextPage endCursor }
  }
}";

#[derive(Debug, Deserialize)]
struct Data {
    neighbourhoods: Connection,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Connection {
    edges: Vec<Edge>,
    page_info: PageInfo,
}

#[derive(Debug, Deserialize)]
struct Edge {
    node: AreaFigures,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    has_next_page: bool,
    end_cursor: Option<String>,
}

/// Every area `wanted` names, at most `MAX_PAGES` pages of them.
pub async fn read(
    app: &App,
    index: &PlaceIndex,
    wanted: &Wanted<'_>,
) -> Result<Vec<AreaFigures>, Problem> {
    let mut found = Vec::new();
    let mut after: Option<String> = None;
    let mut first = (known(index, wanted) + 1).clamp(2, AREAS_PER_PAGE);
    for _ in 0..MAX_PAGES {
        let variables = json!({
            "level": wanted.level,
            "within": wanted.within,
            "asOf": wanted.as_of.map(|day| day.to_string()),
            "orderBy": wanted.order,
            "first": first,
            "after": after,
        });
        let data: Data = gql::read_public(app, QUERY, variables).await?;
        first = AREAS_PER_PAGE;
        let connection = data.neighbourhoods;
        found.extend(connection.edges.into_iter().map(|edge| edge.node));
        match (
            connection.page_info.has_next_page,
            connection.page_info.end_cursor,
        ) {
            (true, Some(cursor)) => after = Some(cursor),
            _ => break,
        }
    }
    Ok(found)
}

/// How many areas `wanted` names that the place index knows of.
fn known(index: &PlaceIndex, wanted: &Wanted<'_>) -> usize {
    let level = wanted.level.to_ascii_lowercase();
    match wanted.within {
        Some(code) => index
            .at(code)
            .map_or(0, |at| index.descendants_at(at, &level).len()),
        None => index
            .places
            .iter()
            .filter(|place| place.level == level)
            .count(),
    }
}
