//! The chooser's pages. No JavaScript: a search form (GET), links to choose or to
//! narrow, maps whose areas are links, and every map's choices again as a list or table.
//!
//! - `GET /places/choose?return={path}&level={level}[&q={name}][&in={code}]`: the search
//!   box and its results; with `in`, the neighbourhoods (or wards) of a local authority
//!   or ward on a map and in a table.
//! - `GET /places/map?return=…&level=…`: England's local authorities on a map, and by
//!   region in a list.
//! - `GET /places/chosen?return=…&level=…&place={code}`: checks the choice and redirects
//!   (303) to `return` with `place={code}` in its query.
//!
//! `return` must be a path on this site (`session::safe_next`'s rule); anything else is
//! refused, so the chooser never sends anyone elsewhere.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use serde::Deserialize;

use super::index::{level_order, Place, PlaceIndex};
use super::{level_in_words, places};
use crate::server::http::App;
use crate::web::layout::{self, page};
use crate::web::maps::{self, MapArea};
use crate::web::session::{safe_next, OptionalSignedIn};
use crate::web::work::forms::encode;
use crate::web::work::gql::problem_page;

/// The most results a search lists.
pub const MAX_RESULTS: usize = 50;
/// The area class of a map's plain areas.
const AREA_CLASS: &str = "fl-map__area";
/// Where the IMD deciles come from (shown wherever they are).
const IMD_ATTRIBUTION: &str = "Deprivation: English Indices of Deprivation 2019 (Ministry of Housing, Communities and Local Government). Contains public sector information licensed under the Open Government Licence v3.0.";

#[derive(Debug, Default, Deserialize)]
pub struct ChooserQuery {
    #[serde(rename = "return")]
    return_to: Option<String>,
    level: Option<String>,
    q: Option<String>,
    #[serde(rename = "in")]
    within: Option<String>,
    place: Option<String>,
}

/// What the chooser is asked for: where to go back to, and at which level.
struct Ask {
    return_to: String,
    level: &'static str,
}

impl Ask {
    fn read(query: &ChooserQuery) -> Option<Ask> {
        let return_to = query.return_to.as_deref()?;
        if safe_next(Some(return_to)) != return_to {
            return None;
        }
        let level = match query.level.as_deref().unwrap_or("any") {
            "lsoa" => "lsoa",
            "ward" => "ward",
            "lad" => "lad",
            _ => "any",
        };
        Some(Ask {
            return_to: return_to.to_string(),
            level,
        })
    }

    fn params(&self) -> String {
        format!("return={}&level={}", encode(&self.return_to), self.level)
    }

    /// Whether a place of `level` can be chosen.
    fn chooses(&self, level: &str) -> bool {
        self.level == "any" || self.level == level
    }

    /// Whether a place of `level` narrows to the places wanted (a local authority to its
    /// wards or neighbourhoods, a ward to its neighbourhoods).
    fn narrows(&self, level: &str) -> bool {
        matches!(self.level, "lsoa" | "ward")
            && matches!(level, "lad" | "ward")
            && level_order(level) < level_order(self.level)
    }

    fn href(&self, place: &Place) -> Option<String> {
        if self.chooses(&place.level) {
            Some(format!(
                "/places/chosen?{}&place={}",
                self.params(),
                encode(&place.code)
            ))
        } else if self.narrows(&place.level) {
            Some(format!(
                "/places/choose?{}&in={}",
                self.params(),
                encode(&place.code)
            ))
        } else {
            None
        }
    }

    /// "a neighbourhood", "a ward", "a local authority", "a place".
    fn wanted(&self) -> String {
        match self.level {
            "any" => "place".to_string(),
            level => level_in_words(level),
        }
    }
}

/// The page for a chooser link that lost or spoilt its `return`.
fn broken_link(signed_in: &OptionalSignedIn) -> Response {
    layout::error_page(
        StatusCode::BAD_REQUEST,
        "This link to choose a place does not work",
        layout::para(
            "Go back to the page you came from and follow its link to choose a place again.",
        ),
        signed_in.frame(),
    )
}

