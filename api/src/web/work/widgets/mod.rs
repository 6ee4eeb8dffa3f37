//! The GOV.UK pieces the work screens share beyond `layout.rs`, each once: a posted
//! form's fields, the form page frame (error summary, "Error: " title), links, and how
//! GraphQL's values read on a page (money, dates, enums, prose).
//!
//! - `inputs.rs`: textarea, radios and checkboxes in a fieldset with their legend.
//! - `dates.rs`: GOV.UK's date input and reading a date from its three fields.
//! - `answers.rs`: summary rows and the check-your-answers page.
//!
//! The convention for a form shown again with errors: status 200 (GOV.UK redisplays
//! the page), the error summary first linking each message to its field's id, and
//! "Error: " before the title (`form_page`).

mod answers;
mod dates;
mod inputs;

pub use answers::{change_button, check_answers_page, row, text_row, Check};
pub use dates::{date_fields, date_input, date_of_parts, read_date};
pub use inputs::{choice_group, textarea, Choice, ChoiceGroup};

use std::str::FromStr;

use axum::http::StatusCode;
use axum::response::Response;
use domain::Money;
use maud::{html, Markup};

use crate::web::layout::{self, FieldError};
use crate::web::session::SignedIn;
use crate::web::work::forms::{form_key_field, new_form_key, FORM_KEY_FIELD};
use crate::web::work::gql::Problem;

/// A posted form's fields in order (a name may repeat: checkboxes).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(transparent)]
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// No fields (a form drawn afresh).
    pub fn new() -> Self {
        Self::default()
    }

    /// The first value of `name`, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.as_str())
            .unwrap_or("")
    }

    /// Every value of `name`, in order, empty ones left out.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(field, value)| field == name && !value.trim().is_empty())
            .map(|(_, value)| value.clone())
            .collect()
    }

    /// Sets `name` to `value` (replacing its values).
    pub fn insert(&mut self, name: String, value: String) {
        self.0.retain(|(field, _)| *field != name);
        self.0.push((name, value));
    }

    /// These fields as hidden inputs (a check-answers page carries them forward), leaving
    /// out the CSRF token and the names in `skip`.
    pub fn hidden(&self, skip: &[&str]) -> Markup {
        html! {
            @for (name, value) in &self.0 {
                @if name != crate::web::session::CSRF_FIELD && !skip.contains(&name.as_str()) {
                    input type="hidden" name=(name) value=(value);
                }
            }
        }
    }

    /// The form key these fields carry, or a new one for a form drawn afresh.
    pub fn key_field(&self) -> Markup {
        match self.get(FORM_KEY_FIELD) {
            "" => form_key_field(&new_form_key()),
            key => form_key_field(key),
        }
    }
}

/// A hidden input.
pub fn hidden(name: &str, value: &str) -> Markup {
    html! { input type="hidden" name=(name) value=(value); }
}

/// A whole page for the signed-in person: the title gets "Error: " when `errors` has
/// any, and the error summary comes first. Status 200 either way: a form shown again
/// with its errors is GOV.UK's pattern, not a failure of the request.
pub fn form_page(
    signed_in: &SignedIn,
    title: &str,
    errors: &[FieldError],
    body: Markup,
) -> Response {
    let title = error_title(title, errors);
    let body = html! { (layout::error_summary(errors)) (body) };
    layout::html(
        StatusCode::OK,
        layout::page(&title, signed_in.frame(), body),
    )
}

/// `title`, with "Error: " before it when there are errors.
pub fn error_title(title: &str, errors: &[FieldError]) -> String {
    if errors.is_empty() {
        title.to_string()
    } else {
        format!("Error: {title}")
    }
}

/// A refusal GraphQL gave about what the person typed, as a message beside `field`: the
/// first of `fields` (a word the message names → the input's id) it mentions, else the
/// first field given. `None` when the refusal is not about input (show `problem_page`).
pub fn refusal_beside(problem: &Problem, fields: &[(&str, &str)]) -> Option<FieldError> {
    if !problem.is_about_input() {
        return None;
    }
    let field = fields
        .iter()
        .find(|(word, _)| problem.message.contains(word))
        .or_else(|| fields.first())
        .map(|(_, field)| *field)
        .unwrap_or("main-content");
    Some(FieldError::new(field, problem.sentence()))
}

/// An id as a path segment or query value: percent-encoded, its dashes kept readable
/// (`forms::encode`).
pub use super::forms::encode as segment;

/// A link that looks like a button (a start or next step that is a GET).
pub fn link_button(href: &str, text: &str, secondary: bool) -> Markup {
    let class = if secondary {
        "govuk-button govuk-button--secondary"
    } else {
        "govuk-button"
    };
    html! { a href=(href) role="button" draggable="false" class=(class) data-module="govuk-button" { (text) } }
}

/// GOV.UK's back link.
pub fn back_link(href: &str, text: &str) -> Markup {
    html! { a href=(href) class="govuk-back-link" { (text) } }
}

/// GOV.UK's confirmation panel.
pub fn panel(title: &str, body: Markup) -> Markup {
    html! {
        div class="govuk-panel govuk-panel--confirmation" {
            h1 class="govuk-panel__title" { (title) }
            div class="govuk-panel__body" { (body) }
        }
    }
}

/// `text` with its first letter a capital.
pub fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A date as GraphQL writes it (`2026-12-07`) as people read it: "7 December 2026".
pub fn date(iso: &str) -> String {
    chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d")
        .map(|day| day.format("%-d %B %Y").to_string())
        .unwrap_or_else(|_| iso.to_string())
}

/// Money as GraphQL writes it (`"12000.5"`) as people read it: `£12,000.50`.
pub fn money(plain: &str) -> String {
    Money::from_str(plain)
        .map(|money| money.to_string())
        .unwrap_or_else(|_| plain.to_string())
}

/// An enum value (`DRAWDOWN_REQUESTED`) in words, first letter capital.
pub fn enum_words(value: &str) -> String {
    capitalised(&value.to_lowercase().replace('_', " "))
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
    layout::tag(&enum_words(status), colour)
}

/// Text as its writer laid it out: paragraphs at blank lines, line breaks kept
/// (`.fl-prose`).
pub fn prose(text: &str) -> Markup {
    html! {
        div class="fl-prose" {
            @for paragraph in text.replace("\r\n", "\n").split("\n\n").map(str::trim).filter(|part| !part.is_empty()) {
                p class="govuk-body" { (paragraph) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_dates_and_words_read_as_people_write_them() {
        assert_eq!(money("12000.5"), "£12,000.50");
        assert_eq!(money("1250.00"), "£1,250.00");
        assert_eq!(date("2026-12-07"), "7 December 2026");
        assert_eq!(date("not a date"), "not a date");
        assert_eq!(enum_words("VOLUNTEER_TIME"), "Volunteer time");
        assert_eq!(segment("GB-CHC 1"), "GB-CHC%201");
    }

    #[test]
    fn prose_keeps_paragraphs_and_line_breaks() {
        let markup = prose("First line\nsecond line\n\nNext paragraph").into_string();
        assert_eq!(markup.matches("<p ").count(), 2);
        assert!(markup.contains("First line\nsecond line"));
    }

    #[test]
    fn fields_keep_repeats_and_replace_on_insert() {
        let mut fields = Fields(vec![
            ("themes".into(), "a".into()),
            ("themes".into(), "b".into()),
        ]);
        assert_eq!(fields.all("themes"), vec!["a", "b"]);
        fields.insert("themes".into(), "c".into());
        assert_eq!(fields.get("themes"), "c");
        assert_eq!(fields.get("absent"), "");
    }
}
