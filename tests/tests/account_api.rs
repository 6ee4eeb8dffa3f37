//! API tokens over GraphQL (issue 13): `apiTokens`, `createApiToken`, `revokeApiToken`
//! are for a signed-in person only. The public is `UNAUTHENTICATED`, an operator's JWT
//! (which names no person) `FORBIDDEN`, and neither writes anything. (A person's own
//! calls need the session and API-token viewer of the scopes work; until it is merged they
//! are covered in `infrastructure/tests/accounts.rs`.)

mod common;

use common::spawn;
use fundledger_tests::{Store, TestApp};
use infrastructure::Database;
use serde_json::json;

const LIST: &str = "{ apiTokens { tokenId name scopes { role scope } expiresAt live } }";
const CREATE: &str = "mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) \
     { token apiToken { tokenId name expiresAt } } }";
const REVOKE: &str = "mutation($input: RevokeApiTokenInput!) { revokeApiToken(input: $input) \
     { apiToken { tokenId revokedAt } } }";

async fn tokens_stored(app: &TestApp) -> i64 {
    const SQL: &str = "SELECT COUNT(*) FROM api_tokens";
    match &app.database.database {
        Database::Postgres(pool) => sqlx::query_scalar(SQL).fetch_one(pool).await,
        Database::Sqlite(pool) => sqlx::query_scalar(SQL).fetch_one(pool).await,
    }
    .expect("counting API tokens")
}

async fn only_a_person_may_use_api_tokens(store: Store) {
    let app = spawn(store).await;
    let create = json!({ "input": {
        "name": "nightly export",
        "expiresInDays": 7,
        "scopes": [{ "role": "officer", "scope": "F-1" }],
    }});
    let revoke = json!({ "input": { "tokenId": "T-1" } });
    let operations = [(LIST, json!({})), (CREATE, create), (REVOKE, revoke)];
    let admin = app.admin();
    let panel = app.panel("panel-pat");
    for (query, variables) in &operations {
        let public = app.gql(None, query, variables.clone()).await;
        let public = public.expect_code("UNAUTHENTICATED");
        assert!(
            public.message().contains("bearer token"),
            "{}",
            public.message()
        );
        for token in [&admin, &panel] {
            let refused = app.gql(Some(token), query, variables.clone()).await;
            let refused = refused.expect_code("FORBIDDEN");
            assert!(
                refused.message().contains("signed-in person"),
                "{}",
                refused.message()
            );
        }
    }
    assert_eq!(
        tokens_stored(&app).await,
        0,
        "a refused caller wrote a token"
    );
}

#[tokio::test]
async fn only_a_person_may_use_api_tokens_on_sqlite() {
    only_a_person_may_use_api_tokens(Store::Sqlite).await;
}

#[tokio::test]
async fn only_a_person_may_use_api_tokens_on_postgres() {
    only_a_person_may_use_api_tokens(Store::Postgres).await;
}

#[test]
fn the_schema_lists_the_api_token_operations() {
    let sdl = api::server::schema::sdl();
    for operation in [
        "apiTokens: [ApiToken!]!",
        "createApiToken(input: CreateApiTokenInput!): CreateApiTokenPayload!",
        "revokeApiToken(input: RevokeApiTokenInput!): RevokeApiTokenPayload!",
    ] {
        assert!(sdl.contains(operation), "the schema lacks {operation}");
    }
    assert!(!sdl.contains("type QueryRoot") && sdl.contains("type Query {"));
}
