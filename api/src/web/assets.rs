//! The screens' static files, compiled into the binary and served at
//! `/assets/{ASSET_VERSION}/{name}` with a year's cache: the version is in the path, so a
//! new build's files are new URLs. Nothing is loaded from another site.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

/// Changes whenever any file below changes (GOV.UK Frontend's version, then ours).
pub const ASSET_VERSION: &str = "govuk-6.6.0-fl6";
const CACHE_FOR_A_YEAR: &str = "public, max-age=31536000, immutable";

const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

/// Every file served: name, content type, content.
const FILES: &[(&str, &str, &str)] = &[
    (
        "govuk-frontend.min.css",
        CSS,
        include_str!("../../assets/govuk/govuk-frontend.min.css"),
    ),
    (
        "govuk-frontend.min.js",
        JS,
        include_str!("../../assets/govuk/govuk-frontend.min.js"),
    ),
    ("init.js", JS, include_str!("../../assets/govuk/init.js")),
    (
        "govuk-frontend-LICENCE.txt",
        TEXT,
        include_str!("../../assets/govuk/LICENCE.txt"),
    ),
    (
        "fundledger.css",
        CSS,
        include_str!("../../assets/fundledger.css"),
    ),
];

/// The path a page links to for asset `name`.
pub fn asset_path(name: &str) -> String {
    format!("/assets/{ASSET_VERSION}/{name}")
}

/// `GET /assets/{version}/{name}`: a file of this build; 404 for another version's.
pub async fn asset(Path((version, name)): Path<(String, String)>) -> Response {
    let file = FILES.iter().find(|(file, _, _)| *file == name);
    match file {
        Some((_, content_type, content)) if version == ASSET_VERSION => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, CACHE_FOR_A_YEAR),
            ],
            *content,
        )
            .into_response(),
        _ => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, TEXT)],
            "no such asset\n",
        )
            .into_response(),
    }
}
