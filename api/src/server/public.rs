//! Public answers outside GraphQL: the 360Giving exports at
//! `GET /export/360giving.{json,csv}` (the public pages are `web::public`'s). No token is
//! needed and only public fields are served; everything is read from the read models,
//! never by replaying events. Each honours `X-Min-Position` like GraphQL queries do.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::{StreamExt, TryStreamExt};

use infrastructure::LogCursor;

use super::conditional;
use super::http::{App, MIN_POSITION_HEADER};
use crate::export::{self, ExportFailed, Format};

fn plain(status: StatusCode, text: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

/// Waits for the read models to reach the request's `X-Min-Position`, if it has one, and
/// returns that event's place in the log's order.
pub(crate) async fn wait_for_min_position(
    app: &App,
    headers: &HeaderMap,
) -> Result<Option<LogCursor>, Response> {
    let Some(value) = headers.get(MIN_POSITION_HEADER) else {
        return Ok(None);
    };
    let position = value
        .to_str()
        .ok()
        .and_then(|text| text.trim().parse::<i64>().ok())
        .filter(|position| *position >= 0)
        .ok_or_else(|| {
            plain(
                StatusCode::BAD_REQUEST,
                "X-Min-Position must be a non-negative whole number (a mutation's position)\n"
                    .into(),
            )
        })?;
    let place = app
        .state
        .wait_for_position(position)
        .await
        .map_err(|error| {
            plain(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("{}\n", error.message),
            )
        })?;
    Ok(Some(place))
}

/// The `ETag` public answers get now (`conditional`), or the `304` that answers a request
/// whose `If-None-Match` holds it. `None` while the read-models version is unknown or
/// behind the request's `X-Min-Position`: the answer then goes untagged.
pub(crate) async fn conditional_tag(
    app: &App,
    headers: &HeaderMap,
) -> Result<Option<HeaderValue>, Response> {
    let min_place = wait_for_min_position(app, headers).await?;
    let tag = app
        .state
        .public_cache
        .usable_version(min_place)
        .map(conditional::etag);
    match tag {
        Some(tag) if conditional::matches(headers, &tag) => Err(conditional::not_modified(tag)),
        tag => Ok(tag),
    }
}

fn maybe_tagged(response: Response, tag: Option<HeaderValue>) -> Response {
    match tag {
        Some(tag) => conditional::tagged(response, tag),
        None => response,
    }
}

fn unavailable(error: impl std::fmt::Display) -> Response {
    tracing::error!(%error, "a public page could not read the read models");
    plain(
        StatusCode::SERVICE_UNAVAILABLE,
        "the ledger's read models could not be read; retry shortly\n".into(),
    )
}

/// `GET /export/360giving.json`
pub async fn export_json(State(app): State<App>, headers: HeaderMap) -> Response {
    export_response(app, headers, Format::Json).await
}

/// `GET /export/360giving.csv`
pub async fn export_csv(State(app): State<App>, headers: HeaderMap) -> Response {
    export_response(app, headers, Format::Csv).await
}

/// Streams the export page by page. The first chunk (which reads the funds, the ledger
/// head and the first page of awards) is made before answering, so a store that cannot be
/// read gets a 503 and an empty register a 404 ("nothing to publish yet") rather than a
/// 200 with a broken body or a package the schema refuses; a failure later can only cut
/// the body short.
async fn export_response(app: App, headers: HeaderMap, format: Format) -> Response {
    let tag = match conditional_tag(&app, &headers).await {
        Ok(tag) => tag,
        Err(answered) => return answered,
    };
    let mut chunks = Box::pin(export::stream(app.state.ledger.database.clone(), format));
    let first = match chunks.next().await {
        Some(Ok(chunk)) => chunk,
        // Nothing to publish is an answer, not a failure: 404 says there is no package yet.
        Some(Err(ExportFailed::NothingToPublish)) => {
            return plain(
                StatusCode::NOT_FOUND,
                format!("{}\n", ExportFailed::NothingToPublish),
            )
        }
        Some(Err(error)) => return unavailable(error),
        None => Bytes::new(),
    };
    let rest = chunks.inspect_err(|error| {
        tracing::error!(%error, "the 360Giving export stopped part way; the body is cut short")
    });
    let body = Body::from_stream(
        futures::stream::once(async move { Ok::<Bytes, ExportFailed>(first) }).chain(rest),
    );
    let response = (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, format.content_type().to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", format.file_name()),
            ),
        ],
        body,
    )
        .into_response();
    maybe_tagged(response, tag)
}
