//! The officer's screens (issue 14), under `/manage/…`:
//!
//! - `fund_setup.rs`: `/manage/funds/new` (an owner establishes a fund) and
//!   `/manage/funds/{fund}/capital` (record capital received), each with
//!   check-your-answers.
//! - `dashboard.rs`: `/manage/funds/{fund}`: the fund's position, its rounds and the work
//!   queues (applications to decide, drawdowns to approve and to pay, spend reports
//!   flagged, reports due or late), each row linking to where the
//!   work is done.
//! - `proxies.rs`: `/manage/funds/{fund}/proxies`: the fund's outcome proxies and a form
//!   to set one (shares written as percentages).
//! - `rounds.rs`: `/manage/funds/{fund}/rounds/new` (open a round, eligible places chosen
//!   by name) and `/manage/rounds/{round}` (terms, figures, applications; close; count
//!   the votes).
//!   (`round_page.rs`).
//! - `ballot_codes.rs`: `/manage/rounds/{round}/ballot-codes`: issue a batch and print it.
//! - `widgets.rs`: the date input read into a date, and reading percentages (textarea,
//!   radios and hidden inputs are `work/widgets/`').
//!
//! Every read and write goes through GraphQL as the signed-in officer (`gql.rs`): the
//! fund and round pages read `managedFund` / `managedRound`, which refuse anyone but the
//! fund's officers, so another fund's officer gets "Page not found".

mod ballot_codes;
mod dashboard;
mod fund_setup;
mod proxies;
mod round_page;
mod rounds;
pub mod widgets;

use axum::Router;
use maud::{html, Markup};

use super::gql::Problem;
use crate::server::http::App;
use crate::web::layout::{self, FieldError};

pub fn routes() -> Router<App> {
    Router::new()
        .merge(fund_setup::routes())
        .merge(dashboard::routes())
        .merge(proxies::routes())
        .merge(rounds::routes())
        .merge(round_page::routes())
        .merge(ballot_codes::routes())
}

/// An id as one segment of a path (`work/widgets`' own).
pub use crate::web::work::widgets::segment;

/// `/manage/funds/{fund}`: the fund's dashboard.
pub fn fund_path(fund: &str) -> String {
    format!("/manage/funds/{}", segment(fund))
}

/// `/manage/rounds/{round}`: the round's page.
pub fn round_path(round: &str) -> String {
    format!("/manage/rounds/{}", segment(round))
}

/// Which button of a form was pressed: the form's own (check the answers), "Change" on
/// a check-your-answers page (show the form again, filled in) or "Confirm" (write).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Check,
    Change,
    Confirm,
}

impl Step {
    pub fn of(action: &str) -> Step {
        match action {
            "confirm" => Step::Confirm,
            "change" => Step::Change,
            _ => Step::Check,
        }
    }
}

/// A form page, its errors summarised first (`work/widgets`' own: status 200).
pub use crate::web::work::widgets::form_page;

/// A refusal about the person's input, beside the field whose GraphQL name its message
/// names (`fields`: GraphQL name → the form's field id), else beside `default`.
pub fn beside_field(problem: &Problem, fields: &[(&str, &str)], default: &str) -> FieldError {
    let field = fields
        .iter()
        .find(|(name, _)| problem.message.contains(name))
        .map_or(default, |(_, field)| *field);
    FieldError::new(field, problem.sentence())
}

/// The "Confirm" / "Change" buttons of a check-your-answers page (inside its form).
pub fn confirm_buttons(confirm: &str) -> Markup {
    html! {
        div class="govuk-button-group" {
            button type="submit" name="action" value="confirm" class="govuk-button" data-module="govuk-button" { (confirm) }
            button type="submit" name="action" value="change" class="govuk-button govuk-button--secondary" data-module="govuk-button" { "Change your answers" }
        }
    }
}

/// A page's `?done=…` flag: what was just done, for its success banner.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Notice {
    pub done: Option<String>,
}

/// A success banner for `?done=…`, when `text` is known.
pub fn done_banner(text: Option<&str>) -> Markup {
    match text {
        Some(text) => layout::notification_banner("Success", text, html! {}, true),
        None => html! {},
    }
}

/// A row of a check-your-answers summary list (no change links: the "Change your
/// answers" button brings the whole form back).
pub fn row(key: &str, value: impl Into<String>) -> layout::SummaryRow {
    let value: String = value.into();
    layout::SummaryRow {
        key: key.to_string(),
        value: html! { (value) },
        action: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_stay_readable_in_paths() {
        assert_eq!(fund_path("FUND-12AB"), "/manage/funds/FUND-12AB");
        assert_eq!(round_path("RND-9_x.y~z"), "/manage/rounds/RND-9_x.y~z");
        assert_eq!(segment("a/b c?"), "a%2Fb%20c%3F");
    }

    #[test]
    fn a_refusal_goes_beside_the_field_its_message_names() {
        let problem = Problem::new("BAD_INPUT", "receivedOn: 2099-01-01 is after today");
        let error = beside_field(
            &problem,
            &[("receivedOn", "received"), ("amount", "amount")],
            "amount",
        );
        assert_eq!(error.field, "received");
        assert_eq!(error.message, "ReceivedOn: 2099-01-01 is after today");
        let other = Problem::new("CONFLICT", "not enough available");
        assert_eq!(
            beside_field(&other, &[("receivedOn", "received")], "amount").field,
            "amount"
        );
    }
}
