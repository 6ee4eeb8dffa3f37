//! The screens people work in (issue 13: sign-in, account, people; issue 14: work screens):
//! server-rendered HTML (maud) on the same ledger use cases, accounts and read models as
//! GraphQL. Works without JavaScript; every asset is served from this binary.
//!
//! - `layout.rs`: the page frame (GOV.UK Design System patterns, the service's header
//!   with who is signed in, error summary).
//! - `session.rs`: the session cookie, the signed-in person (`SignedIn`), CSRF on every
//!   form, starting and ending sessions.
//! - `oidc.rs`: single sign-on for staff through an OpenID Connect provider.

pub mod layout;
pub mod oidc;
pub mod session;

use axum::Router;

use crate::server::http::App;

/// Every screen's route. `http::router` merges these.
pub fn routes() -> Router<App> {
    Router::new().merge(oidc::routes())
}
