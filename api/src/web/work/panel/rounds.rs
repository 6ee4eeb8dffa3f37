//! `/panel`: the rounds a member sits on the panel of; `/panel/rounds/{round}`: a round's
//! applications with this member's state for each and their progress.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{html, Markup};
use serde::Deserialize;

use super::{member_id, read_round, MemberState, PanelApplication, PanelRound};
use crate::server::http::App;
use crate::web::layout::{self, notification_banner, page, table, tag};
use crate::web::session::SignedIn;
use crate::web::work::gql::problem_page;
use crate::web::work::widgets::{date, money, segment};

/// `GET /panel`: each round with its fund, closing date and what is left to score.
pub async fn panel_page(State(app): State<App>, signed_in: SignedIn) -> Response {
    let member = member_id(&signed_in);
    let mut rows = Vec::new();
    for round in &signed_in.roles.panel_of {
        let round = match read_round(&app, &signed_in, round.as_str(), false).await {
            Ok(round) => round,
            Err(problem) if problem.code == "NOT_FOUND" => continue,
            Err(problem) => return problem_page(Some(&signed_in), &problem),
        };
        let (scored, of) = round.progress_of(&member);
        rows.push(vec![
            html! { a class="govuk-link" href=(format!("/panel/rounds/{}", segment(&round.id))) { (round.name) } },
            html! { (round.fund.as_ref().map_or("", |fund| fund.name.as_str())) },
            html! { (date(&round.closes_on)) },
            html! { (to_score_words(of - scored)) },
        ]);
    }
    let body = html! {
        h1 class="govuk-heading-l" { "Your panel rounds" }
        @if rows.is_empty() {
            p class="govuk-body" { "You are not on the panel of any round. A fund officer invites panel members to a round." }
        } @else {
            (table("Rounds you score applications for", &["Round", "Fund", "Closes on", "Still to score"], &rows))
        }
        p class="govuk-body" { a class="govuk-link" href="/work" { "Back to your work" } }
    };
    layout::html(
        StatusCode::OK,
        page("Your panel rounds", signed_in.frame(), body),
    )
}

