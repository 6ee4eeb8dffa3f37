//! `/panel/applications/{id}`: everything the applicant wrote, this member's score form
//! (or their declared conflict), and the panel's scores as GraphQL shows them to this
//! member. `/panel/applications/{id}/conflict`: declaring a conflict of interest.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::json;

use super::rounds::{state_tag, status_words};
use super::{find_application, member_id, MemberState, PanelApplication, PanelRound, PanelScore};
use crate::server::http::App;
use crate::web::layout::{
    self, button, error_for, error_summary, page, post_form, summary_list, table, warning_button,
    FieldError, SummaryRow,
};
use crate::web::session::{SignedIn, SignedInForm};
use crate::web::work::forms::{form_key_field, idempotency_key, new_form_key};
use crate::web::work::gql::{self, problem_page, Problem};
use crate::web::work::places::place_name;
use crate::web::work::widgets::{
    choice_group, date, error_title, money, prose, segment, textarea, Choice, ChoiceGroup,
};

const SCORE: &str =
    "mutation($input: ScoreApplicationInput!) { scoreApplication(input: $input) { position } }";
const DECLARE_CONFLICT: &str =
    "mutation($input: ApplicationInput!) { declareConflict(input: $input) { position } }";

/// The scores a member gives, with what each means.
const SCORES: [(&str, &str, &str); 5] = [
    (
        "1",
        "1 \u{2013} Poor",
        "Does not meet the round's aims, or the plan is not credible",
    ),
    (
        "2",
        "2 \u{2013} Weak",
        "Meets few of the round's aims, or the plan has serious gaps",
    ),
    (
        "3",
        "3 \u{2013} Adequate",
        "Meets the round's aims, with some weaknesses",
    ),
    (
        "4",
        "4 \u{2013} Good",
        "Meets the round's aims well, with a clear plan",
    ),
    (
        "5",
        "5 \u{2013} Excellent",
        "An outstanding application: clear need, strong plan, good value",
    ),
];

/// The score form as the member filled it in.
#[derive(Debug, Deserialize, Default)]
pub struct ScoreForm {
    #[serde(default)]
    score: Option<String>,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    form_key: String,
}

/// `GET /panel/applications/{id}`.
pub async fn application_page(
    State(app): State<App>,
    signed_in: SignedIn,
    Path(application): Path<String>,
) -> Response {
    let (round, index) = match find_application(&app, &signed_in, &application).await {
        Ok(found) => found,
        Err(problem) => return problem_page(Some(&signed_in), &problem),
    };
    let blank = ScoreForm {
        form_key: new_form_key(),
        ..ScoreForm::default()
    };
    render(&app, &signed_in, &round, index, &blank, &[], StatusCode::OK).await
}

/// `POST /panel/applications/{id}`: `scoreApplication`, then back to the round.
pub async fn score(
    State(app): State<App>,
    Path(application): Path<String>,
    SignedInForm { signed_in, form }: SignedInForm<ScoreForm>,
) -> Response {
    let chosen = form.score.as_deref().map(str::trim).unwrap_or("");
    let refused = match (
        chosen.parse::<i64>(),
        idempotency_key("score", &form.form_key),
    ) {
        (Err(_), _) => Problem::new("BAD_INPUT", "Choose a score from 1 to 5"),
        (_, None) => Problem::new(
            "BAD_INPUT",
            "This form was out of date; check your answers and save your score again",
        ),
        (Ok(score), Some(key)) => {
            let input = json!({ "input": {
                "applicationId": application, "score": score,
                "comment": form.comment.replace("\r\n", "\n"), "idempotencyKey": key,
            }});
            match gql::write(&app, &signed_in, SCORE, input).await {
                Ok(_) => return to_round(&app, &signed_in, &application, "scored").await,
                Err(problem) if problem.is_about_input() => problem,
                Err(problem) => return problem_page(Some(&signed_in), &problem),
            }
        }
    };
    let (round, index) = match find_application(&app, &signed_in, &application).await {
        Ok(found) => found,
        Err(problem) => return problem_page(Some(&signed_in), &problem),
    };
    let field = refused_field(&round.applications[index], &signed_in, &refused);
    let errors = [FieldError::new(
        field,
        in_plain_words(&refused, &signed_in, &application),
    )];
    let form = ScoreForm {
        form_key: if form.form_key.is_empty() {
            new_form_key()
        } else {
            form.form_key
        },
        ..form
    };
    render(
        &app,
        &signed_in,
        &round,
        index,
        &form,
        &errors,
        StatusCode::OK,
    )
    .await
}

