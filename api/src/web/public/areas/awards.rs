//! The awards in the area (and every area inside it), a page at a time (GraphQL
//! `awards(filter: { neighbourhood, awardedTo: asOf }, first, after)`), each linking to its
//! own page. Pages go forward by GraphQL's cursor (`?after=`); the way back is carried in
//! `?back=`, the cursors of the pages before (GraphQL's pages only go forward).

use maud::{html, Markup};
use percent_encoding::percent_decode_str;

use super::super::{figures, frame};
use super::data::{AwardPage, AWARDS_PER_PAGE};
use super::place::name_of;
use super::Ask;
use crate::web::layout;
use crate::web::work::forms::encode;
use crate::web::work::places::PlaceIndex;

/// The most earlier pages `?back=` remembers (a longer way back starts again at the first).
pub const MAX_BACK: usize = 50;

/// Where the page of awards is: its cursor and the cursors of the pages before it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwardPlace {
    /// `?after=`: the cursor this page starts after; `None`: the first page.
    pub after: Option<String>,
    /// `?back=`: the `after` of each earlier page but the first, oldest first.
    pub back: Vec<String>,
}

impl AwardPlace {
    /// From the page's `?after=` and `?back=` (each cursor percent-encoded, joined by `,`).
    pub fn read(after: Option<&String>, back: Option<&String>) -> AwardPlace {
        let after = after.filter(|text| !text.is_empty()).cloned();
        let back = back
            .map(|text| {
                text.split(',')
                    .filter(|part| !part.is_empty())
                    .map(|part| percent_decode_str(part).decode_utf8_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        AwardPlace { after, back }
    }

    /// The query for the page after this one, which starts after `end_cursor`.
    pub fn next(&self, end_cursor: &str) -> String {
        let mut back = self.back.clone();
        if let Some(after) = &self.after {
            back.push(after.clone());
        }
        let keep_from = back.len().saturating_sub(MAX_BACK);
        query(Some(end_cursor), &back[keep_from..])
    }

    /// The query for the page before this one (`None` on the first page).
    pub fn previous(&self) -> Option<String> {
        self.after.as_ref()?;
        let mut back = self.back.clone();
        let after = back.pop();
        Some(query(after.as_deref(), &back))
    }
}

fn query(after: Option<&str>, back: &[String]) -> String {
    let mut parts = Vec::new();
    if let Some(after) = after {
        parts.push(format!("after={}", encode(after)));
    }
    if !back.is_empty() {
        let joined: Vec<String> = back.iter().map(|cursor| encode(cursor)).collect();
        parts.push(format!("back={}", encode(&joined.join(","))));
    }
    parts.join("&")
}

/// The awards section: this page of `awards` of the area `name`, with its pagination.
pub fn section(
    index: &PlaceIndex,
    name: &str,
    award_count: i64,
    awards: &AwardPage,
    ask: &Ask,
) -> Markup {
    let rows: Vec<Vec<Markup>> = awards
        .edges
        .iter()
        .map(|edge| {
            let award = &edge.node;
            let place = award
                .neighbourhood
                .as_deref()
                .map(|code| name_of(index, code, None))
                .unwrap_or_else(|| "Not recorded".to_string());
            vec![
                html! { a class="govuk-link" href=(frame::with_as_of(&format!("/awards/{}", encode(&award.id)), ask.as_of)) { (award.title) } },
                html! { (award.recipient_name) },
                html! { (place) },
                html! { (figures::date(&award.awarded_on)) },
                html! { (figures::money(&award.awarded)) },
            ]
        })
        .collect();
    let heading = format!("Awards in {name}");
    html! {
        div class="fl-area-awards" id="awards" {
            @if rows.is_empty() {
                h2 class="govuk-heading-m" { (heading) }
                p class="govuk-body" { "No awards have been made here yet." }
            } @else {
                // On a page of an earlier day, the list holds the awards made by then at
                // their amounts of then (`awards(asOf)`).
                (layout::headed_table(2, &heading, &["Award", "Group", "Place", "Awarded on", "Amount awarded"], &rows))
                p class="govuk-body-s" {
                    @if award_count == 1 { "1 award" } @else { (figures::count(award_count)) " awards" }
                    " in all, " (AWARDS_PER_PAGE) " to a page, in the order of their reference."
                }
                (pagination(awards, ask))
            }
        }
    }
}

/// GOV.UK pagination: "Previous page" and "Next page" (only those that exist).
fn pagination(awards: &AwardPage, ask: &Ask) -> Markup {
    let previous = ask.awards.previous().map(|query| ask.awards_href(&query));
    let next = match (&awards.page_info.end_cursor, awards.page_info.has_next_page) {
        (Some(cursor), true) => Some(ask.awards_href(&ask.awards.next(cursor))),
        _ => None,
    };
    html! {
        @if previous.is_some() || next.is_some() {
            nav class="govuk-pagination govuk-pagination--block" aria-label="Pages of awards" {
                @if let Some(href) = previous {
                    div class="govuk-pagination__prev" {
                        a class="govuk-link govuk-pagination__link" href=(href) rel="prev" {
                            span class="govuk-pagination__link-title" { "Previous page" }
                        }
                    }
                }
                @if let Some(href) = next {
                    div class="govuk-pagination__next" {
                        a class="govuk-link govuk-pagination__link" href=(href) rel="next" {
                            span class="govuk-pagination__link-title" { "Next page" }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_go_forward_by_cursor_and_back_by_the_cursors_remembered() {
        let first = AwardPlace::default();
        assert_eq!(first.previous(), None);
        assert_eq!(first.next("AW-2"), "after=AW-2");
        let second = AwardPlace::read(Some(&"AW-2".to_string()), None);
        assert_eq!(second.previous(), Some(String::new()));
        let to_third = second.next("AW-4");
        assert_eq!(to_third, "after=AW-4&back=AW-2");
        let third = AwardPlace::read(Some(&"AW-4".to_string()), Some(&"AW-2".to_string()));
        assert_eq!(third.previous(), Some("after=AW-2".to_string()));
        assert_eq!(third.next("AW-6"), "after=AW-6&back=AW-2%2CAW-4");
    }

    #[test]
    fn a_cursor_with_a_comma_survives_the_way_back() {
        let odd = "AW-a,b".to_string();
        let page = AwardPlace::read(Some(&"AW-z".to_string()), None);
        let later = AwardPlace {
            after: Some("AW-y".into()),
            back: vec![odd.clone()],
        };
        assert!(page.next(&odd).starts_with("after=AW-a%2Cb"));
        // What `next` wrote, as the server reads it back (the outer encoding undone).
        let written = later.next("AW-x");
        let back = written.split("back=").nth(1).expect("a way back");
        let decoded = percent_decode_str(back).decode_utf8_lossy().into_owned();
        let read = AwardPlace::read(Some(&"AW-x".to_string()), Some(&decoded));
        assert_eq!(read.back, vec![odd, "AW-y".to_string()]);
    }
}
