//! Operations (issue 12 §3): the access and command log lines an operator collects, their
//! format, the process / pool / build metrics, and HTTP caching of public answers by the
//! ledger's watermark (`ETag`, `304`).

mod common;

use std::time::Duration;

use common::{business_day, establish_fund, s, PROGRAM};
use fundledger_tests::{mutate, spawn_app_logged, ServerLog, Store, TestApp};
use serde_json::{json, Value};

/// How long a log line may take to reach the test after its request answered.
const LOG_WAIT_MS: u64 = 5_000;
/// A name that must never reach the log (it is a personal field of the command's input).
const PERSONAL_NAME: &str = "Zebedee Quux-Marchbanks";

fn info() -> Vec<(&'static str, String)> {
    vec![("RUST_LOG", "info".to_string())]
}

/// Every line as JSON (the log goes to a pipe here, so JSON is the default).
fn json_lines(log: &ServerLog) -> Vec<Value> {
    log.lines()
        .iter()
        .map(|line| {
            assert!(
                !line.contains('\u{1b}'),
                "a colour code in a log file: {line:?}"
            );
            serde_json::from_str(line).unwrap_or_else(|_| panic!("not a JSON line: {line}"))
        })
        .collect()
}

async fn wait_for_json(log: &ServerLog, wanted: impl Fn(&Value) -> bool) -> Value {
    let line = log
        .wait_for(Duration::from_millis(LOG_WAIT_MS), |line| {
            serde_json::from_str::<Value>(line).is_ok_and(|value| wanted(&value))
        })
        .await
        .unwrap_or_else(|| panic!("no such log line; the log was:\n{}", log.lines().join("\n")));
    serde_json::from_str(&line).expect("JSON")
}

fn is_access(line: &Value, actor: &str, status: u64) -> bool {
    line["target"] == "fundledger::access" && line["actor"] == actor && line["status"] == status
}

async fn requests_and_commands_are_logged_without_tokens_or_personal_fields(store: Store) {
    let (app, log) = spawn_app_logged(PROGRAM, store, &info()).await;
    let admin = app.admin();
    let created = mutate(
        &app,
        &admin,
        "establishFund",
        json!({ "name": PERSONAL_NAME, "funderOrgId": "GB-CHC-0000001", "funderName": PERSONAL_NAME }),
        "fund { id }",
    )
    .await;
    let position = created["position"].as_i64().expect("a position");
    app.gql(None, "{ ledger { position } }", json!({}))
        .await
        .ok();
    let forged = app.forged();
    let refused = app
        .gql(Some(&forged), "{ ledger { position } }", json!({}))
        .await;
    assert_eq!(refused.status, 401);

    // An unscoped admin token is the owner (of every fund): the access line says so.
    let access = wait_for_json(&log, |line| is_access(line, "owner", 200)).await;
    assert_eq!(access["method"], "POST");
    assert_eq!(access["route"], "/graphql");
    assert!(
        access["duration_ms"].as_f64().is_some_and(|ms| ms >= 0.0),
        "{access}"
    );
    let request_id = access["request_id"].as_str().unwrap_or_default();
    assert!(request_id.len() >= 32, "a request id: {access}");
    wait_for_json(&log, |line| is_access(line, "anonymous", 200)).await;
    wait_for_json(&log, |line| is_access(line, "invalid", 401)).await;

    let command = wait_for_json(&log, |line| {
        line["target"] == "fundledger::command" && line["aggregate_type"] == "Fund"
    })
    .await;
    assert_eq!(command["command"], "Establish", "{command}");
    assert_eq!(command["outcome"], "ok", "{command}");
    assert_eq!(command["position"].as_i64(), Some(position), "{command}");
    assert!(command["duration_ms"].as_f64().is_some(), "{command}");
    assert_eq!(command["level"], "INFO");

    let everything = log.lines().join("\n");
    for secret in [
        admin.as_str(),
        forged.as_str(),
        "officer-ola",
        PERSONAL_NAME,
        app.secret.as_str(),
    ] {
        assert!(
            !everything.contains(secret),
            "the log holds {secret:?}:\n{everything}"
        );
    }
    assert!(!json_lines(&log).is_empty());
}

#[tokio::test]
async fn requests_and_commands_are_logged_without_tokens_or_personal_fields_sqlite() {
    requests_and_commands_are_logged_without_tokens_or_personal_fields(Store::Sqlite).await;
}

