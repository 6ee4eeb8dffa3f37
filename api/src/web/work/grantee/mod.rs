//! (issue 14; being built)

use axum::Router;

use crate::server::http::App;

pub fn routes() -> Router<App> {
    Router::new()
}
