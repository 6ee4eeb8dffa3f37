//! How deprived the area is (GraphQL `Neighbourhood.deprivation` and `imdDecile`): a
//! neighbourhood's decile in words; for a larger area, how its neighbourhoods and its
//! people spread over the deciles of its nation's index.

use maud::{html, Markup};

use super::super::figures;
use super::data::{Area, DecileShare};
use crate::web::layout;

/// Where the deciles come from (shown wherever they are).
const IMD_ATTRIBUTION: &str = "Deprivation: English Indices of Deprivation 2019 (Ministry of Housing, Communities and Local Government). Contains public sector information licensed under the Open Government Licence v3.0.";

/// A nation as GraphQL's `Nation` names it, in words.
fn nation_in_words(nation: &str) -> &'static str {
    match nation {
        "WALES" => "Wales",
        "SCOTLAND" => "Scotland",
        "NORTHERN_IRELAND" => "Northern Ireland",
        _ => "England",
    }
}

/// "Among the 10% most deprived in England" (decile 1), "Among the 30% least deprived in
/// England" (decile 8).
pub fn decile_in_words(decile: i64, nation: &str) -> String {
    match decile {
        1..=5 => format!("Among the {}% most deprived in {nation}", decile * 10),
        6..=10 => format!(
            "Among the {}% least deprived in {nation}",
            (11 - decile) * 10
        ),
        _ => "Not known".to_string(),
    }
}

/// `part` of `whole` as a whole percentage, half up ("0%" of nothing).
fn percent(part: i64, whole: i64) -> String {
    if whole <= 0 {
        return "0%".to_string();
    }
    format!("{}%", (part * 200 + whole) / (whole * 2))
}

/// The deprivation section of `area` (named `name`).
pub fn section(area: &Area, name: &str) -> Markup {
    html! {
        h2 class="govuk-heading-m" id="deprivation" { "How deprived " (name) " is" }
        @if area.level.as_deref() == Some("LSOA") {
            @let nation = area.deprivation.first().map_or("ENGLAND", |share| share.nation.as_str());
            p class="govuk-body" {
                @match area.imd_decile {
                    Some(decile) => {
                        (name) " is " (lowercase_first(&decile_in_words(decile, nation_in_words(nation))))
                        " (decile " (decile) " of 10 of the Index of Multiple Deprivation; 1 is the most deprived)."
                    },
                    None => { "No deprivation figure is known for " (name) "." },
                }
            }
        } @else if area.deprivation.is_empty() {
            p class="govuk-body" { "No deprivation figures are known for the neighbourhoods of " (name) "." }
        } @else {
            (spread(&area.deprivation, name))
        }
        p class="govuk-body-s" { (IMD_ATTRIBUTION) }
    }
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A sentence on the most deprived fifth, and the table of every decile.
fn spread(shares: &[DecileShare], name: &str) -> Markup {
    let neighbourhoods: i64 = shares.iter().map(|share| share.neighbourhoods).sum();
    let people: i64 = shares.iter().map(|share| share.population).sum();
    let deprived: Vec<&DecileShare> = shares
        .iter()
        .filter(|share| share.imd_decile <= 2)
        .collect();
    let deprived_neighbourhoods: i64 = deprived.iter().map(|share| share.neighbourhoods).sum();
    let deprived_people: i64 = deprived.iter().map(|share| share.population).sum();
    let nations: Vec<&str> = shares.iter().map(|share| share.nation.as_str()).collect();
    let one_nation = nations.windows(2).all(|pair| pair[0] == pair[1]);
    let rows: Vec<Vec<Markup>> = shares
        .iter()
        .map(|share| {
            let nation = nation_in_words(&share.nation);
            vec![
                html! { (decile_in_words(share.imd_decile, nation)) " (decile " (share.imd_decile) ")" },
                html! { (figures::count(share.neighbourhoods)) },
                html! { (figures::count(share.population)) },
                html! { (percent(share.population, people)) },
            ]
        })
        .collect();
    html! {
        p class="govuk-body" {
            (figures::count(deprived_neighbourhoods)) " of the " (figures::count(neighbourhoods))
            " neighbourhoods in " (name) ", home to " (percent(deprived_people, people))
            " of its people, are among the 20% most deprived"
            @if one_nation { " in " (nation_in_words(nations[0])) }
            "."
        }
        (layout::table(
            &format!("Neighbourhoods in {name} by deprivation"),
            &["Deprivation", "Neighbourhoods", "People", "Share of people"],
            &rows,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deciles_and_shares_read_as_words() {
        assert_eq!(
            decile_in_words(1, "England"),
            "Among the 10% most deprived in England"
        );
        assert_eq!(
            decile_in_words(8, "Wales"),
            "Among the 30% least deprived in Wales"
        );
        assert_eq!(decile_in_words(0, "England"), "Not known");
        assert_eq!(percent(1, 3), "33%");
        assert_eq!(percent(1, 2), "50%");
        assert_eq!(percent(5, 0), "0%");
    }
}
