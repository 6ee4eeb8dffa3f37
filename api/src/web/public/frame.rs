//! The frame every public page shares: the public navigation, the "as of" line (the
//! ledger's time travel made visible: figures as they stood at the end of a chosen day,
//! and which ledger position today's figures reflect), and `serve`, which answers a page
//! from the public pages' cache or renders it and keeps it, tagged with the read models'
//! version (the same `ETag` GraphQL's public answers carry; `X-Min-Position` honoured).

use std::collections::HashMap;
use std::future::Future;

use axum::body::Bytes;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::json;

use crate::server::cache::Fetch;
use crate::server::conditional;
use crate::server::http::App;
use crate::server::public::wait_for_min_position;
use crate::web::layout::{self, SCREEN_CONTENT_SECURITY_POLICY, SERVICE_NAME};
use crate::web::work::gql::{self, Problem};
use crate::web::work::widgets;

/// The query parameter that asks for figures as they stood at the end of a day.
pub const AS_OF: &str = "asOf";

/// A public page, rendered: its title, its body, and what its "as of" line offers.
pub struct PublicPage {
    pub title: String,
    pub body: Markup,
    /// The day the figures are as of; `None`: up to the ledger's latest position.
    pub as_of: Option<domain::Date>,
    /// Whether the page's figures can be seen as of an earlier day (a form is offered).
    pub time_travel: bool,
    /// The page's own path (the as-of form's action, and its "today's figures" link).
    pub path: String,
}

/// The query of a public page, as given.
pub type PageQuery = HashMap<String, String>;

/// The day `?asOf=YYYY-MM-DD` names (`None` without one). The as-of form sends its three
/// fields (`asOf-day`, `asOf-month`, `asOf-year`): they are answered with a redirect to
/// the page's one address for that day, so every view of a day has one URL (and one
/// cache entry). A date that cannot be read is answered with the page's error.
// Every public page answers the `Err` as it is (`return answered`): boxing it would only
// move the allocation to each caller.
#[allow(clippy::result_large_err)]
pub fn as_of(path: &str, query: &PageQuery) -> Result<Option<domain::Date>, Response> {
    let part = |suffix: &str| query.get(&format!("{AS_OF}-{suffix}")).map(String::as_str);
    if let (Some(day), Some(month), Some(year)) = (part("day"), part("month"), part("year")) {
        if [day, month, year].iter().all(|text| text.trim().is_empty()) {
            return Err(Redirect::to(path).into_response());
        }
        return match widgets::date_of_parts(day, month, year, "The date") {
            Ok(date) => Err(Redirect::to(&with_as_of(path, Some(date))).into_response()),
            Err(message) => Err(bad_date(path, &message)),
        };
    }
    match query.get(AS_OF).map(|text| text.trim()) {
        None | Some("") => Ok(None),
        Some(text) => domain::dates::parse_date(AS_OF, text)
            .map(Some)
            .map_err(|_| bad_date(path, "The date must be a real date, for example 31 3 2025")),
    }
}

fn bad_date(path: &str, message: &str) -> Response {
    let body = html! {
        h1 class="govuk-heading-l" { "There is a problem with the date" }
        p class="govuk-body" { (message) }
        p class="govuk-body" { a class="govuk-link" href=(path) { "See today's figures" } }
    };
    answer(
        StatusCode::BAD_REQUEST,
        document("Error: there is a problem with the date", body),
    )
}

/// `path` with `?asOf=` for `as_of` (unchanged without one). `path` may carry a query.
pub fn with_as_of(path: &str, as_of: Option<domain::Date>) -> String {
    match as_of {
        None => path.to_string(),
        Some(date) => {
            let joiner = if path.contains('?') { '&' } else { '?' };
            format!("{path}{joiner}{AS_OF}={date}")
        }
    }
}

/// Answers the page at `uri`: from the public pages' cache while the read models are
/// unchanged, else `render`'s page (kept for the next request when it is a page, not an
/// error). `304` when the request's `If-None-Match` holds the current version's tag.
pub async fn serve<F>(app: &App, headers: &HeaderMap, uri: &Uri, render: F) -> Response
where
    F: Future<Output = Result<PublicPage, Response>>,
{
    let min_place = match wait_for_min_position(app, headers).await {
        Ok(place) => place,
        Err(answered) => return answered,
    };
    let cache = &app.state.page_cache;
    let version = cache.usable_version(min_place);
    let tag = version.map(conditional::etag);
    if let Some(tag) = &tag {
        if conditional::matches(headers, tag) {
            return with_page_policy(conditional::not_modified(tag.clone()));
        }
    }
    let key = Bytes::from(format!("GET {uri}"));
    // Held until the page is stored: others asking for it meanwhile wait for this render.
    let _computing = match version {
        Some(version) => match cache.fetch(&key, version).await {
            Fetch::Answer(cached) => return tagged(ok_page(cached), tag),
            Fetch::Compute(claim) => claim,
        },
        None => None,
    };
    let page = match render.await {
        Ok(page) => page,
        Err(response) => return response,
    };
    let html = Bytes::from(frame(app, page).await.into_string());
    if let Some(version) = version {
        cache.put(key, version, html.clone());
    }
    tagged(ok_page(html), tag)
}

/// A `304` carries the page's own policy: a browser updates the kept page's headers from
/// it, and without it the server's default (nothing may load, no form may be sent) would
/// then apply to the page (its styles, its scripts and its forms blocked).
fn with_page_policy(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(SCREEN_CONTENT_SECURITY_POLICY),
    );
    response
}

fn tagged(response: Response, tag: Option<HeaderValue>) -> Response {
    match tag {
        Some(tag) => conditional::tagged(response, tag),
        None => response,
    }
}

