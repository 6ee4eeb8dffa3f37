//! End-to-end test support: `spawn_app` starts the real `fundledger serve` program on a
//! random port over a fresh database of its own (a SQLite file or a PostgreSQL database),
//! and returns a client that speaks GraphQL to it with tokens of any role.

use std::process::Stdio;
use std::time::Duration;

use api::server::auth::{Claims, Role, TokenKeys, TOKEN_ISSUER};
use infrastructure::test_support::TestDatabase;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub mod cluster;

/// How long a spawned server may take to print its URL.
pub const STARTUP_TIMEOUT_MS: u64 = 60_000;

/// Which store a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    Sqlite,
    Postgres,
}

/// A running server over its own database; killed and the database dropped with it.
pub struct TestApp {
    /// Declared first so it is dropped (the server killed) before the database.
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub client: reqwest::Client,
    pub keys: TokenKeys,
    pub database: TestDatabase,
    /// The signing secret the server was started with.
    pub secret: String,
    /// The development admin token the server printed (embedded store only).
    pub dev_token: Option<String>,
}

/// A fixed, long secret per test server (the server refuses short ones).
fn test_secret() -> String {
    format!(
        "test-secret-{}-{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// Starts `program serve` (the real command line) over a fresh database of `store`,
/// without the shipped reference geography: the suite's tests bring their own small
/// geographies with figures worked from them (`spawn_app_with_reference_geography` starts
/// a fresh install as it is out of the box).
pub async fn spawn_app(program: &str, store: Store) -> TestApp {
    spawn_app_with(program, store, false).await
}

/// Starts `program serve` over a fresh database of `store` as a fresh install does: the
/// shipped reference geography (England 2019) is loaded before it serves.
pub async fn spawn_app_with_reference_geography(program: &str, store: Store) -> TestApp {
    spawn_app_with(program, store, true).await
}

async fn spawn_app_with(program: &str, store: Store, reference_geography: bool) -> TestApp {
    let database = match store {
        Store::Sqlite => TestDatabase::sqlite().await,
        Store::Postgres => TestDatabase::postgres().await,
    }
    .expect("a fresh test database (is PostgreSQL up on 127.0.0.1:5432?)");
    spawn_app_over(program, database, reference_geography, &[]).await
}

/// Starts `program serve` over `database` (e.g. one on a `cluster::PrivateCluster`) with
/// extra environment variables `env` (e.g. a fault test's shorter thresholds).
pub async fn spawn_app_over(
    program: &str,
    database: TestDatabase,
    reference_geography: bool,
    env: &[(&str, String)],
) -> TestApp {
    let store = if database.database.is_postgres() {
        Store::Postgres
    } else {
        Store::Sqlite
    };
    let secret = test_secret();
    let mut child = Command::new(program)
        .args([
            "serve",
            "--database-url",
            &database.url,
            "--listen",
            "127.0.0.1:0",
        ])
        .args((!reference_geography).then_some("--no-reference-geography"))
        .envs(env.iter().map(|(name, value)| (*name, value.as_str())))
        .env("FUNDLEDGER_JWT_SECRET", &secret)
        .env(
            "RUST_LOG",
            std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("spawning fundledger serve");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let (base, dev_token) =
        tokio::time::timeout(Duration::from_millis(STARTUP_TIMEOUT_MS), async {
            let mut base = None;
            while let Some(line) = lines
                .next_line()
                .await
                .expect("reading the server's output")
            {
                if let Some(url) = line.strip_prefix("fundledger serving ") {
                    base = Some(url.trim().trim_end_matches("/graphql").to_string());
                    if store == Store::Postgres {
                        return (base, None);
                    }
                } else if let Some(token) =
                    line.strip_prefix("development admin token (embedded store only): ")
                {
                    return (base, Some(token.trim().to_string()));
                }
            }
            panic!("the server exited before printing its URL");
        })
        .await
        .expect("the server printed its URL in time");
    let base = base.expect("the URL comes before the token");
    // Keep draining stdout so the server never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    TestApp {
        base,
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("http client"),
        keys: TokenKeys::new(&secret),
        database,
        secret,
        dev_token,
        child,
    }
}

/// A GraphQL response, with helpers for the checks tests make.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    pub fn data(&self) -> &Value {
        &self.body["data"]
    }

    /// Panics (with the body) unless the reply has no errors.
    pub fn ok(self) -> Reply {
        assert!(
            self.body
                .get("errors")
                .is_none_or(|errors| errors.as_array().is_none_or(Vec::is_empty)),
            "expected success, got {}",
            self.body
        );
        self
    }

    /// The `extensions.code` of the first error, if any.
    pub fn code(&self) -> Option<&str> {
        self.body["errors"][0]["extensions"]["code"].as_str()
    }

    pub fn message(&self) -> &str {
        self.body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
    }

    /// Panics unless the first error has `code`.
    pub fn expect_code(self, code: &str) -> Reply {
        assert_eq!(
            self.code(),
            Some(code),
            "expected {code}, got {}",
            self.body
        );
        self
    }
}

