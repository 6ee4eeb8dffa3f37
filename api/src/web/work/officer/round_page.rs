//! `/manage/rounds/{round}`: a round as its fund's officers see it: its terms in words,
//! budget / awarded / remaining, application counts and the applications (title, group,
//! place by name, requested, status, panel scores against the quorum, votes) linking to
//! `/manage/applications/{id}`. Close the round (`/close`, a confirm page); in a round
//! residents vote in: ballot codes issued and cast, issue codes, and count the votes
//! (`/allocate`, a confirm page explaining the rule).

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::json;

use super::widgets::{date_words, headed_table, pounds};
use super::{done_banner, form_page, fund_path, round_path, row, segment, Notice};
use crate::server::http::App;
use crate::web::layout::{self, summary_list};
use crate::web::session::{SignedIn, SignedInForm};
use crate::web::work::forms::{form_key_field, idempotency_key, new_form_key};
use crate::web::work::gql::{self, problem_page, Problem};
use crate::web::work::places;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/manage/rounds/{round}", get(round_page))
        .route(
            "/manage/rounds/{round}/close",
            get(confirm_close).post(close),
        )
        .route(
            "/manage/rounds/{round}/allocate",
            get(confirm_allocate).post(allocate),
        )
}

const ROUND: &str = "query($id: String!) { managedRound(id: $id) { id fundId name status opensOn closesOn closedOn \
    decisionMode themes eligibleAreas budget awarded remaining returnedToFund minPanelScores panelSeesScores \
    applicationCounts { submitted withdrawn declined approved total } \
    applications { id title applicantName neighbourhood amountRequested approvedAmount status votes scores { score } } \
    ballotCodesIssued ballotsCast votingClosedOn votesAllocatedOn fund { name } } }";
const CLOSE: &str =
    "mutation($input: RoundInput!) { closeRound(input: $input) { position roundId } }";
const ALLOCATE: &str =
    "mutation($input: RoundInput!) { allocateByVotes(input: $input) { position roundId } }";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    managed_round: Option<ManagedRound>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ManagedRound {
    pub id: String,
    pub fund_id: String,
    pub name: String,
    pub status: String,
    opens_on: String,
    closes_on: String,
    closed_on: Option<String>,
    pub decision_mode: String,
    themes: Vec<String>,
    eligible_areas: Vec<String>,
    budget: String,
    awarded: String,
    remaining: String,
    returned_to_fund: String,
    min_panel_scores: i64,
    panel_sees_scores: String,
    application_counts: Counts,
    applications: Vec<ApplicationRow>,
    pub ballot_codes_issued: Option<i64>,
    pub ballots_cast: Option<i64>,
    voting_closed_on: Option<String>,
    pub votes_allocated_on: Option<String>,
    pub fund: Option<FundName>,
}

#[derive(Debug, Deserialize)]
pub(super) struct FundName {
    pub name: String,
}

#[derive(Debug, Deserialize)]
struct Counts {
    submitted: i64,
    withdrawn: i64,
    declined: i64,
    approved: i64,
    total: i64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApplicationRow {
    id: String,
    title: String,
    applicant_name: String,
    neighbourhood: String,
    amount_requested: String,
    approved_amount: Option<String>,
    status: String,
    votes: Option<i64>,
    scores: Vec<Score>,
}

#[derive(Debug, Deserialize)]
struct Score {
    #[allow(dead_code)]
    score: i64,
}

impl ManagedRound {
    pub fn participatory(&self) -> bool {
        self.decision_mode == "PARTICIPATORY"
    }

    pub fn open(&self) -> bool {
        self.status == "OPEN"
    }

