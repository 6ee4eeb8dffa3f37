//! The GraphQL schema and its limits. async-graphql has no depth or complexity limit unless
//! one is set: these are set, so a hostile query is refused before it runs.

use std::sync::Arc;

use async_graphql::Schema;

use super::context::AppState;
use super::mutations::Mutation;
use super::query::Query;
use super::subscriptions::Subscription;

/// Deepest selection nesting accepted (GraphiQL's introspection query needs about 13).
pub const MAX_QUERY_DEPTH: usize = 16;
/// Most fields one operation may select, counting list pages as `first` times their
/// selection (an unbounded list counts once).
pub const MAX_QUERY_COMPLEXITY: usize = 5_000;
/// Deepest nesting of values in one document (lists of lists, input objects).
pub const MAX_RECURSIVE_DEPTH: usize = 32;
/// Most directives on one field.
pub const MAX_DIRECTIVES_PER_FIELD: usize = 4;

pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// The schema with its limits, serving from `state` (None: for SDL export only).
pub fn build_schema(state: Option<Arc<AppState>>) -> AppSchema {
    let builder = Schema::build(Query, Mutation, Subscription)
        .limit_depth(MAX_QUERY_DEPTH)
        .limit_complexity(MAX_QUERY_COMPLEXITY)
        .limit_recursive_depth(MAX_RECURSIVE_DEPTH)
        .limit_directives(MAX_DIRECTIVES_PER_FIELD)
        // No control or bidi character in any string of any request (text_guard.rs).
        .extension(super::text_guard::TextGuard);
    match state {
        Some(state) => builder.data(state).finish(),
        None => builder.finish(),
    }
}

/// The schema's SDL, as the snapshot test keeps it.
pub fn sdl() -> String {
    build_schema(None).sdl()
}
