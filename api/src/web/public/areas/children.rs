//! The area's map: the areas inside it coloured by amount per person (`choropleth`), ranked
//! in the table beside it, e.g. a region's local authorities, an authority's wards (or its
//! neighbourhoods, `?level=lsoa`), a ward's neighbourhoods. A neighbourhood (LSOA) has no
//! areas inside it: its own outline is drawn, with its neighbours in the same ward.

use domain::GeoLevel;
use maud::{html, Markup};

use super::super::choropleth::{self, ChoroplethArea, Measure};
use super::super::frame;
use super::super::inside::AreaFigures;
use super::place::name_of;
use super::Ask;
use crate::web::maps::{self, MapArea};
use crate::web::work::places::PlaceIndex;

/// A level the map can show: its `?level=` value, GraphQL's `GeoLevel`, its name in the
/// plural.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChildLevel {
    pub query: &'static str,
    pub graphql: &'static str,
    pub plural: &'static str,
}

const LADS: ChildLevel = ChildLevel {
    query: "lad",
    graphql: "LAD",
    plural: "Local authorities",
};
const WARDS: ChildLevel = ChildLevel {
    query: "ward",
    graphql: "WARD",
    plural: "Wards",
};
const LSOAS: ChildLevel = ChildLevel {
    query: "lsoa",
    graphql: "LSOA",
    plural: "Neighbourhoods",
};

/// The levels the map of an area of `level` can show, the default first; none for a
/// neighbourhood. England's regions have no outlines of their own, so a country or a
/// region shows its local authorities.
pub fn levels(level: GeoLevel) -> &'static [ChildLevel] {
    match level {
        GeoLevel::Country | GeoLevel::Region => &[LADS],
        GeoLevel::Lad => &[WARDS, LSOAS],
        GeoLevel::Ward | GeoLevel::Msoa => &[LSOAS],
        GeoLevel::Lsoa => &[],
    }
}

/// The level `?level=` chooses among `level`'s (the default when it names none of them).
pub fn chosen(level: GeoLevel, asked: Option<&str>) -> Option<ChildLevel> {
    let offered = levels(level);
    offered
        .iter()
        .find(|child| Some(child.query) == asked)
        .or_else(|| offered.first())
        .copied()
}

fn choropleth_areas(
    index: &PlaceIndex,
    children: &[AreaFigures],
    ask: &Ask,
) -> Vec<ChoroplethArea> {
    children
        .iter()
        .map(|child| ChoroplethArea {
            code: child.code.clone(),
            name: name_of(index, &child.code, child.name.as_deref()),
            href: frame::with_as_of(&format!("/areas/{}", child.code), ask.as_of),
            amount: match ask.measure {
                Measure::Awarded => child.totals.awarded.clone(),
                Measure::Disbursed => child.totals.disbursed.clone(),
            },
            population: child.population,
        })
        .collect()
}

/// The map section: `children` (at `shown`) of the area `name`, with links to show the
/// other level and the other measure.
pub fn section(
    index: &PlaceIndex,
    name: &str,
    level: GeoLevel,
    shown: ChildLevel,
    children: &[AreaFigures],
    ask: &Ask,
) -> Markup {
    let caption = format!("{} in {name}", shown.plural);
    html! {
        h2 class="govuk-heading-m" id="map" { "Where the money went in " (name) }
        (choices(level, shown, ask))
        @if children.is_empty() {
            p class="govuk-body" { "The reference geography has no areas of this kind inside " (name) "." }
        } @else {
            (choropleth::choropleth(&caption, &choropleth_areas(index, children, ask), ask.measure))
        }
    }
}

/// A neighbourhood's own outline, and its neighbours in `ward_name` coloured as above.
pub fn neighbourhood_section(
    index: &PlaceIndex,
    code: &str,
    name: &str,
    ward_name: Option<&str>,
    neighbours: &[AreaFigures],
    ask: &Ask,
) -> Markup {
    let own = [MapArea {
        code: code.to_string(),
        name: name.to_string(),
        href: String::new(),
        fill_class: "fl-map__area".to_string(),
    }];
    html! {
        h2 class="govuk-heading-m" id="map" { "Where " (name) " is" }
        div class="fl-area-outline" { (maps::svg(&format!("Map: the outline of {name}"), &own)) }
        @if let (Some(ward_name), false) = (ward_name, neighbours.is_empty()) {
            h2 class="govuk-heading-m" { "Neighbourhoods in " (ward_name) }
            (measure_choice(&ask.path_with(None, Measure::Awarded), &ask.path_with(None, Measure::Disbursed), ask.measure))
            (choropleth::choropleth(&format!("Neighbourhoods in {ward_name}"), &choropleth_areas(index, neighbours, ask), ask.measure))
        }
    }
}

/// Links to show the map at another level or by another measure, the current ones
/// marked `aria-current`.
fn choices(level: GeoLevel, shown: ChildLevel, ask: &Ask) -> Markup {
    let offered = levels(level);
    html! {
        @if offered.len() > 1 {
            p class="govuk-body-s fl-choices__label" id="map-areas" { "Show on the map:" }
            ul class="govuk-list fl-choices" aria-labelledby="map-areas" {
                @for child in offered {
                    li {
                        @if *child == shown {
                            a class="govuk-link" aria-current="true" href=(ask.path_with(Some(child.query), ask.measure)) { strong { (child.plural) } }
                        } @else {
                            a class="govuk-link" href=(ask.path_with(Some(child.query), ask.measure)) { (child.plural) }
                        }
                    }
                }
            }
        }
        (measure_choice(
            &ask.path_with(Some(shown.query), Measure::Awarded),
            &ask.path_with(Some(shown.query), Measure::Disbursed),
            ask.measure,
        ))
    }
}

fn measure_choice(awarded: &str, disbursed: &str, measure: Measure) -> Markup {
    let links = [
        (Measure::Awarded, awarded, "Awarded per person"),
        (Measure::Disbursed, disbursed, "Paid out per person"),
    ];
    html! {
        p class="govuk-body-s fl-choices__label" id="map-measure" { "Colour the map by:" }
        ul class="govuk-list fl-choices" aria-labelledby="map-measure" {
            @for (choice, href, text) in links {
                li {
                    @if choice == measure {
                        a class="govuk-link" aria-current="true" href=(href) { strong { (text) } }
                    } @else {
                        a class="govuk-link" href=(href) { (text) }
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
    fn each_level_offers_the_areas_inside_it_and_a_neighbourhood_none() {
        assert_eq!(chosen(GeoLevel::Lad, None), Some(WARDS));
        assert_eq!(chosen(GeoLevel::Lad, Some("lsoa")), Some(LSOAS));
        assert_eq!(chosen(GeoLevel::Lad, Some("region")), Some(WARDS));
        assert_eq!(chosen(GeoLevel::Region, Some("ward")), Some(LADS));
        assert_eq!(chosen(GeoLevel::Ward, None), Some(LSOAS));
        assert_eq!(chosen(GeoLevel::Lsoa, None), None);
    }
}
