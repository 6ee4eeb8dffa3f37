//! `/groups/{org}`: the group's home. The rounds open now that it can apply to (name,
//! fund, closing date, themes, places by name), its applications (status in words) and
//! its awards (amount, paid, available to draw, status, what to do next).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::json;

use super::{application_path, apply_path, award_path};
use crate::server::http::App;
use crate::web::layout::{self, page, table};
use crate::web::session::SignedIn;
use crate::web::work::gql::{self, problem_page};
use crate::web::work::places;
use crate::web::work::widgets::{date, enum_words, money};

const HOME: &str = "query($org: String!) { \
    group(organisationId: $org) { name applications { id roundId title amountRequested status submittedOn awardId } } \
    rounds { id name status opensOn closesOn themes eligibleAreas fund { name } } \
    awards(filter: { recipientOrgId: $org }, first: 50) { nodes { id title status awarded paid availableToDraw acceptedOn \
    spendReportDueOn outcomeReportDueOn } } }";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    pub name: Option<String>,
    #[serde(default)]
    pub applications: Vec<ApplicationLine>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationLine {
    pub id: String,
    pub round_id: String,
    pub title: String,
    pub amount_requested: String,
    pub status: String,
    pub submitted_on: String,
    pub award_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenRound {
    pub id: String,
    pub name: String,
    pub status: String,
    pub opens_on: String,
    pub closes_on: String,
    pub themes: Vec<String>,
    pub eligible_areas: Vec<String>,
    pub fund: Option<FundName>,
}

#[derive(Debug, Deserialize)]
pub struct FundName {
    pub name: String,
}

#[derive(Debug, Deserialize)]
struct Awards {
    nodes: Vec<AwardLine>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AwardLine {
    id: String,
    title: String,
    status: String,
    awarded: String,
    paid: String,
    available_to_draw: String,
    accepted_on: Option<String>,
    spend_report_due_on: Option<String>,
    outcome_report_due_on: Option<String>,
}

#[derive(Debug, Deserialize)]
struct HomeAnswer {
    group: Group,
    rounds: Vec<OpenRound>,
    awards: Awards,
}

/// The group's name as people read it (its id while none is known).
pub fn group_name(group: &Group) -> String {
    group
        .name
        .clone()
        .unwrap_or_else(|| "Your group".to_string())
}

/// A list of places by name ("Anywhere" when empty).
pub async fn places_in_words(app: &App, codes: &[String]) -> String {
    if codes.is_empty() {
        return "Anywhere".to_string();
    }
    let mut names = Vec::with_capacity(codes.len());
    for code in codes {
        names.push(match places::place_name(app, code).await {
            Some(place) => place.name,
            None => "a place no longer in the reference geography".to_string(),
        });
    }
    names.join(", ")
}

pub async fn group_page(
    State(app): State<App>,
    Path(org): Path<String>,
    signed_in: SignedIn,
) -> Response {
    let answer: HomeAnswer = match gql::read(&app, &signed_in, HOME, json!({ "org": org })).await {
        Ok(answer) => answer,
        Err(problem) => return problem_page(Some(&signed_in), &problem),
    };
    let name = group_name(&answer.group);
    let open: Vec<&OpenRound> = answer
        .rounds
        .iter()
        .filter(|round| round.status == "OPEN")
        .collect();
    let rounds = rounds_section(&app, &org, &open).await;
    let round_names: Vec<(String, String)> = answer
        .rounds
        .iter()
        .map(|round| (round.id.clone(), round.name.clone()))
        .collect();
    let body = html! {
        @if answer.group.name.is_some() {
            span class="govuk-caption-l" { "Your group" }
        }
        h1 class="govuk-heading-l" { (name) }
        (rounds)
        (applications_section(&org, &answer.group.applications, &round_names))
        (awards_section(&org, &answer.awards.nodes))
    };
    layout::html(StatusCode::OK, page(&name, signed_in.frame(), body))
}

async fn rounds_section(app: &App, org: &str, rounds: &[&OpenRound]) -> Markup {
    let mut cards = Vec::with_capacity(rounds.len());
    for round in rounds {
        let places = places_in_words(app, &round.eligible_areas).await;
        cards.push(html! {
            div class="govuk-summary-card" {
                div class="govuk-summary-card__title-wrapper" {
                    h3 class="govuk-summary-card__title" { (round.name) }
                    ul class="govuk-summary-card__actions" {
                        li class="govuk-summary-card__action" {
                            a class="govuk-link" href=(apply_path(org, &round.id)) {
                                "Apply" span class="govuk-visually-hidden" { " to " (round.name) }
                            }
                        }
                    }
                }
                div class="govuk-summary-card__content" {
                    dl class="govuk-summary-list" {
                        (row("Fund", html! { (round.fund.as_ref().map(|fund| fund.name.as_str()).unwrap_or("")) }))
                        (row("Open", html! { (date(&round.opens_on)) " to " (date(&round.closes_on)) }))
                        (row("Themes", html! { @if round.themes.is_empty() { "Any theme" } @else { (round.themes.join(", ")) } }))
                        (row("Places", html! { (places) }))
                    }
                }
            }
        });
    }
    html! {
        h2 class="govuk-heading-m" { "Rounds you can apply to" }
        @if cards.is_empty() {
            p class="govuk-body" { "No round is open just now." }
        }
        @for card in cards { (card) }
    }
}

fn row(key: &str, value: Markup) -> Markup {
    html! {
        div class="govuk-summary-list__row" {
            dt class="govuk-summary-list__key" { (key) }
            dd class="govuk-summary-list__value" { (value) }
        }
    }
}

fn applications_section(
    org: &str,
    applications: &[ApplicationLine],
    rounds: &[(String, String)],
) -> Markup {
    let rows: Vec<Vec<Markup>> = applications
        .iter()
        .map(|application| {
            let round = rounds
                .iter()
                .find(|(id, _)| *id == application.round_id)
                .map(|(_, name)| name.clone())
                .unwrap_or_default();
            vec![
                html! { a class="govuk-link" href=(application_path(org, &application.id)) { (application.title) } },
                html! { (round) },
                html! { (money(&application.amount_requested)) },
                html! { (date(&application.submitted_on)) },
                html! {
                    (layout::tag(&status_of_application(&application.status), None))
                    @if let Some(award) = &application.award_id {
                        " " a class="govuk-link" href=(award_path(org, award)) { "See the award" }
                    }
                },
            ]
        })
        .collect();
    html! {
        h2 class="govuk-heading-m" { "Your applications" }
        @if rows.is_empty() {
            p class="govuk-body" { "Your group has not applied yet." }
        } @else {
            (table("Your applications", &["Project", "Round", "Asked for", "Sent on", "Status"], &rows))
        }
    }
}

/// An application's status in words.
pub fn status_of_application(status: &str) -> String {
    match status {
        "SUBMITTED" => "Waiting for a decision".to_string(),
        "APPROVED" => "Approved".to_string(),
        "DECLINED" => "Not funded".to_string(),
        "WITHDRAWN" => "Withdrawn".to_string(),
        other => enum_words(other),
    }
}

/// What the group does next on an award.
fn next_step(award: &AwardLine) -> &'static str {
    match award.status.as_str() {
        "OFFERED" => "Accept the grant agreement",
        "ACTIVE" if award.accepted_on.is_some() && award.available_to_draw != "0.00" => {
            "Request a drawdown, report spend and outcomes"
        }
        "ACTIVE" => "Report spend and outcomes",
        _ => "Nothing: the award is closed",
    }
}

fn awards_section(org: &str, awards: &[AwardLine]) -> Markup {
    let rows: Vec<Vec<Markup>> = awards
        .iter()
        .map(|award| {
            vec![
                html! { a class="govuk-link" href=(award_path(org, &award.id)) { (award.title) } },
                html! { (money(&award.awarded)) },
                html! { (money(&award.paid)) },
                html! { (money(&award.available_to_draw)) },
                html! { (layout::tag(&award_status(&award.status), None)) },
                html! {
                    (next_step(award))
                    (super::award::reports_due(
                        award.spend_report_due_on.as_deref(),
                        award.outcome_report_due_on.as_deref(),
                    ))
                },
            ]
        })
        .collect();
    html! {
        h2 class="govuk-heading-m" { "Your awards" }
        @if rows.is_empty() {
            p class="govuk-body" { "Your group has no awards yet." }
        } @else {
            (table("Your awards", &["Project", "Awarded", "Paid", "Available to draw", "Status", "Next"], &rows))
        }
    }
}

/// An award's status in words.
pub fn award_status(status: &str) -> String {
    match status {
        "OFFERED" => "Offered: agreement to accept".to_string(),
        "ACTIVE" => "Active".to_string(),
        "CLOSED" => "Closed".to_string(),
        other => enum_words(other),
    }
}
