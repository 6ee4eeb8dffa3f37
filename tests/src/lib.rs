//! End-to-end test support: `spawn_app` starts the real `fundledger serve` program on a
//! random port over a fresh database of its own (a SQLite file or a PostgreSQL database),
//! and returns a client that speaks GraphQL to it with tokens of any role.

pub mod browser;
pub mod faults;
pub mod smtp;
pub mod web_client;
pub mod work;

use std::process::Stdio;
use std::time::Duration;

use api::server::auth::{Claims, Role, TokenKeys, TokenScope, TOKEN_ISSUER};
use infrastructure::accounts::{self, PersonId, ScopedRole};
use infrastructure::test_support::TestDatabase;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub mod cluster;
pub mod oidc;

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
    spawn_app_with(program, store, false, &[]).await
}

/// Starts `program serve` as `spawn_app` does, with `args` added to its command line
/// (e.g. `["--header-timeout-ms", "1000"]`).
pub async fn spawn_app_with_args(program: &str, store: Store, args: &[&str]) -> TestApp {
    spawn_app_with(program, store, false, args).await
}

/// Starts `program serve` over a fresh database of `store` as a fresh install does: the
/// shipped reference geography (England 2019) is loaded before it serves.
pub async fn spawn_app_with_reference_geography(program: &str, store: Store) -> TestApp {
    spawn_app_with(program, store, true, &[]).await
}

async fn spawn_app_with(
    program: &str,
    store: Store,
    reference_geography: bool,
    args: &[&str],
) -> TestApp {
    let database = fresh_database(store).await;
    let stderr = Stdio::inherit();
    spawn_server(program, database, reference_geography, args, &[], stderr).await
}

/// Starts `program serve` over `database` (e.g. one on a `cluster::PrivateCluster`) with
/// extra environment variables `env` (e.g. a fault test's shorter thresholds; they win
/// over the defaults, `RUST_LOG` included).
pub async fn spawn_app_over(
    program: &str,
    database: TestDatabase,
    reference_geography: bool,
    env: &[(&str, String)],
) -> TestApp {
    spawn_server(
        program,
        database,
        reference_geography,
        &[],
        env,
        Stdio::inherit(),
    )
    .await
}

/// Starts `program serve` over a fresh database of `store` with extra environment `env`
/// (e.g. `FUNDLEDGER_SMTP_URL` from `smtp::SmtpServer::url`, shorter lifetimes).
pub async fn spawn_app_with_env(program: &str, store: Store, env: &[(&str, String)]) -> TestApp {
    let database = fresh_database(store).await;
    spawn_server(program, database, false, &[], env, Stdio::inherit()).await
}

/// Starts `program serve` over a fresh database of `store` with extra environment `env`
/// (e.g. `RUST_LOG=info`), keeping every line it writes to standard error: the log, as
/// an operator's collector would receive it (a pipe, not a terminal).
pub async fn spawn_app_logged(
    program: &str,
    store: Store,
    env: &[(&str, String)],
) -> (TestApp, ServerLog) {
    let database = fresh_database(store).await;
    let mut app = spawn_server(program, database, false, &[], env, Stdio::piped()).await;
    let stderr = app.child.stderr.take().expect("piped stderr");
    (app, ServerLog::follow(stderr))
}

/// The lines a server wrote to standard error so far (read as they come).
#[derive(Clone, Default)]
pub struct ServerLog {
    lines: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl ServerLog {
    fn follow(stderr: tokio::process::ChildStderr) -> ServerLog {
        let log = ServerLog::default();
        let lines = log.lines.clone();
        tokio::spawn(async move {
            let mut reader = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                lines.lock().expect("log lock").push(line);
            }
        });
        log
    }

    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().expect("log lock").clone()
    }

    /// Waits (up to `timeout`) until some line satisfies `wanted`, and returns it.
    pub async fn wait_for(
        &self,
        timeout: Duration,
        wanted: impl Fn(&str) -> bool,
    ) -> Option<String> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(line) = self.lines().into_iter().find(|line| wanted(line)) {
                return Some(line);
            }
            if tokio::time::Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A fresh, empty database of `store`.
