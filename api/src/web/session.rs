//! The session cookie and CSRF.
//!
//! The cookie (`SESSION_COOKIE`) holds the session's secret: `HttpOnly`, `SameSite=Lax`,
//! `Path=/`, and `Secure` when the public URL is https. Every form of a signed-in page
//! carries the session's CSRF token in a hidden field `CSRF_FIELD`; a POST without the
//! right one is refused (403) and changes nothing.

use axum::response::Response;
use infrastructure::accounts::{Person, Session};

use crate::server::http::App;

pub const SESSION_COOKIE: &str = "fundledger_session";
pub const CSRF_FIELD: &str = "csrf_token";
/// GraphQL over a session cookie needs this header with the session's CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The signed-in person of a request (an axum extractor; redirects to `/sign-in` when
/// there is none).
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub person: Person,
    pub session: Session,
}

/// Starts a session for `person` (signed in by `method`: `email`, `oidc`, `invitation`)
/// and answers a redirect to `next` that sets the cookie.
pub async fn sign_in_and_redirect(
    app: &App,
    person: &Person,
    method: &str,
    next: &str,
) -> Response {
    todo!(
        "signin helper {} {person:?} {method} {next}",
        app.metrics_public
    )
}

/// Whether `submitted` is the session's CSRF token (constant-time).
pub fn csrf_matches(session: &Session, submitted: &str) -> bool {
    todo!("signin helper {session:?} {submitted}")
}
