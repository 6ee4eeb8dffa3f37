//! `/manage/applications/{application}`: everything the applicant wrote, the panel's
//! scores, comments and conflicts, the quorum and mean score; and while it is submitted,
//! approve (amount and budget lines, check your answers) or decline (a reason, check your
//! answers). Every refusal is the ledger's, shown beside the field it is about.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::json;

use super::award::{budget_line_rows, read_budget_lines, BudgetRow};
use crate::server::http::App;
use crate::web::layout::{self, FieldError, TextInput};
use crate::web::session::{SignedIn, SignedInForm};
use crate::web::work::forms::{encode, idempotency_key};
use crate::web::work::gql::{self, problem_page, Problem};
use crate::web::work::money::{read_money, MONEY_HINT};
use crate::web::work::widgets::{self, Fields};

const APPLICATION: &str = "query($id: String!) { application(id: $id) { id roundId fundId \
    applicantName title amountRequested neighbourhood themes status submittedOn decidedOn awardId \
    approvedAmount description declineReason conflicts scores { memberName score comment } } }";
const ROUND: &str = "query($round: String!, $place: GeoCode!) { round(id: $round) { name \
    minPanelScores remaining } neighbourhood(code: $place) { name } }";
const APPROVE: &str = "mutation($input: ApproveApplicationInput!) { approveApplication(input: $input) { position awardId } }";
const DECLINE: &str =
    "mutation($input: DeclineApplicationInput!) { declineApplication(input: $input) { position } }";
pub const SET_LINES: &str =
    "mutation($input: SetBudgetLinesInput!) { setBudgetLines(input: $input) { position } }";