async fn fresh_database(store: Store) -> TestDatabase {
    match store {
        Store::Sqlite => TestDatabase::sqlite().await,
        Store::Postgres => TestDatabase::postgres().await,
    }
    .expect("a fresh test database (is PostgreSQL up on 127.0.0.1:5432?)")
}

async fn spawn_server(
    program: &str,
    database: TestDatabase,
    reference_geography: bool,
    args: &[&str],
    env: &[(&str, String)],
    stderr: Stdio,
) -> TestApp {
    let secret = test_secret();
    let mut serve_args = args.to_vec();
    if !reference_geography {
        serve_args.push("--no-reference-geography");
    }
    let server = launch(program, &database.url, &secret, &serve_args, env, stderr).await;
    TestApp {
        base: server.base,
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("http client"),
        keys: TokenKeys::new(&secret),
        database,
        secret,
        dev_token: server.dev_token,
        child: server.child,
    }
}

/// Runs `program serve` on `database_url` signed with `secret`, with `args` and `env`
/// added, and waits for it to print its URL (and, on the embedded store, the development
/// token). Standard output is drained for as long as the server runs.
async fn launch(
    program: &str,
    database_url: &str,
    secret: &str,
    args: &[&str],
    env: &[(&str, String)],
    stderr: Stdio,
) -> TestServer {
    let embedded = !database_url.starts_with("postgres");
    let mut child = Command::new(program)
        .args(["serve", "--database-url", database_url])
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .env("FUNDLEDGER_JWT_SECRET", secret)
        .env(
            "RUST_LOG",
            std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .envs(env.iter().map(|(name, value)| (*name, value.as_str())))
        .stdout(Stdio::piped())
        .stderr(stderr)
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
                    if !embedded {
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
    TestServer {
        child,
        base,
        dev_token,
    }
}

/// A `fundledger serve` process on a database it does not own: a second server beside a
/// `TestApp`'s (`TestApp::spawn_peer`), or one to `TestApp::adopt`. Killed when dropped.
pub struct TestServer {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub dev_token: Option<String>,
}

impl TestServer {
    /// SIGKILL, as a crash: nothing runs on the way out. Waits for the process to end.
    pub async fn kill9(&mut self) {
        let _ = self.child.kill().await;
    }
}

/// Starts `program serve` on `database_url` with `secret` (no reference geography): for
/// the fault tests, which start servers again on a store they keep.
async fn start_server(program: &str, database_url: &str, secret: &str) -> TestServer {
    let args = ["--no-reference-geography"];
    launch(program, database_url, secret, &args, &[], Stdio::inherit()).await
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
                fund: None,
                round: None,
                iss: TOKEN_ISSUER.into(),
                iat: now - 7200,
                exp: now - 3600,
            })
            .expect("signing")
    }

    /// A JWT for `role` narrowed to `scope` (`--fund`, `--round`, `--org`).
    pub fn scoped_token(&self, role: Role, subject: &str, scope: &TokenScope) -> String {
        self.keys
            .mint_scoped(role, subject, scope, Duration::from_secs(3600))
            .expect("minting a scoped test token")
    }

    /// A person in the test's own store holding `roles` (granted as an officer would).
    pub async fn person_with_roles(&self, email: &str, roles: &[ScopedRole]) -> PersonId {
        let db = &self.database.database;
        let person = accounts::people::find_or_create_person(db, email, None)
            .await
            .expect("making a test person");
        for role in roles {
            accounts::grants::grant_role(db, &person.id, role, "test")
                .await
                .expect("granting a test role");
        }
        person.id
    }

    /// A fresh API token of `person` (every role they hold): its id and its `flt_…` secret.
    pub async fn api_token_of(&self, person: &PersonId) -> (String, String) {
        let made = accounts::api_tokens::create_api_token(
            &self.database.database,
            person,
            "test script",
            &[],
            3600,
        )
        .await
        .expect("making a test API token");
        (made.token.token_id, made.secret)
    }

    /// A fresh session of `person`, as signing in would start it.
    pub async fn session_of(&self, person: &PersonId) -> accounts::NewSession {
        accounts::sessions::start_session(
            &self.database.database,
            person,
            "email",
            accounts::SessionLimits::default(),
        )
        .await
        .expect("starting a test session")
    }

    /// GraphQL with a session's cookie and `csrf` in `X-CSRF-Token` (none: no header).
    pub async fn gql_session(
        &self,
        session: &accounts::NewSession,
        csrf: Option<&str>,
        query: &str,
        variables: Value,
    ) -> Reply {
        let body =
            serde_json::to_vec(&json!({ "query": query, "variables": variables })).expect("json");
        let mut headers = vec![(
            "cookie",
            format!("{}={}", api::web::session::SESSION_COOKIE, session.secret),
        )];
        if let Some(csrf) = csrf {
            headers.push((api::web::session::CSRF_HEADER, csrf.to_string()));
        }
        self.post_raw(None, &headers, body).await
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

    /// Kills the server with SIGKILL, as a crash does (no shutdown, no drain), and waits
    /// for it to end; the database stays, for `restart`.
    pub async fn kill9(&mut self) {
        let _ = self.child.kill().await;
    }

    /// Starts a new server on this app's database and secret (after `kill9`, say): later
    /// requests go to it. A server still running is killed first.
    pub async fn restart(&mut self, program: &str) {
        self.kill9().await;
        let server = start_server(program, &self.database.url, &self.secret).await;
        self.adopt(server).await;
    }

    /// Starts another server on this app's database and secret: a second replica.
    pub async fn spawn_peer(&self, program: &str) -> TestServer {
        start_server(program, &self.database.url, &self.secret).await
    }

    /// Makes `server` (a peer on the same database) this app's server, killing the one it
    /// had if that still runs: later requests and checks go to the survivor.
    pub async fn adopt(&mut self, server: TestServer) {
        self.kill9().await;
        self.child = server.child;
        self.base = server.base;
        self.dev_token = server.dev_token;
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

/// Installs a test tool's npm packages (`npm ci --prefix tests/{folder}`, from its
/// committed lock file) unless `marker` (a path inside the folder) is already there, so the
/// README's `cargo test --workspace` works on a fresh clone. One install at a time.
pub fn ensure_npm_packages(folder: &str, marker: &str) {
    static INSTALLING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = INSTALLING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
    if dir.join(marker).exists() {
        return;
    }
    let status = std::process::Command::new("npm")
        .arg("ci")
        .arg("--prefix")
        .arg(&dir)
        .args(["--no-audit", "--no-fund", "--loglevel=error"])
        .status();
    assert!(
        matches!(&status, Ok(status) if status.success()),
        "npm ci --prefix {} failed ({status:?}); is Node.js installed?",
        dir.display()
    );
}

/// Restarts and peers with extra environment (e.g. `FUNDLEDGER_SMTP_URL`): the notification
/// tests' servers must all mail the same test SMTP server.
impl TestApp {
    /// `restart`, with `env` added to the new server's environment.
    pub async fn restart_with_env(&mut self, program: &str, env: &[(&str, String)]) {
        self.kill9().await;
        let server = self.start_peer_with_env(program, env).await;
        self.adopt(server).await;
    }

    /// `spawn_peer`, with `env` added to the peer's environment.
    pub async fn spawn_peer_with_env(&self, program: &str, env: &[(&str, String)]) -> TestServer {
        self.start_peer_with_env(program, env).await
    }

    async fn start_peer_with_env(&self, program: &str, env: &[(&str, String)]) -> TestServer {
        let args = ["--no-reference-geography"];
        launch(
            program,
            &self.database.url,
            &self.secret,
            &args,
            env,
            Stdio::inherit(),
        )
        .await
    }
}