/// `return_to` with `place={code}` in its query (any earlier `place` replaced).
pub fn with_place(return_to: &str, code: &str) -> String {
    let (before_fragment, fragment) = match return_to.split_once('#') {
        Some((before, after)) => (before, Some(after)),
        None => (return_to, None),
    };
    let (path, query) = before_fragment
        .split_once('?')
        .unwrap_or((before_fragment, ""));
    let mut parts: Vec<String> = query
        .split('&')
        .filter(|part| !part.is_empty() && !part.starts_with("place="))
        .map(str::to_string)
        .collect();
    parts.push(format!("place={}", encode(code)));
    let mut out = format!("{path}?{}", parts.join("&"));
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

/// The IMD decile in words: "among the 10% most deprived in England".
pub fn deprivation_in_words(decile: i64) -> String {
    match decile {
        1..=5 => format!("Among the {}% most deprived in England", decile * 10),
        6..=10 => format!(
            "Among the {}% least deprived in England",
            (11 - decile) * 10
        ),
        _ => "Not known".to_string(),
    }
}

/// What the link asks for and the places to choose from; otherwise the page to show (a
/// broken link, or the places cannot be read).
async fn asked(
    app: &App,
    signed_in: &OptionalSignedIn,
    query: &ChooserQuery,
) -> Result<(Ask, Arc<PlaceIndex>), Response> {
    let ask = Ask::read(query).ok_or_else(|| broken_link(signed_in))?;
    let index = places(app)
        .await
        .map_err(|problem| problem_page(signed_in.0.as_ref(), &problem))?;
    Ok((ask, index))
}

pub async fn choose(
    State(app): State<App>,
    signed_in: OptionalSignedIn,
    Query(query): Query<ChooserQuery>,
) -> Response {
    let (ask, index) = match asked(&app, &signed_in, &query).await {
        Ok(asked) => asked,
        Err(page) => return page,
    };
    let text = query.q.as_deref().unwrap_or("").trim();
    let within = query
        .within
        .as_deref()
        .and_then(|code| index.at(code.trim()));
    let title = match within {
        Some(at) => format!("Choose {} in {}", a(&ask.wanted()), index.place(at).name),
        None => format!("Choose {}", a(&ask.wanted())),
    };
    let body = html! {
        h1 class="govuk-heading-l" { (title) }
        (search_form(&ask, text))
        p class="govuk-body" {
            a class="govuk-link" href=(format!("/places/map?{}", ask.params())) {
                "Choose from a map of England instead"
            }
        }
        @if let Some(at) = within {
            (narrowed(&index, &ask, at))
        } @else if !text.is_empty() {
            (results(&index, &ask, text))
        }
    };
    layout::html(StatusCode::OK, page(&title, signed_in.frame(), body))
}

/// "a neighbourhood", "an area".
fn a(noun: &str) -> String {
    match noun.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => format!("an {noun}"),
        _ => format!("a {noun}"),
    }
}

fn search_form(ask: &Ask, text: &str) -> Markup {
    let hint = match ask.level {
        "lsoa" => "Search for your town, local authority or ward, for example Hull or Orchard Park. Then choose your neighbourhood.",
        "ward" => "Search for your ward or local authority, for example Orchard Park or Hull.",
        "lad" => "Search for your local authority, for example Hull or Leeds.",
        _ => "For example a local authority or a ward: Hull, Orchard Park.",
    };
    html! {
        form method="get" action="/places/choose" novalidate {
            input type="hidden" name="return" value=(ask.return_to);
            input type="hidden" name="level" value=(ask.level);
            div class="govuk-form-group" {
                label class="govuk-label govuk-label--m" for="q" { "Search by place name" }
                div id="q-hint" class="govuk-hint" { (hint) }
                input class="govuk-input govuk-!-width-two-thirds" id="q" name="q" type="search"
                    value=(text) aria-describedby="q-hint" autocomplete="off" spellcheck="false";
            }
            button type="submit" class="govuk-button" data-module="govuk-button" { "Search" }
        }
    }
}

