//! The GOV.UK pieces the group's screens need beyond `layout.rs`: a form's fields as
//! posted (checkboxes repeat a name), textarea, checkboxes, radios, date input, a
//! confirmation panel, and money, dates and statuses in words.

use std::str::FromStr;

use domain::Money;
use maud::{html, Markup};

/// A posted form's fields in order (a name may repeat: checkboxes).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(transparent)]
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
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

    /// These fields as hidden inputs (a check-answers page carries them forward), leaving
    /// out the CSRF token and `skip`.
    pub fn hidden(&self, skip: &[&str]) -> Markup {
        html! {
            @for (name, value) in &self.0 {
                @if name != crate::web::session::CSRF_FIELD && !skip.contains(&name.as_str()) {
                    input type="hidden" name=(name) value=(value);
                }
            }
        }
    }
}

/// A hidden input.
pub fn hidden(name: &str, value: &str) -> Markup {
    html! { input type="hidden" name=(name) value=(value); }
}

fn error_message(name: &str, error: Option<&str>) -> Markup {
    html! {
        @if let Some(error) = error {
            p id={ (name) "-error" } class="govuk-error-message" {
                span class="govuk-visually-hidden" { "Error: " } (error)
            }
        }
    }
}

fn group_class(error: Option<&str>) -> &'static str {
    if error.is_some() {
        "govuk-form-group govuk-form-group--error"
    } else {
        "govuk-form-group"
    }
}

fn described_by(name: &str, hint: Option<&str>, error: Option<&str>) -> Option<String> {
    let ids: Vec<String> = [
        hint.map(|_| format!("{name}-hint")),
        error.map(|_| format!("{name}-error")),
    ]
    .into_iter()
    .flatten()
    .collect();
    (!ids.is_empty()).then(|| ids.join(" "))
}

/// GOV.UK's textarea.
pub fn textarea(
    name: &str,
    label: &str,
    hint: Option<&str>,
    value: &str,
    error: Option<&str>,
) -> Markup {
    let class = if error.is_some() {
        "govuk-textarea govuk-textarea--error"
    } else {
        "govuk-textarea"
    };
    html! {
        div class=(group_class(error)) {
            label class="govuk-label govuk-label--s" for=(name) { (label) }
            @if let Some(hint) = hint { div id={ (name) "-hint" } class="govuk-hint" { (hint) } }
            (error_message(name, error))
            textarea class=(class) id=(name) name=(name) rows="6"
                aria-describedby=[described_by(name, hint, error)] { (value) }
        }
    }
}

/// One choice of a set of radios or checkboxes: its value and its label.
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// A fieldset of checkboxes or radios (`kind`: "checkbox" or "radio"); the first input's
/// id is `name` (the error summary links to it).
pub fn choices(
    kind: &str,
    name: &str,
    legend: &str,
    hint: Option<&str>,
    options: &[Choice],
    chosen: &[String],
    error: Option<&str>,
) -> Markup {
    let (outer, item, input_class, label_class) = if kind == "radio" {
        (
            "govuk-radios",
            "govuk-radios__item",
            "govuk-radios__input",
            "govuk-label govuk-radios__label",
        )
    } else {
        (
            "govuk-checkboxes",
            "govuk-checkboxes__item",
            "govuk-checkboxes__input",
            "govuk-label govuk-checkboxes__label",
        )
    };
    html! {
        div class=(group_class(error)) {
            fieldset class="govuk-fieldset" aria-describedby=[described_by(name, hint, error)] {
                legend class="govuk-fieldset__legend govuk-fieldset__legend--s" { (legend) }
                @if let Some(hint) = hint { div id={ (name) "-hint" } class="govuk-hint" { (hint) } }
                (error_message(name, error))
                div class=(outer) data-module=(outer) {
                    @for (index, option) in options.iter().enumerate() {
                        @let id = if index == 0 { name.to_string() } else { format!("{name}-{index}") };
                        div class=(item) {
                            input class=(input_class) id=(id) name=(name) type=(kind) value=(option.value)
                                checked[chosen.contains(&option.value)];
                            label class=(label_class) for=(id) { (option.label) }
                        }
                    }
                }
            }
        }
    }
}

