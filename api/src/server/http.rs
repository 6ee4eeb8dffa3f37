//! The HTTP surface: routes, the GraphQL handler (auth, `X-Min-Position`, content type,
//! body cap, per-request timeout, answer size), health and metrics, and the middleware
//! every request passes (request id, tracing span, metrics, security headers, the body
//! read within `body_timeout`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Extension, MatchedPath, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use infrastructure::LogCursor;

use super::auth::Viewer;
use super::cache::{is_query_only, Fetch};
use super::conditional;
use super::context::AppState;
use super::context::PayloadProjection;
use super::errors::{BAD_INPUT, RETRY_AFTER_SECONDS, TIMEOUT, UNAVAILABLE};
use super::health::{ready_max_lag, ProjectionHealth};
use super::schema::AppSchema;
use super::transport::{ConnectionLimiter, TransportLimits};

/// The largest request body accepted, in bytes.
pub const MAX_REQUEST_BODY_BYTES: usize = 64 * 1024;
/// The longest one GraphQL request may run (above the 5 s `X-Min-Position` wait).
pub const REQUEST_TIMEOUT_MS: u64 = 10_000;
/// The largest GraphQL answer sent, in bytes (JSON); a larger one is refused as
/// `BAD_INPUT` (ask for less).
pub const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;
/// Every response says what it is (no sniffing), is never framed and leaks no referrer;
/// a response without a policy of its own (JSON, text) gets this one, which allows nothing
/// to load (the public page and GraphiQL set their own).
const DEFAULT_CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
const REFERRER_POLICY: &str = "no-referrer";
/// `/readyz` reports ready while the projector is at most this many events behind.
pub const READY_MAX_PROJECTOR_LAG_EVENTS: i64 = 100;
/// `/readyz` reports not ready for this long after the store refused a write (a full
/// disk), unless a write has succeeded since: long enough for a load balancer to see it,
/// short enough that an idle server finds out again, by the next write, once space is back.
pub const READY_AFTER_WRITE_FAILURE_MS: u64 = 10_000;
/// The request header that asks a query to wait for the read models.
pub const MIN_POSITION_HEADER: &str = "x-min-position";
const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");
/// The log target of the access lines (one per request, at info).
pub const ACCESS_LOG_TARGET: &str = "fundledger::access";

#[derive(Clone)]
pub struct App {
    pub state: Arc<AppState>,
    pub schema: AppSchema,
    /// Timeouts and caps of the transport (`serve`'s flags).
    pub limits: Arc<TransportLimits>,
    /// Open `/graphql/ws` sockets, overall and per client address.
    pub ws_connections: ConnectionLimiter,
    /// Whether `/metrics` is on this (public) listener; false with `--metrics-listen`.
    pub metrics_public: bool,
}

impl App {
    pub fn new(
        state: Arc<AppState>,
        schema: AppSchema,
        limits: TransportLimits,
        metrics_public: bool,
    ) -> App {
        let ws_connections = ConnectionLimiter::new(
            limits.max_ws_connections,
            limits.max_ws_connections_per_address,
        );
        App {
            state,
            schema,
            limits: Arc::new(limits),
            ws_connections,
            metrics_public,
        }
    }
}

pub fn router(app: App) -> Router {
    let mut routes = Router::new()
        .route("/export/360giving.json", get(super::public::export_json))
        .route("/export/360giving.csv", get(super::public::export_csv))
        .route(
            "/graphql",
            get(super::conditional::graphql_get).post(graphql),
        )
        .route(
            &format!("{}/{{name}}", super::graphiql::ASSETS_PATH),
            get(super::graphiql::asset),
        )
        .route("/graphql/ws", get(super::websocket::graphql_ws))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .merge(crate::web::routes());
    if app.metrics_public {
        routes = routes.route("/metrics", get(metrics));
    }
    routes
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BODY_BYTES))
        .layer(middleware::from_fn_with_state(
            app.clone(),
            read_body_in_time,
        ))
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn_with_state(app.clone(), record_metrics))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID_HEADER))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<Body>| {
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
                })
                // The access line (`record_metrics`) already records every status; tower-http's
                // own ERROR line for each 5xx would flood an outage's log at the wrong level.
                .on_failure(()),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID_HEADER, MakeRequestUuid))
        .with_state(app)
}

/// `/metrics` alone, for `--metrics-listen` (off the public port).
pub fn metrics_router(app: App) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .layer(middleware::from_fn(security_headers))
        .with_state(app)
}