/// Where on the page a refused score's message goes: the comment or the score, or,
/// when the page shows no score form (a declared conflict, a decided application),
/// the words saying why.
fn refused_field(
    application: &PanelApplication,
    signed_in: &SignedIn,
    refused: &Problem,
) -> &'static str {
    match application.state_of(&member_id(signed_in)) {
        MemberState::Conflict => "conflict-declared",
        _ if !application.is_undecided() => "score-closed",
        _ if refused.message.contains("comment") => "comment",
        _ => "score",
    }
}

/// The ledger's refusal as the member reads it: "you" for their own id, "this
/// application" for its id.
fn in_plain_words(problem: &Problem, signed_in: &SignedIn, application: &str) -> String {
    let message = problem
        .message
        .replace(&member_id(signed_in), "you")
        .replace(&format!("application {application}"), "this application");
    Problem::new(&problem.code, message).sentence()
}

/// After a write: the application's round, with a banner saying what was done.
async fn to_round(app: &App, signed_in: &SignedIn, application: &str, done: &str) -> Response {
    match find_application(app, signed_in, application).await {
        Ok((round, _)) => Redirect::to(&format!(
            "/panel/rounds/{}?done={done}&application={}",
            segment(&round.id),
            segment(application)
        ))
        .into_response(),
        Err(_) => Redirect::to("/panel").into_response(),
    }
}

async fn render(
    app: &App,
    signed_in: &SignedIn,
    round: &PanelRound,
    index: usize,
    form: &ScoreForm,
    errors: &[FieldError],
    status: StatusCode,
) -> Response {
    let application = &round.applications[index];
    let member = member_id(signed_in);
    let place = place_name(app, &application.neighbourhood)
        .await
        .map_or_else(
            || "A place not in the reference geography".to_string(),
            |place| place.name,
        );
    let title = error_title(&application.title, errors);
    let body = html! {
        (error_summary(errors))
        span class="govuk-caption-l" { (round.name) }
        h1 class="govuk-heading-l" { (application.title) }
        (what_they_wrote(application, &place, &member))
        (your_part(round, application, &member, form, errors, &signed_in.session.csrf_token))
        (panel_scores(round, application, &member))
        p class="govuk-body" {
            a class="govuk-link" href=(format!("/panel/rounds/{}", segment(&round.id))) { "Back to " (round.name) }
        }
    };
    layout::html(status, page(&title, signed_in.frame(), body))
}

fn what_they_wrote(application: &PanelApplication, place: &str, member: &str) -> Markup {
    let themes = if application.themes.is_empty() {
        "None given".to_string()
    } else {
        application.themes.join(", ")
    };
    let row = |key: &str, value: Markup| SummaryRow {
        key: key.to_string(),
        value,
        action: None,
    };
    html! {
        (summary_list(&[
            row("Group", html! { (application.applicant_name) }),
            row("Where", html! { (place) }),
            row("Amount requested", html! { (money(&application.amount_requested)) }),
            row("Themes", html! { (themes) }),
            row("Submitted on", html! { (date(&application.submitted_on)) }),
            row("Decision", html! { (status_words(&application.status)) }),
            row("You", state_tag(application, member)),
        ]))
        h2 class="govuk-heading-m" { "What the group wrote" }
        (prose(&application.description))
    }
}

