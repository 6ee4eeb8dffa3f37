//! The page frame every screen shares, and the GOV.UK Design System pieces pages are made
//! of (error summary, text input, buttons, summary list, notification banner, tables).
//! The markup follows GOV.UK Frontend's classes so its CSS (and, where present, its
//! JavaScript) applies; every page works without JavaScript.
//!
//! Pages answer through `html` (status, the screens' Content-Security-Policy, no caching)
//! or `error_page`.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use infrastructure::accounts::Person;
use maud::{html, Markup, DOCTYPE};

use super::assets::asset_path;
use super::session::CSRF_FIELD;

/// The service's name, in the navigation and every title.
pub const SERVICE_NAME: &str = "fundledger";
/// Screens load only this server's own styles and scripts, post forms only to it, and are
/// never framed.
pub const SCREEN_CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self'; font-src 'self'; connect-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// A whole page: `<title>` is "`title` – fundledger"; `person` (when signed in) is named
/// in the header with a sign-out button (a form, with `csrf_token`).
pub fn page(title: &str, signed_in: Option<(&Person, &str)>, body: Markup) -> Markup {
    document(title, navigation(signed_in), body)
}

/// A whole page with `header` as its banner (the public pages' own navigation, or the
/// signed-in person's).
pub fn document(title: &str, header: Markup, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en-GB" class="govuk-template govuk-template--rebranded" {
            head {
                meta charset="utf-8";
                title { (title) " – " (SERVICE_NAME) }
                meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover";
                meta name="theme-color" content="#1d70b8";
                link rel="stylesheet" href=(asset_path("govuk-frontend.min.css"));
                link rel="stylesheet" href=(asset_path("fundledger.css"));
            }
            body class="govuk-template__body" {
                a href="#main-content" class="govuk-skip-link" data-module="govuk-skip-link" {
                    "Skip to main content"
                }
                (header)
                div class="govuk-width-container" {
                    main class="govuk-main-wrapper" id="main-content" {
                        (body)
                    }
                }
                (footer())
                script type="module" src=(asset_path("init.js")) {}
            }
        }
    }
}

