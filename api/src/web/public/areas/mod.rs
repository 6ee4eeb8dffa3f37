//! `/areas/{code}`: one area at any level the reference geography has (England, a region,
//! a local authority, a ward, an MSOA, a neighbourhood (LSOA)). Sections, each in its own
//! file: where it is (`place.rs`: name, level, breadcrumbs), its totals (`totals.rs`), its
//! map with the areas inside it coloured and ranked (`children.rs`), the awards in it,
//! paged (`awards.rs`), money over time (`series`), how deprived it is
//! (`deprivation.rs`), what the awards achieved (`social.rs`) and its downloads
//! (`downloads`). Every figure comes from GraphQL (`data.rs`); every figure but the social
//! return (worked out on today's figures only, and said so) honours `?asOf=`, and links to
//! other public pages keep it.
//!
//! The query: `?asOf=` (the day), `?level=` (the areas on the map: `ward` or `lsoa` for an
//! authority), `?show=disbursed` (colour the map by money paid out rather than awarded),
//! `?after=` and `?back=` (the page of awards, `awards.rs`). A malformed or unknown code is
//! answered with the "Page not found" page (404).

mod awards;
mod children;
mod data;
mod deprivation;
mod place;
mod social;
mod totals;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use domain::{GeoCode, GeoLevel};
use maud::{html, Markup};

use super::choropleth::Measure;
use super::frame::{self, PageQuery, PublicPage, AS_OF};
use super::inside::{AreaFigures, Wanted};
use super::{downloads, series};
use crate::server::http::App;
use crate::web::work::gql::Problem;
use crate::web::work::places::{self, PlaceIndex};
use awards::AwardPlace;
use children::ChildLevel;

/// What the page is asked for, beyond the area itself.
#[derive(Debug, Clone)]
pub struct Ask {
    pub code: String,
    pub as_of: Option<domain::Date>,
    pub measure: Measure,
    /// The areas the map shows (`None` for a neighbourhood, which has none inside it).
    pub shown: Option<ChildLevel>,
    /// The level the map shows unless asked otherwise (left out of links).
    default_level: Option<&'static str>,
    pub awards: AwardPlace,
}

impl Ask {
    fn read(code: &GeoCode, as_of: Option<domain::Date>, query: &PageQuery) -> Ask {
        let level = code.level();
        Ask {
            code: code.as_str().to_string(),
            as_of,
            measure: Measure::from_query(query.get("show")),
            shown: children::chosen(level, query.get("level").map(String::as_str)),
            default_level: children::levels(level).first().map(|child| child.query),
            awards: AwardPlace::read(query.get("after"), query.get("back")),
        }
    }

    /// The page's own path, without a query.
    pub fn path(&self) -> String {
        format!("/areas/{}", self.code)
    }

    /// The page with the map at `level` by `measure`, then `extra` (already encoded),
    /// keeping the as-of, at `#fragment`.
    fn href(&self, level: Option<&str>, measure: Measure, extra: &str, fragment: &str) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some(level) = level.filter(|level| Some(*level) != self.default_level) {
            parts.push(format!("level={level}"));
        }
        if measure == Measure::Disbursed {
            parts.push(format!("show={}", measure.as_query()));
        }
        if !extra.is_empty() {
            parts.push(extra.to_string());
        }
        if let Some(date) = self.as_of {
            parts.push(format!("{AS_OF}={date}"));
        }
        let query = if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        };
        format!("{}{query}#{fragment}", self.path())
    }

    /// The page with its map at `level` (`None`: the default) coloured by `measure`.
    pub fn path_with(&self, level: Option<&str>, measure: Measure) -> String {
        self.href(level, measure, "", "map")
    }

    /// The page of awards `query` (from `AwardPlace`), the map as it is.
    pub fn awards_href(&self, query: &str) -> String {
        self.href(
            self.shown.map(|shown| shown.query),
            self.measure,
            query,
            "awards",
        )
    }
}

