//! The decision screens' own GOV.UK pieces (textarea, date input, hidden fields, a
//! check-your-answers page) and how they show GraphQL's values: money as `£1,250.00`,
//! dates as "7 December 2026", enums as words.

use std::collections::HashMap;

use axum::http::StatusCode;
use axum::response::Response;
use maud::{html, Markup};

use crate::web::layout::{self, FieldError, SummaryRow};
use crate::web::session::SignedIn;
use crate::web::work::forms::{form_key_field, FORM_KEY_FIELD};

/// A posted form, field by field (absent fields read as empty).
pub type Fields = HashMap<String, String>;

/// A field of a posted form, as written (empty when absent).
pub fn field<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields.get(name).map(String::as_str).unwrap_or("")
}

/// GraphQL's money (`"1250.00"`) as people read it: `£1,250.00`.
pub fn pounds(plain: &str) -> String {
    plain
        .parse::<domain::Money>()
        .map(|money| money.to_string())
        .unwrap_or_else(|_| plain.to_string())
}

/// GraphQL's date (`2026-12-07`) as people read it: "7 December 2026".
pub fn day(iso: &str) -> String {
    chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d")
        .map(|date| date.format("%-d %B %Y").to_string())
        .unwrap_or_else(|_| iso.to_string())
}

/// An enum value (`DRAWDOWN_REQUESTED`) as a word people read ("Drawdown requested").
pub fn words(value: &str) -> String {
    let lower = value.replace('_', " ").to_lowercase();
    let mut chars = lower.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Prose with its line breaks kept (each paragraph its own `p`).
pub fn prose(text: &str) -> Markup {
    html! {
        @for paragraph in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
            p class="govuk-body fl-prose" { (paragraph) }
        }
    }
}

/// A status tag in a colour by how it reads.
pub fn status_tag(status: &str) -> Markup {
    let colour = match status {
        "APPROVED" | "ACTIVE" | "PAID" => Some("green"),
        "DECLINED" | "REJECTED" | "WITHDRAWN" => Some("red"),
        "SUBMITTED" | "REQUESTED" | "OFFERED" => Some("blue"),
        "CLOSED" | "HISTORIC" => Some("grey"),
        _ => None,
    };
    layout::tag(&words(status), colour)
}

/// GOV.UK's textarea with its label (as the page heading when `heading`), hint and error.
pub fn textarea(
    name: &str,
    label: &str,
    hint: Option<&str>,
    value: &str,
    errors: &[FieldError],
) -> Markup {
    let error = layout::error_for(errors, name);
    let hint_id = format!("{name}-hint");
    let error_id = format!("{name}-error");
    let described: Vec<&str> = [
        hint.map(|_| hint_id.as_str()),
        error.map(|_| error_id.as_str()),
    ]
    .into_iter()
    .flatten()
    .collect();
    html! {
        div class=(if error.is_some() { "govuk-form-group govuk-form-group--error" } else { "govuk-form-group" }) {
            label class="govuk-label govuk-label--m" for=(name) { (label) }
            @if let Some(hint) = hint { div id=(hint_id) class="govuk-hint" { (hint) } }
            @if let Some(error) = error {
                p id=(error_id) class="govuk-error-message" {
                    span class="govuk-visually-hidden" { "Error: " } (error)
                }
            }
            textarea class=(if error.is_some() { "govuk-textarea govuk-textarea--error" } else { "govuk-textarea" })
                id=(name) name=(name) rows="5"
                aria-describedby=[(!described.is_empty()).then(|| described.join(" "))] { (value) }
        }
    }
}

/// GOV.UK's date input (day, month, year) named `{name}-day` etc.; the error links to
/// `{name}-day`.
pub fn date_input(
    name: &str,
    legend: &str,
    hint: &str,
    fields: &Fields,
    errors: &[FieldError],
) -> Markup {
    let error = layout::error_for(errors, &format!("{name}-day"));
    let part = |suffix: &str, label: &str, width: &str| {
        let id = format!("{name}-{suffix}");
        let class = format!(
            "govuk-input govuk-date-input__input govuk-input--width-{width}{}",
            if error.is_some() {
                " govuk-input--error"
            } else {
                ""
            }
        );
        html! {
            div class="govuk-date-input__item" {
                div class="govuk-form-group" {
                    label class="govuk-label govuk-date-input__label" for=(id) { (label) }
                    input class=(class) id=(id) name=(id) type="text" inputmode="numeric"
                        value=(field(fields, &id));
                }
            }
        }
    };
    html! {
        div class=(if error.is_some() { "govuk-form-group govuk-form-group--error" } else { "govuk-form-group" }) {
            fieldset class="govuk-fieldset" role="group" aria-describedby=(format!("{name}-hint")) {
                legend class="govuk-fieldset__legend govuk-fieldset__legend--m" { (legend) }
                div id=(format!("{name}-hint")) class="govuk-hint" { (hint) }
                @if let Some(error) = error {
                    p class="govuk-error-message" {
                        span class="govuk-visually-hidden" { "Error: " } (error)
                    }
                }
                div class="govuk-date-input" id=(name) {
                    (part("day", "Day", "2"))
                    (part("month", "Month", "2"))
                    (part("year", "Year", "4"))
                }
            }
        }
    }
}

