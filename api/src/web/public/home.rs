//! `/`: where the money went. (Skeleton: the page of issue 4 until the explorer's home
//! replaces it.)

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;

use crate::server::http::App;

/// `GET /`
pub async fn page(state: State<App>, headers: HeaderMap) -> Response {
    crate::server::public::page(state, headers).await
}