/// The conflict notice, the decided notice, or the score form with the conflict link.
fn your_part(
    round: &PanelRound,
    application: &PanelApplication,
    member: &str,
    form: &ScoreForm,
    errors: &[FieldError],
    csrf_token: &str,
) -> Markup {
    let state = application.state_of(member);
    if state == MemberState::Conflict {
        return html! {
            h2 class="govuk-heading-m" { "Your score" }
            div class="govuk-inset-text" id="conflict-declared" {
                "You declared a conflict of interest on this application, so you cannot score it. "
                "Any score you gave it before is set aside."
            }
        };
    }
    if !application.is_undecided() {
        return html! {
            h2 class="govuk-heading-m" { "Your score" }
            div class="govuk-inset-text" id="score-closed" {
                "This application has been decided (" (status_words(&application.status).to_lowercase()) "), so it can no longer be scored."
            }
        };
    }
    let own = application.own_score(member);
    let action = format!("/panel/applications/{}", segment(&application.id));
    html! {
        h2 class="govuk-heading-m" { @if own.is_some() { "Change your score" } @else { "Score this application" } }
        @if let Some(own) = own {
            p class="govuk-body" id="your-score" { "Your score is " strong { (own.score) } ". You can change it until a decision is made." }
        }
        (post_form(&action, csrf_token, score_fields(own, form, errors)))
        p class="govuk-body" {
            a class="govuk-link" id="declare-conflict" href=(format!("/panel/applications/{}/conflict", segment(&application.id))) {
                "Declare a conflict of interest"
            }
            " if you cannot judge this application fairly."
        }
        @if round.status == "CLOSED" {
            p class="govuk-body" { "The round is closed to new applications." }
        }
    }
}

/// The score form's fields: the score (this member's current one chosen), the comment.
fn score_fields(own: Option<&PanelScore>, form: &ScoreForm, errors: &[FieldError]) -> Markup {
    let chosen: Vec<String> = match (&form.score, own) {
        (Some(score), _) => vec![score.clone()],
        (None, Some(own)) => vec![own.score.to_string()],
        (None, None) => Vec::new(),
    };
    let comment = match own {
        Some(own) if form.comment.is_empty() && errors.is_empty() => own.comment.clone(),
        _ => form.comment.clone(),
    };
    let choices: Vec<Choice> = SCORES
        .iter()
        .map(|(value, label, hint)| Choice {
            value,
            label,
            hint: Some(*hint),
        })
        .collect();
    html! {
        (form_key_field(&form.form_key))
        (choice_group(&ChoiceGroup {
            name: "score",
            legend: "How well does this application meet the round's aims?",
            legend_is_heading: false,
            hint: None,
            error: error_for(errors, "score"),
            choices: &choices,
            chosen: &chosen,
            multiple: false,
        }))
        (textarea("comment", "Comment (optional)", Some("Why you gave this score. The fund's officers and, after they score, the other panel members read it."), &comment, error_for(errors, "comment")))
        (button("Save score"))
    }
}

/// The panel's scores and comments, as far as GraphQL shows them to this member.
fn panel_scores(round: &PanelRound, application: &PanelApplication, member: &str) -> Markup {
    let others: Vec<_> = application
        .scores
        .iter()
        .filter(|score| score.member != member)
        .collect();
    let rows: Vec<Vec<Markup>> = application
        .scores
        .iter()
        .map(|score| {
            let who = if score.member == member {
                "You".to_string()
            } else {
                score.member_name.clone()
            };
            vec![
                html! { (who) },
                html! { (score.score) },
                prose(&score.comment),
            ]
        })
        .collect();
    let waiting = application.own_score(member).is_none() && round.panel_sees_scores != "ALWAYS";
    let heading = "The panel's scores";
    html! {
        @if application.state_of(member) == MemberState::Conflict && others.is_empty() {
            h2 class="govuk-heading-m" { (heading) }
            p class="govuk-body" { "You do not see the panel's scores on an application you declared a conflict on." }
        } @else if waiting && others.is_empty() {
            h2 class="govuk-heading-m" { (heading) }
            p class="govuk-body" { "You will see the other panel members' scores and comments once you have scored this application." }
        } @else if rows.is_empty() {
            h2 class="govuk-heading-m" { (heading) }
            p class="govuk-body" { "No one has scored this application yet." }
        } @else {
            (table(heading, &["Panel member", "Score", "Comment"], &rows))
        }
        @if !application.conflicts.is_empty() {
            p class="govuk-body" { (conflict_words(application.conflicts.len())) }
        }
    }
}

