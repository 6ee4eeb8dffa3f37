//! A panel member's screens (issue 14): their rounds (`/panel`), a round's applications
//! with where they are with each (`/panel/rounds/{round}`), and one application with
//! everything its applicant wrote, the conflict declaration and the score form
//! (`/panel/applications/{id}`).
//!
//! Everything is read and written through GraphQL as the signed-in member (`gql.rs`):
//! which applications they see, whose scores they see and when (the round's
//! `panelSeesScores`), whether they may score (a declared conflict, a decided
//! application) are GraphQL's and the ledger's rules, shown here, never repeated.
//!
//! - `rounds.rs`: `/panel`, `/panel/rounds/{round}`.
//! - `application.rs`: `/panel/applications/{id}`, its score and conflict forms.
//!
//! Form pieces, money and dates: `work/widgets/`.

pub mod application;
pub mod rounds;

use axum::routing::get;
use axum::Router;
use domain::RoundId;
use serde::Deserialize;

use super::gql::{self, Problem};
use crate::server::http::App;
use crate::web::session::SignedIn;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/panel", get(rounds::panel_page))
        .route("/panel/rounds/{round}", get(rounds::round_page))
        .route(
            "/panel/applications/{application}",
            get(application::application_page).post(application::score),
        )
        .route(
            "/panel/applications/{application}/conflict",
            get(application::conflict_page).post(application::declare_conflict),
        )
}

/// A round as the panel's pages read it: its applications in brief.
const ROUND: &str = "query($id: String!) { round(id: $id) { \
    id name status closesOn panelSeesScores minPanelScores fund { name } \
    applications { id title applicantName amountRequested status conflicts scores { member score } } } }";

/// A round with everything its applicants wrote (one application's page picks its own).
const ROUND_IN_FULL: &str = "query($id: String!) { round(id: $id) { \
    id name status closesOn panelSeesScores fund { name } \
    applications { id title applicantName amountRequested status neighbourhood themes \
    submittedOn description conflicts scores { member memberName score comment } } } }";

/// Which round an application belongs to.
const APPLICATION_ROUND: &str = "query($id: String!) { application(id: $id) { roundId } }";

#[derive(Debug, Deserialize)]
struct RoundAnswer {
    round: Option<PanelRound>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PanelRound {
    pub id: String,
    pub name: String,
    pub status: String,
    pub closes_on: String,
    pub panel_sees_scores: String,
    /// The quorum: how many panel scores an application needs before it is decided.
    #[serde(default)]
    pub min_panel_scores: i64,
    pub fund: Option<FundName>,
    pub applications: Vec<PanelApplication>,
}

#[derive(Debug, Deserialize)]
pub struct FundName {
    pub name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PanelApplication {
    pub id: String,
    pub title: String,
    pub applicant_name: String,
    pub amount_requested: String,
    pub status: String,
    #[serde(default)]
    pub neighbourhood: String,
    #[serde(default)]
    pub themes: Vec<String>,
    #[serde(default)]
    pub submitted_on: String,
    #[serde(default)]
    pub description: String,
    pub conflicts: Vec<String>,
    pub scores: Vec<PanelScore>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PanelScore {
    pub member: String,
    #[serde(default)]
    pub member_name: String,
    pub score: i64,
    #[serde(default)]
    pub comment: String,
}

/// Where one member is with one application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberState {
    ToScore,
    Scored(i64),
    Conflict,
    /// Decided (approved, declined) or withdrawn without this member's score.
    Closed,
}

impl PanelApplication {
    pub fn state_of(&self, member: &str) -> MemberState {
        if self.conflicts.iter().any(|conflicted| conflicted == member) {
            MemberState::Conflict
        } else if let Some(score) = self.own_score(member) {
            MemberState::Scored(score.score)
        } else if self.is_undecided() {
            MemberState::ToScore
        } else {
            MemberState::Closed
        }
    }

    pub fn own_score(&self, member: &str) -> Option<&PanelScore> {
        self.scores.iter().find(|score| score.member == member)
    }

