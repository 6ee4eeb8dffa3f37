//! Choosing a place by its name or from a map, never by typing a GSS code (issue 14).
//! Other screens use `search`, `resolve_names`, `place_name` and `chooser_link`; the
//! chooser pages live here too.
//!
//! (Skeleton: a first working version; the places work fills in ranking, the chooser
//! pages and the map.)

use axum::Router;

use super::gql::Problem;
use crate::server::http::App;

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
    /// A sentence for beside the field ("No place is called …", "3 places are called …").
    pub message: String,
    /// Places it might mean.
    pub candidates: Vec<PlaceMatch>,
}

pub fn routes() -> Router<App> {
    Router::new()
}

/// Places whose name matches `text`, best first, at most `limit`.
pub async fn search(app: &App, text: &str, limit: usize) -> Result<Vec<PlaceMatch>, Problem> {
    let text = text.trim().to_lowercase();
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let mut matches: Vec<(u8, PlaceMatch)> = all_places(app)
        .await?
        .into_iter()
        .filter_map(|place| {
            let name = place.name.to_lowercase();
            let rank = if name == text {
                0
            } else if name.starts_with(&text) {
                1
            } else if name.contains(&text) {
                2
            } else {
                return None;
            };
            Some((rank, place))
        })
        .collect();
    matches.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.name.cmp(&b.1.name)));
    Ok(matches
        .into_iter()
        .take(limit)
        .map(|(_, place)| place)
        .collect())
}

/// Each line names exactly one place (its name, any case), or the lines that don't.
pub async fn resolve_names(
    app: &App,
    lines: &[String],
) -> Result<Result<Vec<PlaceMatch>, Vec<NameProblem>>, Problem> {
    let places = all_places(app).await?;
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for line in lines
        .iter()
        .map(|line| line.trim())
        .filter(|line| !line.is_empty())
    {
        let wanted = line.to_lowercase();
        let same: Vec<PlaceMatch> = places
            .iter()
            .filter(|place| place.name.to_lowercase() == wanted)
            .cloned()
            .collect();
        match same.len() {
            1 => found.extend(same),
            0 => problems.push(NameProblem {
                line: line.to_string(),
                message: format!("No place is called \u{201c}{line}\u{201d}"),
                candidates: Vec::new(),
            }),
            count => problems.push(NameProblem {
                line: line.to_string(),
                message: format!("{count} places are called \u{201c}{line}\u{201d}"),
                candidates: same,
            }),
        }
    }
    Ok(if problems.is_empty() {
        Ok(found)
    } else {
        Err(problems)
    })
}

/// The place with this code, if the reference geography has it.
pub async fn place_name(app: &App, code: &str) -> Option<PlaceMatch> {
    let code: domain::GeoCode = code.parse().ok()?;
    let area = projections::read::area(app.state.database(), &code)
        .await
        .ok()?;
    Some(PlaceMatch {
        code: area.code,
        name: area.name?,
        level: level_in_words(area.level.as_deref().unwrap_or("")),
        context: String::new(),
    })
}

/// The chooser's address: after choosing, the person comes back to `return_to` with
/// `place={code}` added to its query. `level`: `lsoa` for a neighbourhood, `any`.
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

/// Every named place (read per call in this first version).
async fn all_places(app: &App) -> Result<Vec<PlaceMatch>, Problem> {
    let records = projections::read::places(app.state.database())
        .await
        .map_err(|error| Problem::new("UNAVAILABLE", error.to_string()))?;
    Ok(records
        .into_iter()
        .map(|record| PlaceMatch {
            context: match &record.parent_name {
                Some(parent) => format!("a {} in {parent}", level_in_words(&record.level)),
                None => String::new(),
            },
            code: record.code,
            name: record.name,
            level: level_in_words(&record.level),
        })
        .collect())
}