fn to_score_words(count: usize) -> String {
    match count {
        0 => "Nothing left to score".to_string(),
        1 => "1 application".to_string(),
        count => format!("{count} applications"),
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct DoneQuery {
    done: Option<String>,
    application: Option<String>,
}

/// `GET /panel/rounds/{round}`: the applications, this member's state with each, progress.
pub async fn round_page(
    State(app): State<App>,
    signed_in: SignedIn,
    Path(round): Path<String>,
    Query(query): Query<DoneQuery>,
) -> Response {
    let round = match read_round(&app, &signed_in, &round, false).await {
        Ok(round) => round,
        Err(problem) => return problem_page(Some(&signed_in), &problem),
    };
    let member = member_id(&signed_in);
    let (scored, of) = round.progress_of(&member);
    let body = html! {
        (done_banner(&round, &query))
        span class="govuk-caption-l" { (round.fund.as_ref().map_or("", |fund| fund.name.as_str())) }
        h1 class="govuk-heading-l" { (round.name) }
        p class="govuk-body" {
            "Applications close on " (date(&round.closes_on)) "."
            @if round.status == "CLOSED" { " This round is closed." }
        }
        p class="govuk-body-l" id="progress" { (progress_words(scored, of)) }
        @if round.min_panel_scores > 0 {
            p class="govuk-body" id="quorum" { (quorum_words(&round, &member)) }
        }
        @if round.applications.is_empty() {
            p class="govuk-body" { "No applications have been made to this round yet." }
        } @else {
            (applications_table(&round, &member))
        }
        p class="govuk-body" { (sees_scores_words(&round.panel_sees_scores)) }
        p class="govuk-body" { a class="govuk-link" href="/panel" { "All your panel rounds" } }
    };
    layout::html(StatusCode::OK, page(&round.name, signed_in.frame(), body))
}

fn progress_words(scored: usize, of: usize) -> String {
    match of {
        0 => "There is nothing for you to score at the moment.".to_string(),
        1 => format!("You have scored {scored} of 1 application."),
        of => format!("You have scored {scored} of {of} applications."),
    }
}

/// The quorum, and how many applications have reached it as far as this member sees
/// the panel's scores.
fn quorum_words(round: &PanelRound, member: &str) -> String {
    let need = round.min_panel_scores;
    let needs = match need {
        1 => "Each application needs 1 panel score before it can be decided.".to_string(),
        need => format!("Each application needs {need} panel scores before it can be decided."),
    };
    let open: Vec<&PanelApplication> = round
        .applications
        .iter()
        .filter(|application| application.status == "SUBMITTED")
        .collect();
    let visible: Vec<&&PanelApplication> = open
        .iter()
        .filter(|application| scores_visible(application, member))
        .collect();
    if visible.is_empty() {
        return needs;
    }
    let reached = visible
        .iter()
        .filter(|application| application.scores.len() as i64 >= need)
        .count();
    format!(
        "{needs} Of the {} whose scores you can see, {reached} {} reached it.",
        visible.len(),
        if reached == 1 { "has" } else { "have" }
    )
}

fn sees_scores_words(panel_sees_scores: &str) -> &'static str {
    if panel_sees_scores == "ALWAYS" {
        "In this round you can see the other panel members' scores and comments at any time."
    } else {
        "You see the other panel members' scores and comments on an application once you have scored it yourself."
    }
}

fn done_banner(round: &PanelRound, query: &DoneQuery) -> Markup {
    let title = query
        .application
        .as_deref()
        .and_then(|id| {
            round
                .applications
                .iter()
                .find(|application| application.id == id)
        })
        .map(|application| application.title.as_str())
        .unwrap_or("the application");
    let heading = match query.done.as_deref() {
        Some("scored") => format!("Your score for \u{201c}{title}\u{201d} has been saved"),
        Some("conflict") => {
            format!("Your conflict of interest on \u{201c}{title}\u{201d} has been recorded")
        }
        _ => return html! {},
    };
    notification_banner("Success", &heading, html! {}, true)
}

fn applications_table(round: &PanelRound, member: &str) -> Markup {
    let rows: Vec<Vec<Markup>> = round
        .applications
        .iter()
        .map(|application| {
            vec![
                html! {
                    a class="govuk-link" href=(format!("/panel/applications/{}", segment(&application.id))) { (application.title) }
                },
                html! { (application.applicant_name) },
                html! { (money(&application.amount_requested)) },
                state_tag(application, member),
                html! { (panel_scores_words(round, application, member)) },
            ]
        })
        .collect();
    table(
        "Applications",
        &[
            "Application",
            "Group",
            "Amount requested",
            "You",
            "Panel scores",
        ],
        &rows,
    )
}

/// This member's state with `application` as a tag.
pub fn state_tag(application: &PanelApplication, member: &str) -> Markup {
    match application.state_of(member) {
        MemberState::ToScore => tag("To score", Some("blue")),
        MemberState::Scored(score) => tag(&format!("Scored {score}"), Some("green")),
        MemberState::Conflict => tag("Conflict declared", Some("orange")),
        MemberState::Closed => tag(&status_words(&application.status), Some("grey")),
    }
}

pub fn status_words(status: &str) -> String {
    match status {
        "SUBMITTED" => "Waiting for a decision",
        "APPROVED" => "Approved",
        "DECLINED" => "Declined",
        "WITHDRAWN" => "Withdrawn",
        other => other,
    }
    .to_string()
}

/// How many scores the panel has given, as far as GraphQL shows them to this member.
fn panel_scores_words(round: &PanelRound, application: &PanelApplication, member: &str) -> String {
    if application.state_of(member) == MemberState::Conflict {
        return "\u{2014}".to_string();
    }
    let count = application.scores.len();
    match (scores_visible(application, member), round.min_panel_scores) {
        (false, _) => "Shown once you have scored".to_string(),
        (true, need) if need > 0 => format!("{count} of the {need} needed"),
        (true, _) if count == 1 => "1 score".to_string(),
        (true, _) => format!("{count} scores"),
    }
}

/// Whether GraphQL shows this member the panel's scores on `application` (their own
/// score, or anyone else's, is there).
fn scores_visible(application: &PanelApplication, member: &str) -> bool {
    application.own_score(member).is_some()
        || application
            .scores
            .iter()
            .any(|score| score.member != member)
}
