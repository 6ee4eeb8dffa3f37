//! HTTP caching of public answers, keyed by the ledger's watermark: every public answer
//! (the page, the 360Giving exports, an anonymous GraphQL query) is a function of the read
//! models, which change only when their version moves (`ReadModelsVersion`: the
//! projector's watermark and the latest geography import; see `cache`). So the version is
//! the answer's `ETag`, and a client or a shared cache (a CDN, a reverse proxy in front
//! of several replicas) that sends it back in `If-None-Match` is told `304 Not Modified`
//! without the answer being computed, while nothing changed.
//!
//! The tag is the version *read before* the answer is computed: the answer reflects at
//! least that much of the log, maybe more, never less. A later request is answered 304
//! only while the version is still exactly that one, so a 304 never hides a write. The
//! `Cache-Control` is `public, no-cache`: caches may keep the answer but ask each time,
//! and asking is cheap (no query runs).
//!
//! GraphQL queries are cacheable by URL as `GET /graphql?query=…&variables=…` (the
//! GraphQL-over-HTTP form): anonymous queries only (an `Authorization` header is refused:
//! a shared cache must never keep a signed-in viewer's answer), never mutations. A `POST`
//! of an anonymous query gets the same `ETag`, but conditional requests are answered only
//! for `GET` (and `HEAD`): HTTP says a failed `If-None-Match` on other methods is a 412,
//! which tells a GraphQL client nothing useful (RFC 9110 §13.1.2).

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use projections::ReadModelsVersion;
use serde::Deserialize;
use serde_json::json;

use super::auth::Viewer;
use super::cache::{is_query_only, Fetch};
use super::errors::{BAD_INPUT, UNAUTHENTICATED};
use super::http::{
    execute, min_position_place, refuse, App, MAX_REQUEST_BODY_BYTES, REQUEST_TIMEOUT_MS,
};

/// `Cache-Control` of a public answer that carries an `ETag`: kept, revalidated each time.
pub const PUBLIC_CACHE_CONTROL: &str = "public, no-cache";

/// The `ETag` of every public answer computed at `version`.
pub fn etag(version: ReadModelsVersion) -> HeaderValue {
    let tag = format!(
        "W/\"rm-{}-{}-{}\"",
        version.watermark.txid, version.watermark.position, version.geography
    );
    HeaderValue::from_str(&tag).expect("digits, dashes and quotes are a valid header value")
}

/// Whether the request's `If-None-Match` lists `tag` (weak comparison). `*` is not taken
/// as a match: it would turn a would-be 404 (an export with nothing to publish) into 304.
pub fn matches(headers: &HeaderMap, tag: &HeaderValue) -> bool {
    let wanted = weak_opaque(tag.to_str().unwrap_or_default());
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .any(|candidate| weak_opaque(candidate) == wanted)
}

fn weak_opaque(tag: &str) -> &str {
    tag.strip_prefix("W/").unwrap_or(tag)
}

/// `304 Not Modified` with the tag and the caching policy (no body).
pub fn not_modified(tag: HeaderValue) -> Response {
    (
        StatusCode::NOT_MODIFIED,
        [
            (header::ETAG, tag),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static(PUBLIC_CACHE_CONTROL),
            ),
        ],
    )
        .into_response()
}

/// Adds the tag and the caching policy to a public answer.
pub fn tagged(mut response: Response, tag: HeaderValue) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::ETAG, tag);
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(PUBLIC_CACHE_CONTROL),
    );
    response
}

/// A GraphQL request in a URL (GraphQL over HTTP: `variables` is JSON text).
#[derive(Debug, Deserialize)]
pub struct GetRequest {
    query: Option<String>,
    variables: Option<String>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
}

