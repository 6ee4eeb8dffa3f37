//! The work screens' one way to read and write: the GraphQL schema itself, executed in
//! this process as the signed-in person. Every rule a screen relies on (who may do what,
//! text and money checks, private fields, idempotency) is therefore the one GraphQL
//! applies: a screen never holds a second copy of a rule.
//!
//! - `read::<T>`: a query's `data`, decoded into the page's own serde type.
//! - `write`: a mutation whose single field's payload selects `position`; on success it
//!   waits until the read models reflect the write (so the next page shows it,
//!   read-your-writes) and answers the payload.
//! - `Problem`: a GraphQL error as a screen shows it (`code`, plain `message`).

use std::net::IpAddr;
use std::time::Duration;

use async_graphql::Variables;
use axum::http::StatusCode;
use axum::response::Response;
use infrastructure::accounts::principal::{Credential, Principal};
use maud::html;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::server::auth::Viewer;
use crate::server::http::App;
use crate::web::layout;
use crate::web::session::SignedIn;

/// The longest a screen's GraphQL operation may run.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(20);

/// A refused or failed operation: its `extensions.code` (`BAD_INPUT`, `FORBIDDEN`,
/// `NOT_FOUND`, `CONFLICT`, `UNAVAILABLE`, …) and its message, which names the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub code: String,
    pub message: String,
}

impl Problem {
    pub fn new(code: &str, message: impl Into<String>) -> Problem {
        Problem {
            code: code.to_string(),
            message: message.into(),
        }
    }

    /// Whether the person's input is what was refused (show it beside the field and let
    /// them correct it) rather than the page as a whole (an error page).
    pub fn is_about_input(&self) -> bool {
        matches!(self.code.as_str(), "BAD_INPUT" | "CONFLICT")
    }

    /// The message as a person reads it: the first letter capitalised.
    pub fn sentence(&self) -> String {
        let mut chars = self.message.chars();
        match chars.next() {
            Some(first) => first.to_uppercase().chain(chars).collect(),
            None => "Something went wrong".to_string(),
        }
    }
}

/// The GraphQL viewer of a signed-in person's screen request: their live roles, their
/// session (the same `Viewer` their cookie would give GraphQL).
pub fn viewer_of(signed_in: &SignedIn) -> Viewer {
    Viewer::for_principal(&Principal {
        person: signed_in.person.clone(),
        roles: signed_in.roles.clone(),
        credential: Credential::Session {
            session_id: signed_in.session.session_id.clone(),
            csrf_token: signed_in.session.csrf_token.clone(),
        },
    })
}

/// Runs `operation` with `variables` as `viewer` and answers its `data`.
pub async fn execute(
    app: &App,
    viewer: Viewer,
    peer: Option<IpAddr>,
    operation: &str,
    variables: Value,
) -> Result<Value, Problem> {
    let request = async_graphql::Request::new(operation).variables(Variables::from_json(variables));
    let request = crate::server::http::with_request_data(
        request,
        viewer,
        peer.map(|ip| std::net::SocketAddr::new(ip, 0)),
    );
    let work = app.schema.execute(request);
    let mut response = tokio::time::timeout(OPERATION_TIMEOUT, work)
        .await
        .map_err(|_| Problem::new("TIMEOUT", "the request took too long; try again"))?;
    crate::server::http::with_codes(&mut response);
    if let Some(error) = response.errors.first() {
        let code = error
            .extensions
            .as_ref()
            .and_then(|extensions| extensions.get("code"))
            .and_then(|code| match code {
                async_graphql::Value::String(code) => Some(code.clone()),
                async_graphql::Value::Enum(code) => Some(code.to_string()),
                _ => None,
            })
            .unwrap_or_else(|| "INTERNAL".to_string());
        return Err(Problem::new(&code, error.message.clone()));
    }
    response
        .data
        .into_json()
        .map_err(|error| Problem::new("INTERNAL", format!("unreadable answer: {error}")))
}

/// A query's `data` as the page's type `T`, as the signed-in person.
pub async fn read<T: DeserializeOwned>(
    app: &App,
    signed_in: &SignedIn,
    query: &str,
    variables: Value,
) -> Result<T, Problem> {
    let data = execute(app, viewer_of(signed_in), None, query, variables).await?;
    decode(data)
}

