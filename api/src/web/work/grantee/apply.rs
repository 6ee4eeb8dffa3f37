//! Applying to a round: `/groups/{org}/rounds/{round}/apply` (where: the neighbourhood,
//! chosen by name or from a map through the places chooser, never a typed code), then
//! `…/apply/project` (title, description, amount as written, themes from the round's
//! list, the group's name the first time), check your answers (each answer with a
//! Change), and `…/apply/submit` (`submitApplication` under the form's key) → the
//! application's page with "Application received". GraphQL's refusals (a place the round
//! does not fund, a closed round) come back beside the answer they are about.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::json;

use super::home::places_in_words;
use super::{application_path, apply_path, group_path};
use crate::server::http::App;
use crate::web::layout::{self, error_for, text_input, FieldError, SummaryRow, TextInput};
use crate::web::session::{SignedIn, SignedInForm};
use crate::web::work::forms::{form_key_field, idempotency_key, new_form_key, FORM_KEY_FIELD};
use crate::web::work::gql::{self, problem_page, Problem};
use crate::web::work::money::{read_money, MONEY_HINT};
use crate::web::work::places::{self, PlaceMatch};
use crate::web::work::widgets::{
    self, back_link, change_button, choice_group, form_page, hidden, link_button, money, prose,
    refusal_beside, segment, textarea, Choice, ChoiceGroup, Fields,
};

const ROUND: &str = "query($org: String!, $round: String!) { \
    group(organisationId: $org) { name } \
    round(id: $round) { id name status closesOn themes eligibleAreas fund { name } } }";

const SUBMIT: &str = "mutation($input: SubmitApplicationInput!) { \
    submitApplication(input: $input) { position applicationId } }";

#[derive(Debug, Deserialize)]
struct RoundAnswer {
    group: GroupName,
    round: Option<RoundInfo>,
}