/// The date a date input holds, as GraphQL's `YYYY-MM-DD`, or a sentence for beside it.
/// (Only reads what was typed; whether the date is allowed is the ledger's to say.)
pub fn read_date(fields: &Fields, name: &str, label: &str) -> Result<String, String> {
    let part = |suffix: &str| {
        field(fields, &format!("{name}-{suffix}"))
            .trim()
            .to_string()
    };
    let (day, month, year) = (part("day"), part("month"), part("year"));
    if day.is_empty() && month.is_empty() && year.is_empty() {
        return Err(format!("Enter the {}", label.to_lowercase()));
    }
    let number = |text: &str| text.parse::<u32>().ok();
    match (number(&day), number(&month), number(&year)) {
        (Some(d), Some(m), Some(y)) if year.len() == 4 => {
            chrono::NaiveDate::from_ymd_opt(y as i32, m, d)
                .map(|date| date.to_string())
                .ok_or_else(|| format!("{label} must be a real date"))
        }
        _ => Err(format!(
            "{label} must be a real date, for example 27 3 2026"
        )),
    }
}

/// The date input's fields for `date` (a form's default).
pub fn date_fields(fields: &mut Fields, name: &str, date: chrono::NaiveDate) {
    use chrono::Datelike;
    fields.insert(format!("{name}-day"), date.day().to_string());
    fields.insert(format!("{name}-month"), date.month().to_string());
    fields.insert(format!("{name}-year"), date.year().to_string());
}

/// Every field of `fields` (but the CSRF token and the step) as hidden inputs: what a
/// check-your-answers page carries forward, form key included.
pub fn hidden_fields(fields: &Fields) -> Markup {
    let mut names: Vec<&String> = fields.keys().collect();
    names.sort();
    html! {
        @for name in names {
            @if name != crate::web::session::CSRF_FIELD && name != "step" {
                input type="hidden" name=(name) value=(fields[name]);
            }
        }
    }
}

/// The form key of a posted form, or a new one for a form drawn afresh.
pub fn key_field(fields: &Fields) -> Markup {
    match fields.get(FORM_KEY_FIELD).filter(|key| !key.is_empty()) {
        Some(key) => form_key_field(key),
        None => form_key_field(&crate::web::work::forms::new_form_key()),
    }
}

/// What a check-your-answers page shows and where it posts.
pub struct Check<'a> {
    pub title: &'a str,
    /// What it is about (the application's or award's title), above the heading.
    pub caption: &'a str,
    pub action: &'a str,
    pub rows: Vec<SummaryRow>,
    /// A warning before the button (what cannot be undone).
    pub warning: Option<&'a str>,
    /// The button's words.
    pub confirm: &'a str,
}

/// A check-your-answers page: its rows, then a form posting `fields` forward with
/// `step=confirm` (the confirm button) or `step=change` (back to the form).
pub fn check_answers_page(signed_in: &SignedIn, check: Check, fields: &Fields) -> Response {
    let body = html! {
        span class="govuk-caption-l" { (check.caption) }
        h1 class="govuk-heading-l" { (check.title) }
        (layout::summary_list(&check.rows))
        @if let Some(warning) = check.warning { (layout::warning_text(warning)) }
        (layout::post_form(check.action, &signed_in.session.csrf_token, html! {
            (hidden_fields(fields))
            div class="govuk-button-group" {
                button type="submit" name="step" value="confirm" class="govuk-button" data-module="govuk-button" { (check.confirm) }
                button type="submit" name="step" value="change" class="govuk-button govuk-button--secondary" data-module="govuk-button" { "Change your answers" }
            }
        }))
    };
    layout::html(
        StatusCode::OK,
        layout::page(check.title, signed_in.frame(), body),
    )
}

/// A form page: the error summary first, "Error: " in the title when there are errors.
pub fn form_page(
    signed_in: &SignedIn,
    title: &str,
    errors: &[FieldError],
    body: Markup,
) -> Response {
    let full_title = if errors.is_empty() {
        title.to_string()
    } else {
        format!("Error: {title}")
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let body = html! { (layout::error_summary(errors)) (body) };
    layout::html(status, layout::page(&full_title, signed_in.frame(), body))
}

/// A summary row without an action.
pub fn row(key: &str, value: Markup) -> SummaryRow {
    SummaryRow {
        key: key.to_string(),
        value,
        action: None,
    }
}

/// A summary row of plain text.
pub fn text_row(key: &str, value: &str) -> SummaryRow {
    row(key, html! { (value) })
}

/// A back link.
pub fn back_link(href: &str, text: &str) -> Markup {
    html! { a class="govuk-back-link" href=(href) { (text) } }
}