/// `GET /areas/{code}`
pub async fn page(
    State(app): State<App>,
    Path(code): Path<String>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let Ok(code) = code.parse::<GeoCode>() else {
        return frame::not_found("area");
    };
    let path = format!("/areas/{}", code.as_str());
    let as_of = match frame::as_of(&path, &query) {
        Ok(as_of) => as_of,
        Err(answered) => return answered,
    };
    let ask = Ask::read(&code, as_of, &query);
    let render = async {
        let body = body(&app, &code, &ask).await?;
        Ok(PublicPage {
            title: body.0,
            body: body.1,
            as_of,
            time_travel: true,
            path,
        })
    };
    frame::serve(&app, &headers, &uri, render).await
}

/// An area that is not there (or a cursor that is no page of its awards) is not found.
fn refused(problem: Problem) -> Response {
    match problem.code.as_str() {
        "BAD_INPUT" | "NOT_FOUND" => frame::not_found("area"),
        _ => frame::problem(&problem),
    }
}

/// The page's title and body.
async fn body(app: &App, code: &GeoCode, ask: &Ask) -> Result<(String, Markup), Response> {
    let index = places::places(app)
        .await
        .map_err(|problem| frame::problem(&problem))?;
    let (area, inside) = tokio::join!(
        data::area(app, code.as_str(), ask.as_of, ask.awards.after.as_deref()),
        inside(app, &index, code.as_str(), ask),
    );
    let data = area.map_err(refused)?;
    let Some(official) = data.neighbourhood.name.clone() else {
        return Err(frame::not_found("area"));
    };
    let inside = inside.map_err(refused)?;
    let place = place::place(&index, code.as_str(), &official, code.level().as_str());
    let area = &data.neighbourhood;
    let map = match (ask.shown, inside) {
        (Some(shown), Some(inside)) => {
            children::section(&index, &place.name, code.level(), shown, &inside, ask)
        }
        _ => neighbourhood_map(app, &index, &place.name, area, ask).await?,
    };
    let body = html! {
        (place::heading(&place, ask.as_of))
        (totals::section(area, &place.name))
        (map)
        (awards::section(&index, &place.name, area.totals.award_count, &data.awards, ask))
        (series::section(app, series::Scope::Area(ask.code.clone()), ask.as_of).await)
        (deprivation::section(area, &place.name))
        (social::section(&place.name, data.social_return.as_ref(), ask.as_of, &ask.path()))
        (downloads::links(&ask.code, ask.as_of))
    };
    Ok((place.name, body))
}

/// The areas inside the area at the level its map shows (`None` for a neighbourhood),
/// most per head first.
async fn inside(
    app: &App,
    index: &PlaceIndex,
    code: &str,
    ask: &Ask,
) -> Result<Option<Vec<AreaFigures>>, Problem> {
    match ask.shown {
        Some(shown) => ranked_inside(app, index, code, shown.graphql, ask.as_of)
            .await
            .map(Some),
        None => Ok(None),
    }
}

/// Every area of `level` inside `code`, as of `as_of`, most per head first.
async fn ranked_inside(
    app: &App,
    index: &PlaceIndex,
    code: &str,
    level: &str,
    as_of: Option<domain::Date>,
) -> Result<Vec<AreaFigures>, Problem> {
    let wanted = Wanted {
        level,
        within: Some(code),
        as_of,
        order: Some("AWARDED_PER_HEAD_DESC"),
    };
    super::inside::read(app, index, &wanted).await
}

/// A neighbourhood's map: its outline, and its neighbours in its ward.
async fn neighbourhood_map(
    app: &App,
    index: &PlaceIndex,
    name: &str,
    area: &data::Area,
    ask: &Ask,
) -> Result<Markup, Response> {
    let ward = area
        .parent
        .as_ref()
        .map(|parent| parent.code.clone())
        .filter(|code| {
            code.parse::<GeoCode>()
                .is_ok_and(|code| code.level() == GeoLevel::Ward)
        });
    let neighbours = match &ward {
        Some(ward) => ranked_inside(app, index, ward, "LSOA", ask.as_of)
            .await
            .map_err(refused)?,
        None => Vec::new(),
    };
    let ward_name = ward.map(|ward| place::name_of(index, &ward, None));
    Ok(children::neighbourhood_section(
        index,
        &ask.code,
        name,
        ward_name.as_deref(),
        &neighbours,
        ask,
    ))
}
