//! `GET /areas/{code}/360giving.json`: the 360Giving package of an area's awards (its own
//! and those of every area below it): the register's export (`crate::export`, read from
//! the read models page by page like `/export/360giving.json`) filtered to the area, so
//! each grant has the same id and fields as in the whole register's package.
//!
//! An area without awards is answered 404 "nothing to publish for this area yet", as the
//! register's export answers an empty register: the package schema requires at least one
//! grant (`minItems: 1`), so 360Giving's tools (the Data Quality Tool, GrantNav's
//! loader) would refuse an empty package as invalid rather than read it as "no grants".
//! The package is the register as it is now; `?asOf=` is not offered (360Giving data
//! states each grant's current figures and `dateModified`).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use futures::StreamExt;

use super::{attachment, plain, prepare};
use crate::export::{self, ExportFailed, Format, Scope};
use crate::server::http::App;

/// `GET /areas/{code}/360giving.json`
pub async fn area_360giving(
    State(app): State<App>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Response {
    let (tag, area) = match prepare(&app, &headers, &code).await {
        Ok(prepared) => prepared,
        Err(answered) => return answered,
    };
    let file_name = format!("360giving-{}.json", area.code);
    let scope = Scope::Area {
        code: area.code,
        name: area.name,
    };
    let mut chunks = Box::pin(export::stream_for(
        app.state.ledger.database.clone(),
        Format::Json,
        scope,
    ));
    let first = match chunks.next().await {
        Some(Ok(chunk)) => chunk,
        Some(Err(ExportFailed::NothingInArea)) => {
            return plain(
                StatusCode::NOT_FOUND,
                format!("{}\n", ExportFailed::NothingInArea),
            )
        }
        Some(Err(error)) => {
            tracing::error!(%error, "a place's 360Giving package could not be read");
            return plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "the ledger's read models could not be read; retry shortly\n".into(),
            );
        }
        None => Default::default(),
    };
    attachment(Format::Json.content_type(), &file_name, first, chunks, tag)
}
