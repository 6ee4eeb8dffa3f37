//! `/manage/funds/{fund}/rounds/new`: open a round: name, opening and closing dates,
//! budget, who decides (the panel, or residents by vote), the panel's quorum and when
//! panel members see each other's scores, themes (one per line) and the eligible places
//! chosen BY NAME, one per line (`places::resolve_names`: an unknown or ambiguous name is
//! refused beside the field with the places it might mean). Check your answers (places
//! listed by name), then `openRound` → `/manage/rounds/{round}`.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::{json, Value};

use super::fund_setup::managed_fund_name;
use super::widgets::{date_input, hidden_date, long_date, read_whole, DateParts};
use super::{beside_field, confirm_buttons, form_page, fund_path, round_path, row, Step};
use crate::server::http::App;
use crate::web::layout::{self, error_for, summary_list, text_input, FieldError, TextInput};
use crate::web::session::{SignedIn, SignedInForm};
use crate::web::work::forms::{form_key_field, idempotency_key, new_form_key};
use crate::web::work::gql::{self, problem_page};
use crate::web::work::money::{read_money, MONEY_HINT};
use crate::web::work::places::{self, NameProblem, PlaceMatch};
use crate::web::work::widgets::{choice_group, hidden, textarea, Choice, ChoiceGroup};

pub fn routes() -> Router<App> {
    Router::new().route(
        "/manage/funds/{fund}/rounds/new",
        get(new_round).post(post_round),
    )
}

const OPEN: &str =
    "mutation($input: OpenRoundInput!) { openRound(input: $input) { position roundId } }";

/// The most panel scores a round may ask for before a decision.
const MAX_QUORUM: u32 = 50;

#[derive(Debug, Clone, Default, Deserialize)]
struct RoundForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    opens_day: String,
    #[serde(default)]
    opens_month: String,
    #[serde(default)]
    opens_year: String,
    #[serde(default)]
    closes_day: String,
    #[serde(default)]
    closes_month: String,
    #[serde(default)]
    closes_year: String,
    #[serde(default)]
    budget: String,
    #[serde(default)]
    decision_mode: String,
    #[serde(default)]
    min_panel_scores: String,
    #[serde(default)]
    panel_sees_scores: String,
    #[serde(default)]
    themes: String,
    #[serde(default)]
    places: String,
    #[serde(default)]
    form_key: String,
    #[serde(default)]
    action: String,
}

/// What the form says, read: everything `openRound` needs.
struct Terms {
    name: String,
    opens_on: domain::Date,
    closes_on: domain::Date,
    budget: domain::Money,
    participatory: bool,
    min_panel_scores: u32,
    always_sees_scores: bool,
    themes: Vec<String>,
    places: Vec<PlaceMatch>,
}

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_string)
        .collect()
}

impl RoundForm {
    fn opens(&self) -> DateParts {
        DateParts {
            day: self.opens_day.clone(),
            month: self.opens_month.clone(),
            year: self.opens_year.clone(),
        }
    }

    fn closes(&self) -> DateParts {
        DateParts {
            day: self.closes_day.clone(),
            month: self.closes_month.clone(),
            year: self.closes_year.clone(),
        }
    }

    /// The form read, or its errors beside their fields (places resolved by name).
    async fn read(&self, app: &App) -> Result<Result<Terms, Vec<FieldError>>, Response> {
        let mut errors = Vec::new();
        let name = take(
            &mut errors,
            "name",
            non_empty(&self.name, "Enter the round's name"),
        );
        let opens_on = take(&mut errors, "opens", self.opens().read("Opening date"));
        let closes_on = take(&mut errors, "closes", self.closes().read("Closing date"));
        let budget = take(&mut errors, "budget", read_money("Budget", &self.budget));
        let choices = self.choices(&mut errors);
        if let (Some(opens), Some(closes)) = (opens_on, closes_on) {
            if closes < opens {
                errors.push(FieldError::new(
                    "closes",
                    "Closing date must be on or after the opening date",
                ));
            }
        }
        let resolved = places::resolve_names(app, &lines(&self.places))
            .await
            .map_err(|problem| problem_page(None, &problem))?;
        let places = match resolved {
            Ok(places) => Some(places),
            Err(problems) => {
                errors.push(FieldError::new("places", places_message(&problems)));
                None
            }
        };
        Ok(match (name, opens_on, closes_on, budget, choices, places) {
            (
                Some(name),
                Some(opens_on),
                Some(closes_on),
                Some(budget),
                Some(choices),
                Some(places),
            ) if errors.is_empty() => {
                let (participatory, min_panel_scores, always_sees_scores) = choices;
                Ok(Terms {
                    name,
                    opens_on,
                    closes_on,
                    budget,
                    participatory,
                    min_panel_scores,
                    always_sees_scores,
                    themes: lines(&self.themes),
                    places,
                })
            }
            _ => Err(errors),
        })
    }

