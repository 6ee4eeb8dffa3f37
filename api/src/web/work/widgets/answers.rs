//! Summary rows and GOV.UK's check-your-answers page.

use axum::http::StatusCode;
use axum::response::Response;
use maud::{html, Markup};

use super::Fields;
use crate::web::layout::{self, SummaryRow};
use crate::web::session::SignedIn;

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
            (fields.hidden(&["step"]))
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

/// A row's "Change" on a check-your-answers page that carries the answers in its form:
/// a button looking like a link, posting the form to `action` with `change=what` (the
/// handler shows the form again with every answer kept).
pub fn change_button(action: &str, what: &str) -> Markup {
    html! {
        button type="submit" class="fl-link-button govuk-link" formaction=(action) name="change" value=(what) {
            "Change" span class="govuk-visually-hidden" { " " (what.to_lowercase()) }
        }
    }
}
