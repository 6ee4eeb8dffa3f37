//! The ballot's pages: the code, the choice, the check, the receipt, and a closed vote.

use axum::http::StatusCode;
use axum::response::Response;
use maud::{html, Markup};

use super::{BallotForm, Candidate, VoteRound};
use crate::server::http::App;
use crate::web::layout::{
    self, button, csrf_field, error_for, error_summary, page, secondary_button, summary_list,
    text_input, warning_text, FieldError, SummaryRow, TextInput,
};
use crate::web::work::forms::form_key_field;
use crate::web::work::places::place_name;
use crate::web::work::widgets::{
    choice_group, date, error_title, money, segment, Choice, ChoiceGroup,
};

/// What every step's page needs: the round, the double-submit token, the ballot so far
/// and what was refused.
pub struct Step<'a> {
    pub round: &'a VoteRound,
    pub token: &'a str,
    pub form: &'a BallotForm,
    pub errors: &'a [FieldError],
}

impl<'a> Step<'a> {
    pub fn new(
        round: &'a VoteRound,
        token: &'a str,
        form: &'a BallotForm,
        errors: &'a [FieldError],
    ) -> Step<'a> {
        Step {
            round,
            token,
            form,
            errors,
        }
    }

    fn title(&self, title: &str) -> String {
        error_title(title, self.errors)
    }

    fn action(&self, step: &str) -> String {
        format!("/vote/{}/{step}", segment(&self.round.id))
    }

    /// The hidden fields carrying the code (and the choices) to the next step.
    fn carried(&self, with_choices: bool) -> Markup {
        html! {
            (csrf_field(self.token))
            input type="hidden" name="ballot_code" value=(self.form.ballot_code);
            @if with_choices {
                @for choice in &self.form.choices {
                    input type="hidden" name="choice" value=(choice);
                }
            }
        }
    }
}

fn max_choices() -> usize {
    domain::ballot::MAX_CHOICES_PER_BALLOT
}

fn narrow(body: Markup) -> Markup {
    html! { div class="govuk-grid-row" { div class="govuk-grid-column-two-thirds" { (body) } } }
}

/// Step 1: the round, how voting works, and the code.
pub fn code_form(step: &Step, status: StatusCode) -> Response {
    let round = step.round;
    let body = narrow(html! {
        (error_summary(step.errors))
        span class="govuk-caption-l" { (round.fund.as_ref().map_or("", |fund| fund.name.as_str())) }
        h1 class="govuk-heading-l" { "Vote in " (round.name) }
        p class="govuk-body" { "Residents choose which local projects this round funds. How it works:" }
        ol class="govuk-list govuk-list--number" {
            li { "Enter the code from your ballot card." }
            li { "Choose up to " (max_choices()) " projects you want funded." }
            li { "Check your choices and cast your vote. You cannot change it afterwards." }
        }
        p class="govuk-body" {
            "When voting closes, the projects with the most votes are funded in order while the budget lasts. "
            "The round closes on " (date(&round.closes_on)) "."
        }
        form method="post" action=(step.action("choose")) novalidate {
            (csrf_field(step.token))
            (text_input(&TextInput {
                name: "ballot_code",
                label: "Your ballot code",
                hint: Some("16 letters and numbers, like ABCD-EFGH-JKMN-PQRS. Capital letters, spaces and dashes do not matter."),
                value: &step.form.ballot_code,
                error: error_for(step.errors, "ballot_code"),
                autocomplete: Some("off"),
                spellcheck_off: true,
                width_class: Some("govuk-input--width-20"),
                ..TextInput::default()
            }))
            (button("Continue"))
        }
        p class="govuk-body" { "Your code is secret: it is your vote. Nobody can see how you voted." }
    });
    layout::html(
        status,
        page(&step.title(&format!("Vote in {}", round.name)), None, body),
    )
}

/// The place an application is in, by name.
async fn place(app: &App, candidate: &Candidate) -> String {
    place_name(app, &candidate.neighbourhood)
        .await
        .map_or_else(|| "Place not named".to_string(), |place| place.name)
}