    /// Who decides, the quorum, and whether the panel always sees scores.
    fn choices(&self, errors: &mut Vec<FieldError>) -> Option<(bool, u32, bool)> {
        let participatory = match self.decision_mode.as_str() {
            "PANEL" => Ok(false),
            "PARTICIPATORY" => Ok(true),
            _ => Err("Choose who decides which applications are funded".to_string()),
        };
        let quorum = match self.min_panel_scores.trim() {
            "" => Ok(0),
            written => read_whole("Panel scores needed", written, 0, MAX_QUORUM),
        };
        let always = match self.panel_sees_scores.as_str() {
            "AFTER_OWN_SCORE" | "" => Ok(false),
            "ALWAYS" => Ok(true),
            _ => Err("Choose when panel members see each other's scores".to_string()),
        };
        let participatory = take(errors, "decision_mode", participatory);
        let quorum = take(errors, "min_panel_scores", quorum);
        let always = take(errors, "panel_sees_scores", always);
        Some((participatory?, quorum?, always?))
    }
}

/// The value read, or its message noted beside field `id`.
fn take<T>(errors: &mut Vec<FieldError>, id: &str, result: Result<T, String>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(message) => {
            errors.push(FieldError::new(id, message));
            None
        }
    }
}

/// The fund's available money named by an over-budget refusal ("allocating £60,000.00
/// to round … exceeds the £50,000.00 available in fund …"), to say it without the ids.
fn available_in(message: &str) -> Option<&str> {
    let (_, after) = message.split_once("exceeds the ")?;
    let (available, _) = after.split_once(" available")?;
    available.starts_with('£').then_some(available)
}

fn non_empty(text: &str, message: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        Err(message.to_string())
    } else {
        Ok(text.to_string())
    }
}

/// A place as a line of the field that names exactly it: "Newtown, Powys" when its
/// context names its parent ("a ward in Powys"), else its name.
fn as_written(place: &PlaceMatch) -> String {
    match place.context.rsplit_once(" in ") {
        Some((_, parent)) if !parent.is_empty() => format!("{}, {parent}", place.name),
        _ => place.name.clone(),
    }
}

