//! An officer decides applications and runs awards (issue 14): `/manage/applications/…`
//! and `/manage/awards/…`. Officers of the application's or award's fund only: GraphQL
//! refuses anyone else, and the page then reads as not found.
//!
//! - `application.rs`: an application, the panel's view of it, approve and decline.
//! - `award.rs`: an award's story and history; its budget lines.
//! - `variations.rs`: vary, record a return, close.
//! - `drawdowns.rs`: a drawdown: approve, reject, record its payment.
//!
//! Form pieces, check your answers and how values read: `work/widgets/`.

mod application;
mod award;
mod drawdowns;
mod variations;

use axum::routing::get;
use axum::Router;

use crate::server::http::App;

pub fn routes() -> Router<App> {
    Router::new()
        .route(
            "/manage/applications/{application}",
            get(application::application_page),
        )
        .route(
            "/manage/applications/{application}/approve",
            get(application::approve_form).post(application::approve_post),
        )
        .route(
            "/manage/applications/{application}/decline",
            get(application::decline_form).post(application::decline_post),
        )
        .route("/manage/awards/{award}", get(award::award_page))
        .route(
            "/manage/awards/{award}/budget-lines",
            get(award::lines_form).post(award::lines_post),
        )
        .route(
            "/manage/awards/{award}/vary",
            get(variations::vary_form).post(variations::vary_post),
        )
        .route(
            "/manage/awards/{award}/return",
            get(variations::return_form).post(variations::return_post),
        )
        .route(
            "/manage/awards/{award}/close",
            get(variations::close_form).post(variations::close_post),
        )
        .route(
            "/manage/awards/{award}/drawdowns/{drawdown}",
            get(drawdowns::drawdown_page),
        )
        .route(
            "/manage/awards/{award}/drawdowns/{drawdown}/approve",
            get(drawdowns::approve_form).post(drawdowns::approve_post),
        )
        .route(
            "/manage/awards/{award}/drawdowns/{drawdown}/reject",
            get(drawdowns::reject_form).post(drawdowns::reject_post),
        )
        .route(
            "/manage/awards/{award}/drawdowns/{drawdown}/pay",
            get(drawdowns::pay_form).post(drawdowns::pay_post),
        )
}
