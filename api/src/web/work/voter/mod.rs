//! A resident's ballot in a participatory round (issue 14), on a phone first, with no
//! sign-in: the ballot code is the credential.
//!
//! 1. `GET /vote/{round}`: the round and how voting works; the code.
//! 2. `POST /vote/{round}/choose`: the projects in contention, as checkboxes.
//! 3. `POST /vote/{round}/check`: check your vote (it cannot be changed afterwards).
//! 4. `POST /vote/{round}/cast`: `castBallot`, then the receipt.
//!
//! The code travels between the steps only in hidden fields of POST forms (never in a
//! URL, so never in a history, a log or a referrer). Every form carries the signed-out
//! double-submit token (`SignedOutForm`); the cast form carries a form key, so a double
//! click or a resubmitted page casts once and shows the same receipt. Whether a code is
//! valid, used, the round open, the choices allowed, the caller throttled: GraphQL
//! decides; the pages only say so in plain words.

mod pages;

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde::Deserialize;
use serde_json::json;

use crate::server::auth::Viewer;
use crate::server::http::App;
use crate::web::layout::FieldError;
use crate::web::session::{signed_out_token, with_cookie, SignedOutForm};
use crate::web::work::forms::{idempotency_key, new_form_key};
use crate::web::work::gql::{self, problem_page, Problem};
use pages::Step;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/vote/{round}", get(code_page))
        .route("/vote/{round}/choose", post(choose))
        .route("/vote/{round}/check", post(check))
        .route("/vote/{round}/cast", post(cast))
}

const ROUND: &str = "query($id: String!) { round(id: $id) { \
    id name status closesOn decisionMode votingClosedOn fund { name } \
    applications { id title applicantName amountRequested neighbourhood status } } }";

const CAST: &str = "mutation($input: CastBallotInput!) { castBallot(input: $input) { position } }";

#[derive(Debug, Deserialize)]
struct RoundAnswer {
    round: Option<VoteRound>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VoteRound {
    pub id: String,
    pub name: String,
    pub status: String,
    pub closes_on: String,
    pub decision_mode: String,
    pub voting_closed_on: Option<String>,
    pub fund: Option<FundName>,
    pub applications: Vec<Candidate>,
}

#[derive(Debug, Deserialize)]
pub struct FundName {
    pub name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Candidate {
    pub id: String,
    pub title: String,
    pub applicant_name: String,
    pub amount_requested: String,
    pub neighbourhood: String,
    pub status: String,
}

impl VoteRound {
    fn is_voting_open(&self) -> bool {
        self.status == "OPEN" && self.voting_closed_on.is_none()
    }