#[tokio::test]
async fn requests_and_commands_are_logged_without_tokens_or_personal_fields_postgres() {
    requests_and_commands_are_logged_without_tokens_or_personal_fields(Store::Postgres).await;
}

#[tokio::test]
async fn text_logs_are_written_when_asked_and_carry_no_colour_codes_in_a_file() {
    let mut env = info();
    env.push(("FUNDLEDGER_LOG_FORMAT", "text".to_string()));
    let (app, log) = spawn_app_logged(PROGRAM, Store::Sqlite, &env).await;
    let (status, _) = app.get("/healthz").await;
    assert_eq!(status, 200);
    let line = log
        .wait_for(Duration::from_millis(LOG_WAIT_MS), |line| {
            line.contains("fundledger::access") && line.contains("/healthz")
        })
        .await
        .unwrap_or_else(|| panic!("no access line:\n{}", log.lines().join("\n")));
    assert!(
        !line.trim_start().starts_with('{'),
        "text, not JSON: {line}"
    );
    assert!(line.contains("status=200"), "{line}");
    for line in log.lines() {
        assert!(
            !line.contains('\u{1b}'),
            "a colour code in a log file: {line:?}"
        );
    }
}

fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find(|line| line.starts_with(&format!("{name} ")))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("no metric {name} in:\n{text}"))
}

async fn metrics_show_the_process_the_pool_and_the_build(store: Store) {
    let (app, _log) = spawn_app_logged(PROGRAM, store, &[]).await;
    let (status, text) = app.get("/metrics").await;
    assert_eq!(status, 200);
    assert!(metric(&text, "process_resident_memory_bytes") > 1_000_000.0);
    assert!(metric(&text, "process_cpu_seconds_total") >= 0.0);
    assert!(metric(&text, "process_open_fds") >= 3.0);
    assert!(metric(&text, "process_max_fds") >= metric(&text, "process_open_fds"));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs_f64();
    let started = metric(&text, "process_start_time_seconds");
    assert!(
        started <= now + 1.0 && started > now - 600.0,
        "started {started}, now {now}"
    );
    let max = metric(&text, "fundledger_db_pool_max_connections");
    let open = metric(&text, "fundledger_db_pool_connections");
    let idle = metric(&text, "fundledger_db_pool_idle_connections");
    let in_use = metric(&text, "fundledger_db_pool_in_use_connections");
    assert!(open >= 1.0 && open <= max, "{open} of {max}");
    assert_eq!(idle + in_use, open);
    assert_eq!(metric(&text, "fundledger_db_pool_acquire_ok"), 1.0);
    assert!(metric(&text, "fundledger_db_pool_acquire_wait_seconds") < 1.0);
    let build = text
        .lines()
        .find(|line| line.starts_with("fundledger_build_info{"))
        .expect("build info");
    assert!(
        build.contains(&format!("version=\"{}\"", env!("CARGO_PKG_VERSION")))
            && build.contains("git=\"")
            && build.ends_with(" 1"),
        "{build}"
    );
}

#[tokio::test]
async fn metrics_show_the_process_the_pool_and_the_build_sqlite() {
    metrics_show_the_process_the_pool_and_the_build(Store::Sqlite).await;
}

#[tokio::test]
async fn metrics_show_the_process_the_pool_and_the_build_postgres() {
    metrics_show_the_process_the_pool_and_the_build(Store::Postgres).await;
}

/// A GET of `path` with extra headers: status, `ETag`, `Cache-Control` and body.
async fn get(
    app: &TestApp,
    path: &str,
    headers: &[(&str, String)],
) -> (u16, Option<String>, Option<String>, String) {
    let mut request = app.client.get(format!("{}{path}", app.base));
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.send().await.expect("GET");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|value| value.to_str().expect("text").to_string())
    };
    let (etag, cache_control) = (header("etag"), header("cache-control"));
    let status = response.status().as_u16();
    (
        status,
        etag,
        cache_control,
        response.text().await.expect("body"),
    )
}

