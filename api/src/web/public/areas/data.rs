//! What an area's page reads, through the GraphQL schema as the public (`gql::read_public`):
//! the area with its totals, deprivation, awards and social return in one operation (the
//! areas below it, its map and ranking, are read by `public::inside`).

use serde::Deserialize;
use serde_json::json;

use crate::server::http::App;
use crate::web::work::gql::{self, Problem};

/// Awards listed per page.
pub const AWARDS_PER_PAGE: usize = 20;

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