/// Step 2: the projects in contention as checkboxes.
pub async fn choose_form(app: &App, step: &Step<'_>, status: StatusCode) -> Response {
    let mut hints = Vec::new();
    for candidate in step.round.in_contention() {
        hints.push(format!(
            "{} \u{b7} {} \u{b7} {}",
            candidate.applicant_name,
            place(app, candidate).await,
            money(&candidate.amount_requested)
        ));
    }
    let choices: Vec<Choice> = step
        .round
        .in_contention()
        .zip(&hints)
        .map(|(candidate, hint)| Choice {
            value: &candidate.id,
            label: &candidate.title,
            hint: Some(hint.as_str()),
        })
        .collect();
    let legend = format!("Choose up to {} projects", max_choices());
    let hint = format!(
        "Choose at least 1 and at most {}. Each project is shown with the group running it, where it is, and what it asks for.",
        max_choices()
    );
    let body = narrow(html! {
        (error_summary(step.errors))
        span class="govuk-caption-l" { (step.round.name) }
        @if choices.is_empty() {
            h1 class="govuk-heading-l" { "There are no projects to vote for" }
            p class="govuk-body" { "No projects are in contention in this round yet. Try again later." }
        } @else {
            form method="post" action=(step.action("check")) novalidate {
                (step.carried(false))
                (choice_group(&ChoiceGroup {
                    name: "choice",
                    legend: &legend,
                    legend_is_heading: true,
                    hint: Some(&hint),
                    error: error_for(step.errors, "choice"),
                    choices: &choices,
                    chosen: &step.form.choices,
                    multiple: true,
                }))
                (button("Continue"))
            }
        }
    });
    layout::html(
        status,
        page(
            &step.title(&format!("Choose projects – {}", step.round.name)),
            None,
            body,
        ),
    )
}

/// Step 3: check your vote; casting carries a form key (one cast, however often sent).
pub fn check_page(step: &Step) -> Response {
    let chosen: Vec<&Candidate> = chosen(step.round, &step.form.choices);
    let rows: Vec<SummaryRow> = chosen
        .iter()
        .enumerate()
        .map(|(index, candidate)| SummaryRow {
            key: format!("Choice {}", index + 1),
            value: html! { (candidate.title) br; span class="govuk-hint" { (candidate.applicant_name) ", " (money(&candidate.amount_requested)) } },
            action: None,
        })
        .collect();
    let body = narrow(html! {
        span class="govuk-caption-l" { (step.round.name) }
        h1 class="govuk-heading-l" { "Check your vote" }
        p class="govuk-body" { "You are voting for:" }
        (summary_list(&rows))
        form method="post" action=(step.action("choose")) novalidate {
            (step.carried(true))
            (secondary_button("Change your choices"))
        }
        (warning_text("You cannot change your vote after you cast it."))
        form method="post" action=(step.action("cast")) novalidate {
            (step.carried(true))
            (form_key_field(&step.form.form_key))
            (button("Cast my vote"))
        }
    });
    layout::html(
        StatusCode::OK,
        page(
            &format!("Check your vote – {}", step.round.name),
            None,
            body,
        ),
    )
}

fn chosen<'a>(round: &'a VoteRound, choices: &[String]) -> Vec<&'a Candidate> {
    choices
        .iter()
        .filter_map(|id| {
            round
                .applications
                .iter()
                .find(|candidate| &candidate.id == id)
        })
        .collect()
}

/// Step 4: the receipt.
pub async fn receipt(app: &App, round: &VoteRound, form: &BallotForm, position: i64) -> Response {
    let mut voted = Vec::new();
    for candidate in chosen(round, &form.choices) {
        voted.push((candidate, place(app, candidate).await));
    }
    let body = narrow(html! {
        div class="govuk-panel govuk-panel--confirmation" {
            h1 class="govuk-panel__title" { "Your vote has been cast" }
            div class="govuk-panel__body" {
                "Your receipt reference" br; strong id="receipt-reference" { (position) }
            }
        }
        p class="govuk-body" { "You voted in " (round.name) " for:" }
        ul class="govuk-list govuk-list--bullet" id="voted-for" {
            @for (candidate, place) in &voted {
                li { (candidate.title) " (" (candidate.applicant_name) ", " (place) ")" }
            }
        }
        p class="govuk-body" {
            "Keep this page (print it or take a screenshot) as your record. "
            "Your ballot code has now been used and cannot vote again."
        }
        h2 class="govuk-heading-m" { "What happens next" }
        p class="govuk-body" {
            "When voting closes, the votes are counted and the projects with the most votes are funded "
            "in order while the budget lasts. The grants made are published."
        }
        p class="govuk-body" { a class="govuk-link" href="/" { "See the published grants" } }
    });
    layout::html(
        StatusCode::OK,
        page(
            &format!("Your vote has been cast – {}", round.name),
            None,
            body,
        ),
    )
}

/// A round that takes no more votes.
pub fn closed_page(round: &VoteRound) -> Response {
    layout::error_page(
        StatusCode::OK,
        "Voting has closed",
        html! {
            p class="govuk-body" { "Voting in " (round.name) " has closed, so no more votes can be cast. Nothing was changed." }
            p class="govuk-body" { a class="govuk-link" href="/" { "See the published grants" } }
        },
        None,
    )
}
