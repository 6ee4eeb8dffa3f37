//! What an area's page reads, through the GraphQL schema as the public (`gql::read_public`):
//! the area with its totals, deprivation, awards and social return in one operation, and
//! the areas below it (its map and ranking) in another, a page of `CHILDREN_PAGE` at a time.

use serde::Deserialize;
use serde_json::json;

use crate::server::http::App;
use crate::web::work::gql::{self, Problem};

/// Awards listed per page.
pub const AWARDS_PER_PAGE: usize = 20;
/// Areas below read per operation: within the schema's complexity limit with their
/// totals (a region's authorities or an authority's neighbourhoods fit in one or two).
pub const CHILDREN_PAGE: usize = 400;
/// Pages of areas below read at most (the largest authority has about 640 LSOAs).
pub const MAX_CHILDREN_PAGES: usize = 5;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AreaData {
    pub neighbourhood: Area,
    pub awards: AwardPage,
    pub social_return: Option<SocialReturn>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Area {
    pub name: Option<String>,
    pub level: Option<String>,
    pub population: Option<i64>,
    pub imd_decile: Option<i64>,
    pub parent: Option<Parent>,
    pub totals: Totals,
    pub deprivation: Vec<DecileShare>,
}

#[derive(Debug, Deserialize)]
pub struct Parent {
    pub code: String,
}

/// `Totals`, as GraphQL writes money (decimal strings).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    pub awarded: String,
    pub paid: String,
    pub returned: String,
    pub disbursed: String,
    pub reported_spend: String,
    pub award_count: i64,
    pub recipient_count: i64,
    pub per_head: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DecileShare {
    pub nation: String,
    pub imd_decile: i64,
    pub neighbourhoods: i64,
    pub population: i64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AwardPage {
    pub edges: Vec<AwardEdge>,
    pub page_info: PageInfo,
}

#[derive(Debug, Deserialize)]
pub struct AwardEdge {
    pub node: Award,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Award {
    pub id: String,
    pub title: String,
    pub recipient_name: String,
    pub neighbourhood: Option<String>,
    pub awarded_on: String,
    pub awarded: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageInfo {
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SocialReturn {
    pub invested: String,
    pub social_value: String,
    pub ratio: Option<String>,
    pub ratio_low: Option<String>,
    pub ratio_high: Option<String>,
}

const AREA_QUERY: &str = "query Area($code: GeoCode!, $asOf: Date, $first: Int!, $after: String) {
  neighbourhood(code: $code) {
    name level population imdDecile parent { code }
    totals(asOf: $asOf) {
      awarded paid returned disbursed reportedSpend awardCount recipientCount perHead
    }
    deprivation { nation imdDecile neighbourhoods population }
  }
  awards(filter: { neighbourhood: $code }, asOf: $asOf, first: $first, after: $after) {
    edges { node { id title recipientName neighbourhood awardedOn awarded } }
    pageInfo { hasNextPage endCursor }
  }
  socialReturn(scope: { neighbourhood: $code }) { invested socialValue ratio ratioLow ratioHigh }
}";

/// The area `code`, its totals as of `as_of`, the page of its awards (made by then) after
/// `after`, and its social return.
pub async fn area(
    app: &App,
    code: &str,
    as_of: Option<domain::Date>,
    after: Option<&str>,
) -> Result<AreaData, Problem> {
    gql::read_public(
        app,
        AREA_QUERY,
        json!({
            "code": code,
            "asOf": as_of.map(|date| date.to_string()),
            "first": AWARDS_PER_PAGE,
            "after": after,
        }),
    )
    .await
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChildrenData {
    neighbourhoods: ChildPage,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChildPage {
    edges: Vec<ChildEdge>,
    page_info: PageInfo,
}

#[derive(Debug, Deserialize)]
struct ChildEdge {
    node: Child,
}

/// An area below the page's area, with its totals as of the page's day.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Child {
    pub code: String,
    pub name: Option<String>,
    pub population: Option<i64>,
    pub totals: ChildTotals,
}

#[derive(Debug, Deserialize)]
pub struct ChildTotals {
    pub awarded: String,
    pub disbursed: String,
}

const CHILDREN_QUERY: &str = "query Children($within: GeoCode!, $level: GeoLevel!, $asOf: Date, $first: Int!, $after: String) {
  neighbourhoods(within: $within, level: $level, asOf: $asOf, orderBy: AWARDED_PER_HEAD_DESC, first: $first, after: $after) {
    edges { node { code name population totals { awarded disbursed } } }
    pageInfo { hasNextPage endCursor }
  }
}";

/// Every area of `level` (GraphQL's `GeoLevel`: `WARD`, `LSOA`…) within `within`, with its
/// totals as of `as_of`, most per head first; at most `MAX_CHILDREN_PAGES` pages.
///
/// `expected` is how many the place index knows of: the first page asks for one more than
/// that (a page's cost, and so whether the server counts it a heavy operation that waits
/// for the one heavy permit, is reckoned from what it asks for: an authority's 21 wards
/// asked as 400 made every page render queue behind every other). Later pages, if the
/// index knew of fewer than the store has, are full pages.
pub async fn children(
    app: &App,
    within: &str,
    level: &str,
    as_of: Option<domain::Date>,
    expected: usize,
) -> Result<Vec<Child>, Problem> {
    let mut found = Vec::new();
    let mut after: Option<String> = None;
    let mut first = (expected + 1).clamp(2, CHILDREN_PAGE);
    for _ in 0..MAX_CHILDREN_PAGES {
        let data: ChildrenData = gql::read_public(
            app,
            CHILDREN_QUERY,
            json!({
                "within": within,
                "level": level,
                "asOf": as_of.map(|date| date.to_string()),
                "first": first,
                "after": after,
            }),
        )
        .await?;
        first = CHILDREN_PAGE;
        let page = data.neighbourhoods;
        found.extend(page.edges.into_iter().map(|edge| edge.node));
        match (page.page_info.has_next_page, page.page_info.end_cursor) {
            (true, Some(cursor)) => after = Some(cursor),
            _ => break,
        }
    }
    Ok(found)
}