    pub fn is_undecided(&self) -> bool {
        self.status == "SUBMITTED"
    }
}

impl PanelRound {
    /// (scored, of): the undecided applications this member has scored, of those they can
    /// score (a declared conflict takes one out).
    pub fn progress_of(&self, member: &str) -> (usize, usize) {
        let open: Vec<MemberState> = self
            .applications
            .iter()
            .filter(|application| application.is_undecided())
            .map(|application| application.state_of(member))
            .filter(|state| *state != MemberState::Conflict)
            .collect();
        let scored = open
            .iter()
            .filter(|state| matches!(state, MemberState::Scored(_)))
            .count();
        (scored, open.len())
    }
}

/// The member id GraphQL records on a signed-in person's scores and conflicts.
pub fn member_id(signed_in: &SignedIn) -> String {
    signed_in.person.id.to_string()
}

/// A round as this member sees it (`in_full`: with what the applicants wrote). Not
/// found unless they sit on its panel (these are the panel's pages), whether or not the
/// round has applications.
pub async fn read_round(
    app: &App,
    signed_in: &SignedIn,
    round: &str,
    in_full: bool,
) -> Result<PanelRound, Problem> {
    if !signed_in.roles.is_panel_of(&RoundId::new(round)) {
        return Err(Problem::new("NOT_FOUND", "no such round"));
    }
    let query = if in_full { ROUND_IN_FULL } else { ROUND };
    let answer: RoundAnswer =
        gql::read(app, signed_in, query, serde_json::json!({ "id": round })).await?;
    answer
        .round
        .ok_or_else(|| Problem::new("NOT_FOUND", "no such round"))
}

#[derive(Debug, Deserialize)]
struct ApplicationAnswer {
    application: Option<ApplicationRound>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApplicationRound {
    round_id: String,
}

/// The round `application` belongs to, read in full, and the application's place in its
/// list. Not found when GraphQL does not show it to this person or they do not sit on
/// its round's panel.
pub async fn find_application(
    app: &App,
    signed_in: &SignedIn,
    application: &str,
) -> Result<(PanelRound, usize), Problem> {
    let not_found = || Problem::new("NOT_FOUND", "no such application");
    let answer: ApplicationAnswer = gql::read(
        app,
        signed_in,
        APPLICATION_ROUND,
        serde_json::json!({ "id": application }),
    )
    .await?;
    let round_id = answer.application.ok_or_else(not_found)?.round_id;
    let round = read_round(app, signed_in, &round_id, true).await?;
    let index = round
        .applications
        .iter()
        .position(|candidate| candidate.id == application)
        .ok_or_else(not_found)?;
    Ok((round, index))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn application(status: &str, conflicts: &[&str], scores: &[(&str, i64)]) -> PanelApplication {
        PanelApplication {
            id: "A".into(),
            title: "T".into(),
            applicant_name: "G".into(),
            amount_requested: "1.00".into(),
            status: status.into(),
            neighbourhood: String::new(),
            themes: Vec::new(),
            submitted_on: String::new(),
            description: String::new(),
            conflicts: conflicts.iter().map(|member| member.to_string()).collect(),
            scores: scores
                .iter()
                .map(|(member, score)| PanelScore {
                    member: member.to_string(),
                    member_name: String::new(),
                    score: *score,
                    comment: String::new(),
                })
                .collect(),
        }
    }

    #[test]
    fn a_member_sees_where_they_are_with_each_application() {
        assert_eq!(
            application("SUBMITTED", &[], &[]).state_of("me"),
            MemberState::ToScore
        );
        assert_eq!(
            application("SUBMITTED", &[], &[("me", 4)]).state_of("me"),
            MemberState::Scored(4)
        );
        assert_eq!(
            application("SUBMITTED", &["me"], &[]).state_of("me"),
            MemberState::Conflict
        );
        assert_eq!(
            application("APPROVED", &[], &[("you", 2)]).state_of("me"),
            MemberState::Closed
        );
        let round = PanelRound {
            id: "R".into(),
            name: "R".into(),
            status: "OPEN".into(),
            closes_on: String::new(),
            panel_sees_scores: "AFTER_OWN_SCORE".into(),
            min_panel_scores: 2,
            fund: None,
            applications: vec![
                application("SUBMITTED", &[], &[("me", 3)]),
                application("SUBMITTED", &[], &[]),
                application("SUBMITTED", &["me"], &[]),
                application("DECLINED", &[], &[]),
            ],
        };
        assert_eq!(round.progress_of("me"), (1, 2));
    }
}
