//! Who is asking, once per request (the access-log middleware finds it and hands it to the
//! GraphQL handler):
//!
//! - `Authorization: Bearer flt_…`: a person's API token (`accounts::principal_for_api_token`,
//!   roles read afresh, so a revoked token or a removed role is refused at once);
//! - any other bearer value: an operator's JWT (`auth::TokenKeys`);
//! - no header but the session cookie (`web::session::SESSION_COOKIE`): a person's session.
//!   GraphQL accepts it only with the header `X-CSRF-Token` equal to the session's CSRF
//!   token (`csrf_refusal`), so another site cannot post with the browser's cookie;
//! - nothing: the public. A cookie with no live session behind it is the public too (the
//!   screens send such a browser to sign in).
//!
//! An unknown, revoked or expired API token is `UNAUTHENTICATED` like a bad JWT; a store
//! that cannot be asked is `UNAVAILABLE` (retry). `GET /graphql?query=` and the GraphQL
//! socket stay anonymous: a socket outlives a revoked token and cannot carry a CSRF header.

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use infrastructure::accounts::{self, AccountError, SessionLimits, API_TOKEN_PREFIX};

use super::auth::{Via, Viewer};
use super::context::AppState;
use super::errors::{FORBIDDEN, RETRY_AFTER_SECONDS, UNAUTHENTICATED, UNAVAILABLE};
use super::http::refuse;
use crate::web::session::{CSRF_HEADER, SESSION_COOKIE};

/// Why a request's credential was refused; nothing runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A bad, expired or revoked token (HTTP 401, `UNAUTHENTICATED`).
    Unauthenticated(String),
    /// A session cookie without the session's CSRF token (HTTP 403, `FORBIDDEN`).
    Forbidden(String),
    /// The store could not be asked (HTTP 503, `UNAVAILABLE`, `Retry-After`).
    Unavailable(String),
}

impl Refusal {
    /// The refusal as the GraphQL endpoint answers it.
    pub fn to_response(&self) -> Response {
        match self {
            Refusal::Unauthenticated(message) => {
                refuse(StatusCode::UNAUTHORIZED, message.clone(), UNAUTHENTICATED)
            }
            Refusal::Forbidden(message) => {
                refuse(StatusCode::FORBIDDEN, message.clone(), FORBIDDEN)
            }
            Refusal::Unavailable(message) => {
                let mut answer = refuse(
                    StatusCode::SERVICE_UNAVAILABLE,
                    message.clone(),
                    UNAVAILABLE,
                );
                answer
                    .headers_mut()
                    .insert(header::RETRY_AFTER, RETRY_AFTER_SECONDS.into());
                answer
            }
        }
    }

    /// How the access line names a refused caller.
    pub fn actor_kind(&self) -> &'static str {
        match self {
            Refusal::Unavailable(_) => "unknown",
            _ => "invalid",
        }
    }
}

/// The viewer behind a request's headers (one store lookup at most).
pub async fn viewer_for_request(state: &AppState, headers: &HeaderMap) -> Result<Viewer, Refusal> {
    let authorization = match headers
        .get(header::AUTHORIZATION)
        .map(|value| value.to_str())
    {
        None => None,
        Some(Ok(value)) => Some(value),
        Some(Err(_)) => {
            return Err(Refusal::Unauthenticated(
                "the Authorization header is not text".to_string(),
            ))
        }
    };
    if let Some(authorization) = authorization {
        if let Some(secret) =
            bearer(authorization).filter(|token| token.starts_with(API_TOKEN_PREFIX))
        {
            return viewer_for_api_token(state, secret).await;
        }
        return state
            .keys
            .viewer_for_header(Some(authorization))
            .map_err(|error| Refusal::Unauthenticated(error.to_string()));
    }
    match session_secret(headers) {
        Some(secret) => viewer_for_session(state, &secret).await,
        None => Ok(Viewer::Public),
    }
}

/// For GraphQL: a session caller must send the session's CSRF token in `X-CSRF-Token`.
pub fn csrf_refusal(viewer: &Viewer, headers: &HeaderMap) -> Option<Refusal> {
    let Some(Via::Session { csrf_token, .. }) = viewer.via() else {
        return None;
    };
    let sent = headers
        .get(CSRF_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .unwrap_or("");
    if !sent.is_empty() && constant_time_eq(sent.as_bytes(), csrf_token.as_bytes()) {
        None
    } else {
        Some(Refusal::Forbidden(
            "missing or wrong CSRF token: a request signed in by the session cookie needs the \
             header X-CSRF-Token with the session's token"
                .to_string(),
        ))
    }
}

fn bearer(header: &str) -> Option<&str> {
    header
        .trim()
        .strip_prefix("Bearer ")
        .or_else(|| header.trim().strip_prefix("bearer "))
        .map(str::trim)
        .filter(|token| !token.is_empty())
}

/// The session cookie's value, if the request carries one.
fn session_secret(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim().to_string())
        .filter(|value| !value.is_empty())
}