/// A GraphQL-shaped error response for failures before execution.
pub(crate) fn refuse(status: StatusCode, message: impl Into<String>, code: &str) -> Response {
    let body = json!({ "errors": [{ "message": message.into(), "extensions": { "code": code } }] });
    (status, Json(body)).into_response()
}

/// Adds the security headers every response carries.
async fn security_headers(request: Request<Body>, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static(REFERRER_POLICY),
    );
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(DEFAULT_CONTENT_SECURITY_POLICY));
    response
}

/// Reads a request's body whole within `body_timeout` (hyper times only the headers), so
/// a client sending a body a byte at a time is answered 408 and let go, not waited for.
async fn read_body_in_time(State(app): State<App>, request: Request<Body>, next: Next) -> Response {
    if request.method() == Method::GET || request.method() == Method::HEAD {
        return next.run(request).await;
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    let too_large = |what: String| {
        refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body refused ({what}); the limit is {MAX_REQUEST_BODY_BYTES} bytes"),
            BAD_INPUT,
        )
    };
    let (parts, body) = request.into_parts();
    let timeout = app.limits.body_timeout;
    let read = tokio::time::timeout(timeout, axum::body::to_bytes(body, MAX_REQUEST_BODY_BYTES));
    let mut refused = match declared {
        // Refused from its declared length, without reading it.
        Some(length) if length > MAX_REQUEST_BODY_BYTES as u64 => {
            too_large(format!("Content-Length {length}"))
        }
        _ => match read.await {
            Ok(Ok(bytes)) => {
                return next
                    .run(Request::from_parts(parts, Body::from(bytes)))
                    .await
            }
            Ok(Err(error)) if is_length_limit(&error) => too_large(error.to_string()),
            Ok(Err(error)) => refuse(
                StatusCode::BAD_REQUEST,
                format!("the request body could not be read: {error}"),
                BAD_INPUT,
            ),
            Err(_) => refuse(
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "the request body did not arrive within {} ms",
                    timeout.as_millis()
                ),
                BAD_INPUT,
            ),
        },
    };
    // The rest of the body is not read: the connection cannot carry another request.
    refused
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    refused
}

fn is_length_limit(error: &axum::Error) -> bool {
    std::error::Error::source(error)
        .is_some_and(|source| source.is::<http_body_util::LengthLimitError>())
}

/// Refuses (415) a POST whose `Content-Type` is not JSON: a query in any other type is not
/// run, so a form or `text/plain` post from another site cannot run one (browsers send
/// those cross-site without asking first).
fn require_json(headers: &HeaderMap) -> Option<Response> {
    let given = headers
        .get(header::CONTENT_TYPE)
        .map(|value| value.to_str().unwrap_or("(not text)"));
    let media = given.and_then(|value| value.split(';').next());
    if media.is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json")) {
        return None;
    }
    Some(refuse(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        format!(
            "POST /graphql takes Content-Type: application/json (a JSON {{\"query\": …}} body), not {}",
            given.unwrap_or("none")
        ),
        BAD_INPUT,
    ))
}

/// `response` as JSON, or a refusal if that is over `MAX_RESPONSE_BYTES`.
fn encode_answer(response: &async_graphql::Response) -> Result<Bytes, Box<Response>> {
    let encoded = match serde_json::to_vec(response) {
        Ok(encoded) => Bytes::from(encoded),
        Err(error) => {
            tracing::warn!(%error, "a GraphQL response did not encode");
            return Err(Box::new(Json(response).into_response()));
        }
    };
    if encoded.len() > MAX_RESPONSE_BYTES {
        return Err(Box::new(refuse(
            StatusCode::OK,
            format!(
                "the answer is {} bytes, more than the {MAX_RESPONSE_BYTES} allowed; ask for fewer fields or smaller pages",
                encoded.len()
            ),
            BAD_INPUT,
        )));
    }
    Ok(encoded)
}

/// What every GraphQL request carries: who is asking, the mutation payloads' wait, the
/// request's subject keys (personal texts, `erasure_api.rs`) and where it came from (for
/// throttles: ballot codes).
pub(crate) fn with_request_data(
    request: async_graphql::Request,
    viewer: Viewer,
    peer: Option<std::net::SocketAddr>,
) -> async_graphql::Request {
    let request = request
        .data(viewer)
        .data(PayloadProjection::starting_now())
        .data(infrastructure::personal::Keyring::default())
        .data(super::erasure_api::ApplicationTextCache::default());
    match peer {
        Some(peer) => request.data(super::context::ClientAddress(peer.ip())),
        None => request,
    }
}

