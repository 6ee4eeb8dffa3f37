//! `/glossary`: every figure the public pages show, defined as the API defines it. Each
//! term says in plain words what it is, then "How it is worked out": the descriptions of
//! its GraphQL fields, read from the schema itself (introspection, in process, as the
//! public), so the page and the API reference can never disagree. Each term has an `id`
//! anchor (`/glossary#awarded`) for the pages to link to.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::json;

use super::frame::{self, PublicPage};
use crate::server::http::App;
use crate::web::work::gql;

/// A figure: its anchor, its name, what it is in plain words, and the GraphQL fields
/// (`Type.field`, or `Type` for a type's own description) that define it.
pub struct Term {
    pub id: &'static str,
    pub name: &'static str,
    pub plain: &'static str,
    pub fields: &'static [&'static str],
}

/// Every figure the public pages show, in the order people meet them.
pub const TERMS: &[Term] = &[
    Term {
        id: "awarded",
        name: "Awarded",
        plain: "Money promised to groups: what each award was for, changed by any later increase or cut. Once an award is closed, it is what the award really cost.",
        fields: &["Totals.awarded", "FundPosition.awarded", "Award.awarded"],
    },
    Term {
        id: "paid",
        name: "Paid",
        plain: "Money paid out to groups, before any of it was given back.",
        fields: &["Totals.paid", "FundPosition.paid", "Award.paid"],
    },
    Term {
        id: "returned",
        name: "Returned",
        plain: "Money groups gave back, for example because something cost less than planned.",
        fields: &["Totals.returned", "FundPosition.returned", "Award.returned"],
    },
    Term {
        id: "disbursed",
        name: "Disbursed",
        plain: "Money groups kept: what was paid out, less what was given back.",
        fields: &["Totals.disbursed", "FundPosition.disbursed", "Award.disbursed"],
    },
    Term {
        id: "reported-spend",
        name: "Spending reported",
        plain: "What groups have told the fund they spent, in their spending reports.",
        fields: &["Totals.reportedSpend"],
    },
    Term {
        id: "award-count",
        name: "Number of awards",
        plain: "How many awards were made.",
        fields: &["Totals.awardCount"],
    },
    Term {
        id: "recipient-count",
        name: "Number of groups",
        plain: "How many different groups received those awards.",
        fields: &["Totals.recipientCount"],
    },
    Term {
        id: "per-head",
        name: "Awarded per person",
        plain: "The money awarded in a place shared out over everyone who lives there.",
        fields: &["Totals.perHead"],
    },
    Term {
        id: "capital-received",
        name: "Money received",
        plain: "Money that came into a fund, for example from an endowment or a donor.",
        fields: &["FundPosition.capitalReceived"],
    },
    Term {
        id: "allocated",
        name: "Set aside for rounds",
        plain: "Money a fund has set aside for its funding rounds, less what came back from them.",
        fields: &["FundPosition.allocated"],
    },
    Term {
        id: "available",
        name: "Available",
        plain: "Money a fund holds that is not yet set aside for any round.",
        fields: &["FundPosition.available"],
    },
    Term {
        id: "money-over-time",
        name: "Money over time",
        plain: "How the figures grew month by month (or quarter by quarter, or year by year): what moved in each period, and the totals so far at its end.",
        fields: &[
            "MoneyOverTime.periods",
            "MoneyPeriod.awarded",
            "MoneyPeriod.disbursed",
            "MoneyPeriod.reportedSpend",
            "MoneyPeriod.cumulativeAwarded",
            "MoneyPeriod.cumulativeDisbursed",
        ],
    },
    Term {
        id: "deprivation",
        name: "Deprivation decile",
        plain: "Where a neighbourhood ranks on the Index of Multiple Deprivation, in tenths: 1 is among the 10% most deprived neighbourhoods.",
        fields: &["Neighbourhood.imdDecile"],
    },
    Term {
        id: "social-return",
        name: "Social return",
        plain: "What the outcomes groups reported are worth to society, set against the money and help that went in.",
        fields: &[
            "SocialReturn.invested",
            "SocialReturn.presentValue",
            "SocialReturn.netPresentValue",
            "SocialReturn.ratio",
        ],
    },
    Term {
        id: "ledger-head",
        name: "Ledger head and position",
        plain: "A fingerprint of every event recorded so far, and how far the figures have got: anyone can check that nothing recorded has been changed.",
        fields: &["Ledger.head", "Ledger.position", "Ledger.events"],
    },
];

