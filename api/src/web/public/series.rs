//! Money over time for an area or a fund: a chart drawn on the server and the same
//! figures in a table (the chart's figures are never hidden from screen readers).

use maud::{html, Markup};

use crate::server::http::App;

/// Whose money over time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// An area (GSS code) and every area below it.
    Area(String),
    /// A fund (id).
    Fund(String),
}

/// The "Money over time" section of a page for `scope`, up to the end of `as_of`.
pub async fn section(_app: &App, _scope: Scope, _as_of: Option<domain::Date>) -> Markup {
    html! {}
}