fn ok_page(html: Bytes) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                SCREEN_CONTENT_SECURITY_POLICY,
            ),
        ],
        html,
    )
        .into_response()
}

/// Answers a public page that is not kept (an error, a page about a problem).
pub fn answer(status: StatusCode, markup: Markup) -> Response {
    let mut response = layout::html(status, markup);
    // Nothing personal in a public page: a short shared cache is fine, but errors pass.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// The page for a GraphQL problem on a public page: not found, unavailable, a fault.
pub fn problem(problem: &Problem) -> Response {
    gql::problem_page(None, problem)
}

/// The page for an address that names nothing the ledger has: `what` ("award").
pub fn not_found(what: &str) -> Response {
    let body = html! {
        h1 class="govuk-heading-l" { "Page not found" }
        p class="govuk-body" { "There is no " (what) " at this address. If you typed it, check it." }
        p class="govuk-body" {
            a class="govuk-link" href="/search" { "Search for a place, a group or an award" }
        }
    };
    answer(StatusCode::NOT_FOUND, document("Page not found", body))
}

#[derive(Debug, Deserialize)]
struct LedgerNow {
    ledger: LedgerPlace,
}

#[derive(Debug, Deserialize)]
struct LedgerPlace {
    position: i64,
}

/// The whole document of `page`: the frame, its "as of" line, its body.
async fn frame(app: &App, page: PublicPage) -> Markup {
    let position = gql::read_public::<LedgerNow>(app, "{ ledger { position } }", json!({}))
        .await
        .map(|now| now.ledger.position)
        .ok();
    let body = html! {
        (as_of_line(&page, position))
        (page.body)
    };
    document(&page.title, body)
}

/// "Figures as of …": the day the page's figures stand at, the ledger position today's
/// figures reflect, and (where the page can) a form to choose an earlier day.
fn as_of_line(page: &PublicPage, position: Option<i64>) -> Markup {
    let today = infrastructure::business_date::business_today();
    html! {
        div class="fl-as-of" {
            @match page.as_of {
                Some(date) => p class="govuk-body-s fl-as-of__line" {
                    strong { "Figures as they stood at the end of " (widgets::date(&date.to_string())) "." }
                    " "
                    a class="govuk-link" href=(page.path) { "See today's figures" }
                },
                None => p class="govuk-body-s fl-as-of__line" {
                    "Figures as of " strong { (widgets::date(&today.to_string())) }
                    @if let Some(position) = position {
                        ", up to " a class="govuk-link" href="/ledger" { "ledger position " (position) }
                    }
                    "."
                },
            }
            @if page.time_travel {
                (as_of_form(page))
            }
        }
    }
}

fn as_of_form(page: &PublicPage) -> Markup {
    let mut fields = widgets::Fields::new();
    if let Some(date) = page.as_of {
        widgets::date_fields(&mut fields, AS_OF, &date.to_string());
    }
    html! {
        details class="govuk-details fl-as-of__choose" {
            summary class="govuk-details__summary" {
                span class="govuk-details__summary-text" { "See the figures on an earlier date" }
            }
            div class="govuk-details__text" {
                form method="get" action=(page.path) novalidate {
                    // A GET form's action loses its query: the page's own choices (`?in=`,
                    // `?show=` …) are carried as hidden fields instead.
                    @for (name, value) in query_pairs(&page.path) {
                        input type="hidden" name=(name) value=(value);
                    }
                    (widgets::date_input(AS_OF, "Figures as at the end of", Some("For example, 31 3 2025"), &fields, None))
                    button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button" {
                        "Show these figures"
                    }
                }
            }
        }
    }
}

/// The `name=value` pairs of `path`'s query (percent-decoded), in order.
fn query_pairs(path: &str) -> Vec<(String, String)> {
    let Some((_, query)) = path.split_once('?') else {
        return Vec::new();
    };
    serde_urlencoded::from_str(query).unwrap_or_default()
}

/// A public document: the public navigation, then `body`.
pub fn document(title: &str, body: Markup) -> Markup {
    layout::document(title, navigation(), body)
}

/// The public banner: the service's name and the explorer's pages (the same for
/// everyone, so pages can be kept and shared; signing in is one link away).
fn navigation() -> Markup {
    let items = [
        ("/", "Where the money went"),
        ("/search", "Search"),
        ("/glossary", "Glossary"),
        ("/ledger", "Ledger"),
        ("/work", "Sign in"),
    ];
    html! {
        header class="govuk-service-navigation" data-module="govuk-service-navigation" {
            div class="govuk-width-container" {
                div class="govuk-service-navigation__container" {
                    span class="govuk-service-navigation__service-name" {
                        a href="/" class="govuk-service-navigation__link" { (SERVICE_NAME) }
                    }
                    nav aria-label="Menu" class="govuk-service-navigation__wrapper" {
                        ul class="govuk-service-navigation__list" {
                            @for (href, text) in items {
                                li class="govuk-service-navigation__item" {
                                    a class="govuk-service-navigation__link" href=(href) { (text) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The search box (`/search?q=`), for the top of pages.
pub fn search_form(value: &str) -> Markup {
    html! {
        form method="get" action="/search" class="fl-search" role="search" {
            div class="govuk-form-group" {
                label class="govuk-label govuk-label--s" for="q" {
                    "Search by town, neighbourhood, postcode, group or award"
                }
                div class="fl-search__row" {
                    input class="govuk-input fl-search__input" id="q" name="q" type="search"
                        value=(value) autocomplete="off" spellcheck="false";
                    button type="submit" class="govuk-button fl-search__button" data-module="govuk-button" { "Search" }
                }
            }
        }
    }
}
