//! `/groups/…`: a community group's screens (issue 14). A member of an organisation sees
//! the rounds open to it, applies (the neighbourhood chosen by name or from a map), follows
//! its applications and runs its awards: accepts the agreement, requests drawdowns,
//! reports spend against the budget lines and outcomes against the fund's indicators, and
//! records contributions. Every read and write goes through GraphQL as the member
//! (`gql.rs`): another group's application or award reads as not found.
//!
//! - `home.rs`: `/groups/{org}`: open rounds, applications, awards.
//! - `apply.rs`: `/groups/{org}/rounds/{round}/apply…`: where, the project, check, submit.
//! - `application.rs`: `/groups/{org}/applications/{id}`: what they wrote, the decision,
//!   withdrawing.
//! - `award.rs`: `/groups/{org}/awards/{award}`: position and history.
//! - `actions.rs`: the award's actions, each a form → check your answers → write.
//!
//! Form pieces, money and dates: `work/widgets/`.

pub mod actions;
pub mod application;
pub mod apply;
pub mod award;
pub mod home;

use axum::routing::{get, post};
use axum::Router;

use crate::server::http::App;
use crate::web::work::widgets::segment;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/groups/{org}", get(home::group_page))
        .route("/groups/{org}/rounds/{round}/apply", get(apply::where_page))
        .route(
            "/groups/{org}/rounds/{round}/apply/project",
            get(apply::project_page).post(apply::check_page),
        )
        .route(
            "/groups/{org}/rounds/{round}/apply/submit",
            post(apply::submit),
        )
        .route(
            "/groups/{org}/applications/{id}",
            get(application::application_page),
        )
        .route(
            "/groups/{org}/applications/{id}/withdraw",
            get(application::withdraw_page).post(application::withdraw),
        )
        .route("/groups/{org}/awards/{award}", get(award::award_page))
        .route(
            "/groups/{org}/awards/{award}/{action}",
            get(actions::action_page).post(actions::check_page),
        )
        .route(
            "/groups/{org}/awards/{award}/{action}/confirm",
            post(actions::confirm),
        )
}

/// `/groups/{org}`.
pub fn group_path(org: &str) -> String {
    format!("/groups/{}", segment(org))
}

/// `/groups/{org}/applications/{id}`.
pub fn application_path(org: &str, id: &str) -> String {
    format!("{}/applications/{}", group_path(org), segment(id))
}

/// `/groups/{org}/awards/{award}`.
pub fn award_path(org: &str, award: &str) -> String {
    format!("{}/awards/{}", group_path(org), segment(award))
}

/// `/groups/{org}/rounds/{round}/apply`.
pub fn apply_path(org: &str, round: &str) -> String {
    format!("{}/rounds/{}/apply", group_path(org), segment(round))
}