/// The banner: the service's name, and who is signed in with their account and sign-out.
fn navigation(signed_in: Option<(&Person, &str)>) -> Markup {
    html! {
        header class="govuk-service-navigation" data-module="govuk-service-navigation" {
            div class="govuk-width-container" {
                div class="govuk-service-navigation__container" {
                    span class="govuk-service-navigation__service-name" {
                        a href="/" class="govuk-service-navigation__link" { (SERVICE_NAME) }
                    }
                    nav aria-label="Account" class="govuk-service-navigation__wrapper" {
                        ul class="govuk-service-navigation__list" {
                            @if let Some((person, csrf_token)) = signed_in {
                                li class="govuk-service-navigation__item" {
                                    a class="govuk-service-navigation__link" href="/work" { "Your work" }
                                }
                                li class="govuk-service-navigation__item" {
                                    a class="govuk-service-navigation__link" href="/account" {
                                        "Your account"
                                        span class="govuk-visually-hidden" { " (" (person.display_name()) ")" }
                                    }
                                }
                                li class="govuk-service-navigation__item" {
                                    form method="post" action="/sign-out" class="fl-inline-form" {
                                        (csrf_field(csrf_token))
                                        button type="submit" class="govuk-service-navigation__link fl-link-button" {
                                            "Sign out"
                                        }
                                    }
                                }
                            } @else {
                                li class="govuk-service-navigation__item" {
                                    a class="govuk-service-navigation__link" href="/sign-in" { "Sign in" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn footer() -> Markup {
    html! {
        footer class="govuk-footer" {
            div class="govuk-width-container" {
                div class="govuk-footer__meta" {
                    div class="govuk-footer__meta-item govuk-footer__meta-item--grow" {
                        h2 class="govuk-visually-hidden" { "Support links" }
                        ul class="govuk-footer__inline-list" {
                            li class="govuk-footer__inline-list-item" {
                                a class="govuk-footer__link" href="/" { "Published grants" }
                            }
                            li class="govuk-footer__inline-list-item" {
                                a class="govuk-footer__link" href="/graphql" { "API" }
                            }
                            li class="govuk-footer__inline-list-item" {
                                a class="govuk-footer__link" href=(asset_path("govuk-frontend-LICENCE.txt")) {
                                    "GOV.UK Frontend licence"
                                }
                            }
                        }
                        span class="govuk-footer__licence-description" {
                            "fundledger is free software under the GNU Affero General Public Licence v3 or later."
                        }
                    }
                }
            }
        }
    }
}

/// Answers `markup` with `status`, the screens' CSP, and no caching (pages show who is
/// signed in and their data).
pub fn html(status: StatusCode, markup: Markup) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                SCREEN_CONTENT_SECURITY_POLICY,
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        markup.into_string(),
    )
        .into_response()
}

/// A page that only says what went wrong and what to do: `title` is its heading.
pub fn error_page(
    status: StatusCode,
    title: &str,
    message: Markup,
    signed_in: Option<(&Person, &str)>,
) -> Response {
    let body = html! {
        div class="govuk-grid-row" {
            div class="govuk-grid-column-two-thirds" {
                h1 class="govuk-heading-l" { (title) }
                (message)
            }
        }
    };
    html(status, page(title, signed_in, body))
}

/// A paragraph of body text.
pub fn para(text: &str) -> Markup {
    html! { p class="govuk-body" { (text) } }
}

/// The hidden field every POST form carries.
pub fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(token); }
}

/// One problem with one field of a form: `field` is the input's `id` (the summary links
/// to it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

/// The message for `field` among `errors`, if any.
pub fn error_for<'a>(errors: &'a [FieldError], field: &str) -> Option<&'a str> {
    errors
        .iter()
        .find(|error| error.field == field)
        .map(|error| error.message.as_str())
}

/// "There is a problem", linking each message to its field; nothing when `errors` is empty.
/// Put it first in `main`, and prefix the page title with "Error: ".
pub fn error_summary(errors: &[FieldError]) -> Markup {
    html! {
        @if !errors.is_empty() {
            div class="govuk-error-summary" data-module="govuk-error-summary" {
                div role="alert" {
                    h2 class="govuk-error-summary__title" { "There is a problem" }
                    div class="govuk-error-summary__body" {
                        ul class="govuk-list govuk-error-summary__list" {
                            @for error in errors {
                                li { a href={ "#" (error.field) } { (error.message) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A labelled text input with its hint and error (GOV.UK's text input).
#[derive(Debug, Clone, Default)]
pub struct TextInput<'a> {
    /// The input's `id` and `name`.
    pub name: &'a str,
    pub label: &'a str,
    /// The label as the page's heading (one-question pages).
    pub label_is_heading: bool,
    pub hint: Option<&'a str>,
    pub value: &'a str,
    pub error: Option<&'a str>,
    /// `text` unless given (`email`, `number`).
    pub input_type: Option<&'a str>,
    pub autocomplete: Option<&'a str>,
    /// A GOV.UK width class such as `govuk-input--width-10`.
    pub width_class: Option<&'a str>,
    pub spellcheck_off: bool,
    pub numeric: bool,
}

pub fn text_input(input: &TextInput) -> Markup {
    let hint_id = format!("{}-hint", input.name);
    let error_id = format!("{}-error", input.name);
    let described_by: Vec<&str> = [
        input.hint.map(|_| hint_id.as_str()),
        input.error.map(|_| error_id.as_str()),
    ]
    .into_iter()
    .flatten()
    .collect();
    let group_class = if input.error.is_some() {
        "govuk-form-group govuk-form-group--error"
    } else {
        "govuk-form-group"
    };
    let input_class = format!(
        "govuk-input{}{}",
        input
            .width_class
            .map(|width| format!(" {width}"))
            .unwrap_or_default(),
        if input.error.is_some() {
            " govuk-input--error"
        } else {
            ""
        }
    );
    let label =
        html! { label class="govuk-label govuk-label--l" for=(input.name) { (input.label) } };
    html! {
        div class=(group_class) {
            @if input.label_is_heading {
                h1 class="govuk-label-wrapper" { (label) }
            } @else {
                label class="govuk-label" for=(input.name) { (input.label) }
            }
            @if let Some(hint) = input.hint {
                div id=(hint_id) class="govuk-hint" { (hint) }
            }
            @if let Some(error) = input.error {
                p id=(error_id) class="govuk-error-message" {
                    span class="govuk-visually-hidden" { "Error: " } (error)
                }
            }
            input class=(input_class) id=(input.name) name=(input.name)
                type=(input.input_type.unwrap_or("text")) value=(input.value)
                autocomplete=[input.autocomplete]
                spellcheck=[input.spellcheck_off.then_some("false")]
                inputmode=[input.numeric.then_some("numeric")]
                aria-describedby=[(!described_by.is_empty()).then(|| described_by.join(" "))];
        }
    }
}

/// A button that says what it does.
pub fn button(text: &str) -> Markup {
    html! { button type="submit" class="govuk-button" data-module="govuk-button" { (text) } }
}

/// A button for a lesser action beside the main one.
pub fn secondary_button(text: &str) -> Markup {
    html! {
        button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button" { (text) }
    }
}

/// A button for an action that removes or ends something.
pub fn warning_button(text: &str) -> Markup {
    html! {
        button type="submit" class="govuk-button govuk-button--warning" data-module="govuk-button" { (text) }
    }
}

/// A form that POSTs to `action` with the CSRF field and `fields`, then one `button`.
pub fn post_form(action: &str, csrf_token: &str, fields: Markup) -> Markup {
    html! {
        form method="post" action=(action) novalidate {
            (csrf_field(csrf_token))
            (fields)
        }
    }
}

/// One row of a summary list: key, value, and optional actions (links or small forms).
pub struct SummaryRow {
    pub key: String,
    pub value: Markup,
    pub action: Option<Markup>,
}

/// GOV.UK's summary list: what we know, key by key.
pub fn summary_list(rows: &[SummaryRow]) -> Markup {
    html! {
        dl class="govuk-summary-list" {
            @for row in rows {
                div class=(if row.action.is_some() { "govuk-summary-list__row" } else { "govuk-summary-list__row govuk-summary-list__row--no-actions" }) {
                    dt class="govuk-summary-list__key" { (row.key) }
                    dd class="govuk-summary-list__value" { (row.value) }
                    @if let Some(action) = &row.action {
                        dd class="govuk-summary-list__actions" { (action) }
                    }
                }
            }
        }
    }
}

/// A notification banner at the top of `main`: `success` for what just happened
/// ("Token created"), otherwise important information.
pub fn notification_banner(title: &str, heading: &str, content: Markup, success: bool) -> Markup {
    let class = if success {
        "govuk-notification-banner govuk-notification-banner--success"
    } else {
        "govuk-notification-banner"
    };
    html! {
        div class=(class) role=(if success { "alert" } else { "region" })
            aria-labelledby="govuk-notification-banner-title" data-module="govuk-notification-banner" {
            div class="govuk-notification-banner__header" {
                h2 class="govuk-notification-banner__title" id="govuk-notification-banner-title" { (title) }
            }
            div class="govuk-notification-banner__content" {
                p class="govuk-notification-banner__heading" { (heading) }
                (content)
            }
        }
    }
}

/// A warning line ("!") that must not be missed.
pub fn warning_text(text: &str) -> Markup {
    html! {
        div class="govuk-warning-text" {
            span class="govuk-warning-text__icon" aria-hidden="true" { "!" }
            strong class="govuk-warning-text__text" {
                span class="govuk-visually-hidden" { "Warning" } (text)
            }
        }
    }
}

/// A wide table's own scroll region: it scrolls inside this focusable region, never the
/// page (320 px wide). Every screen's table goes in one.
pub fn table_region(label: &str, table: Markup) -> Markup {
    html! {
        div class="fl-table-wrapper" role="region" aria-label=(label) tabindex="0" { (table) }
    }
}

/// A table with a caption and column headings (`scope="col"`); each row's first cell is
/// its heading (`scope="row"`).
pub fn table(caption: &str, headings: &[&str], rows: &[Vec<Markup>]) -> Markup {
    table_region(
        caption,
        table_markup(
            caption,
            "govuk-table__caption govuk-table__caption--m",
            headings,
            rows,
        ),
    )
}

/// A table under its own heading (`h2` or `h3`, `heading` text): the caption repeats the
/// heading for screen readers only, so the page's headings list every table, full or
/// empty. Otherwise as `table`.
pub fn headed_table(level: u8, heading: &str, headings: &[&str], rows: &[Vec<Markup>]) -> Markup {
    html! {
        @if level == 2 {
            h2 class="govuk-heading-m" { (heading) }
        } @else {
            h3 class="govuk-heading-m" { (heading) }
        }
        (table_region(heading, table_markup(heading, "govuk-visually-hidden", headings, rows)))
    }
}

fn table_markup(
    caption: &str,
    caption_class: &str,
    headings: &[&str],
    rows: &[Vec<Markup>],
) -> Markup {
    html! {
        table class="govuk-table" {
            caption class=(caption_class) { (caption) }
            thead class="govuk-table__head" {
                tr class="govuk-table__row" {
                    @for heading in headings {
                        th scope="col" class="govuk-table__header" { (heading) }
                    }
                }
            }
            tbody class="govuk-table__body" {
                @for row in rows {
                    tr class="govuk-table__row" {
                        @for (index, cell) in row.iter().enumerate() {
                            @if index == 0 {
                                th scope="row" class="govuk-table__header" { (cell) }
                            } @else {
                                td class="govuk-table__cell" { (cell) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A GOV.UK tag (a status word).
pub fn tag(text: &str, colour: Option<&str>) -> Markup {
    let class = match colour {
        Some(colour) => format!("govuk-tag govuk-tag--{colour}"),
        None => "govuk-tag".to_string(),
    };
    html! { strong class=(class) { (text) } }
}

/// A time (unix seconds) as people read it: "7 December 2026 at 14:05" (UK time).
pub fn when(unix_seconds: i64) -> String {
    use chrono::TimeZone;
    match chrono::Utc.timestamp_opt(unix_seconds, 0).single() {
        Some(instant) => instant
            .with_timezone(&chrono_tz::Europe::London)
            .format("%-d %B %Y at %H:%M")
            .to_string(),
        None => "—".to_string(),
    }
}
