//! The work screens (issue 14): where officers, panel members, grantees and voters do
//! their work in the browser. Server-rendered (maud), GOV.UK Design System patterns, no
//! JavaScript needed. Every read and write goes through the GraphQL schema in this
//! process as the signed-in person (`gql.rs`), so a screen applies exactly the rules the
//! API applies and holds none of its own beyond reading what a person typed
//! (`money.rs`: money as people write it).
//!
//! - `home.rs`: `/work`, where a signed-in person lands: their funds, rounds and groups.
//! - `forms.rs`: form keys (a form's write is idempotent: double clicks and resubmits
//!   apply once), links.
//! - `officer/`: `/manage/funds/…`: set up a fund, its dashboard and work queues, open and
//!   close rounds, ballot codes.
//! - `decisions/`: `/manage/applications/…`, `/manage/awards/…`: decide applications,
//!   drawdowns, payments, variations, returns, closing.
//! - `panel/`: `/panel/…`: a panel member's rounds, applications, conflicts and scores.
//! - `grantee/`: `/groups/…`: a group's rounds, applications, awards, drawdowns and reports.
//! - `voter/`: `/vote/…`: a resident's ballot in a participatory round, on a phone.
//! - `places/`: choosing a place by name or from a map (never by typing a GSS code).
//! - `widgets/`: the form pieces and value formats the screens share (textarea, radios,
//!   checkboxes, date input, check your answers, money and dates in words).

pub mod decisions;
pub mod forms;
pub mod gql;
pub mod grantee;
pub mod home;
pub mod money;
pub mod officer;
pub mod panel;
pub mod places;
pub mod voter;
pub mod widgets;

use axum::Router;

use crate::server::http::App;

/// Every work screen's route; `web::routes` merges them.
pub fn routes() -> Router<App> {
    Router::new()
        .merge(home::routes())
        .merge(officer::routes())
        .merge(decisions::routes())
        .merge(panel::routes())
        .merge(grantee::routes())
        .merge(voter::routes())
        .merge(places::routes())
}