/// The types whose descriptions the terms quote.
const TYPES: &[&str] = &[
    "Totals",
    "FundPosition",
    "Award",
    "Neighbourhood",
    "MoneyOverTime",
    "MoneyPeriod",
    "SocialReturn",
    "Ledger",
];

#[derive(Debug, Deserialize)]
struct SchemaType {
    description: Option<String>,
    fields: Option<Vec<SchemaField>>,
}

#[derive(Debug, Deserialize)]
struct SchemaField {
    name: String,
    description: Option<String>,
}

/// The schema's descriptions of `TYPES` and their fields, by `Type` and `Type.field`.
async fn descriptions(app: &App) -> Result<HashMap<String, String>, gql::Problem> {
    let selections: Vec<String> = TYPES
        .iter()
        .map(|name| {
            format!(
                "{name}: __type(name: \"{name}\") {{ description fields {{ name description }} }}"
            )
        })
        .collect();
    let query = format!("{{ {} }}", selections.join(" "));
    let data: HashMap<String, Option<SchemaType>> =
        gql::read_public(app, &query, json!({})).await?;
    let mut found = HashMap::new();
    for (name, schema_type) in data {
        let Some(schema_type) = schema_type else {
            continue;
        };
        if let Some(description) = schema_type.description {
            found.insert(name.clone(), description);
        }
        for field in schema_type.fields.unwrap_or_default() {
            if let Some(description) = field.description {
                found.insert(format!("{name}.{}", field.name), description);
            }
        }
    }
    Ok(found)
}

/// `GET /glossary`
pub async fn page(State(app): State<App>, headers: HeaderMap, uri: Uri) -> Response {
    let render = async {
        let found = descriptions(&app)
            .await
            .map_err(|problem| frame::problem(&problem))?;
        let body = html! {
            h1 class="govuk-heading-xl" { "Glossary" }
            p class="govuk-body-l" {
                "What every figure on these pages means. Each is worked out exactly, to the penny, "
                "from the events in the " a class="govuk-link" href="/ledger" { "ledger" } "."
            }
            p class="govuk-body" {
                "Under each figure, “How it is worked out” quotes the API’s own definition: "
                "the same words the API reference uses. Σ means “the sum of”."
            }
            nav aria-labelledby="glossary-contents" {
                h2 class="govuk-heading-s" id="glossary-contents" { "Contents" }
                ul class="govuk-list" {
                    @for term in TERMS {
                        li { a class="govuk-link" href=(format!("#{}", term.id)) { (term.name) } }
                    }
                }
            }
            @for term in TERMS {
                (term_section(term, &found))
            }
        };
        Ok(PublicPage {
            title: "Glossary".into(),
            body,
            as_of: None,
            time_travel: false,
            path: "/glossary".into(),
        })
    };
    frame::serve(&app, &headers, &uri, render).await
}

fn term_section(term: &Term, found: &HashMap<String, String>) -> Markup {
    html! {
        section class="fl-glossary__term" id=(term.id) aria-labelledby=(format!("{}-name", term.id)) {
            h2 class="govuk-heading-m" id=(format!("{}-name", term.id)) { (term.name) }
            p class="govuk-body" { (term.plain) }
            h3 class="govuk-heading-s" { "How it is worked out" }
            dl class="fl-glossary__definitions" {
                @for field in term.fields {
                    @if let Some(description) = found.get(*field) {
                        dt class="govuk-body-s fl-glossary__field" { code { (field) } }
                        dd class="govuk-body fl-glossary__definition" data-field=(field) { (description) }
                    }
                }
            }
        }
    }
}
