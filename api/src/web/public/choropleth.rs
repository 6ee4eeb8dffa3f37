//! A map coloured by amount per head (a choropleth), with the same figures in a table
//! beside it: the table is what a screen reader or a keyboard user reads (the map's areas
//! are links too), and it is where the exact amounts are. Colours come in `CLASSES` steps
//! of a sequential blue, cut at the quantiles of the areas that received something, so
//! every step holds about as many areas; an area with nothing is pale grey and one
//! without a known population is hatched grey.

use std::str::FromStr;

use maud::{html, Markup};
use rust_decimal::Decimal;

use super::figures;
use crate::web::layout;
use crate::web::maps::{self, MapArea};

/// Colour steps for areas that received something.
pub const CLASSES: usize = 5;

/// What the map colours areas by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Measure {
    /// Σ awarded ÷ population.
    #[default]
    Awarded,
    /// Σ (paid − returned) ÷ population.
    Disbursed,
}

impl Measure {
    /// From the page's `?show=` (`disbursed`; anything else is awarded).
    pub fn from_query(value: Option<&String>) -> Measure {
        match value.map(String::as_str) {
            Some("disbursed") => Measure::Disbursed,
            _ => Measure::Awarded,
        }
    }

    /// The query value (`show=`).
    pub fn as_query(self) -> &'static str {
        match self {
            Measure::Awarded => "awarded",
            Measure::Disbursed => "disbursed",
        }
    }

    /// "awarded" / "paid out" in a sentence.
    pub fn words(self) -> &'static str {
        match self {
            Measure::Awarded => "awarded",
            Measure::Disbursed => "paid out (less returns)",
        }
    }
}

/// One area on the map and in its table.
#[derive(Debug, Clone)]
pub struct ChoroplethArea {
    pub code: String,
    pub name: String,
    /// Its page (`/areas/{code}`, with the page's as-of).
    pub href: String,
    /// The measure's amount, as GraphQL writes money.
    pub amount: String,
    pub population: Option<i64>,
}

impl ChoroplethArea {
    /// Amount ÷ population, to the penny (`None` without a population).
    pub fn per_head(&self) -> Option<Decimal> {
        figures::per_head_of(&self.amount, self.population)
    }
}

/// The map of `areas` coloured by `measure` per head, its legend, and the table beside
/// it. `caption` names what is shown ("Local authorities in England").
pub fn choropleth(caption: &str, areas: &[ChoroplethArea], measure: Measure) -> Markup {
    let breaks = breaks(areas);
    let map_areas: Vec<MapArea> = areas
        .iter()
        .map(|area| MapArea {
            code: area.code.clone(),
            name: format!("{}: {}", area.name, in_words(area, measure)),
            href: area.href.clone(),
            fill_class: fill_class(area, &breaks),
        })
        .collect();
    let table_id = "choropleth-table";
    html! {
        div class="fl-choropleth" {
            div class="fl-choropleth__map" {
                a class="govuk-skip-link fl-choropleth__skip" href={ "#" (table_id) } {
                    "Skip the map: the same figures are in the table"
                }
                (maps::svg(&format!("Map: {caption}, coloured by amount {} per person", measure.words()), &map_areas))
                (legend(&breaks, measure))
            }
            div class="fl-choropleth__table" id=(table_id) {
                (table(caption, areas, measure))
            }
        }
    }
}

fn in_words(area: &ChoroplethArea, measure: Measure) -> String {
    match area.per_head() {
        Some(per_head) => format!(
            "{} {} per person",
            figures::money(&per_head.to_string()),
            measure.words()
        ),
        None => format!(
            "{} {}, population not known",
            figures::money(&area.amount),
            measure.words()
        ),
    }
}

/// The upper bounds of the colour steps: the quantiles of the positive per-head amounts.
fn breaks(areas: &[ChoroplethArea]) -> Vec<Decimal> {
    let mut values: Vec<Decimal> = areas
        .iter()
        .filter_map(ChoroplethArea::per_head)
        .filter(|value| *value > Decimal::ZERO)
        .collect();
    values.sort();
    if values.is_empty() {
        return Vec::new();
    }
    let mut breaks: Vec<Decimal> = (1..=CLASSES)
        .map(|step| values[(values.len() * step).div_ceil(CLASSES) - 1])
        .collect();
    breaks.dedup();
    breaks
}

fn fill_class(area: &ChoroplethArea, breaks: &[Decimal]) -> String {
    match area.per_head() {
        None => "fl-choro fl-choro--unknown".to_string(),
        Some(value) if value <= Decimal::ZERO => "fl-choro fl-choro--none".to_string(),
        Some(value) => {
            let step = breaks
                .iter()
                .position(|upper| value <= *upper)
                .unwrap_or(breaks.len().saturating_sub(1));
            format!("fl-choro fl-choro--{}", colour_of_step(step, breaks.len()))
        }
    }
}

/// The colour (1 to `CLASSES`) of step `step` of `steps`: spread over the whole scale when
/// there are fewer steps than colours (two areas with money are not both pale), the
/// darkest for the most per person.
fn colour_of_step(step: usize, steps: usize) -> usize {
    ((step + 1) * CLASSES)
        .div_ceil(steps.max(1))
        .clamp(1, CLASSES)
}