    /// The applications residents vote on: those still undecided.
    pub fn in_contention(&self) -> impl Iterator<Item = &Candidate> {
        self.applications
            .iter()
            .filter(|candidate| candidate.status == "SUBMITTED")
    }
}

/// What a ballot's forms carry: the code, the choices, the cast form's key.
#[derive(Debug, Default, Clone)]
pub struct BallotForm {
    pub ballot_code: String,
    pub choices: Vec<String>,
    pub form_key: String,
}

impl BallotForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> BallotForm {
        let mut form = BallotForm::default();
        for (name, value) in pairs {
            match name.as_str() {
                "ballot_code" => form.ballot_code = value,
                "choice" if !form.choices.contains(&value) => form.choices.push(value),
                "form_key" => form.form_key = value,
                _ => {}
            }
        }
        form
    }
}

/// The round, if it is a participatory round open for votes; otherwise the page to show.
async fn open_round(app: &App, round: &str) -> Result<VoteRound, Response> {
    let answer: RoundAnswer = gql::read_public(app, ROUND, json!({ "id": round }))
        .await
        .map_err(|problem| problem_page(None, &problem))?;
    match answer.round {
        Some(round) if round.decision_mode == "PARTICIPATORY" => {
            if round.is_voting_open() {
                Ok(round)
            } else {
                Err(pages::closed_page(&round))
            }
        }
        _ => Err(problem_page(
            None,
            &Problem::new("NOT_FOUND", "no such vote"),
        )),
    }
}

/// `GET /vote/{round}`: how voting works, and the code.
async fn code_page(
    State(app): State<App>,
    Path(round): Path<String>,
    headers: HeaderMap,
) -> Response {
    let round = match open_round(&app, &round).await {
        Ok(round) => round,
        Err(page) => return page,
    };
    let (token, cookie) = signed_out_token(&app.state.web, &headers);
    let form = BallotForm::default();
    let step = Step::new(&round, &token, &form, &[]);
    with_cookie(pages::code_form(&step, StatusCode::OK), cookie)
}

/// The code as typed, if it could be a ballot code (case, spaces and dashes don't
/// matter: the ballot codes' own normaliser reads it); whether it is one, GraphQL decides.
fn code_problem(code: &str) -> Option<&'static str> {
    let normalised = infrastructure::ballot_codes::normalise(code);
    if normalised.is_empty() {
        Some("Enter the ballot code from your ballot card")
    } else if normalised.chars().count() != infrastructure::ballot_codes::BALLOT_CODE_CHARS
        || !normalised.chars().all(|c| c.is_ascii_alphanumeric())
    {
        Some("Enter the ballot code exactly as it is on your card: 16 letters and numbers, like ABCD-EFGH-JKMN-PQRS")
    } else {
        None
    }
}

/// A posted step's open round and signed-out token; otherwise the page to show (the
/// round's own, or, when `check_code`, the code again with its problem beside it).
async fn posted_step(
    app: &App,
    round: &str,
    headers: &HeaderMap,
    form: &BallotForm,
    check_code: bool,
) -> Result<(VoteRound, String), Response> {
    let round = open_round(app, round).await?;
    let (token, _) = signed_out_token(&app.state.web, headers);
    match code_problem(&form.ballot_code).filter(|_| check_code) {
        Some(problem) => {
            let errors = [FieldError::new("ballot_code", problem)];
            let step = Step::new(&round, &token, form, &errors);
            Err(pages::code_form(&step, StatusCode::OK))
        }
        None => Ok((round, token)),
    }
}

/// `POST /vote/{round}/choose`: the code is read; the projects to choose from.
async fn choose(
    State(app): State<App>,
    Path(round): Path<String>,
    SignedOutForm { form, headers }: SignedOutForm<Vec<(String, String)>>,
) -> Response {
    let form = BallotForm::from_pairs(form);
    let (round, token) = match posted_step(&app, &round, &headers, &form, true).await {
        Ok(step) => step,
        Err(page) => return page,
    };
    let step = Step::new(&round, &token, &form, &[]);
    pages::choose_form(&app, &step, StatusCode::OK).await
}

/// Why the choices cannot be cast as they are, if they cannot.
fn choices_problem(choices: &[String]) -> Option<String> {
    let max = domain::ballot::MAX_CHOICES_PER_BALLOT;
    if choices.is_empty() {
        Some("Choose at least one project".to_string())
    } else if choices.len() > max {
        Some(format!(
            "Choose no more than {max} projects: you chose {}",
            choices.len()
        ))
    } else {
        None
    }
}

/// `POST /vote/{round}/check`: the choices are read; check your vote.
async fn check(
    State(app): State<App>,
    Path(round): Path<String>,
    SignedOutForm { form, headers }: SignedOutForm<Vec<(String, String)>>,
) -> Response {
    let mut form = BallotForm::from_pairs(form);
    let (round, token) = match posted_step(&app, &round, &headers, &form, true).await {
        Ok(step) => step,
        Err(page) => return page,
    };
    if let Some(refusal) = choices_problem(&form.choices) {
        let errors = [FieldError::new("choice", refusal)];
        let step = Step::new(&round, &token, &form, &errors);
        return pages::choose_form(&app, &step, StatusCode::OK).await;
    }
    form.form_key = new_form_key();
    pages::check_page(&Step::new(&round, &token, &form, &[]))
}