#[derive(Debug, Deserialize)]
struct GroupName {
    name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RoundInfo {
    id: String,
    name: String,
    status: String,
    closes_on: String,
    themes: Vec<String>,
    eligible_areas: Vec<String>,
    fund: Option<super::home::FundName>,
}

/// What every step of applying shows: the round, the group's known name, the places the
/// round funds in words, and the place chosen (if any).
struct Applying {
    org: String,
    round: RoundInfo,
    group_name: Option<String>,
    places: String,
    place: Option<PlaceMatch>,
}

#[derive(Debug, Deserialize, Default)]
pub struct PlaceQuery {
    #[serde(default)]
    place: String,
}

async fn applying(
    app: &App,
    signed_in: &SignedIn,
    org: &str,
    round: &str,
    place: &str,
) -> Result<Applying, Problem> {
    let answer: RoundAnswer =
        gql::read(app, signed_in, ROUND, json!({ "org": org, "round": round })).await?;
    let round = answer
        .round
        .ok_or_else(|| Problem::new("NOT_FOUND", "no such round"))?;
    let places = places_in_words(app, &round.eligible_areas).await;
    let place = if place.trim().is_empty() {
        None
    } else {
        places::place_name(app, place.trim()).await
    };
    Ok(Applying {
        org: org.to_string(),
        round,
        group_name: answer.group.name,
        places,
        place,
    })
}

fn caption(applying: &Applying) -> Markup {
    html! {
        span class="govuk-caption-l" {
            (applying.round.name)
            @if let Some(fund) = &applying.round.fund { ", " (fund.name) }
        }
    }
}

fn place_words(place: &PlaceMatch) -> String {
    if place.context.is_empty() {
        place.name.clone()
    } else {
        format!("{} ({})", place.name, place.context)
    }
}

/// The chooser's link, coming back to the first step with the place chosen.
fn chooser(applying: &Applying) -> String {
    places::chooser_link(&apply_path(&applying.org, &applying.round.id), "lsoa")
}

/// `GET …/apply[?place=CODE]`: where the project will happen.
pub async fn where_page(
    State(app): State<App>,
    Path((org, round)): Path<(String, String)>,
    Query(query): Query<PlaceQuery>,
    signed_in: SignedIn,
) -> Response {
    let applying = match applying(&app, &signed_in, &org, &round, &query.place).await {
        Ok(applying) => applying,
        Err(problem) => return problem_page(Some(&signed_in), &problem),
    };
    let unknown = !query.place.trim().is_empty() && applying.place.is_none();
    let errors: Vec<FieldError> = if unknown {
        vec![FieldError::new(
            "place",
            "Choose the neighbourhood from the list or the map",
        )]
    } else {
        Vec::new()
    };
    let body = html! {
        (back_link(&group_path(&org), "Back to your group"))
        (caption(&applying))
        h1 class="govuk-heading-l" { "Where will your project happen?" }
        @if applying.round.status != "OPEN" {
            (layout::warning_text("This round is closed: it no longer takes applications."))
        }
        p class="govuk-body" { "This round funds projects in: " (applying.places) "." }
        p class="govuk-body" { "Choose the neighbourhood your project will work in, by its name or from a map." }
        @if let Some(place) = &applying.place {
            dl class="govuk-summary-list" id="place" {
                div class="govuk-summary-list__row" {
                    dt class="govuk-summary-list__key" { "Neighbourhood" }
                    dd class="govuk-summary-list__value" { (place_words(place)) }
                    dd class="govuk-summary-list__actions" {
                        a class="govuk-link" href=(chooser(&applying)) { "Change" span class="govuk-visually-hidden" { " the neighbourhood" } }
                    }
                }
            }
            (link_button(&format!("{}/project?place={}", apply_path(&org, &round), segment(&place.code)), "Continue", false))
        } @else {
            @if unknown { p id="place" class="govuk-error-message" { span class="govuk-visually-hidden" { "Error: " } "Choose the neighbourhood from the list or the map" } }
            (link_button(&chooser(&applying), "Choose the neighbourhood", false))
        }
    };
    form_page(&signed_in, "Where will your project happen?", &errors, body)
}

/// `GET …/apply/project?place=CODE`: the project's questions, empty.
pub async fn project_page(
    State(app): State<App>,
    Path((org, round)): Path<(String, String)>,
    Query(query): Query<PlaceQuery>,
    signed_in: SignedIn,
) -> Response {
    let applying = match applying(&app, &signed_in, &org, &round, &query.place).await {
        Ok(applying) => applying,
        Err(problem) => return problem_page(Some(&signed_in), &problem),
    };
    let fields = Fields(vec![
        ("place".to_string(), query.place.clone()),
        (FORM_KEY_FIELD.to_string(), new_form_key()),
    ]);
    project_form(&signed_in, &applying, &fields, &[])
}

fn project_form(
    signed_in: &SignedIn,
    applying: &Applying,
    fields: &Fields,
    errors: &[FieldError],
) -> Response {
    let action = format!("{}/project", apply_path(&applying.org, &applying.round.id));
    let theme_labels: Vec<String> = applying
        .round
        .themes
        .iter()
        .map(|theme| widgets::capitalised(theme))
        .collect();
    let theme_choices: Vec<Choice> = applying
        .round
        .themes
        .iter()
        .zip(&theme_labels)
        .map(|(theme, label)| Choice {
            value: theme,
            label,
            hint: None,
        })
        .collect();
    let form_key = match fields.get(FORM_KEY_FIELD) {
        "" => new_form_key(),
        key => key.to_string(),
    };
    let body = html! {
        (back_link(&apply_path(&applying.org, &applying.round.id), "Back"))
        (caption(applying))
        h1 class="govuk-heading-l" { "About your project" }
        @if let Some(error) = error_for(errors, "round") {
            p id="round" class="govuk-error-message" { span class="govuk-visually-hidden" { "Error: " } (error) }
        }
        (place_row(applying, error_for(errors, "place")))
        (layout::post_form(&action, &signed_in.session.csrf_token, html! {
            (hidden("place", fields.get("place")))
            (form_key_field(&form_key))
            @if applying.group_name.is_none() {
                (text_input(&TextInput { name: "group_name", label: "Your group's name", hint: Some("As you would like the fund to name it, for example Orchard Park Community Larder"), value: fields.get("group_name"), error: error_for(errors, "group_name"), ..TextInput::default() }))
            }
            (text_input(&TextInput { name: "title", label: "Project title", hint: Some("A short name for the project, for example Saturday breakfast club"), value: fields.get("title"), error: error_for(errors, "title"), ..TextInput::default() }))
            (textarea("description", "What will the project do?", Some("Who it is for, what you will do and what difference it will make"), fields.get("description"), error_for(errors, "description")))
            (text_input(&TextInput { name: "amount", label: "How much are you asking for?", hint: Some(MONEY_HINT), value: fields.get("amount"), error: error_for(errors, "amount"), width_class: Some("govuk-input--width-10"), ..TextInput::default() }))
            @if !theme_choices.is_empty() {
                (choice_group(&ChoiceGroup { name: "themes", legend: "Which of the round's themes does it fit?", legend_is_heading: false, hint: Some("Select all that apply"), error: error_for(errors, "themes"), choices: &theme_choices, chosen: &fields.all("themes"), multiple: true }))
            }
            (layout::button("Continue"))
        }))
    };
    form_page(signed_in, "About your project", errors, body)
}

fn place_row(applying: &Applying, error: Option<&str>) -> Markup {
    html! {
        div class=(if error.is_some() { "govuk-form-group govuk-form-group--error" } else { "govuk-form-group" }) {
            dl class="govuk-summary-list" id="place" {
                div class="govuk-summary-list__row" {
                    dt class="govuk-summary-list__key" { "Neighbourhood" }
                    dd class="govuk-summary-list__value" {
                        @if let Some(error) = error {
                            p class="govuk-error-message" { span class="govuk-visually-hidden" { "Error: " } (error) }
                        }
                        @match &applying.place { Some(place) => (place_words(place)), None => "Not chosen yet" }
                    }
                    dd class="govuk-summary-list__actions" {
                        a class="govuk-link" href=(chooser(applying)) { "Change" span class="govuk-visually-hidden" { " the neighbourhood" } }
                    }
                }
            }
        }
    }
}

/// What the person typed, read: the variables for `submitApplication`, or the problems.
fn read_answers(
    applying: &Applying,
    fields: &Fields,
) -> Result<serde_json::Value, Vec<FieldError>> {
    let mut errors = Vec::new();
    let place = match &applying.place {
        Some(place) => place.code.clone(),
        None => {
            errors.push(FieldError::new(
                "place",
                "Choose the neighbourhood your project will work in",
            ));
            String::new()
        }
    };
    let group_name = fields.get("group_name").trim().to_string();
    if applying.group_name.is_none() && group_name.is_empty() {
        errors.push(FieldError::new("group_name", "Enter your group's name"));
    }
    let title = fields.get("title").trim().to_string();
    if title.is_empty() {
        errors.push(FieldError::new("title", "Enter the project's title"));
    }
    let description = fields.get("description").trim().to_string();
    if description.is_empty() {
        errors.push(FieldError::new(
            "description",
            "Say what the project will do",
        ));
    }
    let amount = match read_money("Amount", fields.get("amount")) {
        Ok(amount) => amount.to_plain_string(),
        Err(message) => {
            errors.push(FieldError::new("amount", message));
            String::new()
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let name = applying.group_name.clone().unwrap_or(group_name);
    Ok(json!({
        "roundId": applying.round.id, "organisationId": applying.org, "title": title,
        "description": description, "amountRequested": amount, "neighbourhood": place,
        "themes": fields.all("themes"), "applicantName": name,
    }))
}

/// `POST …/apply/project`: the answers checked (or, from a Change, the form again).
pub async fn check_page(
    State(app): State<App>,
    Path((org, round)): Path<(String, String)>,
    SignedInForm { signed_in, form }: SignedInForm<Fields>,
) -> Response {
    let applying = match applying(&app, &signed_in, &org, &round, form.get("place")).await {
        Ok(applying) => applying,
        Err(problem) => return problem_page(Some(&signed_in), &problem),
    };
    if !form.get("change").is_empty() {
        return project_form(&signed_in, &applying, &form, &[]);
    }
    match read_answers(&applying, &form) {
        Ok(input) => check_answers(&signed_in, &applying, &form, &input),
        Err(errors) => project_form(&signed_in, &applying, &form, &errors),
    }
}

fn check_answers(
    signed_in: &SignedIn,
    applying: &Applying,
    form: &Fields,
    input: &serde_json::Value,
) -> Response {
    let project = format!("{}/project", apply_path(&applying.org, &applying.round.id));
    let submit = format!("{}/submit", apply_path(&applying.org, &applying.round.id));
    let text = |field: &str| input[field].as_str().unwrap_or("").to_string();
    let themes: Vec<String> = form.all("themes");
    let mut rows = vec![SummaryRow {
        key: "Neighbourhood".into(),
        value: html! { (applying.place.as_ref().map(place_words).unwrap_or_default()) },
        action: Some(
            html! { a class="govuk-link" href=(chooser(applying)) { "Change" span class="govuk-visually-hidden" { " the neighbourhood (your other answers are asked again)" } } },
        ),
    }];
    if applying.group_name.is_none() {
        rows.push(SummaryRow {
            key: "Your group's name".into(),
            value: html! { (text("applicantName")) },
            action: Some(change_button(&project, "your group's name")),
        });
    }
    rows.push(SummaryRow {
        key: "Project title".into(),
        value: html! { (text("title")) },
        action: Some(change_button(&project, "the title")),
    });
    rows.push(SummaryRow {
        key: "What it will do".into(),
        value: prose(&text("description")),
        action: Some(change_button(&project, "the description")),
    });
    rows.push(SummaryRow {
        key: "Amount".into(),
        value: html! { (money(&text("amountRequested"))) },
        action: Some(change_button(&project, "the amount")),
    });
    if !applying.round.themes.is_empty() {
        rows.push(SummaryRow {
            key: "Themes".into(),
            value: html! { @if themes.is_empty() { "None chosen" } @else { (themes.join(", ")) } },
            action: Some(change_button(&project, "the themes")),
        });
    }
    let body = html! {
        (caption(applying))
        h1 class="govuk-heading-l" { "Check your answers before sending your application" }
        (layout::post_form(&submit, &signed_in.session.csrf_token, html! {
            (form.hidden(&["change"]))
            (layout::summary_list(&rows))
            h2 class="govuk-heading-m" { "Now send your application" }
            p class="govuk-body" { "By sending it you confirm that what you have written is true, to the best of your knowledge." }
            (layout::button("Send application"))
        }))
    };
    form_page(signed_in, "Check your answers", &[], body)
}

/// `POST …/apply/submit`: `submitApplication` under the form's key, then the application.
pub async fn submit(
    State(app): State<App>,
    Path((org, round)): Path<(String, String)>,
    SignedInForm { signed_in, form }: SignedInForm<Fields>,
) -> Response {
    let applying = match applying(&app, &signed_in, &org, &round, form.get("place")).await {
        Ok(applying) => applying,
        Err(problem) => return problem_page(Some(&signed_in), &problem),
    };
    let mut input = match read_answers(&applying, &form) {
        Ok(input) => input,
        Err(errors) => return project_form(&signed_in, &applying, &form, &errors),
    };
    let Some(key) = idempotency_key("apply", form.get(FORM_KEY_FIELD)) else {
        let mut fresh = form.clone();
        fresh.0.retain(|(name, _)| name != FORM_KEY_FIELD);
        fresh.0.push((FORM_KEY_FIELD.to_string(), new_form_key()));
        return project_form(&signed_in, &applying, &fresh, &[]);
    };
    input["idempotencyKey"] = json!(key);
    match gql::write(&app, &signed_in, SUBMIT, json!({ "input": input })).await {
        Ok(written) => {
            let id = written.id("applicationId").unwrap_or_default();
            Redirect::to(&format!("{}?done=submitted", application_path(&org, &id))).into_response()
        }
        Err(problem) => match refused(&applying, &problem) {
            Some(error) => project_form(&signed_in, &applying, &form, &[error]),
            None => problem_page(Some(&signed_in), &problem),
        },
    }
}

/// A refusal of the application as a message beside its answer, in words.
fn refused(applying: &Applying, problem: &Problem) -> Option<FieldError> {
    let mut error = refusal_beside(
        problem,
        &[
            ("is not in an area", "place"),
            ("neighbourhood", "place"),
            ("not open", "round"),
            ("window", "round"),
            ("is closed", "round"),
            ("theme", "themes"),
            ("applicantName", "group_name"),
            ("title", "title"),
            ("description", "description"),
            ("amount", "amount"),
            ("£0.00", "amount"),
        ],
    )?;
    if error.field == "place" && problem.message.contains("is not in an area") {
        let name = applying
            .place
            .as_ref()
            .map(|place| place.name.clone())
            .unwrap_or_default();
        error.message = format!(
            "{name} is not in an area this round funds: choose a neighbourhood in {}",
            applying.places
        );
    } else if error.field == "round" {
        error.message = format!(
            "This round is not taking applications now (it closes on {})",
            widgets::date(&applying.round.closes_on)
        );
    }
    Some(error)
}