/// GOV.UK's date input: fields `{name}-day`, `{name}-month`, `{name}-year`.
pub fn date_input(
    name: &str,
    legend: &str,
    hint: Option<&str>,
    fields: &Fields,
    error: Option<&str>,
) -> Markup {
    let part = |suffix: &str, label: &str, width: &str| {
        let id = format!("{name}-{suffix}");
        let class = format!(
            "govuk-input govuk-date-input__input {width}{}",
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
                        value=(fields.get(&id));
                }
            }
        }
    };
    html! {
        div class=(group_class(error)) {
            fieldset class="govuk-fieldset" role="group" aria-describedby=[described_by(name, hint, error)] {
                legend class="govuk-fieldset__legend govuk-fieldset__legend--s" { (legend) }
                @if let Some(hint) = hint { div id={ (name) "-hint" } class="govuk-hint" { (hint) } }
                (error_message(name, error))
                div class="govuk-date-input" id=(name) {
                    (part("day", "Day", "govuk-input--width-2"))
                    (part("month", "Month", "govuk-input--width-2"))
                    (part("year", "Year", "govuk-input--width-4"))
                }
            }
        }
    }
}

/// The date a date input holds, as GraphQL takes it (`YYYY-MM-DD`), or a sentence for
/// beside the field (`label` in lower case: "the start date").
pub fn read_date(fields: &Fields, name: &str, label: &str) -> Result<String, String> {
    let part = |suffix: &str| fields.get(&format!("{name}-{suffix}")).trim().to_string();
    let (day, month, year) = (part("day"), part("month"), part("year"));
    if day.is_empty() && month.is_empty() && year.is_empty() {
        return Err(format!("Enter {label}"));
    }
    let number = |text: &str| text.parse::<u32>().ok();
    let date = match (number(&day), number(&month), number(&year)) {
        (Some(day), Some(month), Some(year)) if year >= 1000 => {
            chrono::NaiveDate::from_ymd_opt(year as i32, month, day)
        }
        _ => None,
    };
    date.map(|date| date.format("%Y-%m-%d").to_string())
        .ok_or_else(|| format!("{} must be a real date, like 27 3 2026", capitalised(label)))
}

/// The date-input fields for `iso` (`YYYY-MM-DD`), to fill a form.
pub fn date_fields(name: &str, iso: &str) -> Vec<(String, String)> {
    match chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d") {
        Ok(date) => vec![
            (format!("{name}-day"), date.format("%-d").to_string()),
            (format!("{name}-month"), date.format("%-m").to_string()),
            (format!("{name}-year"), date.format("%Y").to_string()),
        ],
        Err(_) => Vec::new(),
    }
}

pub fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A date (`YYYY-MM-DD`) as people read it: "7 December 2026".
pub fn date_words(iso: &str) -> String {
    chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d")
        .map(|date| date.format("%-d %B %Y").to_string())
        .unwrap_or_else(|_| iso.to_string())
}

/// An amount as GraphQL writes it (`1250.00`) as people read it: "£1,250.00".
pub fn money_words(plain: &str) -> String {
    Money::from_str(plain)
        .map(|money| money.to_string())
        .unwrap_or_else(|_| format!("£{plain}"))
}

/// A status enum (`SUBMITTED`, `VOLUNTEER_TIME`) in words, first letter capital.
pub fn enum_words(value: &str) -> String {
    capitalised(&value.to_lowercase().replace('_', " "))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        Fields(
            pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
        )
    }

    #[test]
    fn dates_are_read_from_their_three_fields() {
        let form = fields(&[("on-day", "7"), ("on-month", "12"), ("on-year", "2026")]);
        assert_eq!(read_date(&form, "on", "the date").unwrap(), "2026-12-07");
        let bad = fields(&[("on-day", "31"), ("on-month", "2"), ("on-year", "2026")]);
        assert!(read_date(&bad, "on", "the date")
            .unwrap_err()
            .contains("real date"));
        assert_eq!(
            read_date(&Fields::default(), "on", "the date").unwrap_err(),
            "Enter the date"
        );
        assert_eq!(date_words("2026-12-07"), "7 December 2026");
        assert_eq!(money_words("1250.00"), "£1,250.00");
        assert_eq!(enum_words("VOLUNTEER_TIME"), "Volunteer time");
    }
}
