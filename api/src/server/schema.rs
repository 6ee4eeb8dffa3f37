//! The GraphQL schema and its limits. async-graphql has no depth or complexity limit unless
//! one is set: these are set, so a hostile query is refused before it runs. Complexity is
//! an estimate made before running (a list without pages counts as `UNPAGED_LIST_ITEMS`
//! items); `ResolveBudget` then holds each operation to `MAX_RESOLVED_VALUES` values as
//! they are really resolved, so a list longer than estimated cannot multiply the work.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextResolve, ResolveInfo,
};
use async_graphql::{MergedObject, Response, Schema, ServerError, ServerResult, Value};

use super::account_api::{AccountMutation, AccountQuery};
use super::context::AppState;
use super::decisions_api::DecisionsQuery;
use super::erasure_api::ErasureMutation;
use super::errors::BAD_INPUT;
use super::grantee_fields::GroupQuery;
use super::mutations::Mutation;
use super::officer_fields::OfficerQuery;
use super::people_api::{PeopleMutation, PeopleQuery};
use super::query::Query;
use super::search_api::SearchQuery;
use super::subscriptions::Subscription;
use super::transport::TransportLimits;

/// Deepest selection nesting accepted (GraphiQL's introspection query needs about 13).
pub const MAX_QUERY_DEPTH: usize = 16;
/// Most fields one operation may select, counting list pages as `first` times their
/// selection and a list without pages as `UNPAGED_LIST_ITEMS` times.
pub const MAX_QUERY_COMPLEXITY: usize = 5_000;
/// How many items a list without pages (funds, a fund's rounds, a round's applications, a
/// fund's proxies, an award's drawdowns, inputs and budget lines) counts as in the
/// complexity estimate: the estimate has to assume some length, and nesting such lists
/// multiplies it (funds → rounds → applications counts 2 × 2 × 2 of the innermost
/// selection). Kept low so that a query of every field five levels deep (the privacy
/// test's walk) still passes; `MAX_RESOLVED_VALUES` bounds what the estimate misses. An
/// area's `children` count once, like an object: parent and children nest both ways.
pub const UNPAGED_LIST_ITEMS: usize = 2;
/// Most values (fields and list items) one operation may resolve, whatever the lists'
/// real lengths; past it the operation stops and answers only a `BAD_INPUT` error.
pub const MAX_RESOLVED_VALUES: usize = 50_000;
/// Deepest nesting of values in one document (lists of lists, input objects).
pub const MAX_RECURSIVE_DEPTH: usize = 32;
/// Most directives on one field.
pub const MAX_DIRECTIVES_PER_FIELD: usize = 4;

// The query root: the ledger's fields and each issue's parts, merged under one name
// (a plain comment: it is not part of the published reference).
#[derive(MergedObject)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    Query,
    AccountQuery,
    PeopleQuery,
    GroupQuery,
    DecisionsQuery,
    OfficerQuery,
    SearchQuery,
);

// The mutation root, merged as the query root is.
#[derive(MergedObject)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(Mutation, AccountMutation, ErasureMutation, PeopleMutation);

pub type AppSchema = Schema<QueryRoot, MutationRoot, Subscription>;

/// The schema with its limits, serving from `state` (None: for SDL export only), at most
/// as many heavy operations at once as `limits` allow (admission.rs).
pub fn build_schema(state: Option<Arc<AppState>>, limits: &TransportLimits) -> AppSchema {
    let query = QueryRoot(
        Query,
        AccountQuery,
        PeopleQuery,
        GroupQuery,
        DecisionsQuery,
        OfficerQuery,
        SearchQuery,
    );
    let mutation = MutationRoot(Mutation, AccountMutation, ErasureMutation, PeopleMutation);
    let builder = Schema::build(query, mutation, Subscription)
        .limit_depth(MAX_QUERY_DEPTH)
        .limit_complexity(MAX_QUERY_COMPLEXITY)
        .limit_recursive_depth(MAX_RECURSIVE_DEPTH)
        .limit_directives(MAX_DIRECTIVES_PER_FIELD)
        .extension(ResolveBudget)
        // Operations near the complexity cap take turns (admission.rs).
        .extension(super::admission::HeavyAdmission::new(
            limits.max_heavy_operations,
            limits.heavy_wait,
        ))
        // No control or bidi character in any string of any request (text_guard.rs).
        .extension(super::text_guard::TextGuard);
    match state {
        Some(state) => builder.data(state).finish(),
        None => builder.finish(),
    }
}

/// The schema's SDL, as the snapshot test keeps it.
pub fn sdl() -> String {
    build_schema(None, &TransportLimits::default()).sdl()
}

/// Holds each operation to `MAX_RESOLVED_VALUES` resolved values.
pub struct ResolveBudget;

impl ExtensionFactory for ResolveBudget {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ResolveCount::default())
    }
}

/// One operation's count of resolved values (one per request: `create` is called per
/// execution). A subscription is not counted: it lives as long as its client wants, each
/// event a few fields (`subscriptions`), and the socket caps how many run.
#[derive(Default)]
struct ResolveCount {
    resolved: AtomicUsize,
    subscription: AtomicBool,
}

impl ResolveCount {
    fn exceeded(&self) -> bool {
        self.resolved.load(Ordering::Relaxed) > MAX_RESOLVED_VALUES
    }
}

fn over_budget() -> ServerError {
    let mut error = ServerError::new(
        format!(
            "the query would resolve more than {MAX_RESOLVED_VALUES} values and was stopped; \
             ask for fewer fields, fewer aliases or smaller pages"
        ),
        None,
    );
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", BAD_INPUT);
    error
}

#[async_trait::async_trait]
impl Extension for ResolveCount {
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let response = next.run(ctx, operation_name).await;
        // One clear error rather than a part-answer with an error per field cut off.
        if self.exceeded() {
            return Response::from_errors(vec![over_budget()]);
        }
        response
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        // A subscription's events resolve from its root field, which comes first.
        if info.parent_type == "Subscription" {
            self.subscription.store(true, Ordering::Relaxed);
        }
        if self.subscription.load(Ordering::Relaxed) {
            return next.run(ctx, info).await;
        }
        if self.resolved.fetch_add(1, Ordering::Relaxed) >= MAX_RESOLVED_VALUES {
            return Err(over_budget());
        }
        next.run(ctx, info).await
    }
}