/// `GET /graphql`: GraphiQL without a `query` parameter; with one, an anonymous query
/// answered like a `POST` (same limits, same public cache), tagged and conditional.
pub async fn graphql_get(
    State(app): State<App>,
    signed_in: crate::web::session::OptionalSignedIn,
    headers: HeaderMap,
    Query(get): Query<GetRequest>,
) -> Response {
    let Some(query) = get.query else {
        // A signed-in person's GraphiQL sends their session's CSRF token with each request.
        let csrf = signed_in.0.map(|signed_in| signed_in.session.csrf_token);
        return super::graphiql::page(csrf.as_deref());
    };
    if headers.contains_key(header::AUTHORIZATION) {
        return refuse(
            StatusCode::BAD_REQUEST,
            "GET answers are public and may be kept by shared caches: send a signed-in query with POST",
            UNAUTHENTICATED,
        );
    }
    if !is_query_only(&query) {
        return refuse(
            StatusCode::METHOD_NOT_ALLOWED,
            "only queries can be sent with GET (a mutation or subscription needs POST or the WebSocket)",
            BAD_INPUT,
        );
    }
    let variables = match get.variables.as_deref().map(serde_json::from_str) {
        None => json!({}),
        Some(Ok(variables)) => variables,
        Some(Err(error)) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                format!("variables is not JSON: {error}"),
                BAD_INPUT,
            )
        }
    };
    let body =
        json!({ "query": query, "variables": variables, "operationName": get.operation_name });
    let body = Bytes::from(serde_json::to_vec(&body).expect("a JSON value encodes"));
    if body.len() > MAX_REQUEST_BODY_BYTES {
        return refuse(
            StatusCode::URI_TOO_LONG,
            format!("the query is longer than {MAX_REQUEST_BODY_BYTES} bytes"),
            BAD_INPUT,
        );
    }
    answer_public_query(&app, &headers, body).await
}

/// Runs (or finds in the public cache) an anonymous query whose request body is `body`.
async fn answer_public_query(app: &App, headers: &HeaderMap, body: Bytes) -> Response {
    let deadline = tokio::time::Instant::now() + Duration::from_millis(REQUEST_TIMEOUT_MS);
    let min_place = match min_position_place(app, headers).await {
        Ok(place) => place,
        Err(refused) => return refused,
    };
    let version = app.state.public_cache.usable_version(min_place);
    let tag = version.map(etag);
    if let Some(tag) = tag.as_ref().filter(|tag| matches(headers, tag)) {
        return not_modified(tag.clone());
    }
    let json_response = |bytes: Bytes| {
        let response = ([(header::CONTENT_TYPE, "application/json")], bytes).into_response();
        match &tag {
            Some(tag) => tagged(response, tag.clone()),
            None => response,
        }
    };
    // Held until the answer is stored: others asking the same meanwhile wait for it.
    let _computing = match version {
        Some(version) => match app.state.public_cache.fetch(&body, version).await {
            Fetch::Answer(cached) => return json_response(cached),
            Fetch::Compute(claim) => claim,
        },
        None => None,
    };
    let request: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => return refuse(StatusCode::BAD_REQUEST, error.to_string(), BAD_INPUT),
    };
    let response = match execute(app, request.data(Viewer::Public), deadline).await {
        Ok(response) => response,
        Err(refused) => return refused,
    };
    if !response.errors.is_empty() {
        // An error answer is not tagged: it may be the store's, not the query's.
        return axum::Json(response).into_response();
    }
    let encoded = Bytes::from(serde_json::to_vec(&response).unwrap_or_default());
    if let Some(version) = version {
        app.state.public_cache.put(body, version, encoded.clone());
    }
    json_response(encoded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use infrastructure::LogCursor;

    fn version(position: i64) -> ReadModelsVersion {
        ReadModelsVersion {
            watermark: LogCursor {
                epoch: 0,
                txid: 9,
                position,
            },
            geography: 2,
        }
    }

    fn if_none_match(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn the_tag_names_the_version_and_matches_only_it() {
        let tag = etag(version(41));
        assert_eq!(tag, "W/\"rm-9-41-2\"");
        assert!(matches(&if_none_match("W/\"rm-9-41-2\""), &tag));
        assert!(
            matches(&if_none_match("\"rm-9-41-2\""), &tag),
            "weak comparison"
        );
        assert!(matches(&if_none_match("\"x\", W/\"rm-9-41-2\""), &tag));
        assert!(!matches(&if_none_match("*"), &tag));
        assert!(!matches(&if_none_match("W/\"rm-9-40-2\""), &tag));
        assert!(!matches(&HeaderMap::new(), &tag));
    }
}