async fn graphql(
    State(app): State<App>,
    checked: Option<Extension<CheckedViewer>>,
    peer: Option<Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    // The request middleware has found the viewer already (for the access line).
    let viewer = match checked {
        Some(Extension(checked)) => checked.0,
        None => super::principal::viewer_for_request(&app.state, &headers).await,
    };
    let (body, viewer) = match admitted(viewer, &headers, body) {
        Ok(admitted) => admitted,
        Err(refused) => return *refused,
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
    // Held until the answer is stored: others asking the same meanwhile wait for it.
    let _computing = match cache_version {
        Some(version) => match app.state.public_cache.fetch(&body, version).await {
            Fetch::Answer(cached) => {
                let answer = ([(header::CONTENT_TYPE, "application/json")], cached).into_response();
                return conditional::tagged(answer, conditional::etag(version));
            }
            Fetch::Compute(claim) => claim,
        },
        None => None,
    };
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
    let request = with_request_data(request, viewer, peer.map(|Extension(info)| info.0));
    let response = match execute(&app, request, deadline).await {
        Ok(response) => response,
        Err(refused) => return refused,
    };
    let encoded = match encode_answer(&response) {
        Ok(encoded) => encoded,
        Err(refused) => return *refused,
    };
    if let Some(version) = cacheable.filter(|_| response.errors.is_empty()) {
        app.state.public_cache.put(body, version, encoded.clone());
        let answer = ([(header::CONTENT_TYPE, "application/json")], encoded).into_response();
        return conditional::tagged(answer, conditional::etag(version));
    }
    answer(&response, encoded)
}

/// A POSTed request's body and viewer, or its refusal: JSON only, within the body limit,
/// with a valid credential if any (and a session's CSRF token with its cookie).
fn admitted(
    viewer: Result<Viewer, super::principal::Refusal>,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(Bytes, Viewer), Box<Response>> {
    if let Some(refused) = require_json(headers) {
        return Err(Box::new(refused));
    }
    let body = body.map_err(|rejection| {
        Box::new(refuse(
            rejection.status(),
            format!(
                "request body refused ({rejection}); the limit is {MAX_REQUEST_BODY_BYTES} bytes"
            ),
            BAD_INPUT,
        ))
    })?;
    let viewer = viewer.map_err(|refusal| Box::new(refusal.to_response()))?;
    if let Some(refusal) = super::principal::csrf_refusal(&viewer, headers) {
        return Err(Box::new(refusal.to_response()));
    }
    Ok((body, viewer))
}

/// A GraphQL answer; with HTTP 503 and `Retry-After` when the store could not be reached
/// (an `UNAVAILABLE` error), so clients and proxies retry it.
fn answer(response: &async_graphql::Response, encoded: Bytes) -> Response {
    let unavailable = response.errors.iter().any(|error| {
        error
            .extensions
            .as_ref()
            .and_then(|extensions| extensions.get("code"))
            .is_some_and(|code| *code == async_graphql::Value::from(UNAVAILABLE))
    });
    let throttled = response.errors.iter().any(|error| {
        error
            .extensions
            .as_ref()
            .and_then(|extensions| extensions.get("code"))
            .is_some_and(|code| *code == async_graphql::Value::from(super::errors::THROTTLED))
    });
    let mut answer = ([(header::CONTENT_TYPE, "application/json")], encoded).into_response();
    if throttled && !unavailable {
        *answer.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    }
    if unavailable {
        *answer.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        answer
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
    }
    answer
}

/// Runs `request` until `deadline`; every error in the answer carries a code.
pub(super) async fn execute(
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
    with_codes(&mut response);
    Ok(response)
}

/// Gives every error in `response` a code: parse, validation and limit errors come
/// without one, and they are the client's input.
pub(crate) fn with_codes(response: &mut async_graphql::Response) {
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", BAD_INPUT);
        }
    }
}

/// The place in the log's order of the event named by `X-Min-Position`, once the
/// projector's watermark covers it (`None` without the header). The wait comes before the
/// cache: the answer, cached or not, must reflect that event, and a cached one does only
/// if it was computed at a watermark at or past the event's place (a higher position is
/// not enough on PostgreSQL).
pub(super) async fn min_position_place(
    app: &App,
    headers: &HeaderMap,
) -> Result<Option<LogCursor>, Response> {
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
            let response = async_graphql::Response::from_errors(vec![refused]);
            let encoded = match encode_answer(&response) {
                Ok(encoded) => encoded,
                Err(refused) => return Err(*refused),
            };
            Err(answer(&response, encoded))
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
    Some(not_ready(problem))
}