    pub fn fund_name(&self) -> String {
        self.fund
            .as_ref()
            .map_or_else(|| self.fund_id.clone(), |fund| fund.name.clone())
    }
}

/// The round as its officer may read it; else the page to show instead.
pub(super) async fn managed_round(
    app: &App,
    signed_in: &SignedIn,
    round: &str,
) -> Result<ManagedRound, Response> {
    match gql::read::<Answer>(app, signed_in, ROUND, json!({ "id": round })).await {
        Ok(Answer {
            managed_round: Some(round),
        }) => Ok(round),
        Ok(_) => Err(problem_page(
            Some(signed_in),
            &Problem::new("NOT_FOUND", "no such round"),
        )),
        Err(problem) => Err(problem_page(Some(signed_in), &problem)),
    }
}

async fn round_page(
    State(app): State<App>,
    signed_in: SignedIn,
    Path(round_id): Path<String>,
    Query(notice): Query<Notice>,
) -> Response {
    let round = match managed_round(&app, &signed_in, &round_id).await {
        Ok(round) => round,
        Err(page) => return page,
    };
    let places = place_names(&app, &round).await;
    let banner = match notice.done.as_deref() {
        Some("opened") => Some("Round opened"),
        Some("closed") => Some("Round closed"),
        Some("allocated") => Some("Votes counted and the budget allocated"),
        _ => None,
    };
    let body = html! {
        (done_banner(banner))
        span class="govuk-caption-l" { a class="govuk-link" href=(fund_path(&round.fund_id)) { (round.fund_name()) } }
        h1 class="govuk-heading-l" { (round.name) " " (status_tag(&round)) }
        (terms(&round, &places))
        (figures(&round))
        (applications(&round, &places))
        (votes(&round))
        (round_actions(&round))
    };
    form_page(&signed_in, &round.name, &[], body)
}

fn status_tag(round: &ManagedRound) -> Markup {
    if round.open() {
        layout::tag("Open", Some("green"))
    } else {
        layout::tag("Closed", Some("grey"))
    }
}

/// Each place code of the round (eligible areas, applications' neighbourhoods) by name.
async fn place_names(app: &App, round: &ManagedRound) -> std::collections::HashMap<String, String> {
    let mut names = std::collections::HashMap::new();
    let codes = round.eligible_areas.iter().chain(
        round
            .applications
            .iter()
            .map(|application| &application.neighbourhood),
    );
    for code in codes {
        if names.contains_key(code) {
            continue;
        }
        // A neighbourhood's own name is statistical ("Hartlepool 008A"): say where it is.
        let name = places::place_name(app, code).await.map_or_else(
            || "A place not in the reference geography".to_string(),
            |place| match place.level.as_str() {
                "neighbourhood" if !place.context.is_empty() => {
                    format!("{} ({})", place.name, place.context)
                }
                _ => place.name,
            },
        );
        names.insert(code.clone(), name);
    }
    names
}

fn terms(round: &ManagedRound, places: &std::collections::HashMap<String, String>) -> Markup {
    let eligible = if round.eligible_areas.is_empty() {
        "Anywhere".to_string()
    } else {
        round
            .eligible_areas
            .iter()
            .filter_map(|code| places.get(code).cloned())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let themes = if round.themes.is_empty() {
        "Any theme".to_string()
    } else {
        round.themes.join(", ")
    };
    let decision = if round.participatory() {
        "Residents vote"
    } else {
        "The panel scores, an officer decides"
    };
    let sees = if round.panel_sees_scores == "ALWAYS" {
        "Always"
    } else {
        "Once they have scored it themselves"
    };
    let mut rows = vec![
        row("Opens", date_words(&round.opens_on)),
        row("Closes", date_words(&round.closes_on)),
    ];
    if let Some(closed) = &round.closed_on {
        rows.push(row("Closed on", date_words(closed)));
    }
    rows.extend([
        row("Who decides", decision),
        row("Themes", themes),
        row("Eligible places", eligible),
    ]);
    if !round.participatory() {
        rows.push(row(
            "Panel scores needed",
            round.min_panel_scores.to_string(),
        ));
        rows.push(row("Panel members see each other's scores", sees));
    }
    html! {
        h2 class="govuk-heading-m" { "Terms" }
        (summary_list(&rows))
    }
}

fn figures(round: &ManagedRound) -> Markup {
    let counts = &round.application_counts;
    html! {
        h2 class="govuk-heading-m" { "Money" }
        (summary_list(&[
            row("Budget", pounds(&round.budget)),
            row("Awarded", pounds(&round.awarded)),
            row("Remaining", pounds(&round.remaining)),
            row("Returned to the fund", pounds(&round.returned_to_fund)),
            row("Applications", format!("{} in all: {} waiting, {} approved, {} declined, {} withdrawn",
                counts.total, counts.submitted, counts.approved, counts.declined, counts.withdrawn)),
        ]))
    }
}

fn status_words(status: &str) -> &'static str {
    match status {
        "SUBMITTED" => "Waiting for a decision",
        "APPROVED" => "Approved",
        "DECLINED" => "Declined",
        "WITHDRAWN" => "Withdrawn",
        _ => "Unknown",
    }
}

fn applications(
    round: &ManagedRound,
    places: &std::collections::HashMap<String, String>,
) -> Markup {
    let participatory = round.participatory();
    let rows: Vec<Vec<Markup>> = round
        .applications
        .iter()
        .map(|application| {
            let place = places.get(&application.neighbourhood).cloned().unwrap_or_default();
            let decided = application.approved_amount.as_deref().map(pounds);
            let mut cells = vec![
                html! { a class="govuk-link" href=(format!("/manage/applications/{}", segment(&application.id))) { (application.title) } },
                html! { (application.applicant_name) },
                html! { (place) },
                html! { (pounds(&application.amount_requested)) },
                html! { (status_words(&application.status)) @if let Some(amount) = decided { " (" (amount) ")" } },
            ];
            if participatory {
                cells.push(html! { (application.votes.unwrap_or(0)) });
            } else {
                cells.push(html! { (application.scores.len()) " of " (round.min_panel_scores) });
            }
            cells
        })
        .collect();
    let last = if participatory {
        "Votes"
    } else {
        "Panel scores"
    };
    html! {
        @if rows.is_empty() {
            h2 class="govuk-heading-m" { "Applications" }
            p class="govuk-body" { "No applications yet." }
        } @else {
            (headed_table(2, "Applications", &["Application", "Group", "Place", "Requested", "Status", last], &rows))
        }
    }
}

fn votes(round: &ManagedRound) -> Markup {
    if !round.participatory() {
        return html! {};
    }
    let mut rows = vec![
        row(
            "Ballot codes issued",
            round.ballot_codes_issued.unwrap_or(0).to_string(),
        ),
        row("Ballots cast", round.ballots_cast.unwrap_or(0).to_string()),
    ];
    if let Some(closed) = &round.voting_closed_on {
        rows.push(row("Voting closed", date_words(closed)));
    }
    if let Some(allocated) = &round.votes_allocated_on {
        rows.push(row("Votes counted", date_words(allocated)));
    }
    html! {
        h2 class="govuk-heading-m" { "Residents' vote" }
        (summary_list(&rows))
    }
}

fn round_actions(round: &ManagedRound) -> Markup {
    let base = round_path(&round.id);
    let counting = round.participatory() && round.votes_allocated_on.is_none();
    html! {
        @if round.open() || counting {
            h2 class="govuk-heading-m" { "Actions" }
            ul class="govuk-list" {
                @if counting {
                    li { a class="govuk-link" href=(format!("{base}/ballot-codes")) { "Issue ballot codes" } }
                    li { a class="govuk-link" href=(format!("{base}/allocate")) { "Count the votes and allocate the budget" } }
                }
                @if round.open() {
                    li { a class="govuk-link" href=(format!("{base}/close")) { "Close the round" } }
                }
            }
        }
    }
}

// ---------------------------------------------------------------- close, allocate

#[derive(Debug, Default, Deserialize)]
struct ConfirmForm {
    #[serde(default)]
    form_key: String,
}

/// A round's one-button action, asked before it is done: what it posts to, the question,
/// what it will do (from the round's figures) and the button.
struct Confirm {
    what: &'static str,
    heading: &'static str,
    explain: fn(&ManagedRound) -> Markup,
    button: &'static str,
}

async fn confirm_page(
    app: &App,
    signed_in: &SignedIn,
    round_id: &str,
    confirm: Confirm,
) -> Response {
    let round = match managed_round(app, signed_in, round_id).await {
        Ok(round) => round,
        Err(page) => return page,
    };
    let body = html! {
        span class="govuk-caption-l" { (round.name) }
        h1 class="govuk-heading-l" { (confirm.heading) }
        ((confirm.explain)(&round))
        form method="post" action=(format!("{}/{}", round_path(&round.id), confirm.what)) novalidate {
            (layout::csrf_field(&signed_in.session.csrf_token))
            (form_key_field(&new_form_key()))
            div class="govuk-button-group" {
                (layout::warning_button(confirm.button))
                a class="govuk-link" href=(round_path(&round.id)) { "Cancel" }
            }
        }
    };
    form_page(signed_in, confirm.heading, &[], body)
}

async fn confirm_close(
    State(app): State<App>,
    signed_in: SignedIn,
    Path(round_id): Path<String>,
) -> Response {
    let confirm = Confirm {
        what: "close",
        heading: "Close this round?",
        explain: |round| {
            html! {
                p class="govuk-body" { "Groups will no longer be able to apply. The round's unawarded budget, "
                    (pounds(&round.remaining)) ", goes back to the fund's available money." }
                (layout::warning_text("You cannot reopen a round."))
            }
        },
        button: "Close the round",
    };
    confirm_page(&app, &signed_in, &round_id, confirm).await
}

async fn confirm_allocate(
    State(app): State<App>,
    signed_in: SignedIn,
    Path(round_id): Path<String>,
) -> Response {
    let confirm = Confirm {
        what: "allocate",
        heading: "Count the votes and allocate the budget?",
        explain: |round| {
            html! {
                p class="govuk-body" { (round.ballots_cast.unwrap_or(0)) " ballots have been cast. Counting closes voting: no more ballots are accepted." }
                p class="govuk-body" { "The budget of " (pounds(&round.remaining)) " then goes down the applications in order of votes, most first:" }
                ul class="govuk-list govuk-list--bullet" {
                    li { "each application is approved for the full amount it asked for, while that still fits in what is left of the budget" }
                    li { "an application that does not fit is passed over, and the next one is tried" }
                    li { "between applications with equal votes, the one whose submission the ledger recorded first comes first" }
                }
                (layout::warning_text("The count is final: it cannot be undone."))
            }
        },
        button: "Count the votes and allocate",
    };
    confirm_page(&app, &signed_in, &round_id, confirm).await
}

async fn close(
    State(app): State<App>,
    Path(round_id): Path<String>,
    SignedInForm { signed_in, form }: SignedInForm<ConfirmForm>,
) -> Response {
    act(
        &app,
        &signed_in,
        &round_id,
        &form,
        "close-round",
        CLOSE,
        "closed",
    )
    .await
}

async fn allocate(
    State(app): State<App>,
    Path(round_id): Path<String>,
    SignedInForm { signed_in, form }: SignedInForm<ConfirmForm>,
) -> Response {
    act(
        &app,
        &signed_in,
        &round_id,
        &form,
        "allocate-votes",
        ALLOCATE,
        "allocated",
    )
    .await
}

/// Runs a round's one-button write once per form key, then shows the round.
async fn act(
    app: &App,
    signed_in: &SignedIn,
    round_id: &str,
    form: &ConfirmForm,
    verb: &str,
    mutation: &str,
    done: &str,
) -> Response {
    let Some(key) = idempotency_key(verb, &form.form_key) else {
        return Redirect::to(&round_path(round_id)).into_response();
    };
    let input = json!({ "input": { "roundId": round_id, "idempotencyKey": key } });
    match gql::write(app, signed_in, mutation, input).await {
        Ok(_) => Redirect::to(&format!("{}?done={done}", round_path(round_id))).into_response(),
        Err(problem) => problem_page(Some(signed_in), &problem),
    }
}
