//! The home page's map section: which money it shows (awarded or disbursed) and where
//! (England's local authorities, or one authority's wards or neighbourhoods), the map
//! and its table (`choropleth`), and the money that is on no area of the map, in words
//! and exact amounts, so that the map's figures and the page's totals reconcile.

use maud::{html, Markup};
use rust_decimal::Decimal;

use super::super::choropleth::{self, Measure};
use super::super::figures;
use super::data::{decimal, MapData, Overview};
use super::view::{Level, View};

/// The map section of `view`.
pub fn section(view: &View, map: &MapData, overview: &Overview) -> Markup {
    let heading = match &map.zoomed {
        Some(authority) => format!(
            "{}: {} by amount {} per person",
            authority.name,
            view.level.plural(),
            view.measure.words()
        ),
        None => format!(
            "Local authorities by amount {} per person",
            view.measure.words()
        ),
    };
    let caption = match &map.zoomed {
        Some(authority) => format!("{} in {}", capitalised(view.level.plural()), authority.name),
        None => "Local authorities in England".to_string(),
    };
    html! {
        section class="fl-home__map" aria-labelledby="map-heading" {
            h2 class="govuk-heading-l" id="map-heading" { (heading) }
            (switches(view, map))
            (not_on_the_map(view, map, overview))
            (choropleth::choropleth(&caption, &map.areas, view.measure))
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

/// One choice of a switch: its words, where it leads, whether it is the current one.
struct Choice {
    words: String,
    href: String,
    current: bool,
}

fn switch(label: &str, choices: &[Choice]) -> Markup {
    html! {
        nav class="fl-switch" aria-label=(label) {
            span class="govuk-body-s fl-switch__label" { (label) ": " }
            ul class="fl-switch__list" {
                @for choice in choices {
                    li class="fl-switch__item" {
                        @if choice.current {
                            a class="govuk-link fl-switch__link fl-switch__link--current" href=(choice.href) aria-current="true" {
                                (choice.words)
                            }
                        } @else {
                            a class="govuk-link fl-switch__link" href=(choice.href) { (choice.words) }
                        }
                    }
                }
            }
        }
    }
}

/// The measure switch, and when zoomed the level switch and the ways out (back to
/// England, the authority's own page).
fn switches(view: &View, map: &MapData) -> Markup {
    let measures: Vec<Choice> = [
        (Measure::Awarded, "Awarded"),
        (Measure::Disbursed, "Paid out"),
    ]
    .into_iter()
    .map(|(measure, words)| Choice {
        words: words.to_string(),
        href: view.showing(measure).link(),
        current: view.measure == measure,
    })
    .collect();
    html! {
        div class="fl-switches" {
            (switch("Show money", &measures))
            @if let Some(authority) = &map.zoomed {
                @let levels: Vec<Choice> = [(Level::Ward, "Wards"), (Level::Lsoa, "Neighbourhoods (LSOAs)")]
                    .into_iter()
                    .map(|(level, words)| Choice {
                        words: words.to_string(),
                        href: view.zoomed(Some(&authority.code), level).link(),
                        current: view.level == level,
                    })
                    .collect();
                (switch("Areas", &levels))
                p class="govuk-body fl-home__ways-out" {
                    a class="govuk-link" href=(view.zoomed(None, Level::Ward).link()) { "Back to the map of England" }
                    " "
                    a class="govuk-link" href=(view.page(&format!("/areas/{}", authority.code))) {
                        "Everything about " (authority.name)
                    }
                }
            } @else {
                (zoom_form(view, map))
            }
        }
    }
}

/// Choosing one authority to see its wards: a GET form, so it works without JavaScript.
fn zoom_form(view: &View, map: &MapData) -> Markup {
    let mut authorities: Vec<(&str, &str)> = map
        .areas
        .iter()
        .map(|area| (area.name.as_str(), area.code.as_str()))
        .collect();
    authorities.sort_unstable();
    html! {
        @if !authorities.is_empty() {
            form method="get" action="/" class="fl-zoom" {
                @if view.measure == Measure::Disbursed {
                    input type="hidden" name="show" value="disbursed";
                }
                @if let Some(day) = view.as_of {
                    input type="hidden" name="asOf" value=(day.to_string());
                }
                div class="govuk-form-group fl-zoom__group" {
                    label class="govuk-label govuk-label--s" for="zoom-in" { "See one local authority's wards" }
                    div class="fl-zoom__row" {
                        select class="govuk-select fl-zoom__select" id="zoom-in" name="in" {
                            @for (name, code) in &authorities {
                                option value=(code) { (name) }
                            }
                        }
                        button type="submit" class="govuk-button govuk-button--secondary fl-zoom__button" data-module="govuk-button" {
                            "Show its wards"
                        }
                    }
                }
            }
        }
    }
}

/// The total the map section reconciles with (GraphQL `totals`, or the authority's own
/// totals, as GraphQL writes money) and its parts: on the map first, then each part
/// that is on no area of it, in words.
fn parts_of_the_total(
    view: &View,
    map: &MapData,
    overview: &Overview,
) -> (String, Vec<(String, Decimal)>) {
    let on_map = map.on_the_map();
    match &map.zoomed {
        None => {
            let total = overview.totals.of(view.measure);
            let in_england = map.england.unwrap_or(on_map).max(on_map);
            let parts = vec![
                ("On the map: in a local authority".to_string(), on_map),
                (
                    "To a whole region, or to England as a whole".to_string(),
                    in_england - on_map,
                ),
                (
                    "Place not recorded, or not in England's geography".to_string(),
                    decimal(total) - in_england,
                ),
            ];
            (total.to_string(), parts)
        }
        Some(authority) => {
            let total = authority.amount(view.measure);
            let level = view.level.singular();
            let parts = vec![
                (format!("On the map: in a {level}"), on_map),
                (
                    format!(
                        "To {} as a whole, or to a place in no {level}",
                        authority.name
                    ),
                    decimal(total) - on_map,
                ),
            ];
            (total.to_string(), parts)
        }
    }
}

/// Where the money that is on no area of the map went, with exact amounts that add up
/// to the total the page states; or that there is no money yet.
fn not_on_the_map(view: &View, map: &MapData, overview: &Overview) -> Markup {
    let (total, parts) = parts_of_the_total(view, map, overview);
    let off_map: Decimal = parts.iter().skip(1).map(|(_, amount)| *amount).sum();
    let area = match map.zoomed {
        Some(_) => view.level.singular(),
        None => "local authority",
    };
    html! {
        @if decimal(&total).is_zero() {
            p class="govuk-body" { (nothing_yet(view, map)) }
        } @else if !off_map.is_zero() {
            div class="govuk-inset-text fl-home__off-map" {
                p class="govuk-body" {
                    (figures::money(&off_map.to_string())) " of the " (figures::money(&total)) " "
                    (view.measure.words()) " is not on this map: it went to awards with no single "
                    (area) " to show it in."
                }
                dl class="govuk-summary-list govuk-summary-list--no-border fl-home__reconcile" {
                    @for (words, amount) in parts.iter().filter(|(_, amount)| !amount.is_zero()) {
                        div class="govuk-summary-list__row" {
                            dt class="govuk-summary-list__key" { (words) }
                            dd class="govuk-summary-list__value" { (figures::money(&amount.to_string())) }
                        }
                    }
                    div class="govuk-summary-list__row" {
                        dt class="govuk-summary-list__key" { "In all" }
                        dd class="govuk-summary-list__value" { (figures::money(&total)) }
                    }
                }
            }
        }
    }
}

fn nothing_yet(view: &View, map: &MapData) -> String {
    let what = match view.measure {
        Measure::Awarded => "awarded",
        Measure::Disbursed => "paid out",
    };
    let place = match &map.zoomed {
        Some(authority) => format!(" in {}", authority.name),
        None => String::new(),
    };
    match view.as_of {
        None => format!("Nothing has been {what}{place} yet."),
        Some(_) => format!("Nothing had been {what}{place} by then."),
    }
}