/// A public query's `data` (no one signed in: the voter's and the public's pages).
pub async fn read_public<T: DeserializeOwned>(
    app: &App,
    query: &str,
    variables: Value,
) -> Result<T, Problem> {
    let data = execute(app, Viewer::Public, None, query, variables).await?;
    decode(data)
}

pub fn decode<T: DeserializeOwned>(data: Value) -> Result<T, Problem> {
    serde_json::from_value(data)
        .map_err(|error| Problem::new("INTERNAL", format!("unexpected answer shape: {error}")))
}

/// A committed write: its payload (the mutation field's object) and its log position.
#[derive(Debug, Clone)]
pub struct Written {
    pub payload: Value,
    pub position: i64,
}

impl Written {
    /// A string field of the payload (`awardId`, `drawdownId`, …).
    pub fn id(&self, field: &str) -> Option<String> {
        self.payload
            .get(field)
            .and_then(Value::as_str)
            .map(str::to_string)
    }
}

/// Runs `mutation` (one field, whose payload selects `position`) as the signed-in person,
/// then waits until the read models reflect it, so the page the person sees next shows
/// their write. The write stands even if that wait runs out (the next page may lag).
pub async fn write(
    app: &App,
    signed_in: &SignedIn,
    mutation: &str,
    variables: Value,
) -> Result<Written, Problem> {
    let data = execute(app, viewer_of(signed_in), None, mutation, variables).await?;
    written(app, data).await
}

/// `write` for a caller with no session (a voter casting a ballot): `viewer` and `peer`
/// as the request gives them.
pub async fn write_as(
    app: &App,
    viewer: Viewer,
    peer: Option<IpAddr>,
    mutation: &str,
    variables: Value,
) -> Result<Written, Problem> {
    let data = execute(app, viewer, peer, mutation, variables).await?;
    written(app, data).await
}

async fn written(app: &App, data: Value) -> Result<Written, Problem> {
    let payload = match data {
        Value::Object(fields) => fields.into_iter().next().map(|(_, payload)| payload),
        _ => None,
    }
    .unwrap_or(Value::Null);
    let position = payload
        .get("position")
        .and_then(Value::as_i64)
        .ok_or_else(|| Problem::new("INTERNAL", "the write's answer has no position"))?;
    if let Err(error) = app.state.wait_for_position(position).await {
        tracing::warn!(position, error = %error.message, "a screen's write is not yet in the read models");
    }
    Ok(Written { payload, position })
}

/// The page for a problem that is not about one field: forbidden, not found, unavailable,
/// a fault. Forbidden and not-found read the same (a scoped person learns nothing of ids
/// outside their scope).
pub fn problem_page(signed_in: Option<&SignedIn>, problem: &Problem) -> Response {
    let (status, title, message) = match problem.code.as_str() {
        "FORBIDDEN" | "NOT_FOUND" | "UNAUTHENTICATED" => (
            StatusCode::NOT_FOUND,
            "Page not found",
            "There is nothing here that you can see. If you typed the address, check it; if you followed a link, ask whoever runs the fund.".to_string(),
        ),
        "UNAVAILABLE" | "TIMEOUT" | "CONCURRENCY" => (
            StatusCode::SERVICE_UNAVAILABLE,
            "Sorry, the service is unavailable",
            "The store cannot be reached just now. Nothing was changed. Try again in a few minutes.".to_string(),
        ),
        "THROTTLED" => (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many attempts",
            problem.sentence(),
        ),
        "BAD_INPUT" | "CONFLICT" => (StatusCode::BAD_REQUEST, "This could not be done", problem.sentence()),
        _ => {
            tracing::error!(code = %problem.code, message = %problem.message, "a work screen failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Sorry, there is a problem with the service",
                "The problem has been logged. Nothing was changed. Try again later.".to_string(),
            )
        }
    };
    layout::error_page(
        status,
        title,
        html! { p class="govuk-body" { (message) } },
        signed_in.and_then(SignedIn::frame),
    )
}
