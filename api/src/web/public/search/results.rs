//! The search's sections: the postcode's place, places by name, groups, awards.

use std::sync::Arc;

use axum::response::Response;
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::json;

use super::super::figures;
use super::super::frame;
use super::{postcode, MAX_FOUND, MAX_PLACES};
use crate::server::http::App;
use crate::server::search_api::MAX_SEARCH_TEXT_CHARS;
use crate::web::layout;
use crate::web::work::forms::encode;
use crate::web::work::gql;
use crate::web::work::places::{self, PlaceIndex, PlaceMatch};

#[derive(Debug, Deserialize)]
struct SearchData {
    search: Found,
}

#[derive(Debug, Deserialize)]
struct Found {
    recipients: Vec<Recipient>,
    awards: Vec<AwardFound>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Recipient {
    org_id: String,
    name: String,
    award_count: i64,
    awarded: String,
}

/// An award as a list of awards shows it (here and on a group's page).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AwardFound {
    pub id: String,
    pub title: String,
    pub recipient_name: String,
    pub neighbourhood: Option<String>,
    pub awarded: String,
    pub awarded_on: String,
}

/// The fields of an award `AwardFound` reads.
pub(super) const AWARD_FIELDS: &str = "id title recipientName neighbourhood awarded awardedOn";

/// Groups and awards for a text; its awards select `AWARD_FIELDS` (a test checks).
const SEARCH_QUERY: &str = "query Search($text: String!, $first: Int) { \
     search(text: $text, first: $first) { recipients { orgId name awardCount awarded } \
     awards { id title recipientName neighbourhood awarded awardedOn } } }";

/// The longest search text a page title or heading repeats.
const SHOWN_CHARS: usize = 60;

/// `text` as a title or heading repeats it: cut short if long.
pub fn shortened(text: &str) -> String {
    let mut shown: String = text.chars().take(SHOWN_CHARS).collect();
    if text.chars().count() > SHOWN_CHARS {
        shown.push('…');
    }
    shown
}

/// The page's body for the search `text`.
pub async fn body(app: &App, text: &str) -> Result<Markup, Response> {
    let words = text.trim();
    if words.is_empty() {
        return Ok(page(text, hint()));
    }
    if words.chars().count() > MAX_SEARCH_TEXT_CHARS {
        let message = format!(
            "Your search is too long. Search for at most {MAX_SEARCH_TEXT_CHARS} characters: \
             a place's name, a postcode, or a few words of a group's name or an award's title."
        );
        return Ok(page(text, html! { p class="govuk-body" { (message) } }));
    }
    let index = places::places(app)
        .await
        .map_err(|problem| frame::problem(&problem))?;
    let postcode = postcode::section(app, words, &index).await?;
    let found_places: Vec<PlaceMatch> = index
        .search(words, MAX_PLACES, |_| true)
        .into_iter()
        .map(|at| index.matched(at))
        .collect();
    let found = match search(app, words).await? {
        Some(found) => found,
        None => return Ok(page(text, refused())),
    };
    let nothing = postcode.is_none()
        && found_places.is_empty()
        && found.recipients.is_empty()
        && found.awards.is_empty();
    let sections = html! {
        @if nothing {
            (no_results(words))
        }
        @if let Some(postcode) = postcode { (postcode) }
        @if !found_places.is_empty() { (places_section(&found_places)) }
        @if !found.recipients.is_empty() { (groups_section(&found.recipients)) }
        @if !found.awards.is_empty() { (awards_section("Awards", &found.awards, &index)) }
    };
    Ok(page(text, sections))
}

/// Groups and awards matching `words`; `None` when GraphQL refused the text itself
/// (characters no text may hold).
async fn search(app: &App, words: &str) -> Result<Option<Found>, Response> {
    let answer = gql::read_public::<SearchData>(
        app,
        SEARCH_QUERY,
        json!({ "text": words, "first": MAX_FOUND }),
    )
    .await;
    match answer {
        Ok(data) => Ok(Some(data.search)),
        Err(problem) if problem.is_about_input() => Ok(None),
        Err(problem) => Err(frame::problem(&problem)),
    }
}