/// `get`, again while the answer is untagged: the server tags only answers at the
/// read-models version it has seen, which it reads every few milliseconds, so just after
/// a write the first answer may come untagged.
async fn get_tagged(
    app: &TestApp,
    path: &str,
    headers: &[(&str, String)],
) -> (u16, String, Option<String>, String) {
    for _ in 0..200 {
        let (status, etag, cache_control, body) = get(app, path, headers).await;
        if let Some(etag) = etag {
            return (status, etag, cache_control, body);
        }
        assert_eq!(status, 200, "{body}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{path} was never tagged");
}

const FUNDS_QUERY: &str =
    "/graphql?query=%7B%20funds%20%7B%20name%20position%20%7B%20capitalReceived%20%7D%20%7D%20%7D";

async fn public_answers_are_tagged_with_the_watermark_and_unchanged_ones_answer_304(store: Store) {
    let (app, _log) = spawn_app_logged(PROGRAM, store, &[]).await;
    let fund = establish_fund(&app).await;
    let at = |position: i64| vec![("x-min-position", position.to_string())];
    let head = app.head().await;
    let (status, first, cache_control, body) = get_tagged(&app, FUNDS_QUERY, &at(head)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(cache_control.as_deref(), Some("public, no-cache"));
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["data"]["funds"][0]["name"],
        "Test Fund"
    );

    let unchanged = vec![("if-none-match", first.clone())];
    let (status, etag, _, body) = get(&app, FUNDS_QUERY, &unchanged).await;
    assert_eq!(
        (status, body.as_str()),
        (304, ""),
        "nothing changed: not modified"
    );
    assert_eq!(etag.as_deref(), Some(first.as_str()));
    let (status, page_tag, _, _) = get(&app, "/", &[]).await;
    assert_eq!(
        (status, page_tag.as_deref()),
        (200, Some(first.as_str())),
        "the page shares the version"
    );
    assert_eq!(get(&app, "/", &unchanged).await.0, 304);
    // A browser takes a 304's headers for the page it kept: the page's own policy (its
    // styles, scripts and forms allowed) must come with it.
    let revalidated = app
        .client
        .get(format!("{}/", app.base))
        .header("if-none-match", first.clone())
        .send()
        .await
        .expect("GET /");
    assert_eq!(revalidated.status(), 304);
    let policy = revalidated.headers()["content-security-policy"]
        .to_str()
        .expect("text");
    assert!(
        policy.contains("form-action 'self'") && policy.contains("style-src 'self'"),
        "a 304 keeps the page's policy: {policy}"
    );
    let posted = app
        .client
        .post(app.graphql_url())
        .json(&json!({ "query": "{ funds { name } }" }))
        .send()
        .await
        .expect("POST");
    assert_eq!(
        posted
            .headers()
            .get("etag")
            .map(|tag| tag.to_str().unwrap().to_string()),
        Some(first.clone()),
        "a POSTed anonymous query carries the same tag"
    );

    // A write moves the watermark: the old tag no longer matches, the new answer shows it.
    let received = mutate(
        &app,
        &app.admin(),
        "receiveCapital",
        json!({ "fundId": fund, "amount": "250.00", "source": "Endowment", "receivedOn": business_day() }),
        "fund { id }",
    )
    .await;
    let position = received["position"].as_i64().expect("a position");
    let mut conditional = at(position);
    conditional.push(("if-none-match", first.clone()));
    let (status, _, _, body) = get(&app, FUNDS_QUERY, &conditional).await;
    assert_eq!(status, 200, "the write is not hidden by a 304: {body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        s(&answer["data"]["funds"][0]["position"]["capitalReceived"]),
        "250.00"
    );
    let (status, second, _, _) = get_tagged(&app, FUNDS_QUERY, &conditional).await;
    assert_eq!(status, 200);
    assert_ne!(second, first, "a new version, a new tag");

    // GET answers are public: no signed-in viewer, no mutation.
    let signed_in = vec![("authorization", format!("Bearer {}", app.admin()))];
    assert_eq!(get(&app, FUNDS_QUERY, &signed_in).await.0, 400);
    let mutation = "/graphql?query=mutation%20%7B%20__typename%20%7D";
    assert_eq!(get(&app, mutation, &[]).await.0, 405);
    let (status, _, _, graphiql) = get(&app, "/graphql", &[]).await;
    assert!(
        status == 200 && graphiql.to_lowercase().contains("<html"),
        "GraphiQL still at GET /graphql"
    );
}

#[tokio::test]
async fn public_answers_are_tagged_with_the_watermark_and_unchanged_ones_answer_304_sqlite() {
    public_answers_are_tagged_with_the_watermark_and_unchanged_ones_answer_304(Store::Sqlite).await;
}

#[tokio::test]
async fn public_answers_are_tagged_with_the_watermark_and_unchanged_ones_answer_304_postgres() {
    public_answers_are_tagged_with_the_watermark_and_unchanged_ones_answer_304(Store::Postgres)
        .await;
}