impl TestApp {
    pub fn graphql_url(&self) -> String {
        format!("{}/graphql", self.base)
    }

    pub fn token(&self, role: Role, subject: &str, org: Option<&str>) -> String {
        self.keys
            .mint(role, subject, org, Duration::from_secs(3600))
            .expect("minting a test token")
    }

    pub fn admin(&self) -> String {
        self.token(Role::Admin, "officer-ola", None)
    }

    pub fn panel(&self, member: &str) -> String {
        self.token(Role::Panel, member, None)
    }

    pub fn grantee(&self, org: &str) -> String {
        self.token(Role::Grantee, &format!("user-of-{org}"), Some(org))
    }

    /// A token whose lifetime ended an hour ago, signed with the right secret.
    pub fn expired(&self) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock after 1970")
            .as_secs();
        self.keys
            .sign(&Claims {
                sub: "late".into(),
                role: Role::Admin,
                org: None,
                iss: TOKEN_ISSUER.into(),
                iat: now - 7200,
                exp: now - 3600,
            })
            .expect("signing")
    }

    /// An admin token signed with some other secret.
    pub fn forged(&self) -> String {
        TokenKeys::new(&test_secret())
            .mint(Role::Admin, "mallory", None, Duration::from_secs(3600))
            .expect("signing")
    }

    pub async fn post_raw(
        &self,
        token: Option<&str>,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> Reply {
        let mut request = self
            .client
            .post(self.graphql_url())
            .header("content-type", "application/json")
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request.send().await.expect("POST /graphql");
        let status = response.status().as_u16();
        let text = response.text().await.expect("response body");
        let body = serde_json::from_str(&text).unwrap_or_else(|_| json!({ "raw": text }));
        Reply { status, body }
    }

    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Reply {
        let body =
            serde_json::to_vec(&json!({ "query": query, "variables": variables })).expect("json");
        self.post_raw(token, &[], body).await
    }

    /// A query that first waits for the read models to reach `position`.
    pub async fn gql_at(
        &self,
        token: Option<&str>,
        position: i64,
        query: &str,
        variables: Value,
    ) -> Reply {
        let body =
            serde_json::to_vec(&json!({ "query": query, "variables": variables })).expect("json");
        self.post_raw(token, &[("x-min-position", position.to_string())], body)
            .await
    }

    /// A query that first waits for the read models to reach everything written so far.
    pub async fn gql_now(&self, token: Option<&str>, query: &str, variables: Value) -> Reply {
        let head = self.head().await;
        self.gql_at(token, head, query, variables).await
    }

    /// The event log's head, read from the store itself: "nothing written" checks.
    pub async fn head(&self) -> i64 {
        self.database
            .database
            .head_position()
            .await
            .expect("head position")
    }

    pub async fn get(&self, path: &str) -> (u16, String) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET");
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    }

    /// Stops the server with SIGTERM and waits for it to exit; returns whether it exited 0.
    pub async fn stop(mut self) -> bool {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
        }
        match tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await {
            Ok(Ok(status)) => status.success(),
            _ => false,
        }
    }
}

/// Runs a mutation as `token` and returns its payload (panics on error).
pub async fn mutate(
    app: &TestApp,
    token: &str,
    name: &str,
    input: Value,
    selection: &str,
) -> Value {
    let query = format!(
        "mutation($input: {}Input!) {{ {name}(input: $input) {{ position {selection} }} }}",
        input_type(name)
    );
    let reply = app
        .gql(Some(token), &query, json!({ "input": input }))
        .await
        .ok();
    reply.data()[name].clone()
}

/// A mutation's input type name: `establishFund` → `EstablishFund`, with shared inputs.
pub fn input_type(mutation: &str) -> String {
    match mutation {
        "closeRound" | "allocateByVotes" => "Round".into(),
        "withdrawApplication" | "declareConflict" => "Application".into(),
        "acceptAgreement" | "closeAward" => "Award".into(),
        "approveDrawdown" => "Drawdown".into(),
        other => {
            let mut chars = other.chars();
            let first = chars.next().expect("a name").to_ascii_uppercase();
            format!("{first}{}", chars.as_str())
        }
    }
}