fn page(text: &str, sections: Markup) -> Markup {
    html! {
        h1 class="govuk-heading-xl" { "Search" }
        (frame::search_form(text))
        (sections)
    }
}

fn hint() -> Markup {
    html! {
        p class="govuk-body" {
            "Find where the money went near you: search for your town, ward or neighbourhood, "
            "your postcode, a group's name or words from an award's title."
        }
        p class="govuk-body" { "For example: Hull, Orchard Park, HU1 1AA." }
    }
}

fn refused() -> Markup {
    html! {
        p class="govuk-body" {
            "Your search has characters that cannot be searched for. Use letters, numbers, "
            "spaces and punctuation."
        }
    }
}

fn no_results(words: &str) -> Markup {
    html! {
        h2 class="govuk-heading-m" { "No results for \u{201c}" (shortened(words)) "\u{201d}" }
        ul class="govuk-list govuk-list--bullet" {
            li { "check the spelling" }
            li { "try the name of your town or local authority" }
            li { "try fewer words, or your full postcode" }
        }
    }
}

/// The first letter upper case ("a ward in Hull" → "A ward in Hull").
pub(super) fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn places_section(found: &[PlaceMatch]) -> Markup {
    html! {
        h2 class="govuk-heading-m" id="places" { "Places" }
        ul class="govuk-list govuk-list--spaced fl-place-results" aria-labelledby="places" {
            @for place in found {
                li {
                    a class="govuk-link govuk-!-font-weight-bold" href={ "/areas/" (encode(&place.code)) } { (place.name) }
                    @if !place.context.is_empty() {
                        br;
                        span class="govuk-body-s" { (capitalised(&place.context)) }
                    }
                }
            }
        }
    }
}

fn groups_section(found: &[Recipient]) -> Markup {
    html! {
        h2 class="govuk-heading-m" id="groups" { "Groups" }
        ul class="govuk-list govuk-list--spaced fl-place-results" aria-labelledby="groups" {
            @for group in found {
                li {
                    a class="govuk-link govuk-!-font-weight-bold" href={ "/search?recipient=" (encode(&group.org_id)) } {
                        (group.name)
                    }
                    br;
                    span class="govuk-body-s" {
                        (awards_in_words(group.award_count)) ", " (figures::money(&group.awarded)) " awarded"
                    }
                }
            }
        }
    }
}

/// "1 award", "12 awards".
pub(super) fn awards_in_words(count: i64) -> String {
    match count {
        1 => "1 award".to_string(),
        count => format!("{} awards", figures::count(count)),
    }
}

/// A table of awards under the heading `heading`: title (a link to its page), recipient,
/// place (by name, from the place index) and amount.
pub(super) fn awards_section(
    heading: &str,
    awards: &[AwardFound],
    index: &Arc<PlaceIndex>,
) -> Markup {
    let rows: Vec<Vec<Markup>> = awards
        .iter()
        .map(|award| {
            let place = award
                .neighbourhood
                .as_deref()
                .and_then(|code| index.at(code))
                .map(|at| index.place(at).name.clone())
                .unwrap_or_else(|| "Not given".to_string());
            vec![
                html! { a class="govuk-link" href={ "/awards/" (encode(&award.id)) } { (award.title) } },
                html! { (award.recipient_name) },
                html! { (place) },
                html! { span class="fl-nowrap" { (figures::date(&award.awarded_on)) } },
                html! { span class="fl-nowrap" { (figures::money(&award.awarded)) } },
            ]
        })
        .collect();
    layout::headed_table(
        2,
        heading,
        &["Award", "Group", "Place", "Awarded on", "Amount"],
        &rows,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_search_selects_every_field_an_award_row_reads() {
        assert!(SEARCH_QUERY.contains(&format!("awards {{ {AWARD_FIELDS} }}")));
    }

    #[test]
    fn long_texts_are_cut_in_titles() {
        assert_eq!(shortened("Hull"), "Hull");
        assert_eq!(shortened(&"a".repeat(61)), format!("{}…", "a".repeat(60)));
    }
}
