//! Where the area is: its name as people say it ("Kingston upon Hull", not "Kingston upon
//! Hull, City of"), its level and place in words, and the breadcrumbs up to England, from
//! the reference geography's place index (names, not figures: the same for everyone).

use maud::{html, Markup};

use super::super::frame;
use crate::web::work::places::{level_in_words, PlaceIndex};

/// The area as the page names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub name: String,
    /// "A local authority in Yorkshire and The Humber", "A country".
    pub caption: String,
    /// The areas it is in, largest first: `(code, name)`.
    pub trail: Vec<(String, String)>,
}

/// The place `code` as the index has it; `name` and `level` (GraphQL's) when the index
/// does not know it (a geography imported since the index was built is read again, so
/// this is only a fallback).
pub fn place(index: &PlaceIndex, code: &str, name: &str, level: &str) -> Place {
    let Some(at) = index.at(code) else {
        return Place {
            name: name.to_string(),
            caption: capitalised(&format!("a {}", level_in_words(level))),
            trail: Vec::new(),
        };
    };
    let found = index.place(at);
    let context = index.context(at);
    let caption = if context.is_empty() {
        format!("a {}", level_in_words(&found.level))
    } else {
        context
    };
    let mut trail: Vec<(String, String)> = index
        .ancestors(at)
        .map(|up| {
            let ancestor = index.place(up);
            (ancestor.code.clone(), ancestor.name.clone())
        })
        .collect();
    trail.reverse();
    Place {
        name: found.name.clone(),
        caption: capitalised(&caption),
        trail,
    }
}

/// The name people read for `code` (`fallback` when the index does not know it).
pub fn name_of(index: &PlaceIndex, code: &str, fallback: Option<&str>) -> String {
    match index.at(code) {
        Some(at) => index.place(at).name.clone(),
        None => fallback.unwrap_or(code).to_string(),
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The page's heading: the level and place as a caption, the name as the heading, with
/// the breadcrumbs (each area it is in, a link keeping the page's as-of) above.
pub fn heading(place: &Place, as_of: Option<domain::Date>) -> Markup {
    html! {
        @if !place.trail.is_empty() {
            nav class="govuk-breadcrumbs fl-breadcrumbs" aria-label="Where this area is" {
                ol class="govuk-breadcrumbs__list" {
                    @for (code, name) in &place.trail {
                        li class="govuk-breadcrumbs__list-item" {
                            a class="govuk-breadcrumbs__link" href=(frame::with_as_of(&format!("/areas/{code}"), as_of)) { (name) }
                        }
                    }
                }
            }
        }
        span class="govuk-caption-l" { (place.caption) }
        h1 class="govuk-heading-xl" { (place.name) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use projections::read::ReferencePlace;

    fn record(code: &str, name: &str, level: &str, parent: Option<&str>) -> ReferencePlace {
        ReferencePlace {
            code: code.into(),
            name: name.into(),
            level: level.into(),
            parent_code: parent.map(str::to_string),
            imd_decile: None,
        }
    }

    fn index() -> PlaceIndex {
        PlaceIndex::build(vec![
            record("E92000001", "England", "country", None),
            record(
                "E12000003",
                "Yorkshire and The Humber",
                "region",
                Some("E92000001"),
            ),
            record(
                "E06000010",
                "Kingston upon Hull, City of",
                "lad",
                Some("E12000003"),
            ),
            record("E05011539", "Orchard Park", "ward", Some("E06000010")),
        ])
    }

    #[test]
    fn a_ward_is_named_as_people_say_it_with_every_area_it_is_in() {
        let ward = place(&index(), "E05011539", "Orchard Park", "ward");
        assert_eq!(ward.name, "Orchard Park");
        assert_eq!(ward.caption, "A ward in Kingston upon Hull");
        let names: Vec<&str> = ward.trail.iter().map(|(_, name)| name.as_str()).collect();
        assert_eq!(
            names,
            ["England", "Yorkshire and The Humber", "Kingston upon Hull"]
        );
        let markup = heading(&ward, "2025-03-31".parse().ok()).into_string();
        assert!(markup.contains("href=\"/areas/E06000010?asOf=2025-03-31\""));
    }

    #[test]
    fn england_has_no_trail_and_an_unknown_area_keeps_graphql_s_name() {
        let england = place(&index(), "E92000001", "England", "country");
        assert_eq!(england.caption, "A country");
        assert!(england.trail.is_empty());
        let other = place(&index(), "E06000002", "Middlesbrough", "lad");
        assert_eq!(other.name, "Middlesbrough");
        assert_eq!(other.caption, "A local authority");
    }
}
