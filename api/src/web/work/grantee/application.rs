//! `/groups/{org}/applications/{id}`: an application as the group sent it (place by name,
//! amount, themes, what they wrote), where it stands and the decision with its reason;
//! withdrawing it (a confirm page) while it waits for a decision. Read through
//! `group(organisationId) { application(id) }`: another group's application reads as not
//! found.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;
use serde_json::json;

use super::home::status_of_application;
use super::{application_path, award_path, group_path};
use crate::server::http::App;
use crate::web::layout::{self, SummaryRow};
use crate::web::session::{SignedIn, SignedInForm};
use crate::web::work::forms::{form_key_field, idempotency_key, new_form_key, FORM_KEY_FIELD};
use crate::web::work::gql::{self, problem_page, Problem};
use crate::web::work::places;
use crate::web::work::widgets::{
    back_link, date, form_page, hidden, money, panel, prose, row, Fields,
};

const APPLICATION: &str = "query($org: String!, $id: String!) { group(organisationId: $org) { name \
    application(id: $id) { id roundId title amountRequested neighbourhood themes status submittedOn \
    decidedOn awardId approvedAmount description declineReason } } }";

const ROUND_NAME: &str = "query($round: String!) { round(id: $round) { name fund { name } } }";

const WITHDRAW: &str = "mutation($input: ApplicationInput!) { withdrawApplication(input: $input) { position applicationId } }";

#[derive(Debug, Deserialize)]
struct Answer {
    group: GroupWithApplication,
}

#[derive(Debug, Deserialize)]
struct GroupWithApplication {
    application: Option<Application>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Application {
    id: String,
    round_id: String,
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
}

#[derive(Debug, Deserialize)]
struct RoundAnswer {
    round: Option<RoundName>,
}

#[derive(Debug, Deserialize)]
struct RoundName {
    name: String,
    fund: Option<super::home::FundName>,
}

#[derive(Debug, Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    done: String,
}

async fn load(
    app: &App,
    signed_in: &SignedIn,
    org: &str,
    id: &str,
) -> Result<(Application, String), Problem> {
    let answer: Answer =
        gql::read(app, signed_in, APPLICATION, json!({ "org": org, "id": id })).await?;
    let application = answer
        .group
        .application
        .ok_or_else(|| Problem::new("NOT_FOUND", "no such application"))?;
    let round: RoundAnswer = gql::read(
        app,
        signed_in,
        ROUND_NAME,
        json!({ "round": application.round_id }),
    )
    .await?;
    let round = round
        .round
        .map(|round| match round.fund {
            Some(fund) => format!("{}, {}", round.name, fund.name),
            None => round.name,
        })
        .unwrap_or_default();
    Ok((application, round))
}

pub async fn application_page(
    State(app): State<App>,
    Path((org, id)): Path<(String, String)>,
    Query(done): Query<Done>,
    signed_in: SignedIn,
) -> Response {
    let (application, round) = match load(&app, &signed_in, &org, &id).await {
        Ok(found) => found,
        Err(problem) => return problem_page(Some(&signed_in), &problem),
    };
    let place = places::place_name(&app, &application.neighbourhood)
        .await
        .map(|place| place.name)
        .unwrap_or_else(|| "A place no longer in the reference geography".to_string());
    let rows = rows(&application, &round, &place);
    let body = html! {
        @if done.done == "submitted" {
            (panel("Application received", html! { "We have your application for " strong { (application.title) } }))
            p class="govuk-body" { "The fund's panel will look at it. You will see the decision here." }
        } @else if done.done == "withdrawn" {
            (layout::notification_banner("Success", "You withdrew the application", html! {}, true))
        }
        (back_link(&group_path(&org), "Back to your group"))
        span class="govuk-caption-l" { "Application" }
        @if done.done == "submitted" {
            h2 class="govuk-heading-l" { (application.title) }
        } @else {
            h1 class="govuk-heading-l" { (application.title) }
        }
        (layout::summary_list(&rows))
        @if let Some(award) = &application.award_id {
            p class="govuk-body" { a class="govuk-link" href=(award_path(&org, award)) { "See the award and what to do next" } }
        }
        @if application.status == "SUBMITTED" {
            p class="govuk-body" { a class="govuk-link" href={ (application_path(&org, &application.id)) "/withdraw" } { "Withdraw this application" } }
        }
    };
    let title = application.title.clone();
    form_page(&signed_in, &title, &[], body)
}

/// What the group wrote and where the application stands, row by row.
fn rows(application: &Application, round: &str, place: &str) -> Vec<SummaryRow> {
    let themes = if application.themes.is_empty() {
        "None".to_string()
    } else {
        application.themes.join(", ")
    };
    let mut rows = vec![
        row("Round", html! { (round) }),
        row(
            "Status",
            layout::tag(&status_of_application(&application.status), None),
        ),
        row("Sent on", html! { (date(&application.submitted_on)) }),
        row("Neighbourhood", html! { (place) }),
        row(
            "Amount asked for",
            html! { (money(&application.amount_requested)) },
        ),
        row("Themes", html! { (themes) }),
        row("What it will do", prose(&application.description)),
    ];
    if let Some(decided) = &application.decided_on {
        rows.push(row("Decided on", html! { (date(decided)) }));
    }
    if let Some(amount) = &application.approved_amount {
        rows.push(row("Amount awarded", html! { (money(amount)) }));
    }
    if let Some(reason) = &application.decline_reason {
        rows.push(row("Why it was not funded", prose(reason)));
    }
    rows
}

/// `GET …/withdraw`: are you sure?
pub async fn withdraw_page(
    State(app): State<App>,
    Path((org, id)): Path<(String, String)>,
    signed_in: SignedIn,
) -> Response {
    let (application, _) = match load(&app, &signed_in, &org, &id).await {
        Ok(found) => found,
        Err(problem) => return problem_page(Some(&signed_in), &problem),
    };
    let action = format!("{}/withdraw", application_path(&org, &id));
    let body = html! {
        (back_link(&application_path(&org, &id), "Back"))
        h1 class="govuk-heading-l" { "Are you sure you want to withdraw " (application.title) "?" }
        p class="govuk-body" { "The fund will not consider it. You cannot undo this, but you can apply again while the round is open." }
        (layout::post_form(&action, &signed_in.session.csrf_token, html! {
            (form_key_field(&new_form_key()))
            (hidden("confirm", "yes"))
            div class="govuk-button-group" {
                (layout::warning_button("Withdraw the application"))
                a class="govuk-link" href=(application_path(&org, &id)) { "Keep it" }
            }
        }))
    };
    form_page(&signed_in, "Withdraw the application", &[], body)
}

/// `POST …/withdraw`: `withdrawApplication` under the form's key.
pub async fn withdraw(
    State(app): State<App>,
    Path((org, id)): Path<(String, String)>,
    SignedInForm { signed_in, form }: SignedInForm<Fields>,
) -> Response {
    // The application must be this group's (read as the member) before anything is written.
    if let Err(problem) = load(&app, &signed_in, &org, &id).await {
        return problem_page(Some(&signed_in), &problem);
    }
    let Some(key) = idempotency_key("withdraw", form.get(FORM_KEY_FIELD)) else {
        return Redirect::to(&format!("{}/withdraw", application_path(&org, &id))).into_response();
    };
    let input = json!({ "input": { "applicationId": id, "idempotencyKey": key } });
    match gql::write(&app, &signed_in, WITHDRAW, input).await {
        Ok(_) => {
            Redirect::to(&format!("{}?done=withdrawn", application_path(&org, &id))).into_response()
        }
        Err(problem) => problem_page(Some(&signed_in), &problem),
    }
}
