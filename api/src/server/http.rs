//! The HTTP surface: routes, the GraphQL handler (auth, `X-Min-Position`, body cap,
//! per-request timeout), health and metrics, and the middleware every request passes
//! (request id, tracing span, metrics).

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_graphql::http::GraphiQLSource;
use async_graphql_axum::GraphQLSubscription;
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, MatchedPath, State};
use axum::http::{header, HeaderMap, HeaderName, Request, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use infrastructure::LogCursor;

use super::auth::Viewer;
use super::cache::{is_query_only, Lookup};
use super::context::AppState;
use super::errors::{BAD_INPUT, TIMEOUT, UNAUTHENTICATED};
use super::schema::AppSchema;

/// The largest request body accepted, in bytes.
pub const MAX_REQUEST_BODY_BYTES: usize = 64 * 1024;
/// The longest one GraphQL request may run (above the 5 s `X-Min-Position` wait).
pub const REQUEST_TIMEOUT_MS: u64 = 10_000;
/// `/readyz` reports ready while the projector is at most this many events behind.
pub const READY_MAX_PROJECTOR_LAG_EVENTS: i64 = 100;
/// The request header that asks a query to wait for the read models.
pub const MIN_POSITION_HEADER: &str = "x-min-position";
const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

#[derive(Clone)]
pub struct App {
    pub state: Arc<AppState>,
    pub schema: AppSchema,
}

pub fn router(app: App) -> Router {
    let subscriptions = GraphQLSubscription::new(app.schema.clone());
    Router::new()
        .route("/", get(super::public::page))
        .route("/export/360giving.json", get(super::public::export_json))
        .route("/export/360giving.csv", get(super::public::export_csv))
        .route("/graphql", get(graphiql).post(graphql))
        .route_service("/graphql/ws", subscriptions)
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BODY_BYTES))
        .layer(middleware::from_fn_with_state(app.clone(), record_metrics))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID_HEADER))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<Body>| {
                let request_id = request
                    .headers()
                    .get(&REQUEST_ID_HEADER)
                    .and_then(|value| value.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!(
                    "request",
                    method = %request.method(),
                    path = %request.uri().path(),
                    request_id = %request_id,
                )
            }),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID_HEADER, MakeRequestUuid))
        .with_state(app)
}

/// A GraphQL-shaped error response for failures before execution.
fn refuse(status: StatusCode, message: impl Into<String>, code: &str) -> Response {
    let body = json!({ "errors": [{ "message": message.into(), "extensions": { "code": code } }] });
    (status, Json(body)).into_response()
}

async fn graphiql() -> Html<String> {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql/ws")
            .title("fundledger")
            .finish(),
    )
}

async fn graphql(
    State(app): State<App>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            return refuse(
                rejection.status(),
                format!(
                "request body refused ({rejection}); the limit is {MAX_REQUEST_BODY_BYTES} bytes"
            ),
                BAD_INPUT,
            )
        }
    };
    let viewer = match viewer_of(&app, &headers) {
        Ok(viewer) => viewer,
        Err(refusal) => return refuse(StatusCode::UNAUTHORIZED, refusal, UNAUTHENTICATED),
    };
    let deadline = tokio::time::Instant::now() + Duration::from_millis(REQUEST_TIMEOUT_MS);
    let min_place = match min_position_place(&app, &headers).await {
        Ok(place) => place,
        Err(refused) => return refused,
    };
    // Anonymous queries may be answered from the cache (see `cache`): the answer stored
    // for this exact body at the current read-models version.
    let cache_version = match viewer {
        Viewer::Public => app.state.public_cache.usable_version(min_place),
        _ => None,
    };
    if let Some(version) = cache_version {
        if let Lookup::Answer(cached) = app.state.public_cache.get(&body, version) {
            return ([(header::CONTENT_TYPE, "application/json")], cached).into_response();
        }
    }
    let request: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                format!("the body is not a GraphQL request ({{\"query\": …}}): {error}"),
                BAD_INPUT,
            )
        }
    };
    tracing::debug!(role = viewer.role_name(), "graphql request");
    let cacheable = cache_version.filter(|_| is_query_only(&request.query));
    let response = match execute(&app, request.data(viewer), deadline).await {
        Ok(response) => response,
        Err(refused) => return refused,
    };
    if let Some(version) = cacheable.filter(|_| response.errors.is_empty()) {
        match serde_json::to_vec(&response) {
            Ok(encoded) => {
                let encoded = Bytes::from(encoded);
                app.state.public_cache.put(body, version, encoded.clone());
                return ([(header::CONTENT_TYPE, "application/json")], encoded).into_response();
            }
            Err(error) => tracing::warn!(%error, "a GraphQL response did not encode"),
        }
    }
    Json(response).into_response()
}