#[derive(Debug, Deserialize)]
struct ApplicationAnswer {
    application: Option<ApplicationView>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApplicationView {
    id: String,
    round_id: String,
    applicant_name: String,
    title: String,
    amount_requested: String,
    neighbourhood: String,
    themes: Vec<String>,
    status: String,
    submitted_on: String,
    decided_on: Option<String>,
    award_id: Option<String>,
    approved_amount: Option<String>,
    description: String,
    decline_reason: Option<String>,
    conflicts: Vec<String>,
    scores: Vec<ScoreView>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ScoreView {
    member_name: String,
    score: i32,
    comment: String,
}

#[derive(Debug, Deserialize)]
struct RoundAnswer {
    round: Option<RoundView>,
    neighbourhood: PlaceView,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RoundView {
    name: String,
    min_panel_scores: i32,
    remaining: String,
}

#[derive(Debug, Deserialize)]
struct PlaceView {
    name: Option<String>,
}

/// An application with its round's terms and its place's name.
struct Loaded {
    application: ApplicationView,
    round: RoundView,
    place: String,
}

async fn load(app: &App, signed_in: &SignedIn, id: &str) -> Result<Loaded, Problem> {
    let answer: ApplicationAnswer =
        gql::read(app, signed_in, APPLICATION, json!({ "id": id })).await?;
    let application = answer
        .application
        .ok_or_else(|| Problem::new("NOT_FOUND", "no such application"))?;
    let variables = json!({ "round": application.round_id, "place": application.neighbourhood });
    let answer: RoundAnswer = gql::read(app, signed_in, ROUND, variables).await?;
    let round = answer
        .round
        .ok_or_else(|| Problem::new("NOT_FOUND", "no such round"))?;
    let place = answer
        .neighbourhood
        .name
        .unwrap_or_else(|| application.neighbourhood.clone());
    Ok(Loaded {
        application,
        round,
        place,
    })
}

#[derive(Debug, Deserialize)]
pub struct Done {
    done: Option<String>,
}

pub async fn application_page(
    State(app): State<App>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Response {
    let loaded = match load(&app, &signed_in, &id).await {
        Ok(loaded) => loaded,
        Err(problem) => return problem_page(Some(&signed_in), &problem),
    };
    let application = &loaded.application;
    let banner = match done.done.as_deref() {
        Some("declined") => Some("Application declined"),
        _ => None,
    };
    let body = html! {
        @if let Some(banner) = banner {
            (layout::notification_banner("Success", banner, html! {}, true))
        }
        span class="govuk-caption-l" { (loaded.round.name) }
        h1 class="govuk-heading-l" { (application.title) }
        (layout::summary_list(&summary_rows(&loaded)))
        @if application.status == "SUBMITTED" {
            div class="govuk-button-group" {
                a class="govuk-button" href=(format!("/manage/applications/{}/approve", encode(&application.id))) { "Approve" }
                a class="govuk-button govuk-button--warning" href=(format!("/manage/applications/{}/decline", encode(&application.id))) { "Decline" }
            }
        }
        h2 class="govuk-heading-m" { "What the group wrote" }
        (widgets::prose(&application.description))
        (panel_section(&loaded))
    };
    layout::html(
        axum::http::StatusCode::OK,
        layout::page(&application.title, signed_in.frame(), body),
    )
}

fn summary_rows(loaded: &Loaded) -> Vec<layout::SummaryRow> {
    let application = &loaded.application;
    let mut rows = vec![
        widgets::row("Status", widgets::status_tag(&application.status)),
        widgets::text_row("Group", &application.applicant_name),
        widgets::text_row("Place", &loaded.place),
        widgets::text_row(
            "Amount requested",
            &widgets::money(&application.amount_requested),
        ),
        widgets::text_row("Themes", &application.themes.join(", ")),
        widgets::text_row("Submitted", &widgets::date(&application.submitted_on)),
    ];
    if let Some(decided) = &application.decided_on {
        rows.push(widgets::text_row("Decided", &widgets::date(decided)));
    }
    if let (Some(amount), Some(award)) = (&application.approved_amount, &application.award_id) {
        rows.push(widgets::row(
            "Award",
            html! {
                (widgets::money(amount)) " "
                a class="govuk-link" href=(format!("/manage/awards/{}", encode(award))) { "See the award" }
            },
        ));
    }
    if let Some(reason) = &application.decline_reason {
        rows.push(widgets::row("Why it was declined", widgets::prose(reason)));
    }
    rows
}

fn panel_section(loaded: &Loaded) -> Markup {
    let scores = &loaded.application.scores;
    let need = loaded.round.min_panel_scores;
    let count = scores.len() as i32;
    let mean = (!scores.is_empty())
        .then(|| f64::from(scores.iter().map(|s| s.score).sum::<i32>()) / f64::from(count));
    let rows: Vec<Vec<Markup>> = scores
        .iter()
        .map(|score| {
            vec![
                html! { (score.member_name) },
                html! { (score.score) " out of 5" },
                widgets::prose(&score.comment),
            ]
        })
        .collect();
    let conflicts = loaded.application.conflicts.len();
    html! {
        h2 class="govuk-heading-m" { "The panel" }
        (layout::summary_list(&[
            widgets::text_row("Scores", &format!("{count} of the {need} needed")),
            widgets::row("Quorum", if count >= need { layout::tag("Met", Some("green")) } else { layout::tag("Not met", Some("yellow")) }),
            widgets::text_row("Mean score", &mean.map(|mean| format!("{mean:.1} out of 5")).unwrap_or_else(|| "No scores yet".to_string())),
            widgets::text_row("Conflicts of interest", &match conflicts {
                0 => "None declared".to_string(),
                1 => "1 panel member declared a conflict; their score does not count".to_string(),
                n => format!("{n} panel members declared a conflict; their scores do not count"),
            }),
        ]))
        @if !rows.is_empty() {
            (layout::table("Scores and comments", &["Panel member", "Score", "Comment"], &rows))
        }
    }
}

// ---------------------------------------------------------------- approve

/// An application already decided has nothing to decide: back to it.
fn decided(loaded: &Loaded) -> Response {
    let link = format!("/manage/applications/{}", encode(&loaded.application.id));
    Redirect::to(&link).into_response()
}

pub async fn approve_form(
    State(app): State<App>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Response {
    let loaded = match load(&app, &signed_in, &id).await {
        Ok(loaded) => loaded,
        Err(problem) => return problem_page(Some(&signed_in), &problem),
    };
    if loaded.application.status != "SUBMITTED" {
        return decided(&loaded);
    }
    let mut fields = Fields::new();
    fields.insert("amount".into(), loaded.application.amount_requested.clone());
    approve_page(&signed_in, &loaded, &fields, &[])
}

fn approve_page(
    signed_in: &SignedIn,
    loaded: &Loaded,
    fields: &Fields,
    errors: &[FieldError],
) -> Response {
    let application = &loaded.application;
    let hint = format!(
        "{MONEY_HINT}. They asked for {}; the round has {} left.",
        widgets::money(&application.amount_requested),
        widgets::money(&loaded.round.remaining)
    );
    let action = format!("/manage/applications/{}/approve", encode(&application.id));
    let body = html! {
        (widgets::back_link(&format!("/manage/applications/{}", encode(&application.id)), "Back to the application"))
        span class="govuk-caption-l" { (application.title) }
        h1 class="govuk-heading-l" { "Approve this application" }
        (layout::post_form(&action, &signed_in.session.csrf_token, html! {
            (fields.key_field())
            (layout::text_input(&TextInput {
                name: "amount", label: "Amount to award", hint: Some(&hint),
                value: fields.get("amount"), error: layout::error_for(errors, "amount"),
                width_class: Some("govuk-input--width-10"), spellcheck_off: true,
                ..TextInput::default()
            }))
            (budget_line_rows(fields, errors, "Budget lines (optional)",
                "What the award is for, by category. They must add up to the amount. Leave them empty to set them later, before the group accepts."))
            (layout::button("Continue"))
        }))
    };
    widgets::form_page(signed_in, "Approve this application", errors, body)
}

pub async fn approve_post(
    State(app): State<App>,
    Path(id): Path<String>,
    SignedInForm { signed_in, form }: SignedInForm<Fields>,
) -> Response {
    let loaded = match load(&app, &signed_in, &id).await {
        Ok(loaded) => loaded,
        Err(problem) => return problem_page(Some(&signed_in), &problem),
    };
    let mut errors = Vec::new();
    let amount = read_money("Amount", form.get("amount"))
        .map_err(|message| errors.push(FieldError::new("amount", message)))
        .ok();
    let lines = read_budget_lines(&form, &mut errors);
    let (Some(amount), true) = (amount, errors.is_empty()) else {
        return approve_page(&signed_in, &loaded, &form, &errors);
    };
    match form.get("step") {
        "change" => approve_page(&signed_in, &loaded, &form, &[]),
        "confirm" => approve_confirmed(&app, &signed_in, &loaded, &form, amount, &lines).await,
        _ => approve_check(&signed_in, &loaded, &form, amount, &lines),
    }
}

fn approve_check(
    signed_in: &SignedIn,
    loaded: &Loaded,
    form: &Fields,
    amount: domain::Money,
    lines: &[BudgetRow],
) -> Response {
    let application = &loaded.application;
    let mut rows = vec![
        widgets::text_row("Group", &application.applicant_name),
        widgets::text_row(
            "Amount requested",
            &widgets::money(&application.amount_requested),
        ),
        widgets::text_row("Amount to award", &amount.to_string()),
    ];
    rows.push(widgets::row(
        "Budget lines",
        html! {
            @if lines.is_empty() { "None yet" }
            ul class="govuk-list" {
                @for line in lines { li { (line.category) ": " (line.amount.to_string()) } }
            }
        },
    ));
    let action = format!("/manage/applications/{}/approve", encode(&application.id));
    widgets::check_answers_page(
        signed_in,
        widgets::Check {
            title: "Check your answers before approving",
            caption: &application.title,
            action: &action,
            rows,
            warning: Some(
                "Approving makes the award and takes its amount from the round's budget.",
            ),
            confirm: "Approve and make the award",
        },
        form,
    )
}

async fn approve_confirmed(
    app: &App,
    signed_in: &SignedIn,
    loaded: &Loaded,
    form: &Fields,
    amount: domain::Money,
    lines: &[BudgetRow],
) -> Response {
    let Some(key) = idempotency_key("approve", form.get("form_key")) else {
        return approve_page(signed_in, loaded, &Fields::new(), &[]);
    };
    let input = json!({ "input": {
        "applicationId": loaded.application.id, "amount": amount.to_plain_string(), "idempotencyKey": key,
    }});
    let written = match gql::write(app, signed_in, APPROVE, input).await {
        Ok(written) => written,
        Err(problem) if problem.is_about_input() => {
            let errors = [FieldError::new("amount", problem.sentence())];
            return approve_page(signed_in, loaded, form, &errors);
        }
        Err(problem) => return problem_page(Some(signed_in), &problem),
    };
    let Some(award) = written.id("awardId") else {
        return problem_page(Some(signed_in), &Problem::new("INTERNAL", "no award id"));
    };
    if !lines.is_empty() {
        let key = idempotency_key("approve-lines", form.get("form_key"));
        if let Err(problem) = super::award::set_lines(app, signed_in, &award, lines, key).await {
            return super::award::lines_refused_after_approval(
                app, signed_in, &award, form, &problem,
            )
            .await;
        }
    }
    Redirect::to(&format!("/manage/awards/{}?done=approved", encode(&award))).into_response()
}

// ---------------------------------------------------------------- decline

pub async fn decline_form(
    State(app): State<App>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Response {
    match load(&app, &signed_in, &id).await {
        Ok(loaded) if loaded.application.status != "SUBMITTED" => decided(&loaded),
        Ok(loaded) => decline_page(&signed_in, &loaded, &Fields::new(), &[]),
        Err(problem) => problem_page(Some(&signed_in), &problem),
    }
}

fn decline_page(
    signed_in: &SignedIn,
    loaded: &Loaded,
    fields: &Fields,
    errors: &[FieldError],
) -> Response {
    let application = &loaded.application;
    let action = format!("/manage/applications/{}/decline", encode(&application.id));
    let body = html! {
        (widgets::back_link(&format!("/manage/applications/{}", encode(&application.id)), "Back to the application"))
        span class="govuk-caption-l" { (application.title) }
        h1 class="govuk-heading-l" { "Decline this application" }
        (layout::post_form(&action, &signed_in.session.csrf_token, html! {
            (fields.key_field())
            (widgets::textarea("reason", "Why it is declined", Some("The group will see this."), fields.get("reason"), layout::error_for(errors, "reason")))
            (layout::button("Continue"))
        }))
    };
    widgets::form_page(signed_in, "Decline this application", errors, body)
}

pub async fn decline_post(
    State(app): State<App>,
    Path(id): Path<String>,
    SignedInForm { signed_in, form }: SignedInForm<Fields>,
) -> Response {
    let loaded = match load(&app, &signed_in, &id).await {
        Ok(loaded) => loaded,
        Err(problem) => return problem_page(Some(&signed_in), &problem),
    };
    let reason = form.get("reason").trim().to_string();
    if reason.is_empty() {
        let errors = [FieldError::new(
            "reason",
            "Enter why the application is declined",
        )];
        return decline_page(&signed_in, &loaded, &form, &errors);
    }
    let application = &loaded.application;
    match form.get("step") {
        "change" => decline_page(&signed_in, &loaded, &form, &[]),
        "confirm" => {
            let Some(key) = idempotency_key("decline", form.get("form_key")) else {
                return decline_page(&signed_in, &loaded, &Fields::new(), &[]);
            };
            let input = json!({ "input": { "applicationId": application.id, "reason": reason, "idempotencyKey": key } });
            match gql::write(&app, &signed_in, DECLINE, input).await {
                Ok(_) => Redirect::to(&format!(
                    "/manage/applications/{}?done=declined",
                    encode(&application.id)
                ))
                .into_response(),
                Err(problem) if problem.is_about_input() => decline_page(
                    &signed_in,
                    &loaded,
                    &form,
                    &[FieldError::new("reason", problem.sentence())],
                ),
                Err(problem) => problem_page(Some(&signed_in), &problem),
            }
        }
        _ => {
            let action = format!("/manage/applications/{}/decline", encode(&application.id));
            let rows = vec![
                widgets::text_row("Application", &application.title),
                widgets::text_row("Group", &application.applicant_name),
                widgets::row("Why it is declined", widgets::prose(&reason)),
            ];
            widgets::check_answers_page(
                &signed_in,
                widgets::Check {
                    title: "Check your answers before declining",
                    caption: &application.title,
                    action: &action,
                    rows,
                    warning: Some(
                        "The group will be told, with your reason. This cannot be undone.",
                    ),
                    confirm: "Decline the application",
                },
                &form,
            )
        }
    }
}
