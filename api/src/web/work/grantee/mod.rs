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
//! - `widgets.rs`: textarea, checkboxes, radios, date input, money and dates in words.

pub mod actions;
pub mod application;
pub mod apply;
pub mod award;
pub mod home;
pub mod widgets;

use axum::routing::{get, post};
use axum::Router;
use maud::Markup;

use super::gql::Problem;
use crate::server::http::App;
use crate::web::layout::{self, FieldError};
use crate::web::session::SignedIn;

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

/// Characters a path segment keeps as they are (ids such as `GB-CHC-1234567`, `AW-…`).
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// An id as a path segment or query value: percent-encoded, its dashes kept readable.
pub fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, SEGMENT).to_string()
}

/// `/groups/{org}`.
pub fn group_path(org: &str) -> String {
    format!("/groups/{}", encode(org))
}

/// `/groups/{org}/applications/{id}`.
pub fn application_path(org: &str, id: &str) -> String {
    format!("{}/applications/{}", group_path(org), encode(id))
}

/// `/groups/{org}/awards/{award}`.
pub fn award_path(org: &str, award: &str) -> String {
    format!("{}/awards/{}", group_path(org), encode(award))
}

/// `/groups/{org}/rounds/{round}/apply`.
pub fn apply_path(org: &str, round: &str) -> String {
    format!("{}/rounds/{}/apply", group_path(org), encode(round))
}

/// A refusal GraphQL gave about what the person typed, as a message beside `field`: the
/// first of `fields` (a word the message names → the input's id) it mentions, else the
/// first field given. `None` when the refusal is not about input (show `problem_page`).
pub fn refusal_beside(problem: &Problem, fields: &[(&str, &str)]) -> Option<FieldError> {
    if !problem.is_about_input() {
        return None;
    }
    let message = problem.sentence();
    let field = fields
        .iter()
        .find(|(word, _)| problem.message.contains(word))
        .or_else(|| fields.first())
        .map(|(_, field)| *field)
        .unwrap_or("main-content");
    Some(FieldError::new(field, message))
}

/// A whole page for the signed-in member: the title gets "Error: " when `errors` has any,
/// and the error summary comes first.
pub fn form_page(
    signed_in: &SignedIn,
    title: &str,
    errors: &[FieldError],
    body: Markup,
) -> axum::response::Response {
    let title = if errors.is_empty() {
        title.to_string()
    } else {
        format!("Error: {title}")
    };
    let body = maud::html! {
        (layout::error_summary(errors))
        (body)
    };
    let status = if errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::BAD_REQUEST
    };
    layout::html(status, layout::page(&title, signed_in.frame(), body))
}
