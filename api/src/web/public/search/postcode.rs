//! The search's postcode section: where a postcode lies, with links to its neighbourhood,
//! ward and local authority; or that it is unknown, or that no lookup is loaded yet.

use axum::response::Response;
use infrastructure::postcodes::normalise_postcode;
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::json;

use super::super::frame;
use crate::web::work::forms::encode;
use crate::web::work::gql;
use crate::web::work::places::PlaceIndex;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PostcodeData {
    postcodes_available: bool,
    postcode: Option<PostcodeArea>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PostcodeArea {
    postcode: String,
    terminated: bool,
    neighbourhood: Option<Area>,
    ward: Option<Area>,
    local_authority: Option<Area>,
}

#[derive(Debug, Deserialize)]
struct Area {
    code: String,
    name: Option<String>,
}

const POSTCODE_QUERY: &str = "query Postcode($code: String!) { postcodesAvailable \
     postcode(code: $code) { postcode terminated neighbourhood { code name } \
     ward { code name } localAuthority { code name } } }";

/// The section for `words` when it has a postcode's shape; `None` otherwise.
pub async fn section(
    app: &crate::server::http::App,
    words: &str,
    index: &PlaceIndex,
) -> Result<Option<Markup>, Response> {
    let Some(postcode) = normalise_postcode(words) else {
        return Ok(None);
    };
    let data: PostcodeData = gql::read_public(app, POSTCODE_QUERY, json!({ "code": postcode }))
        .await
        .map_err(|problem| frame::problem(&problem))?;
    let said = match (&data.postcode, data.postcodes_available) {
        (Some(found), _) => found_place(found, index),
        (None, true) => html! {
            p class="govuk-body" {
                "We could not find the postcode " strong { (postcode) } ". Check it is right, "
                "or search for your town, ward or neighbourhood by name."
            }
        },
        (None, false) => html! {
            p class="govuk-body" {
                "Postcodes cannot be searched yet: this service's postcode lookup has not been "
                "loaded. Search for your town, ward or neighbourhood by name instead."
            }
        },
    };
    Ok(Some(html! {
        h2 class="govuk-heading-m" { "Postcode" }
        (said)
        @if data.postcodes_available {
            p class="govuk-body-s fl-postcode__attribution" { (ATTRIBUTION) }
        }
    }))
}

/// What the ONS Postcode Directory's licence asks wherever its postcodes are used.
const ATTRIBUTION: &str = "Postcodes from the ONS Postcode Directory. Source: Office for \
     National Statistics licensed under the Open Government Licence v.3.0. Contains OS data \
     © Crown copyright and database right. Contains Royal Mail data © Royal Mail copyright \
     and database right. Contains GeoPlace data © Local Government Information House \
     Limited copyright and database right.";

/// A link to an area's page, named as the place index names it for people ("Kingston
/// upon Hull", not the official "Kingston upon Hull, City of"), else by the geography's
/// name, else `unnamed` ("its neighbourhood": never a code as words).
fn area_link(area: &Area, index: &PlaceIndex, unnamed: &str) -> Markup {
    let name = index
        .at(&area.code)
        .map(|at| index.place(at).name.clone())
        .or_else(|| area.name.clone())
        .unwrap_or_else(|| unnamed.to_string());
    html! {
        a class="govuk-link" href={ "/areas/" (encode(&area.code)) } { (name) }
    }
}

fn found_place(found: &PostcodeArea, index: &PlaceIndex) -> Markup {
    html! {
        div class="govuk-inset-text fl-postcode" {
            p class="govuk-body-l govuk-!-margin-bottom-2" {
                strong { (found.postcode) }
                @if found.terminated { " (no longer in use)" }
                " is in "
                @match &found.neighbourhood {
                    Some(area) => (area_link(area, index, "its neighbourhood")),
                    None => "a neighbourhood this service has no map of",
                }
                @if let Some(ward) = &found.ward {
                    ", a neighbourhood in " (area_link(ward, index, "its ward")) " ward"
                }
                @if let Some(authority) = &found.local_authority {
                    ", " (area_link(authority, index, "its local authority"))
                }
                "."
            }
            @if let Some(area) = &found.neighbourhood {
                p class="govuk-body govuk-!-margin-bottom-0" {
                    a class="govuk-link" href={ "/areas/" (encode(&area.code)) } {
                        "See every award in this neighbourhood"
                    }
                }
            }
        }
    }
}