fn conflict_words(count: usize) -> String {
    match count {
        1 => "1 panel member declared a conflict of interest on this application.".to_string(),
        count => {
            format!("{count} panel members declared a conflict of interest on this application.")
        }
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct ConflictForm {
    #[serde(default)]
    form_key: String,
}

/// `GET /panel/applications/{id}/conflict`: what declaring means, and the button.
pub async fn conflict_page(
    State(app): State<App>,
    signed_in: SignedIn,
    Path(application): Path<String>,
) -> Response {
    let (round, index) = match find_application(&app, &signed_in, &application).await {
        Ok(found) => found,
        Err(problem) => return problem_page(Some(&signed_in), &problem),
    };
    conflict_confirm(
        &signed_in,
        &round.applications[index],
        &new_form_key(),
        &[],
        StatusCode::OK,
    )
}

fn conflict_confirm(
    signed_in: &SignedIn,
    application: &PanelApplication,
    form_key: &str,
    errors: &[FieldError],
    status: StatusCode,
) -> Response {
    let action = format!("/panel/applications/{}/conflict", segment(&application.id));
    let title = if errors.is_empty() {
        "Declare a conflict of interest"
    } else {
        "Error: Declare a conflict of interest"
    };
    let body = html! {
        div class="govuk-grid-row" { div class="govuk-grid-column-two-thirds" {
            (error_summary(errors))
            span class="govuk-caption-l" { (application.title) }
            h1 class="govuk-heading-l" { "Declare a conflict of interest" }
            p class="govuk-body" {
                "Declare a conflict if you, someone close to you or an organisation you are involved with "
                "could gain from this application, or if others might reasonably think you could not judge it fairly."
            }
            p class="govuk-body" { "When you declare a conflict:" }
            ul class="govuk-list govuk-list--bullet" {
                li { "any score you have given this application is set aside" }
                li { "you cannot score it" }
                li { "the fund's officers and the panel see that you declared a conflict" }
            }
            (layout::warning_text("You cannot undo a declaration."))
            (post_form(&action, &signed_in.session.csrf_token, html! {
                (form_key_field(form_key))
                div class="govuk-button-group" id="confirm" {
                    (warning_button("Declare a conflict of interest"))
                    a class="govuk-link" href=(format!("/panel/applications/{}", segment(&application.id))) { "Cancel" }
                }
            }))
        } }
    };
    layout::html(status, page(title, signed_in.frame(), body))
}

/// `POST /panel/applications/{id}/conflict`: `declareConflict`, then back to the round.
pub async fn declare_conflict(
    State(app): State<App>,
    Path(application): Path<String>,
    SignedInForm { signed_in, form }: SignedInForm<ConflictForm>,
) -> Response {
    let refused = match idempotency_key("conflict", &form.form_key) {
        None => Problem::new(
            "BAD_INPUT",
            "This form was out of date; declare the conflict again",
        ),
        Some(key) => {
            let input = json!({ "input": { "applicationId": application, "idempotencyKey": key } });
            match gql::write(&app, &signed_in, DECLARE_CONFLICT, input).await {
                Ok(_) => return to_round(&app, &signed_in, &application, "conflict").await,
                Err(problem) if problem.is_about_input() => problem,
                Err(problem) => return problem_page(Some(&signed_in), &problem),
            }
        }
    };
    let (round, index) = match find_application(&app, &signed_in, &application).await {
        Ok(found) => found,
        Err(problem) => return problem_page(Some(&signed_in), &problem),
    };
    let errors = [FieldError::new(
        "confirm",
        in_plain_words(&refused, &signed_in, &application),
    )];
    conflict_confirm(
        &signed_in,
        &round.applications[index],
        &new_form_key(),
        &errors,
        StatusCode::OK,
    )
}