fn results(index: &PlaceIndex, ask: &Ask, text: &str) -> Markup {
    let found: Vec<(usize, String)> = index
        .search(text, MAX_RESULTS, |place| {
            ask.chooses(&place.level) || ask.narrows(&place.level)
        })
        .into_iter()
        .filter_map(|at| Some((at, ask.href(index.place(at))?)))
        .collect();
    html! {
        h2 class="govuk-heading-m" id="results" {
            @match found.len() {
                0 => { "No places match \u{201c}" (text) "\u{201d}" }
                1 => { "1 place matches \u{201c}" (text) "\u{201d}" }
                count => { (count) " places match \u{201c}" (text) "\u{201d}" }
            }
        }
        @if found.is_empty() {
            p class="govuk-body" { "Check the spelling, or try the name of your town or local authority." }
        } @else {
            ul class="govuk-list govuk-list--spaced fl-place-results" aria-labelledby="results" {
                @for (at, href) in &found {
                    @let place = index.place(*at);
                    li {
                        a class="govuk-link govuk-!-font-weight-bold" href=(href) { (place.name) }
                        br;
                        span class="govuk-body-s" {
                            (capitalised(&index.context(*at)))
                            @if ask.narrows(&place.level) {
                                ": choose it to see its " (plural(ask.level))
                            }
                            @if let Some(decile) = place.imd_decile {
                                ". " (deprivation_in_words(decile))
                            }
                        }
                    }
                }
            }
        }
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn plural(level: &str) -> &'static str {
    match level {
        "lsoa" => "neighbourhoods",
        "ward" => "wards",
        "lad" => "local authorities",
        _ => "places",
    }
}

/// The places wanted within `at`: a map of them, then a table.
fn narrowed(index: &PlaceIndex, ask: &Ask, at: usize) -> Markup {
    let level = if ask.level == "any" {
        "lsoa"
    } else {
        ask.level
    };
    let place = index.place(at);
    let inside = index.descendants_at(at, level);
    let caption = format!("{} in {}", capitalised(plural(level)), where_is(index, at));
    let areas: Vec<MapArea> = inside
        .iter()
        .filter_map(|&child| {
            let child_place = index.place(child);
            Some(MapArea {
                code: child_place.code.clone(),
                name: child_place.name.clone(),
                href: ask.href(child_place)?,
                fill_class: AREA_CLASS.to_string(),
            })
        })
        .collect();
    html! {
        p class="govuk-body" {
            (capitalised(&index.context(at)))
            @if place.level == "ward" {
                @if let Some(lad) = index.ancestor_at(at, "lad") {
                    ". " a class="govuk-link" href=(format!("/places/choose?{}&in={}", ask.params(), encode(&index.place(lad).code))) {
                        "See all of " (index.place(lad).name)
                    }
                }
            }
        }
        @if inside.is_empty() {
            p class="govuk-body" { "There are no " (plural(level)) " in " (place.name) " to choose from." }
        } @else {
            h2 class="govuk-heading-m" { "On the map" }
            p class="govuk-body" { "Choose an area on the map, or from the table under it." }
            (maps::svg(&format!("Map of {}: each area is a link", caption.to_lowercase()), &areas))
            (choices_table(index, ask, &caption, at, &inside))
        }
    }
}

/// "Orchard Park ward, Kingston upon Hull", "Kingston upon Hull".
fn where_is(index: &PlaceIndex, at: usize) -> String {
    let place = index.place(at);
    match (place.level.as_str(), index.ancestor_at(at, "lad")) {
        ("ward", Some(lad)) => format!("{} ward, {}", place.name, index.place(lad).name),
        _ => place.name.clone(),
    }
}

fn choices_table(
    index: &PlaceIndex,
    ask: &Ask,
    caption: &str,
    within: usize,
    inside: &[usize],
) -> Markup {
    let neighbourhoods = inside.iter().any(|&at| index.place(at).level == "lsoa");
    let by_ward = neighbourhoods && index.place(within).level != "ward";
    let ward_of = |at: usize| {
        index
            .place(at)
            .parent
            .map(|up| index.place(up).name.clone())
            .unwrap_or_default()
    };
    let mut inside = inside.to_vec();
    if by_ward {
        inside.sort_by_cached_key(|&at| (ward_of(at), index.place(at).name.clone()));
    }
    let headings: &[&str] = match (neighbourhoods, by_ward) {
        (true, true) => &["Neighbourhood", "Ward", "Deprivation in England"],
        (true, false) => &["Neighbourhood", "Deprivation in England"],
        _ => &["Name"],
    };
    let rows: Vec<Vec<Markup>> = inside
        .iter()
        .map(|&at| {
            let place = index.place(at);
            let mut row = vec![match ask.href(place) {
                Some(href) => html! { a class="govuk-link" href=(href) { (place.name) } },
                None => html! { (place.name) },
            }];
            if by_ward {
                row.push(html! { (ward_of(at)) });
            }
            if neighbourhoods {
                row.push(html! { (place.imd_decile.map(deprivation_short).unwrap_or_else(|| "Not known".to_string())) });
            }
            row
        })
        .collect();
    html! {
        (layout::table(caption, headings, &rows))
        @if neighbourhoods {
            p class="govuk-body-s" { (IMD_ATTRIBUTION) }
        }
    }
}

/// The IMD decile in a table's few words: "10% most deprived".
pub fn deprivation_short(decile: i64) -> String {
    match decile {
        1..=5 => format!("{}% most deprived", decile * 10),
        6..=10 => format!("{}% least deprived", (11 - decile) * 10),
        _ => "Not known".to_string(),
    }
}

pub async fn england_map(
    State(app): State<App>,
    signed_in: OptionalSignedIn,
    Query(query): Query<ChooserQuery>,
) -> Response {
    let (ask, index) = match asked(&app, &signed_in, &query).await {
        Ok(asked) => asked,
        Err(page) => return page,
    };
    let authorities = local_authorities(&index, &ask);
    let areas: Vec<MapArea> = authorities
        .iter()
        .map(|(at, href)| MapArea {
            code: index.place(*at).code.clone(),
            name: index.place(*at).name.clone(),
            href: href.clone(),
            fill_class: AREA_CLASS.to_string(),
        })
        .collect();
    let title = "Choose your local authority on the map";
    let body = html! {
        h1 class="govuk-heading-l" { (title) }
        div class="govuk-grid-row" {
            div class="govuk-grid-column-two-thirds" {
                (maps::svg("Map of England's local authorities: each area is a link", &areas))
            }
            div class="govuk-grid-column-one-third" {
                @if ask.narrows("lad") {
                    p class="govuk-body" {
                        "Choose your local authority on the map, or from the list under it. "
                        "Then choose your " (level_in_words(ask.level)) " on its own map."
                    }
                } @else {
                    p class="govuk-body" { "Choose your local authority on the map, or from the list under it." }
                }
                p class="govuk-body" {
                    a class="govuk-link" href=(format!("/places/choose?{}", ask.params())) { "Search by name instead" }
                }
            }
        }
        (by_region(&index, &authorities))
    };
    layout::html(StatusCode::OK, page(title, signed_in.frame(), body))
}

/// Every local authority with where choosing it leads, by name.
fn local_authorities(index: &PlaceIndex, ask: &Ask) -> Vec<(usize, String)> {
    let mut found: Vec<(usize, String)> = index
        .places
        .iter()
        .enumerate()
        .filter(|(_, place)| place.level == "lad")
        .filter_map(|(at, place)| Some((at, ask.href(place)?)))
        .collect();
    found.sort_by(|a, b| index.place(a.0).name.cmp(&index.place(b.0).name));
    found
}

/// The local authorities as a list, under their regions.
fn by_region(index: &PlaceIndex, authorities: &[(usize, String)]) -> Markup {
    let mut regions: Vec<(String, Vec<&(usize, String)>)> = Vec::new();
    for entry in authorities {
        let region = index
            .ancestor_at(entry.0, "region")
            .map(|up| index.place(up).name.clone())
            .unwrap_or_else(|| "Other".to_string());
        match regions.iter_mut().find(|(name, _)| *name == region) {
            Some((_, list)) => list.push(entry),
            None => regions.push((region, vec![entry])),
        }
    }
    regions.sort_by(|a, b| a.0.cmp(&b.0));
    html! {
        h2 class="govuk-heading-m" { "Local authorities by region" }
        div class="fl-place-columns" {
            @for (region, list) in &regions {
                h3 class="govuk-heading-s" { (region) }
                ul class="govuk-list" {
                    @for (at, href) in list {
                        li { a class="govuk-link" href=(href) { (index.place(*at).name) } }
                    }
                }
            }
        }
    }
}

pub async fn chosen(
    State(app): State<App>,
    signed_in: OptionalSignedIn,
    Query(query): Query<ChooserQuery>,
) -> Response {
    let (ask, index) = match asked(&app, &signed_in, &query).await {
        Ok(asked) => asked,
        Err(page) => return page,
    };
    let place = query
        .place
        .as_deref()
        .and_then(|code| index.at(code.trim()));
    match place {
        Some(at) if ask.chooses(&index.place(at).level) => {
            Redirect::to(&with_place(&ask.return_to, &index.place(at).code)).into_response()
        }
        _ => layout::error_page(
            StatusCode::BAD_REQUEST,
            &format!("Choose {}", a(&ask.wanted())),
            html! {
                p class="govuk-body" { "That is not " (a(&ask.wanted())) " you can choose here." }
                p class="govuk-body" {
                    a class="govuk-link" href=(format!("/places/choose?{}", ask.params())) { "Search for it by name" }
                }
            },
            signed_in.frame(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_place_is_added_to_the_return_query() {
        assert_eq!(
            with_place("/groups/g/apply", "E01"),
            "/groups/g/apply?place=E01"
        );
        assert_eq!(with_place("/a?x=1&place=E02", "E01"), "/a?x=1&place=E01");
        assert_eq!(with_place("/a?x=1#where", "E01"), "/a?x=1&place=E01#where");
    }

    #[test]
    fn only_paths_on_this_site_are_returned_to() {
        let ask = |to: &str| {
            Ask::read(&ChooserQuery {
                return_to: Some(to.to_string()),
                ..ChooserQuery::default()
            })
        };
        assert!(ask("/groups/g/apply?round=r").is_some());
        for outside in [
            "https://evil.example/",
            "//evil.example/x",
            "/\\evil.example",
            "evil",
            "",
        ] {
            assert!(ask(outside).is_none(), "{outside}");
        }
        assert!(Ask::read(&ChooserQuery::default()).is_none());
    }

    #[test]
    fn deciles_read_as_words() {
        assert_eq!(
            deprivation_in_words(1),
            "Among the 10% most deprived in England"
        );
        assert_eq!(
            deprivation_in_words(9),
            "Among the 20% least deprived in England"
        );
    }
}