/// `POST /vote/{round}/cast`: `castBallot` as the public from the caller's address, then
/// the receipt; a refusal goes back to the step it is about, nothing cast.
async fn cast(
    State(app): State<App>,
    Path(round): Path<String>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    SignedOutForm { form, headers }: SignedOutForm<Vec<(String, String)>>,
) -> Response {
    let mut form = BallotForm::from_pairs(form);
    let (round, token) = match posted_step(&app, &round, &headers, &form, false).await {
        Ok(step) => step,
        Err(page) => return page,
    };
    let Some(key) = idempotency_key("ballot", &form.form_key) else {
        form.form_key = new_form_key();
        return pages::check_page(&Step::new(&round, &token, &form, &[]));
    };
    let input = json!({ "input": {
        "roundId": round.id, "ballotCode": form.ballot_code,
        "applicationIds": form.choices, "idempotencyKey": key,
    }});
    let peer = peer.map(|Extension(ConnectInfo(address))| address.ip());
    match gql::write_as(&app, Viewer::Public, peer, CAST, input).await {
        Ok(written) => pages::receipt(&app, &round, &form, written.position).await,
        Err(problem) => refused(&app, &round, &token, &form, &problem).await,
    }
}

/// Where a refused ballot goes: a code problem back to the code, a choice problem back
/// to the choices, anything else (voting closed, throttled, the store) to its own page.
async fn refused(
    app: &App,
    round: &VoteRound,
    token: &str,
    form: &BallotForm,
    problem: &Problem,
) -> Response {
    let plain = problem
        .message
        .replace(&format!("round {}", round.id), "this round");
    let (field, message) = match problem.code.as_str() {
        "FORBIDDEN" => ("ballot_code", "This ballot code is not valid for this vote. Check it against your ballot card".to_string()),
        "CONFLICT" if plain.contains("already been used") => (
            "ballot_code",
            "This ballot code has already been used. Each code can vote once, so nothing was changed".to_string(),
        ),
        "BAD_INPUT" if plain.contains("ballotCode") => ("ballot_code", Problem::new("BAD_INPUT", plain).sentence()),
        "BAD_INPUT" => ("choice", Problem::new("BAD_INPUT", plain).sentence()),
        "CONFLICT" if plain.contains("application") => ("choice", Problem::new("CONFLICT", plain).sentence()),
        _ => return problem_page(None, &Problem::new(&problem.code, plain)),
    };
    let errors = [FieldError::new(field, message)];
    let step = Step::new(round, token, form, &errors);
    if field == "ballot_code" {
        pages::code_form(&step, StatusCode::OK)
    } else {
        pages::choose_form(app, &step, StatusCode::OK).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_read_as_people_type_them() {
        assert_eq!(code_problem("7kq2 m9xd-4rtb hc3w"), None);
        assert_eq!(code_problem("7KQ2-M9XD-4RTB-HC3W"), None);
        assert!(code_problem("").is_some());
        assert!(code_problem("7KQ2-M9XD").is_some());
        assert!(code_problem("7KQ2-M9XD-4RTB-HC3W-X").is_some());
    }

    #[test]
    fn a_ballot_form_keeps_each_choice_once() {
        let form = BallotForm::from_pairs(vec![
            ("ballot_code".into(), "abc".into()),
            ("choice".into(), "A1".into()),
            ("choice".into(), "A2".into()),
            ("choice".into(), "A1".into()),
            ("form_key".into(), "k".into()),
        ]);
        assert_eq!(form.choices, vec!["A1".to_string(), "A2".to_string()]);
        assert_eq!(form.ballot_code, "abc");
        assert_eq!(form.form_key, "k");
    }
}
