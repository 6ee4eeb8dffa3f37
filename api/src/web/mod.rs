//! The screens people work in (issue 13: sign-in, account, people; issue 14: work screens):
//! server-rendered HTML (maud) on the same ledger use cases, accounts and read models as
//! GraphQL. Works without JavaScript; every asset is served from this binary.
//!
//! - `layout.rs`: the page frame (GOV.UK Design System patterns, the service's header
//!   with who is signed in, error summary, form pieces) and `html`/`error_page` answers
//!   with the screens' Content-Security-Policy.
//! - `session.rs`: the session cookie, the signed-in person (`SignedIn`,
//!   `OptionalSignedIn`), CSRF on every form (`SignedInForm`, `SignedOutForm`), starting
//!   and ending sessions, `safe_next` (no open redirect).
//! - `settings.rs`: `WebSettings` (public URL, session and link lifetimes, the `Mailer`),
//!   from the environment; carried by `AppState::web`.
//! - `sign_in.rs`: `/sign-in` (email → mailed single-use link, throttled),
//!   `/sign-in/link/{secret}` (a button that uses it), `/sign-out`, `/signed-out`.
//! - `account.rs`: `/account` (name, email, roles, sessions, API tokens) and its forms.
//! - `assets.rs`: GOV.UK Frontend's CSS and JS (vendored in `api/assets/govuk/`) and ours,
//!   at `/assets/{version}/…`, cached for a year.
//! - `work/`: the work screens of officers, panel members, grantees and voters (issue 14).
//! - `public/`: the public explorer (issue 15): `/`, `/areas/…`, `/awards/…`, `/funds/…`,
//!   `/rounds/…`, `/search`, `/glossary`, `/ledger`.
//! - `maps/`: maps drawn on the server as SVG from the boundaries carried in the binary.
//! - `oidc.rs`: single sign-on for staff through an OpenID Connect provider
//!   (`/sign-in/sso`, `sso_button`).

pub mod account;
pub mod assets;
pub mod invitations;
pub mod layout;
pub mod maps;
pub mod oidc;
pub mod people;
pub mod public;
pub mod session;
pub mod settings;
pub mod sign_in;
pub mod work;

use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use infrastructure::accounts::{AccountError, Person};
use maud::html;

use crate::server::http::App;

pub use settings::WebSettings;

/// Every screen's route. `http::router` merges these.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/assets/{version}/{name}", get(assets::asset))
        .route(
            "/sign-in",
            get(sign_in::sign_in_page).post(sign_in::request_link),
        )
        .route(
            "/sign-in/link/{secret}",
            get(sign_in::link_page).post(sign_in::use_link),
        )
        .route("/sign-out", post(sign_in::sign_out))
        .route("/signed-out", get(sign_in::signed_out_page))
        .route("/account", get(account::account_page))
        .route("/account/name", post(account::change_name))
        .route("/account/tokens", post(account::create_token))
        .route(
            "/account/tokens/{token_id}/revoke",
            post(account::revoke_token),
        )
        .route(
            "/account/sessions/{session_id}/end",
            post(account::end_other_session),
        )
        .route(
            "/account/sign-out-everywhere",
            post(account::sign_out_everywhere),
        )
        .merge(people::routes())
        .merge(invitations::routes())
        .merge(oidc::routes())
        .merge(work::routes())
        .merge(public::routes())
}

/// The page for an accounts operation that failed for want of the store (503, try
/// again) or a fault (500); nothing more is said of a fault than that it was logged.
pub fn failure_page(error: &AccountError, signed_in: Option<(&Person, &str)>) -> Response {
    match error {
        AccountError::Store(store) if store.is_unavailable() => {
            tracing::warn!(%error, "a screen could not reach the store");
            layout::error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Sorry, the service is unavailable",
                html! { p class="govuk-body" { "The store cannot be reached just now. Try again in a few minutes." } },
                signed_in,
            )
        }
        _ => {
            tracing::error!(%error, "a screen failed");
            layout::error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Sorry, there is a problem with the service",
                html! { p class="govuk-body" { "The problem has been logged. Try again later." } },
                signed_in,
            )
        }
    }
}
