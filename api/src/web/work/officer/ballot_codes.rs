//! `/manage/rounds/{round}/ballot-codes`: issue a batch of ballot codes for a round
//! residents vote in (how many: 1 to `MAX_BALLOT_CODES_PER_REQUEST`), then print them.
//!
//! GraphQL gives the plain codes once (only their hashes are kept), so the POST's answer
//! IS the printable page (no redirect: a page fetched again could not show them). The
//! form carries a key: a double submit or a refresh sends the same key, issues nothing
//! more, and the page says the codes were already shown. Printed (`@media print` in
//! fundledger.css), each code is a card with the voting address and short instructions,
//! and the page's navigation is left out.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use domain::ballot::MAX_BALLOT_CODES_PER_REQUEST;
use maud::html;
use serde::Deserialize;
use serde_json::json;

use super::round_page::{managed_round, ManagedRound};
use super::widgets::read_whole;
use super::{beside_field, form_page, round_path, segment};
use crate::server::http::App;
use crate::web::layout::{self, error_for, text_input, FieldError, TextInput};
use crate::web::session::{SignedIn, SignedInForm};
use crate::web::work::forms::{form_key_field, idempotency_key, new_form_key};
use crate::web::work::gql::{self, problem_page};

pub fn routes() -> Router<App> {
    Router::new().route(
        "/manage/rounds/{round}/ballot-codes",
        get(issue_form).post(issue),
    )
}

const ISSUE: &str = "mutation($input: IssueBallotCodesInput!) { issueBallotCodes(input: $input) { \
    position roundId batchId count codes replayed } }";

#[derive(Debug, Clone, Default, Deserialize)]
struct IssueForm {
    #[serde(default)]
    count: String,
    #[serde(default)]
    form_key: String,
}

#[derive(Debug, Deserialize)]
struct Issued {
    count: i64,
    codes: Vec<String>,
    replayed: bool,
}

async fn issue_form(
    State(app): State<App>,
    signed_in: SignedIn,
    Path(round_id): Path<String>,
) -> Response {
    let round = match managed_round(&app, &signed_in, &round_id).await {
        Ok(round) => round,
        Err(page) => return page,
    };
    let form = IssueForm {
        count: String::new(),
        form_key: new_form_key(),
    };
    render_form(&signed_in, &round, &form, &[])
}

fn render_form(
    signed_in: &SignedIn,
    round: &ManagedRound,
    form: &IssueForm,
    errors: &[FieldError],
) -> Response {
    let hint = format!(
        "From 1 to {MAX_BALLOT_CODES_PER_REQUEST} at a time: one for each resident who will vote"
    );
    let body = html! {
        span class="govuk-caption-l" { (round.name) }
        h1 class="govuk-heading-l" { "Issue ballot codes" }
        @if !round.participatory() {
            p class="govuk-body" { "Residents do not vote in this round: a panel decides, so it has no ballot codes." }
        } @else {
            p class="govuk-body" { "So far " (round.ballot_codes_issued.unwrap_or(0)) " codes have been issued and "
                (round.ballots_cast.unwrap_or(0)) " ballots cast." }
            p class="govuk-body" { "The codes are shown once, on the next page, ready to print. They are not kept: if they are lost, issue new ones." }
            form method="post" action=(format!("{}/ballot-codes", round_path(&round.id))) novalidate {
                (layout::csrf_field(&signed_in.session.csrf_token))
                (form_key_field(&form.form_key))
                (text_input(&TextInput { name: "count", label: "How many codes", value: &form.count, hint: Some(&hint),
                    error: error_for(errors, "count"), width_class: Some("govuk-input--width-4"), numeric: true,
                    ..TextInput::default() }))
                (layout::button("Issue codes"))
            }
        }
        p class="govuk-body" { a class="govuk-link" href=(round_path(&round.id)) { "Back to the round" } }
    };
    form_page(signed_in, "Issue ballot codes", errors, body)
}

async fn issue(
    State(app): State<App>,
    Path(round_id): Path<String>,
    SignedInForm {
        signed_in,
        mut form,
    }: SignedInForm<IssueForm>,
) -> Response {
    let round = match managed_round(&app, &signed_in, &round_id).await {
        Ok(round) => round,
        Err(page) => return page,
    };
    let Some(key) = idempotency_key("issue-ballot-codes", &form.form_key) else {
        form.form_key = new_form_key();
        return render_form(&signed_in, &round, &form, &[]);
    };
    let max = u32::try_from(MAX_BALLOT_CODES_PER_REQUEST).unwrap_or(u32::MAX);
    let count = match read_whole("Number of codes", &form.count, 1, max) {
        Ok(count) => count,
        Err(message) => {
            return render_form(
                &signed_in,
                &round,
                &form,
                &[FieldError::new("count", message)],
            )
        }
    };
    let input = json!({ "roundId": round.id, "count": count, "idempotencyKey": key });
    let written = match gql::write(&app, &signed_in, ISSUE, json!({ "input": input })).await {
        Ok(written) => written,
        Err(problem) if problem.is_about_input() => {
            let error = beside_field(&problem, &[], "count");
            return render_form(&signed_in, &round, &form, &[error]);
        }
        Err(problem) => return problem_page(Some(&signed_in), &problem),
    };
    match gql::decode::<Issued>(written.payload) {
        Ok(issued) => printable(&app, &signed_in, &round, &issued),
        Err(problem) => problem_page(Some(&signed_in), &problem),
    }
}

/// The codes, one card each, with the voting address and what to do.
fn printable(app: &App, signed_in: &SignedIn, round: &ManagedRound, issued: &Issued) -> Response {
    let address = app.state.web.url(&format!("/vote/{}", segment(&round.id)));
    let body = html! {
        div class="fl-no-print" {
            span class="govuk-caption-l" { (round.name) }
            @if issued.replayed {
                h1 class="govuk-heading-l" { "These codes were already issued" }
                p class="govuk-body" { "This form was sent before, so no new codes were issued. The "
                    (issued.count) " codes were shown once, when they were issued, and are not kept. If they were lost, issue a new batch." }
                p class="govuk-body" { a class="govuk-link" href=(format!("{}/ballot-codes", round_path(&round.id))) { "Issue a new batch" } }
            } @else {
                h1 class="govuk-heading-l" { (issued.count) " ballot codes issued" }
                (layout::warning_text("Print or save these codes now. They are shown only once: this page cannot be shown again."))
                p class="govuk-body" { "Give one card to each resident. Each code can vote once." }
            }
            p class="govuk-body" { a class="govuk-link" href=(round_path(&round.id)) { "Back to the round" } }
        }
        @if !issued.codes.is_empty() {
            ul class="fl-ballot-cards" aria-label="Ballot codes" {
                @for code in &issued.codes {
                    li class="fl-ballot-card" {
                        p class="govuk-body govuk-!-font-weight-bold govuk-!-margin-bottom-1" { "Vote in " (round.name) }
                        p class="fl-ballot-code" { (code) }
                        p class="govuk-body-s govuk-!-margin-bottom-1" { "Go to " span class="fl-ballot-address" { (address) } }
                        p class="govuk-body-s govuk-!-margin-bottom-0" { "Enter this code, choose the projects you support, and confirm. The code works once." }
                    }
                }
            }
        }
    };
    form_page(signed_in, "Ballot codes", &[], body)
}