/// Who is asking, from the `Authorization` header (none: the public); the refusal's
/// message otherwise.
fn viewer_of(app: &App, headers: &HeaderMap) -> Result<Viewer, String> {
    let authorization = match headers
        .get(header::AUTHORIZATION)
        .map(|value| value.to_str())
    {
        None => None,
        Some(Ok(value)) => Some(value),
        Some(Err(_)) => return Err("the Authorization header is not text".to_string()),
    };
    app.state
        .keys
        .viewer_for_header(authorization)
        .map_err(|error| error.to_string())
}

/// Runs `request` until `deadline`; every error in the answer carries a code.
async fn execute(
    app: &App,
    request: async_graphql::Request,
    deadline: tokio::time::Instant,
) -> Result<async_graphql::Response, Response> {
    let work = app.schema.execute(request);
    let mut response = match tokio::time::timeout_at(deadline, work).await {
        Ok(response) => response,
        Err(_) => {
            return Err(refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("the request took longer than {REQUEST_TIMEOUT_MS} ms and was stopped"),
                TIMEOUT,
            ))
        }
    };
    // Parse, validation and limit errors come without a code: they are the client's input.
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", BAD_INPUT);
        }
    }
    Ok(response)
}

/// The place in the log's order of the event named by `X-Min-Position`, once the
/// projector's watermark covers it (`None` without the header). The wait comes before the
/// cache: the answer, cached or not, must reflect that event, and a cached one does only
/// if it was computed at a watermark at or past the event's place (a higher position is
/// not enough on PostgreSQL).
async fn min_position_place(app: &App, headers: &HeaderMap) -> Result<Option<LogCursor>, Response> {
    let Some(value) = headers.get(MIN_POSITION_HEADER) else {
        return Ok(None);
    };
    let Some(position) = value
        .to_str()
        .ok()
        .and_then(|text| text.trim().parse::<i64>().ok())
        .filter(|position| *position >= 0)
    else {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "X-Min-Position must be a non-negative whole number (a mutation's position)",
            BAD_INPUT,
        ));
    };
    match app.state.wait_for_position(position).await {
        Ok(place) => Ok(Some(place)),
        Err(error) => {
            let mut refused = async_graphql::ServerError::new(error.message, None);
            refused.extensions = error.extensions;
            Err(Json(async_graphql::Response::from_errors(vec![refused])).into_response())
        }
    }
}

async fn healthz() -> &'static str {
    "ok\n"
}

/// How long `/readyz` waits for the store to say whether its log was restored.
pub const RESTORED_LOG_CHECK_TIMEOUT_MS: u64 = 500;

/// `/readyz`'s answer while the store refuses writes because its PostgreSQL log was
/// restored from a logical dump and not repaired (`infrastructure::restored_log`): 503
/// with what to run. `None` otherwise, also when the store does not answer in time (the
/// other checks report an unreachable store).
pub(crate) async fn restored_log_unready(app: &App) -> Option<Response> {
    let database = &app.state.ledger.database;
    let order = tokio::time::timeout(
        Duration::from_millis(RESTORED_LOG_CHECK_TIMEOUT_MS),
        database.log_order(),
    )
    .await
    .ok()?
    .ok()?;
    let problem = order.problem()?;
    Some(
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {problem}\n"),
        )
            .into_response(),
    )
}

async fn readyz(State(app): State<App>) -> Response {
    if let Some(unready) = restored_log_unready(&app).await {
        return unready;
    }
    match app.state.projector.lag().await {
        Ok(lag) if lag.events_behind <= READY_MAX_PROJECTOR_LAG_EVENTS => (
            StatusCode::OK,
            format!(
                "ready: projected to {} of {} ({} events behind)\n",
                lag.watermark.position, lag.head, lag.events_behind
            ),
        )
            .into_response(),
        Ok(lag) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "not ready: projector {} events behind (head {}, projected to {})\n",
                lag.events_behind, lag.head, lag.watermark.position
            ),
        )
            .into_response(),
        Err(error) => {
            tracing::warn!(%error, "readiness check could not reach the store");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "not ready: store unreachable\n",
            )
                .into_response()
        }
    }
}

async fn metrics(State(app): State<App>) -> Response {
    let lag = match app.state.projector.lag().await {
        Ok(lag) => Some(lag),
        Err(error) => {
            tracing::warn!(%error, "metrics could not read the projector's lag");
            None
        }
    };
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        app.state
            .metrics
            .render(lag, app.state.public_cache.counts()),
    )
        .into_response()
}

/// Counts and times every request by its route template (never the raw path).
async fn record_metrics(State(app): State<App>, request: Request<Body>, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().cloned();
    let response = next.run(request).await;
    app.state.metrics.record_request(
        method.as_str(),
        route.as_ref().map_or("unmatched", MatchedPath::as_str),
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}