async fn viewer_for_api_token(state: &AppState, secret: &str) -> Result<Viewer, Refusal> {
    match accounts::principal::principal_for_api_token(state.database(), secret).await {
        Ok(Some(principal)) => Ok(Viewer::for_principal(&principal)),
        Ok(None) => Err(Refusal::Unauthenticated(
            "the API token is unknown, revoked or expired; create a new one".to_string(),
        )),
        Err(error) => Err(lookup_failed(error)),
    }
}

async fn viewer_for_session(state: &AppState, secret: &str) -> Result<Viewer, Refusal> {
    let limits = SessionLimits::default();
    match accounts::principal::principal_for_session(state.database(), secret, limits).await {
        Ok(Some((principal, _))) => Ok(Viewer::for_principal(&principal)),
        Ok(None) => Ok(Viewer::Public),
        Err(error) => Err(lookup_failed(error)),
    }
}

fn lookup_failed(error: AccountError) -> Refusal {
    match error {
        AccountError::Store(error) => {
            tracing::warn!(%error, "could not look up who is asking");
            Refusal::Unavailable(
                "the store cannot be reached to check your credential; retry shortly".to_string(),
            )
        }
        other => Refusal::Unauthenticated(other.to_string()),
    }
}

// ---------------------------------------------------------------- `me`

/// The caller as `Query.me` shows them: the person (none for an operator's JWT) and the
/// roles they hold now.
#[derive(async_graphql::SimpleObject)]
pub struct Me {
    /// The person's id; null for an operator's token, which stands for no person.
    pub person_id: Option<String>,
    /// Null for an operator's token, or once the person was erased.
    pub name: Option<String>,
    pub email: Option<String>,
    pub roles: Vec<MyRole>,
}

/// One role the caller holds: `role` is owner, officer, panel or member; `scope` the
/// fund, round or organisation id, null for an owner and for an operator token's role
/// over every fund or round.
#[derive(async_graphql::SimpleObject, Debug, Clone, PartialEq, Eq)]
pub struct MyRole {
    pub role: String,
    pub scope: Option<String>,
}

/// The roles, listed: unscoped ones first, then each scope in order.
pub fn listed_roles(roles: &accounts::Roles) -> Vec<MyRole> {
    let unscoped = |role: &str| MyRole {
        role: role.to_string(),
        scope: None,
    };
    let scoped = |role: &str, scope: &str| MyRole {
        role: role.to_string(),
        scope: Some(scope.to_string()),
    };
    let mut listed = Vec::new();
    if roles.owner {
        listed.push(unscoped("owner"));
    }
    if roles.all_funds {
        listed.push(unscoped("officer"));
    }
    if roles.all_rounds {
        listed.push(unscoped("panel"));
    }
    listed.extend(
        roles
            .officer_of
            .iter()
            .map(|fund| scoped("officer", fund.as_str())),
    );
    listed.extend(
        roles
            .panel_of
            .iter()
            .map(|round| scoped("panel", round.as_str())),
    );
    listed.extend(
        roles
            .member_of
            .iter()
            .map(|org| scoped("member", org.as_str())),
    );
    listed
}

/// `Query.me`: null for the public.
pub async fn me(ctx: &async_graphql::Context<'_>) -> super::errors::GqlResult<Option<Me>> {
    use super::errors::Coded;
    let viewer = super::context::viewer(ctx);
    let Some(caller) = viewer.caller() else {
        return Ok(None);
    };
    let person = match &caller.person {
        Some(id) => {
            let db = super::context::state(ctx).database();
            accounts::people::person(db, id)
                .await
                .map_err(account_error)
                .coded()?
        }
        None => None,
    };
    Ok(Some(Me {
        person_id: caller.person.as_ref().map(ToString::to_string),
        name: person.as_ref().and_then(|person| person.name.clone()),
        email: person.and_then(|person| person.email),
        roles: listed_roles(&caller.roles),
    }))
}

/// An accounts error as the API answers it: an unreachable store `UNAVAILABLE`, a
/// throttle `THROTTLED`, a refusal `BAD_INPUT`, anything else `INTERNAL`.
pub fn account_error(error: AccountError) -> super::errors::ApiError {
    use super::errors::ApiError;
    match error {
        AccountError::Store(store) if store.is_unavailable() => {
            ApiError::Unavailable(store.to_string())
        }
        AccountError::Store(store) => ApiError::Internal(store.to_string()),
        AccountError::Throttled { .. } => ApiError::Throttled(error.to_string()),
        AccountError::NotFound(_) => ApiError::NotFound(error.to_string()),
        other => ApiError::BadInput(other.to_string()),
    }
}

/// Compares without stopping at the first difference, so timing says nothing.
fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    left.len() == right.len()
        && left
            .iter()
            .zip(right)
            .fold(0u8, |difference, (a, b)| difference | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            format!("a=1; {SESSION_COOKIE}=s3cret; b=2")
                .parse()
                .unwrap(),
        );
        assert_eq!(session_secret(&headers).as_deref(), Some("s3cret"));
        assert_eq!(session_secret(&HeaderMap::new()), None);
    }

    #[test]
    fn csrf_is_compared_exactly() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