/// Ready while the store answers (within `HEALTH_CHECK_TIMEOUT_MS`) and the projections
/// keep up: by time (`READY_MAX_PROJECTION_LAG_MS`, naming what holds them back) and by
/// count (`READY_MAX_PROJECTOR_LAG_EVENTS`).
async fn readyz(State(app): State<App>) -> Response {
    // Both reads at once: each is bounded (500 ms, 800 ms), and readiness must answer
    // within a second even when the store does not.
    let (restored, health) = tokio::join!(
        restored_log_unready(&app),
        ProjectionHealth::check(&app.state)
    );
    if let Some(unready) = restored {
        return unready;
    }
    if let Some(failure) = app
        .state
        .ledger
        .write_health
        .failing(Duration::from_millis(READY_AFTER_WRITE_FAILURE_MS))
    {
        return not_ready(format!(
            "the store cannot write: the last write, {} ms ago, failed: {}",
            failure.at.elapsed().as_millis(),
            failure.reason
        ));
    }
    let max_lag = ready_max_lag();
    match health {
        Ok(health) if health.stalled(max_lag) => not_ready(health.stall_description(max_lag)),
        Ok(health) if health.lag.events_behind > READY_MAX_PROJECTOR_LAG_EVENTS => {
            not_ready(format!(
                "projector {} events behind (head {}, projected to {})",
                health.lag.events_behind, health.lag.head, health.lag.watermark.position
            ))
        }
        Ok(health) => (
            StatusCode::OK,
            format!(
                "ready: projected to {} of {} ({} events behind, oldest waiting {:.1} s)\n",
                health.lag.watermark.position,
                health.lag.head,
                health.lag.events_behind,
                health.lag.age_seconds
            ),
        )
            .into_response(),
        Err(error) => {
            tracing::warn!(%error, "readiness check could not reach the store");
            not_ready(format!("store unreachable ({error})"))
        }
    }
}

/// 503 with the reason and when to ask again.
fn not_ready(reason: String) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, RETRY_AFTER_SECONDS.to_string())],
        format!("not ready: {reason}\n"),
    )
        .into_response()
}

async fn metrics(State(app): State<App>) -> Response {
    let health = match ProjectionHealth::check(&app.state).await {
        Ok(health) => Some(health),
        Err(error) => {
            tracing::warn!(%error, "metrics could not read the projector's lag");
            None
        }
    };
    let mut body = app.state.metrics.render(
        health.as_ref().map(|health| health.lag),
        app.state.public_cache.counts(),
    );
    if let Some(health) = &health {
        super::metrics::render_projection_health(&mut body, health, ready_max_lag());
    }
    super::runtime_metrics::render(&mut body, app.state.database()).await;
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

/// Counts and times every request by its route template (never the raw path), and writes
/// its access line (target `ACCESS_LOG_TARGET`, info): method, route template, status,
/// duration in milliseconds (to the response's head: a streamed export's body may take
/// longer), request id and the kind of actor. Never the token, its subject, the query
/// string or the body: they may hold personal data.
async fn record_metrics(
    State(app): State<App>,
    mut request: Request<Body>,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().cloned();
    // The credential is checked once per request: here, for the access line's actor kind,
    // and handed on to the GraphQL handler.
    let viewer = super::principal::viewer_for_request(&app.state, request.headers()).await;
    let actor = match &viewer {
        Ok(viewer) => actor_kind_of(viewer),
        Err(refusal) => refusal.actor_kind(),
    };
    request.extensions_mut().insert(CheckedViewer(viewer));
    let request_id = request
        .headers()
        .get(&REQUEST_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("-")
        .to_string();
    let response = next.run(request).await;
    let elapsed = started.elapsed();
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    let status = response.status().as_u16();
    app.state
        .metrics
        .record_request(method.as_str(), route, status, elapsed);
    let duration_ms = (elapsed.as_secs_f64() * 1_000_000.0).round() / 1_000.0;
    tracing::info!(
        target: ACCESS_LOG_TARGET,
        method = %method,
        route,
        status,
        duration_ms,
        request_id,
        actor,
        "request"
    );
    response
}

/// The request's viewer, or why its credential was refused, as `record_metrics` found it.
#[derive(Clone)]
struct CheckedViewer(Result<Viewer, super::principal::Refusal>);

/// How logs name a viewer: `anonymous`, `owner`, `officer`, `panel`, `member`, `person` or
/// `operator` (never who).
pub(crate) fn actor_kind_of(viewer: &Viewer) -> &'static str {
    match viewer {
        Viewer::Public => "anonymous",
        other => other.role_name(),
    }
}
