//! GOV.UK form pieces the panel's and the voter's pages need beyond `layout.rs`: radios,
//! a textarea and checkboxes (each in a fieldset with its legend, hint and error), and
//! how money and dates read on a page.

use maud::{html, Markup};

/// One choice of a radio or checkbox group.
pub struct Choice<'a> {
    pub value: &'a str,
    pub label: &'a str,
    pub hint: Option<&'a str>,
}

/// A question answered by choosing: radios (one) or checkboxes (several).
pub struct ChoiceGroup<'a> {
    /// The inputs' `name`; the first input's `id` is `name` (the error summary links to
    /// it), the others `{name}-{n}`.
    pub name: &'a str,
    pub legend: &'a str,
    pub legend_is_heading: bool,
    pub hint: Option<&'a str>,
    pub error: Option<&'a str>,
    pub choices: &'a [Choice<'a>],
    /// The values chosen now.
    pub chosen: &'a [String],
    pub multiple: bool,
}

/// GOV.UK's radios or checkboxes, in a fieldset whose legend asks the question.
pub fn choice_group(group: &ChoiceGroup) -> Markup {
    let hint_id = format!("{}-hint", group.name);
    let error_id = format!("{}-error", group.name);
    let described_by: Vec<&str> = [
        group.hint.map(|_| hint_id.as_str()),
        group.error.map(|_| error_id.as_str()),
    ]
    .into_iter()
    .flatten()
    .collect();
    let (kind, input_type) = if group.multiple {
        ("checkboxes", "checkbox")
    } else {
        ("radios", "radio")
    };
    let legend_class = if group.legend_is_heading {
        "govuk-fieldset__legend govuk-fieldset__legend--l"
    } else {
        "govuk-fieldset__legend govuk-fieldset__legend--m"
    };
    html! {
        div class=(group_class(group.error.is_some())) {
            fieldset class="govuk-fieldset"
                aria-describedby=[(!described_by.is_empty()).then(|| described_by.join(" "))] {
                legend class=(legend_class) {
                    @if group.legend_is_heading {
                        h1 class="govuk-fieldset__heading" { (group.legend) }
                    } @else {
                        (group.legend)
                    }
                }
                @if let Some(hint) = group.hint {
                    div id=(hint_id) class="govuk-hint" { (hint) }
                }
                @if let Some(error) = group.error {
                    p id=(error_id) class="govuk-error-message" {
                        span class="govuk-visually-hidden" { "Error: " } (error)
                    }
                }
                div class=(format!("govuk-{kind}")) data-module=(format!("govuk-{kind}")) {
                    @for (index, choice) in group.choices.iter().enumerate() {
                        @let id = if index == 0 { group.name.to_string() } else { format!("{}-{}", group.name, index + 1) };
                        @let item_hint = format!("{id}-item-hint");
                        div class=(format!("govuk-{kind}__item")) {
                            input class=(format!("govuk-{kind}__input")) id=(id) name=(group.name)
                                type=(input_type) value=(choice.value)
                                checked[group.chosen.iter().any(|chosen| chosen == choice.value)]
                                aria-describedby=[choice.hint.map(|_| item_hint.as_str())];
                            label class=(format!("govuk-label govuk-{kind}__label")) for=(id) { (choice.label) }
                            @if let Some(hint) = choice.hint {
                                div id=(item_hint) class=(format!("govuk-hint govuk-{kind}__hint")) { (hint) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A labelled textarea with its hint and error (GOV.UK's textarea).
pub fn textarea(
    name: &str,
    label: &str,
    hint: Option<&str>,
    value: &str,
    error: Option<&str>,
) -> Markup {
    let hint_id = format!("{name}-hint");
    let error_id = format!("{name}-error");
    let described_by: Vec<&str> = [
        hint.map(|_| hint_id.as_str()),
        error.map(|_| error_id.as_str()),
    ]
    .into_iter()
    .flatten()
    .collect();
    let class = if error.is_some() {
        "govuk-textarea govuk-textarea--error"
    } else {
        "govuk-textarea"
    };
    html! {
        div class=(group_class(error.is_some())) {
            label class="govuk-label govuk-label--m" for=(name) { (label) }
            @if let Some(hint) = hint {
                div id=(hint_id) class="govuk-hint" { (hint) }
            }
            @if let Some(error) = error {
                p id=(error_id) class="govuk-error-message" {
                    span class="govuk-visually-hidden" { "Error: " } (error)
                }
            }
            textarea class=(class) id=(name) name=(name) rows="5"
                aria-describedby=[(!described_by.is_empty()).then(|| described_by.join(" "))] { (value) }
        }
    }
}

fn group_class(has_error: bool) -> &'static str {
    if has_error {
        "govuk-form-group govuk-form-group--error"
    } else {
        "govuk-form-group"
    }
}

/// Money as GraphQL writes it (`"12000.5"`) as people read it: `£12,000.50`.
pub fn money(plain: &str) -> String {
    plain
        .parse::<domain::Money>()
        .map(|money| money.to_string())
        .unwrap_or_else(|_| plain.to_string())
}

/// A date as GraphQL writes it (`2026-12-07`) as people read it: `7 December 2026`.
pub fn date(iso: &str) -> String {
    chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d")
        .map(|day| day.format("%-d %B %Y").to_string())
        .unwrap_or_else(|_| iso.to_string())
}

/// Text as its writer laid it out: paragraphs at blank lines, line breaks kept.
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
    fn money_and_dates_read_as_people_write_them() {
        assert_eq!(money("12000.5"), "£12,000.50");
        assert_eq!(date("2026-12-07"), "7 December 2026");
        assert_eq!(date("not a date"), "not a date");
    }

    #[test]
    fn prose_keeps_paragraphs_and_line_breaks() {
        let markup = prose("First line\nsecond line\n\nNext paragraph").into_string();
        assert_eq!(markup.matches("<p ").count(), 2);
        assert!(markup.contains("First line\nsecond line"));
    }
}
