//! The home page's questions to GraphQL (as the public, in this process) and their
//! answers: the overview (funds, totals, the latest awards and payments, the ledger's
//! head), the map's areas, and the names of the places the latest awards went to.

use std::collections::HashMap;
use std::str::FromStr;

use axum::response::Response;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::super::choropleth::{ChoroplethArea, Measure};
use super::super::frame;
use super::super::inside::{self, AreaFigures, AreaTotals, Wanted};
use super::view::View;
use crate::server::http::App;
use crate::web::work::gql::{self, Problem};
use crate::web::work::places;

/// How many of the latest awards and payments the page lists.
pub const LATEST: i32 = 10;
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Overview {
    pub funds: Vec<Fund>,
    pub totals: Totals,
    pub recent_awards: Vec<RecentAward>,
    pub recent_payments: Vec<RecentPayment>,
    pub ledger: Ledger,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fund {
    pub id: String,
    pub name: String,
    pub funder_name: String,
    pub established_on: String,
    pub position: Position,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Position {
    pub capital_received: String,
    pub allocated: String,
    pub awarded: String,
    pub disbursed: String,
    pub returned: String,
    pub available: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    pub awarded: String,
    pub disbursed: String,
    pub award_count: i64,
    pub recipient_count: i64,
}

impl Totals {
    /// The measure's total, as GraphQL writes money.
    pub fn of(&self, measure: Measure) -> &str {
        match measure {
            Measure::Awarded => &self.awarded,
            Measure::Disbursed => &self.disbursed,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecentAward {
    pub id: String,
    pub title: String,
    pub recipient_name: String,
    pub neighbourhood: Option<String>,
    pub awarded_on: String,
    pub awarded: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecentPayment {
    pub paid_on: String,
    pub amount: String,
    pub award: PaidAward,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaidAward {
    pub id: String,
    pub title: String,
    pub recipient_name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ledger {
    pub position: i64,
    pub head: String,
}

const OVERVIEW_QUERY: &str = "query Home($asOf: Date, $latest: Int) {
  funds { id name funderName establishedOn
          position(asOf: $asOf) { capitalReceived allocated awarded disbursed returned available } }
  totals(asOf: $asOf) { awarded disbursed awardCount recipientCount }
  recentAwards(first: $latest, asOf: $asOf) { id title recipientName neighbourhood awardedOn awarded }
  recentPayments(first: $latest, asOf: $asOf) { paidOn amount award { id title recipientName } }
  ledger { position head }
}";

/// Funds, totals, the latest awards and payments and the ledger's head, as of `as_of`.
/// Funds established after that day are left out (they did not exist yet).
pub async fn overview(app: &App, as_of: Option<domain::Date>) -> Result<Overview, Problem> {
    let variables = json!({ "asOf": as_of.map(|day| day.to_string()), "latest": LATEST });
    let mut overview: Overview = gql::read_public(app, OVERVIEW_QUERY, variables).await?;
    if let Some(day) = as_of {
        let day = day.to_string();
        overview
            .funds
            .retain(|fund| fund.established_on.as_str() <= day.as_str());
    }
    Ok(overview)
}

/// The names of the places the latest awards went to, by code: one question for them
/// all (an alias per place). A place the geography does not name is left out; the page
/// then says so rather than failing.
pub async fn place_names(app: &App, overview: &Overview) -> HashMap<String, String> {
    let mut codes: Vec<&str> = overview
        .recent_awards
        .iter()
        .filter_map(|award| award.neighbourhood.as_deref())
        .collect();
    codes.sort_unstable();
    codes.dedup();
    if codes.is_empty() {
        return HashMap::new();
    }
    let declared: Vec<String> = (0..codes.len())
        .map(|index| format!("$c{index}: GeoCode!"))
        .collect();
    let fields: Vec<String> = (0..codes.len())
        .map(|index| format!("p{index}: neighbourhood(code: $c{index}) {{ code name }}"))
        .collect();
    let query = format!(
        "query Places({}) {{ {} }}",
        declared.join(", "),
        fields.join(" ")
    );
    let variables: Map<String, Value> = codes
        .iter()
        .enumerate()
        .map(|(index, code)| (format!("c{index}"), json!(code)))
        .collect();
    let answer: HashMap<String, Place> = match gql::read_public(
        app,
        &query,
        Value::Object(variables),
    )
    .await
    {
        Ok(answer) => answer,
        Err(problem) => {
            tracing::warn!(code = %problem.code, message = %problem.message, "the latest awards' place names could not be read");
            return HashMap::new();
        }
    };
    answer
        .into_values()
        .filter_map(|place| Some((place.code, place.name?)))
        .collect()
}

#[derive(Debug, Deserialize)]
struct Place {
    code: String,
    name: Option<String>,
}

/// The map's areas and what the page says about the money not on it.
pub struct MapData {
    /// The authority zoomed into, with its totals; `None` for England.
    pub zoomed: Option<Authority>,
    /// The areas drawn: England's local authorities, or the authority's wards or
    /// neighbourhoods, each with the view's measure.
    pub areas: Vec<ChoroplethArea>,
    /// The measure's amount in the whole of England's geography (the country's own row),
    /// when the geography has one: money to a region or to England as a whole is in it
    /// but on no local authority.
    pub england: Option<Decimal>,
}

impl MapData {
    /// Σ the drawn areas' amounts (exact: GraphQL's decimal strings).
    pub fn on_the_map(&self) -> Decimal {
        self.areas.iter().map(|area| decimal(&area.amount)).sum()
    }
}

/// The local authority a zoomed map is of.
pub struct Authority {
    pub code: String,
    pub name: String,
    pub awarded: String,
    pub disbursed: String,
}

impl Authority {
    pub fn amount(&self, measure: Measure) -> &str {
        match measure {
            Measure::Awarded => &self.awarded,
            Measure::Disbursed => &self.disbursed,
        }
    }
}

/// A GraphQL amount as a decimal (zero if it were ever not one: the page shows GraphQL's
/// own text everywhere else).
pub fn decimal(plain: &str) -> Decimal {
    Decimal::from_str(plain).unwrap_or_default()
}

/// Every area of `level` (within `within`), as of the view's day.
async fn areas(
    app: &App,
    view: &View,
    level: &str,
    within: Option<&str>,
) -> Result<Vec<AreaFigures>, Problem> {
    let index = places::places(app).await?;
    let wanted = Wanted {
        level,
        within,
        as_of: view.as_of,
        order: None,
    };
    inside::read(app, &index, &wanted).await
}

fn choropleth_area(view: &View, node: AreaFigures) -> ChoroplethArea {
    let amount = match view.measure {
        Measure::Awarded => node.totals.awarded,
        Measure::Disbursed => node.totals.disbursed,
    };
    ChoroplethArea {
        href: view.page(&format!("/areas/{}", node.code)),
        name: node.name.unwrap_or_else(|| node.code.clone()),
        code: node.code,
        amount,
        population: node.population,
    }
}

/// The map the view asks for: England's local authorities, or one authority's wards or
/// neighbourhoods. An authority the geography does not have is a page not found.
pub async fn map(app: &App, view: &View) -> Result<MapData, Response> {
    let problem = |problem: Problem| frame::problem(&problem);
    match &view.within {
        None => {
            let lads = areas(app, view, "LAD", None).await.map_err(problem)?;
            let countries = areas(app, view, "COUNTRY", None).await.map_err(problem)?;
            let england = countries
                .iter()
                .find(|node| node.code == "E92000001")
                .map(|node| decimal(amount_of(&node.totals, view.measure)));
            Ok(MapData {
                zoomed: None,
                areas: lads
                    .into_iter()
                    .map(|node| choropleth_area(view, node))
                    .collect(),
                england,
            })
        }
        Some(code) => {
            let authority = authority(app, view, code).await?;
            let nodes = areas(app, view, view.level.as_graphql(), Some(code))
                .await
                .map_err(problem)?;
            Ok(MapData {
                zoomed: Some(authority),
                areas: nodes
                    .into_iter()
                    .map(|node| choropleth_area(view, node))
                    .collect(),
                england: None,
            })
        }
    }
}

fn amount_of(totals: &AreaTotals, measure: Measure) -> &str {
    match measure {
        Measure::Awarded => &totals.awarded,
        Measure::Disbursed => &totals.disbursed,
    }
}

#[derive(Debug, Deserialize)]
struct AuthorityData {
    neighbourhood: AuthorityNode,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthorityNode {
    code: String,
    name: Option<String>,
    level: Option<String>,
    totals: AreaTotals,
}

const AUTHORITY_QUERY: &str = "query Authority($code: GeoCode!, $asOf: Date) {
  neighbourhood(code: $code) { code name level totals(asOf: $asOf) { awarded disbursed } }
}";

async fn authority(app: &App, view: &View, code: &str) -> Result<Authority, Response> {
    let variables = json!({ "code": code, "asOf": view.as_of.map(|day| day.to_string()) });
    let data: AuthorityData = gql::read_public(app, AUTHORITY_QUERY, variables)
        .await
        .map_err(|problem| match problem.code.as_str() {
            "BAD_INPUT" => frame::not_found("local authority"),
            _ => frame::problem(&problem),
        })?;
    let node = data.neighbourhood;
    match (node.name, node.level.as_deref()) {
        (Some(name), Some("LAD")) => Ok(Authority {
            code: node.code,
            name,
            awarded: node.totals.awarded,
            disbursed: node.totals.disbursed,
        }),
        _ => Err(frame::not_found("local authority")),
    }
}
