//! API tokens over GraphQL (issue 13): `apiTokens`, `createApiToken`, `revokeApiToken`
//! are for a signed-in person only. The public is `UNAUTHENTICATED`, an operator's JWT
//! (which names no person) `FORBIDDEN`, and neither writes anything (through the real
//! server). A person's own calls run through the real schema and store in process, as the
//! viewer a person's credential gives (`Viewer::for_principal`); over HTTP they need the
//! `flt_…` bearer path of the scopes work.

mod common;

use std::sync::Arc;

use api::server::auth::{TokenKeys, Viewer};
use api::server::context::AppState;
use api::server::schema::{build_schema, AppSchema};
use api::server::transport::TransportLimits;
use common::spawn;
use fundledger_tests::{Store, TestApp};
use infrastructure::accounts::{api_tokens, grants, people, principal, ScopedRole};
use infrastructure::test_support::TestDatabase;
use infrastructure::{Database, Ledger};
use serde_json::{json, Value};

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

/// The real schema over `db`, as the server builds it.
async fn schema_over(db: &Database) -> AppSchema {
    let state = AppState {
        ledger: Ledger::open(db.clone()).await.expect("the ledger"),
        projector: projections::ProjectorHandle::new(db.clone()),
        metrics: Arc::default(),
        keys: TokenKeys::new("account-api-test-secret-long-enough-for-the-server-0123456789"),
        web: Arc::new(api::web::WebSettings::defaults(
            "127.0.0.1:8080".parse().expect("an address"),
        )),
        feed: tokio::sync::broadcast::channel(16).0,
        public_cache: Arc::default(),
        page_cache: Arc::new(api::server::cache::PublicQueryCache::for_pages()),
        sso: None,
    };
    build_schema(Some(Arc::new(state)), &TransportLimits::default())
}

/// Runs `query` as `viewer`: the data, or the first error's code.
async fn run(schema: &AppSchema, viewer: &Viewer, query: &str, variables: Value) -> Value {
    let request = async_graphql::Request::new(query)
        .variables(async_graphql::Variables::from_json(variables))
        .data(viewer.clone());
    let response = serde_json::to_value(schema.execute(request).await).expect("JSON");
    match response["errors"][0]["extensions"]["code"].as_str() {
        Some(code) => json!({ "code": code, "message": response["errors"][0]["message"] }),
        None => response["data"].clone(),
    }
}

/// A person's viewer, as their API token gives it.
async fn person_viewer(db: &Database, email: &str, roles: &[ScopedRole]) -> Viewer {
    let person = people::find_or_create_person(db, email, None)
        .await
        .unwrap();
    for role in roles {
        grants::grant_role(db, &person.id, role, "operator")
            .await
            .unwrap();
    }
    let token = api_tokens::create_api_token(db, &person.id, "signed in", &[], 3600)
        .await
        .unwrap();
    let principal = principal::principal_for_api_token(db, &token.secret)
        .await
        .unwrap()
        .expect("a live token");
    Viewer::for_principal(&principal)
}

async fn a_person_makes_lists_and_revokes_their_tokens(kind: &str) {
    let test = TestDatabase::of_kind(kind).await.unwrap();
    let db = &test.database;
    let schema = schema_over(db).await;
    let officer = ScopedRole::officer(&domain::FundId::new("F-1"));
    let ada = person_viewer(db, "ada@example.org", &[officer]).await;
    let create = |scopes: Value, days: Value| json!({ "input": { "name": "nightly export", "expiresInDays": days, "scopes": scopes } });
    let scoped = json!([{ "role": "officer", "scope": "F-1" }]);
    let made = run(&schema, &ada, CREATE, create(scoped, json!(7))).await;
    let secret = made["createApiToken"]["token"]
        .as_str()
        .expect("a secret")
        .to_string();
    assert!(secret.starts_with("flt_"), "{made}");
    let token_id = made["createApiToken"]["apiToken"]["tokenId"]
        .as_str()
        .unwrap()
        .to_string();
    let as_token = principal::principal_for_api_token(db, &secret)
        .await
        .unwrap()
        .unwrap();
    assert!(as_token.roles.is_officer_of(&domain::FundId::new("F-1")));
    // Refused, writing nothing: a role not held, a lifetime out of range, a bad role name.
    let not_held = json!([{ "role": "officer", "scope": "F-2" }]);
    for (scopes, days) in [
        (not_held, json!(7)),
        (json!(null), json!(367)),
        (json!(null), json!(0)),
        (json!([{ "role": "king", "scope": "" }]), json!(7)),
    ] {
        let refused = run(&schema, &ada, CREATE, create(scopes, days)).await;
        assert_eq!(refused["code"], "BAD_INPUT", "{refused}");
    }
    let listed = run(&schema, &ada, LIST, json!({})).await;
    let tokens = listed["apiTokens"].as_array().expect("a list");
    assert_eq!(
        tokens.len(),
        2,
        "the sign-in token and the new one: {listed}"
    );
    assert_eq!(tokens[0]["tokenId"], token_id.as_str());
    assert_eq!(
        tokens[0]["scopes"],
        json!([{ "role": "officer", "scope": "F-1" }])
    );
    assert_eq!(tokens[0]["live"], true);
    // Another person can neither see nor revoke it.
    let grace = person_viewer(db, "grace@example.org", &[]).await;
    let theirs = run(&schema, &grace, LIST, json!({})).await;
    assert_eq!(
        theirs["apiTokens"].as_array().map(Vec::len),
        Some(1),
        "{theirs}"
    );
    let revoke = json!({ "input": { "tokenId": token_id } });
    let refused = run(&schema, &grace, REVOKE, revoke.clone()).await;
    assert_eq!(refused["code"], "NOT_FOUND", "{refused}");
    assert!(principal::principal_for_api_token(db, &secret)
        .await
        .unwrap()
        .is_some());
    let revoked = run(&schema, &ada, REVOKE, revoke).await;
    assert!(
        revoked["revokeApiToken"]["apiToken"]["revokedAt"].is_string(),
        "{revoked}"
    );
    assert!(principal::principal_for_api_token(db, &secret)
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn a_person_makes_lists_and_revokes_their_tokens_on_sqlite() {
    a_person_makes_lists_and_revokes_their_tokens("sqlite").await;
}

#[tokio::test]
async fn a_person_makes_lists_and_revokes_their_tokens_on_postgres() {
    a_person_makes_lists_and_revokes_their_tokens("postgres").await;
}