fn legend(breaks: &[Decimal], measure: Measure) -> Markup {
    html! {
        div class="fl-choropleth__legend" {
            p class="govuk-body-s govuk-!-margin-bottom-1" { "Amount " (measure.words()) " per person" }
            ul class="govuk-body-s fl-legend" {
                li { span class="fl-legend__swatch fl-choro--none" {} "Nothing" }
                @for (step, words) in step_words(breaks).iter().enumerate() {
                    li {
                        span class={ "fl-legend__swatch fl-choro--" (colour_of_step(step, breaks.len())) } {}
                        (words)
                    }
                }
                li { span class="fl-legend__swatch fl-choro--unknown" {} "Population not known" }
            }
        }
    }
}

/// Each colour step's range in words: "Up to £0.86", then "£0.87 to £1.80", … (per
/// person amounts are to the penny, so a step starts a penny above the last one's top).
fn step_words(breaks: &[Decimal]) -> Vec<String> {
    let penny = Decimal::new(1, 2);
    breaks
        .iter()
        .enumerate()
        .map(|(step, upper)| {
            let upper_text = figures::money(&upper.to_string());
            match step.checked_sub(1).map(|below| breaks[below] + penny) {
                None => format!("Up to {upper_text}"),
                Some(lower) if lower == *upper => upper_text,
                Some(lower) => format!("{} to {upper_text}", figures::money(&lower.to_string())),
            }
        })
        .collect()
}

/// The map's figures, most per person first. Written compactly (the cells' look is
/// `.fl-choro-table`'s, GOV.UK's table cell): a map of 317 authorities or 639
/// neighbourhoods has as many rows, and the page should stay small.
fn table(caption: &str, areas: &[ChoroplethArea], measure: Measure) -> Markup {
    let mut ranked: Vec<&ChoroplethArea> = areas.iter().collect();
    ranked.sort_by(|a, b| {
        b.per_head()
            .cmp(&a.per_head())
            .then_with(|| {
                Decimal::from_str(&b.amount)
                    .ok()
                    .cmp(&Decimal::from_str(&a.amount).ok())
            })
            .then_with(|| a.name.cmp(&b.name))
    });
    let amount_heading = match measure {
        Measure::Awarded => "Awarded",
        Measure::Disbursed => "Paid out",
    };
    let not_known = || "Not known".to_string();
    layout::table_region(
        caption,
        html! {
            table class="govuk-table fl-choro-table" {
                caption class="govuk-table__caption govuk-table__caption--m" { (caption) }
                thead class="govuk-table__head" {
                    tr {
                        th scope="col" class="govuk-table__header" { "Area" }
                        @for heading in ["Per person", amount_heading, "Population"] {
                            th scope="col" class="govuk-table__header govuk-table__header--numeric" { (heading) }
                        }
                    }
                }
                tbody class="govuk-table__body" {
                    @for area in &ranked {
                        tr {
                            th scope="row" class="govuk-table__header" {
                                a class="govuk-link" href=(area.href) { (area.name) }
                            }
                            td { (area.per_head().map(|value| figures::money(&value.to_string())).unwrap_or_else(not_known)) }
                            td { (figures::money(&area.amount)) }
                            td { (area.population.map(figures::count).unwrap_or_else(not_known)) }
                        }
                    }
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area(code: &str, amount: &str, population: Option<i64>) -> ChoroplethArea {
        ChoroplethArea {
            code: code.into(),
            name: format!("Area {code}"),
            href: format!("/areas/{code}"),
            amount: amount.into(),
            population,
        }
    }

    #[test]
    fn steps_hold_about_as_many_areas_and_nothing_and_unknown_have_their_own() {
        let areas: Vec<ChoroplethArea> = (1..=10)
            .map(|n| {
                area(
                    &format!("E0600000{n}"),
                    &format!("{}.00", n * 100),
                    Some(100),
                )
            })
            .chain([
                area("E07000001", "0", Some(100)),
                area("E07000002", "5.00", None),
            ])
            .collect();
        let breaks = breaks(&areas);
        assert_eq!(breaks.len(), CLASSES);
        assert_eq!(fill_class(&areas[0], &breaks), "fl-choro fl-choro--1");
        assert_eq!(fill_class(&areas[9], &breaks), "fl-choro fl-choro--5");
        assert_eq!(fill_class(&areas[10], &breaks), "fl-choro fl-choro--none");
        assert_eq!(
            fill_class(&areas[11], &breaks),
            "fl-choro fl-choro--unknown"
        );
    }

    #[test]
    fn fewer_steps_than_colours_spread_over_the_scale() {
        assert_eq!(colour_of_step(0, 1), CLASSES);
        assert_eq!(
            (0..2)
                .map(|step| colour_of_step(step, 2))
                .collect::<Vec<_>>(),
            [3, 5]
        );
        assert_eq!(
            (0..CLASSES)
                .map(|step| colour_of_step(step, CLASSES))
                .collect::<Vec<_>>(),
            [1, 2, 3, 4, 5]
        );
    }

    #[test]
    fn each_step_starts_a_penny_above_the_last() {
        let breaks = [
            Decimal::new(86, 2),
            Decimal::new(87, 2),
            Decimal::new(180, 2),
        ];
        assert_eq!(
            step_words(&breaks),
            ["Up to £0.86", "£0.87", "£0.88 to £1.80"]
        );
    }

    #[test]
    fn the_table_holds_every_area_with_its_exact_figures() {
        let markup = choropleth(
            "Local authorities",
            &[
                area("E06000010", "1234.56", Some(1000)),
                area("E06000002", "0", Some(5)),
            ],
            Measure::Awarded,
        )
        .into_string();
        assert!(markup.contains("£1,234.56"));
        assert!(markup.contains("£1.23"));
        assert!(markup.contains("href=\"/areas/E06000002\""));
    }
}
