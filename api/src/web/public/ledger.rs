//! `/ledger`: the ledger's head hash and position, what they mean and how anyone can
//! check them, and the latest events in public form (GraphQL's `ledger { latest }`, a
//! page at a time: `?before={number}`). Nothing personal is on it: the public form of an
//! event carries no names, purposes, reasons, references, scores or codes.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::json;

use super::figures;
use super::frame::{self, PageQuery, PublicPage};
use crate::server::http::App;
use crate::web::layout;
use crate::web::work::forms::encode;
use crate::web::work::gql;

/// Events on one page.
const EVENTS_PER_PAGE: i64 = 25;

#[derive(Debug, Deserialize)]
struct LedgerData {
    ledger: Ledger,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Ledger {
    position: i64,
    head: String,
    events: i64,
    latest: EventPage,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EventPage {
    events: Vec<Event>,
    has_earlier: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Event {
    number: i64,
    recorded_at: String,
    what: String,
    happened_on: Option<String>,
    amount: Option<String>,
    fund_id: Option<String>,
    round_id: Option<String>,
    award_id: Option<String>,
}

const LEDGER_QUERY: &str = "query Ledger($first: Int, $before: Int) {
  ledger { position head events
    latest(first: $first, before: $before) {
      hasEarlier
      events { number recordedAt what happenedOn amount fundId roundId awardId }
    }
  }
}";

/// `GET /ledger`
pub async fn page(
    State(app): State<App>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let before = match query.get("before").map(|text| text.trim().parse::<i64>()) {
        None => None,
        Some(Ok(number)) if number > 0 => Some(number),
        Some(_) => return frame::not_found("page of the ledger"),
    };
    let render = async {
        let variables = json!({ "first": EVENTS_PER_PAGE, "before": before });
        let data: LedgerData = gql::read_public(&app, LEDGER_QUERY, variables)
            .await
            .map_err(|problem| frame::problem(&problem))?;
        let ledger = data.ledger;
        if before.is_some() && ledger.latest.events.is_empty() {
            return Err(frame::answer(
                StatusCode::NOT_FOUND,
                frame::document(
                    "Page not found",
                    html! {
                        h1 class="govuk-heading-l" { "Page not found" }
                        p class="govuk-body" { a class="govuk-link" href="/ledger" { "See the latest events" } }
                    },
                ),
            ));
        }
        let body = html! {
            h1 class="govuk-heading-xl" { "The ledger" }
            p class="govuk-body-l" {
                "Every change to the money in this service is recorded as an event in one ledger. "
                "Events are only ever added: a correction is a new event, never an edit."
            }
            (head(&ledger))
            (how_to_check(&ledger))
            (latest(&ledger.latest, before))
        };
        Ok(PublicPage {
            title: "The ledger".into(),
            body,
            as_of: None,
            time_travel: false,
            path: "/ledger".into(),
        })
    };
    frame::serve(&app, &headers, &uri, render).await
}

/// The head: how many events, the position, the hash, and what they mean.
fn head(ledger: &Ledger) -> Markup {
    let rows = [
        ("Events in the chain", figures::count(ledger.events)),
        ("Position in the event log", figures::count(ledger.position)),
    ];
    html! {
        h2 class="govuk-heading-l" { "Where the ledger is now" }
        dl class="govuk-summary-list" {
            @for (key, value) in rows {
                div class="govuk-summary-list__row" {
                    dt class="govuk-summary-list__key" { (key) }
                    dd class="govuk-summary-list__value" { (value) }
                }
            }
            div class="govuk-summary-list__row" {
                dt class="govuk-summary-list__key" { "Head hash" }
                dd class="govuk-summary-list__value" {
                    code class="fl-ledger__hash" id="ledger-head" { (ledger.head) }
                }
            }
        }
        h2 class="govuk-heading-m" { "What these mean" }
        p class="govuk-body" {
            "Every event is chained to the one before it. Its hash is the SHA-256 of the "
            "previous hash and the event itself, starting from a hash of zeros. The head hash "
            "is the hash after the latest event, so changing, removing or reordering any earlier "
            "event would give a different head hash."
        }
        p class="govuk-body" {
            "The position is the place of the latest event in the event log. "
            "Every figure on these pages is worked out from the events up to it, and each page says which position it reflects."
        }
    }
}

/// The three ways anyone can check the ledger.
fn how_to_check(ledger: &Ledger) -> Markup {
    html! {
        h2 class="govuk-heading-m" { "How anyone can check it" }
        ol class="govuk-list govuk-list--number" {
            li {
                "Ask the API for the same figures: send the GraphQL query "
                code { "{ ledger { position head events } }" }
                " to " code { "/graphql" } ". No account is needed."
            }
            li {
                "Write down today's head hash and position (" (figures::count(ledger.position)) "). "
                "Compare them with a later head: the events after that position are added on top, "
                "so the earlier head hash is still the hash at that point in the chain."
            }
            li {
                "With a copy of the store, run " code { "fundledger verify" } ". It works out the "
                "chain again from the first event and checks it and every published figure "
                "against what the service holds."
            }
        }
    }
}

/// The latest events (or those before `before`), newest first, with a link to earlier.
fn latest(page: &EventPage, before: Option<i64>) -> Markup {
    let rows: Vec<Vec<Markup>> = page.events.iter().map(event_row).collect();
    let earlier = page
        .has_earlier
        .then(|| page.events.last().map(|event| event.number))
        .flatten();
    html! {
        h2 class="govuk-heading-l" id="events" {
            @if before.is_some() { "Earlier events" } @else { "Latest events" }
        }
        p class="govuk-body" {
            "Events about applications, requests for payment and votes are counted in the chain but not shown: they are private."
        }
        @if rows.is_empty() {
            p class="govuk-body" { "Nothing has been recorded yet." }
        } @else {
            (layout::table("Events, newest first", &["Number", "What happened", "Amount", "About"], &rows))
        }
        @if earlier.is_some() || before.is_some() {
            nav class="govuk-pagination govuk-pagination--block" aria-label="Events" {
                @if let Some(number) = earlier {
                    div class="govuk-pagination__prev" {
                        a class="govuk-link govuk-pagination__link" href=(format!("/ledger?before={number}#events")) rel="next" {
                            span class="govuk-pagination__link-title" { "Earlier events" }
                        }
                    }
                }
                @if before.is_some() {
                    div class="govuk-pagination__next" {
                        a class="govuk-link govuk-pagination__link" href="/ledger#events" {
                            span class="govuk-pagination__link-title" { "Latest events" }
                        }
                    }
                }
            }
        }
    }
}

fn event_row(event: &Event) -> Vec<Markup> {
    let day = event
        .happened_on
        .clone()
        .unwrap_or_else(|| event.recorded_at.get(..10).unwrap_or_default().to_string());
    let links = [
        ("award", "/awards/", &event.award_id),
        ("round", "/rounds/", &event.round_id),
        ("fund", "/funds/", &event.fund_id),
    ];
    vec![
        html! { (figures::count(event.number)) },
        html! {
            (event.what)
            span class="fl-ledger__day" { (figures::date(&day)) }
        },
        html! { @if let Some(amount) = &event.amount { (figures::money(amount)) } },
        html! {
            ul class="govuk-list fl-ledger__links" {
                @for (what, base, id) in links {
                    @if let Some(id) = id {
                        li {
                            a class="govuk-link" href=(format!("{base}{}", encode(id))) {
                                "The " (what)
                                span class="govuk-visually-hidden" { " of event " (event.number) }
                            }
                        }
                    }
                }
            }
        },
    ]
}