/// One sentence per line that did not name exactly one place, with the places it might
/// mean written as the field takes them (unless the sentence already lists them).
fn places_message(problems: &[NameProblem]) -> String {
    problems
        .iter()
        .map(|problem| {
            let listed = problem
                .candidates
                .first()
                .is_none_or(|place| problem.message.contains(&as_written(place)));
            if problem.candidates.is_empty() {
                format!(
                    "{}: check the spelling, or leave it out.",
                    problem.message.trim_end_matches('.')
                )
            } else if listed {
                problem.message.clone()
            } else {
                let candidates: Vec<String> = problem
                    .candidates
                    .iter()
                    .map(|place| format!("\u{201c}{}\u{201d} ({})", as_written(place), place.level))
                    .collect();
                format!(
                    "{}: {}. Write the one you mean as shown.",
                    problem.message.trim_end_matches('.'),
                    candidates.join("; ")
                )
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

async fn new_round(
    State(app): State<App>,
    signed_in: SignedIn,
    Path(fund): Path<String>,
) -> Response {
    let fund_name = match managed_fund_name(&app, &signed_in, &fund).await {
        Ok(name) => name,
        Err(page) => return page,
    };
    let form = RoundForm {
        form_key: new_form_key(),
        decision_mode: "PANEL".into(),
        panel_sees_scores: "AFTER_OWN_SCORE".into(),
        min_panel_scores: "2".into(),
        ..RoundForm::default()
    };
    round_form(&signed_in, &fund, &fund_name, &form, &[])
}

fn round_form(
    signed_in: &SignedIn,
    fund: &str,
    fund_name: &str,
    form: &RoundForm,
    errors: &[FieldError],
) -> Response {
    let body = html! {
        span class="govuk-caption-l" { (fund_name) }
        h1 class="govuk-heading-l" { "Open a round" }
        form method="post" action=(format!("{}/rounds/new", fund_path(fund))) novalidate {
            (layout::csrf_field(&signed_in.session.csrf_token))
            (form_key_field(&form.form_key))
            (text_input(&TextInput { name: "name", label: "Name of the round", value: &form.name,
                hint: Some("For example: Spring 2027 community grants"), error: error_for(errors, "name"), ..TextInput::default() }))
            (date_input("opens", "Opening date", "For example 1 3 2027", &form.opens(), error_for(errors, "opens")))
            (date_input("closes", "Closing date", "The last day groups can apply, for example 31 5 2027", &form.closes(), error_for(errors, "closes")))
            (text_input(&TextInput { name: "budget", label: "Budget", value: &form.budget,
                hint: Some(MONEY_HINT), error: error_for(errors, "budget"),
                width_class: Some("govuk-input--width-10"), spellcheck_off: true, ..TextInput::default() }))
            (decision_fields(form, errors))
            (textarea("themes", "Themes (optional)", Some("One per line, for example: food, young people. Leave empty for any theme."),
                &form.themes, error_for(errors, "themes")))
            (textarea("places", "Eligible places (optional)",
                Some("One place per line, by name, for example Hartlepool or a ward name. If a name is shared, add the area it is in after a comma, like Newtown, Powys. Leave empty for anywhere."),
                &form.places, error_for(errors, "places")))
            (layout::button("Continue"))
        }
        p class="govuk-body" { a class="govuk-link" href=(fund_path(fund)) { "Back to the fund" } }
    };
    form_page(signed_in, "Open a round", errors, body)
}

fn decision_fields(form: &RoundForm, errors: &[FieldError]) -> Markup {
    let radios = |name, legend, choices: &[Choice], chosen: &str| {
        choice_group(&ChoiceGroup {
            name,
            legend,
            legend_is_heading: false,
            hint: None,
            error: error_for(errors, name),
            choices,
            chosen: &[chosen.to_string()],
            multiple: false,
        })
    };
    html! {
        (radios("decision_mode", "Who decides which applications are funded", &[
            Choice { value: "PANEL", label: "A panel scores applications and an officer decides", hint: None },
            Choice { value: "PARTICIPATORY", label: "Residents vote with ballot codes", hint: Some("The budget goes to the applications with the most votes") },
        ], &form.decision_mode))
        (text_input(&TextInput { name: "min_panel_scores", label: "Panel scores needed before a decision",
            value: &form.min_panel_scores, hint: Some("For a panel round: how many panel members must score an application before it can be approved. 0 for none."),
            error: error_for(errors, "min_panel_scores"), width_class: Some("govuk-input--width-2"), numeric: true, ..TextInput::default() }))
        (radios("panel_sees_scores", "When panel members see each other's scores", &[
            Choice { value: "AFTER_OWN_SCORE", label: "Once they have scored the application themselves", hint: None },
            Choice { value: "ALWAYS", label: "Always, from the start", hint: None },
        ], &form.panel_sees_scores))
    }
}

fn check_page(
    signed_in: &SignedIn,
    fund: &str,
    fund_name: &str,
    form: &RoundForm,
    terms: &Terms,
) -> Response {
    let places = if terms.places.is_empty() {
        "Anywhere".to_string()
    } else {
        terms
            .places
            .iter()
            .map(|place| format!("{} ({})", place.name, place.level))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let themes = if terms.themes.is_empty() {
        "Any theme".to_string()
    } else {
        terms.themes.join(", ")
    };
    let decision = if terms.participatory {
        "Residents vote"
    } else {
        "The panel scores, an officer decides"
    };
    let sees = if terms.always_sees_scores {
        "Always"
    } else {
        "Once they have scored it themselves"
    };
    let body = html! {
        span class="govuk-caption-l" { (fund_name) }
        h1 class="govuk-heading-l" { "Check the round before you open it" }
        (summary_list(&[
            row("Name", terms.name.clone()),
            row("Opens", long_date(terms.opens_on)),
            row("Closes", long_date(terms.closes_on)),
            row("Budget", terms.budget.to_string()),
            row("Who decides", decision),
            row("Panel scores needed", terms.min_panel_scores.to_string()),
            row("Panel members see each other's scores", sees),
            row("Themes", themes),
            row("Eligible places", places),
        ]))
        p class="govuk-body" { "Opening the round sets its budget aside from the fund's available money." }
        form method="post" action=(format!("{}/rounds/new", fund_path(fund))) novalidate {
            (layout::csrf_field(&signed_in.session.csrf_token))
            (form_key_field(&form.form_key))
            (hidden("name", &form.name))
            (hidden_date("opens", &form.opens()))
            (hidden_date("closes", &form.closes()))
            (hidden("budget", &form.budget))
            (hidden("decision_mode", &form.decision_mode))
            (hidden("min_panel_scores", &form.min_panel_scores))
            (hidden("panel_sees_scores", &form.panel_sees_scores))
            (hidden("themes", &form.themes))
            (hidden("places", &form.places))
            (confirm_buttons("Open the round"))
        }
    };
    form_page(signed_in, "Check the round", &[], body)
}

fn open_input(fund: &str, terms: &Terms, key: &str) -> Value {
    json!({
        "fundId": fund,
        "name": terms.name,
        "budget": terms.budget.to_plain_string(),
        "opensOn": terms.opens_on.to_string(),
        "closesOn": terms.closes_on.to_string(),
        "eligibleAreas": terms.places.iter().map(|place| place.code.clone()).collect::<Vec<_>>(),
        "themes": terms.themes,
        "decisionMode": if terms.participatory { "PARTICIPATORY" } else { "PANEL" },
        "minPanelScores": terms.min_panel_scores,
        "panelSeesScores": if terms.always_sees_scores { "ALWAYS" } else { "AFTER_OWN_SCORE" },
        "idempotencyKey": key,
    })
}

async fn post_round(
    State(app): State<App>,
    Path(fund): Path<String>,
    SignedInForm {
        signed_in,
        mut form,
    }: SignedInForm<RoundForm>,
) -> Response {
    let fund_name = match managed_fund_name(&app, &signed_in, &fund).await {
        Ok(name) => name,
        Err(page) => return page,
    };
    let Some(key) = idempotency_key("open-round", &form.form_key) else {
        form.form_key = new_form_key();
        return round_form(&signed_in, &fund, &fund_name, &form, &[]);
    };
    let terms = match form.read(&app).await {
        Ok(Ok(terms)) => terms,
        Ok(Err(errors)) => return round_form(&signed_in, &fund, &fund_name, &form, &errors),
        Err(page) => return page,
    };
    match Step::of(&form.action) {
        Step::Change => return round_form(&signed_in, &fund, &fund_name, &form, &[]),
        Step::Check => return check_page(&signed_in, &fund, &fund_name, &form, &terms),
        Step::Confirm => {}
    }
    let input = open_input(&fund, &terms, &key);
    match gql::write(&app, &signed_in, OPEN, json!({ "input": input })).await {
        Ok(written) => {
            let round = written.id("roundId").unwrap_or_default();
            Redirect::to(&format!("{}?done=opened", round_path(&round))).into_response()
        }
        Err(problem) if problem.is_about_input() => {
            let fields = [
                ("budget", "budget"),
                ("available", "budget"),
                ("opensOn", "opens"),
                ("closesOn", "closes"),
                ("themes", "themes"),
                ("eligibleAreas", "places"),
                ("minPanelScores", "min_panel_scores"),
                ("name", "name"),
            ];
            let error = match available_in(&problem.message) {
                Some(available) => FieldError::new(
                    "budget",
                    format!(
                        "Budget is more than the fund has available to set aside ({available})"
                    ),
                ),
                None => beside_field(&problem, &fields, "name"),
            };
            round_form(&signed_in, &fund, &fund_name, &form, &[error])
        }
        Err(problem) => problem_page(Some(&signed_in), &problem),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(name: &str, level: &str, context: &str) -> PlaceMatch {
        PlaceMatch {
            code: "E05000001".into(),
            name: name.into(),
            level: level.into(),
            context: context.into(),
        }
    }

    #[test]
    fn refused_place_names_say_what_to_write_instead() {
        let newtown = NameProblem {
            line: "Newtown".into(),
            message: "2 places are called \u{201c}Newtown\u{201d}".into(),
            candidates: vec![
                place("Newtown", "ward", "a ward in Powys"),
                place("Newtown", "ward", "a ward in Birmingham"),
            ],
        };
        let atlantis = NameProblem {
            line: "Atlantis".into(),
            message: "No place is called \u{201c}Atlantis\u{201d}.".into(),
            candidates: Vec::new(),
        };
        let message = places_message(&[newtown, atlantis]);
        assert!(
            message.contains("\u{201c}Newtown, Powys\u{201d} (ward)"),
            "{message}"
        );
        assert!(
            message.contains("\u{201c}Newtown, Birmingham\u{201d}"),
            "{message}"
        );
        assert!(
            message.contains("Atlantis\u{201d}: check the spelling"),
            "{message}"
        );
        // A sentence that already lists the candidates is kept as it is.
        let listed = NameProblem {
            line: "Newtown".into(),
            message: "2 places are called Newtown: write Newtown, Powys or Newtown, Birmingham"
                .into(),
            candidates: vec![place("Newtown", "ward", "a ward in Powys")],
        };
        assert_eq!(
            places_message(std::slice::from_ref(&listed)),
            listed.message
        );
        assert_eq!(
            as_written(&place("Hartlepool", "local authority", "")),
            "Hartlepool"
        );
    }

    #[test]
    fn an_over_budget_refusal_names_the_available_money() {
        let message =
            "allocating £60,000.00 to round RND-1 exceeds the £50,000.00 available in fund FUND-1";
        assert_eq!(available_in(message), Some("£50,000.00"));
        assert_eq!(available_in("name must not be empty"), None);
    }

    #[test]
    fn lines_skip_blanks_and_trim() {
        assert_eq!(
            lines(" food \n\n young people \n"),
            vec!["food", "young people"]
        );
    }
}
