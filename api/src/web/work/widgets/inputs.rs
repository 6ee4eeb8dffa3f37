//! GOV.UK's textarea, radios and checkboxes, each with its label or legend, hint and
//! error; the error summary links to the input's id (the first input's for a group).

use maud::{html, Markup};

pub(super) fn group_class(has_error: bool) -> &'static str {
    if has_error {
        "govuk-form-group govuk-form-group--error"
    } else {
        "govuk-form-group"
    }
}

/// `aria-describedby` for a question: its hint and its error, when it has them.
pub(super) fn described_by(name: &str, hint: Option<&str>, error: Option<&str>) -> Option<String> {
    let ids: Vec<String> = [
        hint.map(|_| format!("{name}-hint")),
        error.map(|_| format!("{name}-error")),
    ]
    .into_iter()
    .flatten()
    .collect();
    (!ids.is_empty()).then(|| ids.join(" "))
}

/// The hint and error of a question named `name`.
pub(super) fn hint_and_error(name: &str, hint: Option<&str>, error: Option<&str>) -> Markup {
    html! {
        @if let Some(hint) = hint {
            div id={ (name) "-hint" } class="govuk-hint" { (hint) }
        }
        @if let Some(error) = error {
            p id={ (name) "-error" } class="govuk-error-message" {
                span class="govuk-visually-hidden" { "Error: " } (error)
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
    let class = if error.is_some() {
        "govuk-textarea govuk-textarea--error"
    } else {
        "govuk-textarea"
    };
    html! {
        div class=(group_class(error.is_some())) {
            label class="govuk-label govuk-label--m" for=(name) { (label) }
            (hint_and_error(name, hint, error))
            textarea class=(class) id=(name) name=(name) rows="5"
                aria-describedby=[described_by(name, hint, error)] { (value) }
        }
    }
}

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
    let kind = if group.multiple {
        "checkboxes"
    } else {
        "radios"
    };
    let legend_class = if group.legend_is_heading {
        "govuk-fieldset__legend govuk-fieldset__legend--l"
    } else {
        "govuk-fieldset__legend govuk-fieldset__legend--m"
    };
    html! {
        div class=(group_class(group.error.is_some())) {
            fieldset class="govuk-fieldset"
                aria-describedby=[described_by(group.name, group.hint, group.error)] {
                legend class=(legend_class) {
                    @if group.legend_is_heading {
                        h1 class="govuk-fieldset__heading" { (group.legend) }
                    } @else {
                        (group.legend)
                    }
                }
                (hint_and_error(group.name, group.hint, group.error))
                div class=(format!("govuk-{kind}")) data-module=(format!("govuk-{kind}")) {
                    @for (index, choice) in group.choices.iter().enumerate() {
                        (choice_item(group, kind, index, choice))
                    }
                }
            }
        }
    }
}

fn choice_item(group: &ChoiceGroup, kind: &str, index: usize, choice: &Choice) -> Markup {
    let id = if index == 0 {
        group.name.to_string()
    } else {
        format!("{}-{}", group.name, index + 1)
    };
    let item_hint = format!("{id}-item-hint");
    let input_type = if group.multiple { "checkbox" } else { "radio" };
    html! {
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
