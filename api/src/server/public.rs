//! Public HTTP pages outside GraphQL: the page at `GET /` and the 360Giving exports at
//! `GET /export/360giving.{json,csv}`. No token is needed and only public fields are
//! served; everything is read from the read models (a few queries), never by replaying
//! events. Each honours `X-Min-Position` like GraphQL queries do.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use domain::GeoLevel;
use futures::{StreamExt, TryStreamExt};
use projections::read::{self, NeighbourhoodOrder, NeighbourhoodQuery, NeighbourhoodTotals};
use projections::ProjectionError;

use infrastructure::LogCursor;

use super::conditional;
use super::http::{App, MIN_POSITION_HEADER};
use super::page::{render, PageData};
use crate::export::{self, ExportFailed, Format};

/// Rows in the page's "top neighbourhoods" table.
pub const PAGE_TOP_NEIGHBOURHOODS: u32 = 10;
/// Bars in the page's chart.
pub const PAGE_CHART_BARS: u32 = 12;
/// The levels the page calls neighbourhoods (smaller than a local authority).
const NEIGHBOURHOOD_LEVELS: [GeoLevel; 3] = [GeoLevel::Lsoa, GeoLevel::Msoa, GeoLevel::Ward];
/// The page allows only its own inline styles and nothing else from anywhere.
const PAGE_CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

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

async fn ranked(
    app: &App,
    level: GeoLevel,
    first: u32,
) -> Result<Vec<NeighbourhoodTotals>, ProjectionError> {
    let page = read::neighbourhoods(
        &app.state.ledger.database,
        &NeighbourhoodQuery {
            level: Some(level),
            order: NeighbourhoodOrder::AwardedDesc,
            first,
            ..NeighbourhoodQuery::default()
        },
    )
    .await?;
    Ok(page
        .areas
        .into_iter()
        .filter(|area| area.totals.award_count > 0)
        .collect())
}

async fn page_data(app: &App) -> Result<PageData, ProjectionError> {
    let db = &app.state.ledger.database;
    let mut top = Vec::new();
    for level in NEIGHBOURHOOD_LEVELS {
        top.extend(ranked(app, level, PAGE_TOP_NEIGHBOURHOODS).await?);
    }
    top.sort_by(|a, b| {
        b.totals
            .awarded
            .cmp(&a.totals.awarded)
            .then_with(|| a.area.code.cmp(&b.area.code))
    });
    top.truncate(PAGE_TOP_NEIGHBOURHOODS as usize);
    let local_authorities = ranked(app, GeoLevel::Lad, PAGE_CHART_BARS).await?;
    // Without local authorities in the reference geography, chart the neighbourhoods.
    let (chart, chart_level) = if local_authorities.is_empty() {
        (top.clone(), "neighbourhood")
    } else {
        (local_authorities, "local authority")
    };
    Ok(PageData {
        funds: read::funds(db).await?,
        totals: read::totals(db, &read::TotalsFilter::default()).await?,
        top_neighbourhoods: top,
        chart,
        chart_level,
        head: Some(read::ledger_head(db).await?),
    })
}

/// `GET /`: where the money went.
pub async fn page(State(app): State<App>, headers: HeaderMap) -> Response {
    let tag = match conditional_tag(&app, &headers).await {
        Ok(tag) => tag,
        Err(answered) => return answered,
    };
    match page_data(&app).await {
        Ok(data) => maybe_tagged(
            (
                [
                    (
                        header::CONTENT_SECURITY_POLICY,
                        PAGE_CONTENT_SECURITY_POLICY,
                    ),
                    (header::CACHE_CONTROL, "no-cache"),
                ],
                Html(render(&data)),
            )
                .into_response(),
            tag,
        ),
        Err(error) => unavailable(error),
    }
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
